package ai.hydra.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.store.HypergradientStore;

/**
 * The result of a HYDRA run: for each tracked training sample i, {@code d_T(i) = dw_T/deps_i} at
 * the final weights, with what is needed to turn it into contributions.
 */
public final class Hypergradients {

    private final HydraMode mode;
    private final HypergradientStore store;
    private final int[] trackedIndices;
    private final long trainingSetSize;
    private final int steps;
    private final ShadowModel model;

    Hypergradients(
            HydraMode mode,
            HypergradientStore store,
            int[] trackedIndices,
            long trainingSetSize,
            int steps,
            ShadowModel model) {
        this.mode = mode;
        this.store = store;
        this.trackedIndices = trackedIndices;
        this.trainingSetSize = trainingSetSize;
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
        return trackedIndices.clone();
    }

    /**
     * Returns N, the training-set size.
     *
     * @return N
     */
    public long trainingSetSize() {
        return trainingSetSize;
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
        return trackedIndices.length;
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
