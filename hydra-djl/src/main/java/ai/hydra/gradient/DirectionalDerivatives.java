package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The derivatives of one training batch along a few directions {@code u_k} of the {@link
 * ParameterSpace}: the Hessian-vector products {@code H(w) u_k} of the batch-mean loss (as {@link
 * HessianVectorProduct}) and the directional derivatives {@code grad l_j(w) . u_k} of every
 * sample's own loss {@code l_j} in the batch.
 *
 * <p>These are what one step of a reverse-mode sweep over a training run needs: the batch loss
 * weighs sample j by {@code (1 + N eps_j) / B}, so the step's sensitivity to {@code eps_j} along
 * {@code u} is {@code (N/B) grad l_j . u}. Taking the slopes in the batch's own forward pass makes
 * them exact also when samples are coupled (batch normalization in training mode).
 */
public interface DirectionalDerivatives {

    /**
     * Computes the derivatives of a batch at {@code w} along every row of {@code directions}.
     *
     * @param w flat weights; their manager receives the results
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param directions the directions, shape (k, |w|)
     * @return the products and slopes, in the data type this implementation computes in
     */
    Result compute(NDArray w, NDList inputs, NDList labels, NDArray directions);

    /**
     * The derivatives of a batch along k directions.
     *
     * @param hessianProducts {@code H(w) u_k}, shape (k, |w|)
     * @param sampleSlopes {@code grad l_j(w) . u_k}, shape (k, batch size)
     */
    record Result(NDArray hessianProducts, NDArray sampleSlopes) {}
}
