package ai.hydra.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.Hypergradients;
import java.io.IOException;
import java.util.Arrays;

/**
 * Turns hypergradients into contributions of training samples to test losses:
 * {@code C(i) = -(1/N) grad L_test(w_T) . d_T(i)} for the mean test loss, and
 * {@code C(i, j) = -(1/N) grad l_j(w_T) . d_T(i)} for one test sample.
 *
 * <p>Sign convention (the paper's): positive means removing sample i would raise the test loss,
 * so sample i helped. Test gradients are taken in prediction mode (batch normalization uses its
 * running statistics), as the model is used at test time.
 */
public final class ContributionAnalysis {

    private final Hypergradients hypergradients;
    private final int chunkSize;

    /**
     * Creates an analysis over hypergradients.
     *
     * @param hypergradients the result of a HYDRA run
     */
    public ContributionAnalysis(Hypergradients hypergradients) {
        this(hypergradients, 512);
    }

    /**
     * Creates an analysis that reads hypergradients {@code chunkSize} rows at a time.
     *
     * @param hypergradients the result of a HYDRA run
     * @param chunkSize rows per read
     */
    public ContributionAnalysis(Hypergradients hypergradients, int chunkSize) {
        this.hypergradients = hypergradients;
        this.chunkSize = chunkSize;
    }

    /**
     * Computes C(i) for the mean loss over a test set.
     *
     * @param manager a manager on the model's device
     * @param testSet the test set
     * @return one contribution per tracked sample, in row order
     * @throws IOException if the test set cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public double[] testLossContributions(NDManager manager, Dataset testSet)
            throws IOException, TranslateException {
        try (NDManager scope = manager.newSubManager()) {
            NDArray gradient = meanTestGradient(scope, testSet);
            NDArray matrix = contributions(scope, gradient.reshape(1, -1));
            return matrix.toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    /**
     * Computes the matrix C(i, j) for individual test samples.
     *
     * @param manager a manager on the model's device
     * @param testInputs the test samples' inputs (batch axis first)
     * @param testLabels their labels
     * @param testIndices their ids, kept in the result (e.g. test-set indices)
     * @return the contribution matrix, rows = tracked training samples, columns = test samples
     */
    public ContributionMatrix contributionMatrix(
            NDManager manager, NDList testInputs, NDList testLabels, int[] testIndices) {
        try (NDManager scope = manager.newSubManager()) {
            ShadowModel model = hypergradients.model();
            NDArray w = weights(scope);
            int m = (int) testInputs.head().getShape().get(0);
            int[] rows = new int[m];
            Arrays.setAll(rows, j -> j);
            NDArray gradients = model.sampleGradients(w, testInputs, testLabels, rows, false);
            NDArray matrix = contributions(scope, gradients);
            double[] flat = matrix.toType(DataType.FLOAT64, false).toDoubleArray();
            int n = hypergradients.size();
            double[][] values = new double[n][];
            for (int i = 0; i < n; i++) {
                values[i] = Arrays.copyOfRange(flat, i * m, (i + 1) * m);
            }
            return new ContributionMatrix(values, hypergradients.trackedIndices(), testIndices.clone());
        }
    }

    /** Mean gradient of the test loss at the final weights, in the model's data type. */
    private NDArray meanTestGradient(NDManager scope, Dataset testSet)
            throws IOException, TranslateException {
        ShadowModel model = hypergradients.model();
        NDArray w = weights(scope);
        NDArray sum = null;
        long count = 0;
        for (Batch batch : testSet.getData(scope)) {
            try (batch) {
                NDArray g = model.gradient(w, batch.getData(), batch.getLabels(), false);
                NDArray weighted = g.mul(batch.getSize());
                sum = sum == null ? weighted : sum.add(weighted);
                count += batch.getSize();
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("The test set is empty");
        }
        return sum.div(count);
    }

    /** Returns -(1/N) D G^T, read chunk by chunk: shape (tracked, rows of G). */
    private NDArray contributions(NDManager scope, NDArray testGradients) {
        int n = hypergradients.size();
        NDArray out = null;
        NDArray gt = testGradients.transpose();
        double factor = -1.0 / hypergradients.trainingSetSize();
        for (int start = 0; start < n; start += chunkSize) {
            int[] rows = new int[Math.min(chunkSize, n - start)];
            int first = start;
            Arrays.setAll(rows, k -> first + k);
            NDArray d = hypergradients.read(scope, rows);
            NDArray part = d.matMul(gt.toType(d.getDataType(), false)).mul(factor);
            out = out == null ? part : out.concat(part, 0);
        }
        return out;
    }

    private NDArray weights(NDManager scope) {
        ShadowModel model = hypergradients.model();
        return model.space().values(scope, model.space().trainable().get(0).getArray().getDataType());
    }
}
