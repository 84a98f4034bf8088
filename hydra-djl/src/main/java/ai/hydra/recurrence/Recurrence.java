package ai.hydra.recurrence;

import ai.hydra.store.HypergradientStore;
import java.util.Map;
import java.util.Optional;

/**
 * One hypergradient recurrence over a set of tracked samples: it carries {@code d = dw/deps_i} and
 * {@code m = dv/deps_i} for each of them through every optimizer step.
 */
public interface Recurrence extends AutoCloseable {

    /**
     * Applies one optimizer step.
     *
     * @param input the step's data, taken at the pre-step weights
     */
    void step(StepInput input);

    /**
     * Brings every tracked sample's state up to the last step applied (lazy recurrences defer the
     * steps in which a sample was not in the batch).
     */
    void catchUp();

    /**
     * Returns the hypergradients {@code d}, one row per tracked sample; current after {@link
     * #catchUp()}.
     *
     * @return the store of d
     */
    HypergradientStore hypergradients();

    /**
     * Returns the stores of the state, live, by name: {@code d}, and {@code m} when momentum is
     * kept. A checkpoint saves and restores them.
     *
     * @return name to store, in a fixed order
     */
    Map<String, HypergradientStore> stores();

    /**
     * Returns the bookkeeping besides the stores that a checkpoint must keep, if any.
     *
     * @return the pending steps of a lazy recurrence; empty for one that updates every row at every
     *     step
     */
    default Optional<PendingSteps> pendingSteps() {
        return Optional.empty();
    }

    /**
     * Restores the bookkeeping {@link #pendingSteps()} returned into this fresh recurrence.
     *
     * @param steps the saved bookkeeping
     * @throws IllegalArgumentException if it does not fit this recurrence
     */
    default void restorePendingSteps(PendingSteps steps) {
        throw new IllegalArgumentException(
                getClass().getSimpleName() + " keeps no pending steps to restore");
    }

    /** Frees the state. */
    @Override
    void close();
}
