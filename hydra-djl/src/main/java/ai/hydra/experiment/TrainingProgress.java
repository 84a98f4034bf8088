package ai.hydra.experiment;

/**
 * Receives progress events from a {@link TrainingRun}, so that a user interface can show them while
 * the library itself prints nothing. All methods have empty defaults.
 */
public interface TrainingProgress {

    /** A listener that ignores every event. */
    TrainingProgress NONE = new TrainingProgress() {};

    /**
     * Called when a preparation stage starts (loading data, building the model).
     *
     * @param message a short description, e.g. "loading fashion-mnist"
     */
    default void onStage(String message) {}

    /**
     * Called before the first batch of an epoch.
     *
     * @param epoch the epoch number, from 1
     * @param epochs the total number of epochs
     * @param batches the number of batches in this epoch
     */
    default void onEpochStart(int epoch, int epochs, int batches) {}

    /**
     * Called after each training step.
     *
     * @param batch the batch number within the epoch, from 1
     * @param loss the mean loss of this batch
     */
    default void onBatch(int batch, float loss) {}

    /**
     * Called after the last batch of an epoch.
     *
     * @param stats the epoch's summary
     */
    default void onEpochEnd(EpochStats stats) {}

    /**
     * Called before evaluating on the test set.
     *
     * @param batches the number of test batches
     */
    default void onEvaluationStart(int batches) {}

    /**
     * Called after each evaluated test batch.
     *
     * @param batch the batch number, from 1
     */
    default void onEvaluationBatch(int batch) {}

    /** Called after the evaluation finished. */
    default void onEvaluationEnd() {}

    /**
     * Called before the backward sweep of exact attribution ({@code hydra.mode: exact}).
     *
     * @param steps the number of training steps to sweep
     */
    default void onSweepStart(int steps) {}

    /**
     * Called after each swept step.
     *
     * @param done the steps swept so far
     */
    default void onSweepStep(int done) {}

    /**
     * The summary of one training epoch.
     *
     * @param epoch the epoch number, from 1
     * @param epochs the total number of epochs
     * @param meanLoss the mean training loss over the epoch's batches
     * @param learningRate the learning rate of the epoch's last update
     * @param seconds the wall-clock time of the epoch
     */
    record EpochStats(
            int epoch, int epochs, double meanLoss, double learningRate, double seconds) {}
}
