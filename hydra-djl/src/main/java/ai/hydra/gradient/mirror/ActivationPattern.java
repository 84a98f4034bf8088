package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The piecewise-linear choices a forward pass made at one point {@code w}: each ReLU's mask, each
 * leaky ReLU's slope pattern, each max pooling's selected window element, in the order the pass met
 * them.
 *
 * <p>Recorded by a {@link MirrorPass#recording recording pass} and replayed by {@link
 * MirrorPass#frozen frozen passes}: with the pattern frozen, the network is smooth in its weights,
 * and its gradient and Hessian at {@code w} are those autograd gives (ReLU's derivative taken as
 * {@code x > 0}, its second derivative as 0, max pooling routing to the first maximal element). A
 * pattern belongs to one forward mode (training or prediction: batch normalization differs), which
 * its frozen passes use too. Owns its arrays: close it to free them.
 */
public final class ActivationPattern implements AutoCloseable {

    private final NDManager manager;
    private final boolean training;
    private final List<NDArray> sites = new ArrayList<>();

    /**
     * Creates an empty pattern whose arrays live in a sub-manager of {@code parent}.
     *
     * @param parent the manager to allocate under (its device is where the pattern lives)
     * @param training the mode of the passes that record and replay it: true for training mode
     *     (batch statistics), false for prediction mode
     */
    public ActivationPattern(NDManager parent, boolean training) {
        manager = parent.newSubManager();
        this.training = training;
    }

    /**
     * Returns the mode of the passes that record and replay this pattern.
     *
     * @return true for training mode, false for prediction mode
     */
    public boolean isTraining() {
        return training;
    }

    /**
     * Returns the number of recorded sites (kinked operations met by the pass).
     *
     * @return the number of sites
     */
    public int size() {
        return sites.size();
    }

    void add(NDArray site) {
        site.attach(manager);
        sites.add(site);
    }

    NDArray get(int index) {
        if (index >= sites.size()) {
            throw new IllegalStateException(
                    "A frozen pass met more kinked operations than the recorded pattern holds ("
                            + sites.size()
                            + "): the block's forward must visit the same operations at every"
                            + " point");
        }
        return sites.get(index);
    }

    /** Frees the recorded arrays. */
    @Override
    public void close() {
        manager.close();
    }
}
