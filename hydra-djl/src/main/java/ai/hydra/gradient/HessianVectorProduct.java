package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * Products of the Hessian of a batch's empirical risk (the trainer's batch-mean loss, without
 * weight decay) with vectors of the {@link ParameterSpace}.
 */
public interface HessianVectorProduct {

    /**
     * Computes {@code H(w) v} for each row {@code v} of {@code vectors}, {@code H} being the
     * Hessian of the batch-mean loss on {@code (inputs, labels)} at flat weights {@code w}.
     *
     * @param w flat weights, in the data type to compute in; their manager receives the result
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param vectors a matrix of row vectors, shape (k, |w|)
     * @return the products, shape (k, |w|), in {@code w}'s data type
     */
    NDArray multiply(NDArray w, NDList inputs, NDList labels, NDArray vectors);
}
