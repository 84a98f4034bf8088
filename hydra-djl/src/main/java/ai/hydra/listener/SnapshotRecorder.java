package ai.hydra.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.util.Preconditions;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.UpdateLog;
import ai.hydra.train.WeightSnapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * A DJL {@code TrainingListener} that keeps a {@link WeightSnapshot} at the end of every epoch: the
 * flat trainable weights and the epoch's step weight, for checkpoint-based attribution such as
 * TracIn-CP ({@link ai.hydra.attribution.TracInAttributor}).
 *
 * <pre>{@code
 * SnapshotRecorder snapshots = SnapshotRecorder.builder(sgd).build();
 * // ... train with the recorder attached (DefaultTrainingConfig.addTrainingListeners) ...
 * Attributor tracIn = TracInAttributor.builder(shadowModel, snapshots.snapshots()).build();
 * }</pre>
 *
 * <p>The learning rate of every step is read from the optimizer's {@link UpdateLog} after the step
 * ran, so the step weights are the rates actually used. Snapshots live on the training device in
 * the recorder's own manager, one weight vector per epoch; {@link #close} frees them.
 */
public final class SnapshotRecorder extends TrainingListenerAdapter implements AutoCloseable {

    private final HydraSgd optimizer;
    private final List<WeightSnapshot> snapshots = new ArrayList<>();
    private NDManager manager;
    private int seenUpdate;
    private int pendingBatchSize;
    private double weightSum;
    private int steps;

    private SnapshotRecorder(HydraSgd optimizer) {
        this.optimizer = optimizer;
    }

    /**
     * Creates a builder.
     *
     * @param optimizer the optimizer the trainer uses (its learning rates, momentum and rescale
     *     factor make the step weights)
     * @return the builder
     */
    public static Builder builder(HydraSgd optimizer) {
        return new Builder(optimizer);
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        countFinishedStep();
        pendingBatchSize = batchData.getBatch().getSize();
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        countFinishedStep();
        if (steps == 0) {
            throw new IllegalStateException(
                    "SnapshotRecorder saw no optimizer step in epoch "
                            + (snapshots.size() + 1)
                            + ": the trainer must update with the HydraSgd given to the recorder");
        }
        if (manager == null) {
            manager = trainer.getModel().getNDManager().newSubManager(trainer.getDevices()[0]);
        }
        NDArray weights =
                ParameterSpace.of(trainer.getModel().getBlock())
                        .values(manager, trainer.getModel().getDataType());
        snapshots.add(new WeightSnapshot(snapshots.size() + 1, weights, weightSum / steps, steps));
        weightSum = 0;
        steps = 0;
    }

    /** Adds the step the optimizer ran since the last call, if any, to the epoch's sums. */
    private void countFinishedStep() {
        UpdateLog log = optimizer.getUpdateLog();
        int update = log.getLatestNumUpdate();
        if (update == seenUpdate || pendingBatchSize == 0) {
            return;
        }
        seenUpdate = update;
        double rate =
                log.getLatestRates().values().stream()
                        .mapToDouble(Float::doubleValue)
                        .average()
                        .orElseThrow();
        weightSum +=
                rate
                        * optimizer.getRescaleGrad()
                        / ((1.0 - optimizer.getMomentum()) * pendingBatchSize);
        steps++;
        pendingBatchSize = 0;
    }

    /**
     * Returns the snapshots taken so far, one per finished epoch, in order.
     *
     * @return an unmodifiable view; the arrays belong to this recorder
     */
    public List<WeightSnapshot> snapshots() {
        return List.copyOf(snapshots);
    }

    /** Frees the snapshots' arrays. */
    @Override
    public void close() {
        snapshots.clear();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }

    /** Builds a {@link SnapshotRecorder}. */
    public static final class Builder {

        private final HydraSgd optimizer;

        Builder(HydraSgd optimizer) {
            Preconditions.checkArgument(
                    optimizer != null, "SnapshotRecorder needs the HydraSgd the trainer uses");
            this.optimizer = optimizer;
        }

        /**
         * Builds the recorder.
         *
         * @return the recorder
         */
        public SnapshotRecorder build() {
            return new SnapshotRecorder(optimizer);
        }
    }
}
