package ai.hydra.recurrence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.store.HypergradientStore;

/**
 * The result of a HYDRA run: for each tracked training sample i, {@code d_T(i) = dw_T/deps_i} at
 * the final weights, with what is needed to turn it into contributions (the model, N and the
 * tracked samples).
 */
public final class Hypergradients {

    private final HydraMode mode;
    private final HypergradientStore store;
    private final TrackedSamples tracked;
    private final int steps;
    private final ShadowModel model;

    /**
     * Wraps the state of a finished recurrence.
     *
     * @param mode the recurrence that produced it, HESSIAN_FREE or HESSIAN_AWARE
     * @param store the hypergradients, one row per tracked sample, current to the last step
     * @param tracked the tracked samples (row order of the store)
     * @param steps the number of optimizer steps covered
     * @param model the trained block and its loss, at the final weights
     */
    public Hypergradients(
            HydraMode mode,
            HypergradientStore store,
            TrackedSamples tracked,
            int steps,
            ShadowModel model) {
        if (mode == HydraMode.BOTH) {
            throw new IllegalArgumentException("Hypergradients come from one recurrence, not BOTH");
        }
        if (store.rows() != tracked.size()) {
            throw new IllegalArgumentException(
                    "The store has " + store.rows() + " rows for " + tracked.size() + " samples");
        }
        this.mode = mode;
        this.store = store;
        this.tracked = tracked;
        this.steps = steps;
        this.model = model;
    }

    /**
     * Returns the recurrence that produced these hypergradients.
     *
     * @return HESSIAN_FREE or HESSIAN_AWARE
     */
    public HydraMode mode() {
        return mode;
    }

    /**
     * Returns the dataset indices of the tracked samples, in row order.
     *
     * @return a copy of the indices
     */
    public int[] trackedIndices() {
        return tracked.indices();
    }

    /**
     * Returns the tracked samples, with the map from dataset index to row.
     *
     * @return the tracked samples
     */
    public TrackedSamples tracked() {
        return tracked;
    }

    /**
     * Returns N, the training-set size.
     *
     * @return N
     */
    public long trainingSetSize() {
        return tracked.trainingSetSize();
    }

    /**
     * Returns the number of optimizer steps the hypergradients cover.
     *
     * @return T
     */
    public int steps() {
        return steps;
    }

    /**
     * Returns the shadow model (the trained block and its loss) at whose final weights the
     * hypergradients are taken.
     *
     * @return the model
     */
    public ShadowModel model() {
        return model;
    }

    /**
     * Returns the number of tracked samples.
     *
     * @return the row count
     */
    public int size() {
        return tracked.size();
    }

    /**
     * Reads hypergradients of some rows, shape (rows.length, |w|).
     *
     * @param manager the manager of the result
     * @param rows row numbers (positions in {@link #trackedIndices()})
     * @return the rows
     */
    public NDArray read(NDManager manager, int[] rows) {
        return store.read(manager, rows);
    }
}
