package ai.hydra.experiment;

import ai.hydra.analysis.ContributionMatrix;
import ai.hydra.analysis.InterClassMatrix;
import ai.hydra.listener.HydraListener;

/**
 * What an {@link AttributionRun} produced: the training result (with the trained model), the data,
 * C(i) for the mean test loss and C(i, j) for the chosen test samples, and the inter-class matrix
 * over the whole test set.
 *
 * @param training the training result, with the model
 * @param listener the HYDRA listener holding the hypergradients
 * @param data the data trained and tested on
 * @param testLossContributions C(i) per tracked training sample, in {@code trackedIndices} order
 * @param perTestSample C(i, j): rows = tracked training samples, columns = chosen test samples
 * @param interClass the paper's Eq. 23 matrix over the whole test set
 * @param trackedIndices the training-set indices of the tracked samples
 */
public record AttributionResult(
        TrainingResult training,
        HydraListener listener,
        ExperimentData data,
        double[] testLossContributions,
        ContributionMatrix perTestSample,
        InterClassMatrix interClass,
        int[] trackedIndices)
        implements AutoCloseable {

    /** Frees the hypergradients and the model. */
    @Override
    public void close() {
        listener.close();
        training.close();
    }
}
