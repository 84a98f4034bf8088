package ai.hydra.experiment;

import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.InterClassMatrix;
import ai.hydra.listener.HydraListener;
import java.util.List;

/**
 * What an {@link AttributionRun} produced: the training result (with the trained model), the data,
 * and for every attribution method it ran (one per HYDRA mode) C(i) for the mean test loss, C(i, j)
 * for the chosen test samples and the inter-class matrix over the whole test set.
 *
 * @param training the training result, with the model
 * @param listener the HYDRA listener holding the hypergradients
 * @param data the data trained and tested on
 * @param methods one result per method, in the order they ran (Hessian-free first)
 */
public record AttributionResult(
        TrainingResult training,
        HydraListener listener,
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

    /** Frees the hypergradients and the model. */
    @Override
    public void close() {
        listener.close();
        training.close();
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
