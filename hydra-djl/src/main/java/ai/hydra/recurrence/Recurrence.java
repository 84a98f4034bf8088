package ai.hydra.recurrence;

import ai.hydra.store.HypergradientStore;
import java.io.IOException;
import java.nio.file.Path;

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
     * Writes the recurrence's state (hypergradients and bookkeeping) into a checkpoint folder.
     *
     * @param directory the folder
     * @param prefix a file-name prefix distinguishing recurrences
     * @throws IOException if writing fails
     */
    void save(Path directory, String prefix) throws IOException;

    /**
     * Restores the state written by {@link #save} into this fresh recurrence.
     *
     * @param directory the folder
     * @param prefix the prefix used when saving
     * @throws IOException if reading fails or the files do not fit
     */
    void load(Path directory, String prefix) throws IOException;

    /** Frees the state. */
    @Override
    void close();
}
