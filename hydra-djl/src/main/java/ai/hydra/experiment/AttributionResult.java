package ai.hydra.experiment;

import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.InterClassMatrix;
import java.util.List;

/**
 * What an {@link AttributionRun} produced: the training result (with the trained model), the data,
 * and for every attribution method it ran (one per HYDRA mode) C(i) for the mean test loss, C(i, j)
 * for the chosen test samples and the inter-class matrix over the whole test set.
 *
 * @param training the training result, with the model
 * @param state what the attribution holds until closed: the HYDRA listener with its hypergradients,
 *     or the recorder with the trajectory (exact mode)
 * @param steps the optimizer steps the attribution covers
 * @param stored what was stored and where (hypergradient store, or trajectory checkpoints)
 * @param data the data trained and tested on
 * @param methods one result per method, in the order they ran (Hessian-free first)
 */
public record AttributionResult(
        TrainingResult training,
        AutoCloseable state,
        int steps,
        String stored,
        ExperimentData data,
        List<MethodResult> methods)
        implements AutoCloseable {

    /**
     * Returns the first method's result (the only one unless {@code hydra.mode} is both).
     *
     * @return the result
     */
    public MethodResult first() {
        return methods.get(0);
    }

    /** Frees the hypergradients (or the trajectory) and the model. */
    @Override
    public void close() {
        try {
            state.close();
        } catch (Exception e) {
            throw new IllegalStateException("Cannot free the attribution state: " + e, e);
        } finally {
            training.close();
        }
    }

    /**
     * The contributions one attribution method computed.
     *
     * @param name the method's name, e.g. {@code hydra-hessian-free}
     * @param testLoss C(i) per tracked training sample for the mean test loss
     * @param perTestSample C(i, j): rows = tracked training samples, columns = chosen test samples
     * @param interClass the paper's Eq. 23 matrix over the whole test set
     */
    public record MethodResult(
            String name,
            Contributions testLoss,
            ContributionMatrix perTestSample,
            InterClassMatrix interClass) {}
}
