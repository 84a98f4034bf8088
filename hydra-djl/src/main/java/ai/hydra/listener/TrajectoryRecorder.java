package ai.hydra.listener;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.replay.StepRecord;
import ai.hydra.replay.Trajectory;
import ai.hydra.replay.TrajectoryStore;
import ai.hydra.train.AppliedUpdateCheck;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.UpdateVerifier;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A DJL {@code TrainingListener} that records a training run for exact replay ({@link
 * ai.hydra.replay.ReverseSweep}): per step the batch's dataset indices and learning rate, and the
 * weights and momentum buffers at checkpoints every K steps. Training itself is untouched.
 *
 * <pre>{@code
 * HydraSgd sgd = HydraSgd.builder().setLearningRateTracker(LearningRates.constant(0.05f))
 *         .optMomentum(0.9f).build();
 * TrajectoryRecorder recorder = TrajectoryRecorder.builder(sgd, trainSet.size())
 *         .optMemoryBudget(1L << 30)            // or optCheckpointInterval(k)
 *         .build();
 * DefaultTrainingConfig config = new DefaultTrainingConfig(loss).optOptimizer(sgd)
 *         .addTrainingListeners(recorder);
 * try (Trainer trainer = Trainers.newTrainer(model, config, inputShape)) {
 *     EasyTrain.fit(trainer, epochs, trainSet, null);
 * }
 * Trajectory trajectory = recorder.getTrajectory();
 * }</pre>
 *
 * <p>It runs in {@code onTrainingBatch}, before {@code trainer.step()}: the weights it stores are
 * the pre-step ones, the momentum buffers DJL's {@code Sgd} holds then. The optimizer must be the
 * given {@link HydraSgd}, and every learning rate it uses is checked against the recorded one. As
 * with {@link HydraListener}, each step's applied update is checked against DJL's SGD update
 * ({@link AppliedUpdateCheck}: gradient clipping is refused, since the replay could not re-create
 * it) and training must stay finite; these checks are read at every epoch end and in {@link
 * #finish()}.
 */
public final class TrajectoryRecorder extends TrainingListenerAdapter implements AutoCloseable {

    private static final String NAME = "TrajectoryRecorder";

    private final HydraSgd optimizer;
    private final long trainingSetSize;
    private final int interval;
    private final long budget;
    private final TrajectoryStore.Placement placement;
    private final Path directory;

    private NDManager manager;
    private ParameterSpace space;
    private DataType dataType;
    private Trajectory trajectory;
    private Trainer trainer;
    private UpdateVerifier updates;
    private AppliedUpdateCheck applied;
    private int epochs;
    private boolean failed;

    private TrajectoryRecorder(Builder builder) {
        optimizer = builder.optimizer;
        trainingSetSize = builder.trainingSetSize;
        interval = builder.interval;
        budget = builder.budget;
        placement = builder.placement;
        directory = builder.directory;
    }

    /**
     * Creates a builder.
     *
     * @param optimizer the optimizer the trainer uses
     * @param trainingSetSize N, the size of the training set the trainer iterates
     * @return the builder
     */
    public static Builder builder(HydraSgd optimizer, long trainingSetSize) {
        return new Builder(optimizer, trainingSetSize);
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBegin(Trainer trainer) {
        UpdateVerifier.requireTrainer(trainer, optimizer, NAME);
        this.trainer = trainer;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        try {
            record(trainer, batchData.getBatch());
        } catch (RuntimeException e) {
            failed = true; // the recording is incomplete: onTrainingEnd must not finish it
            throw e;
        }
    }

    private void record(Trainer trainer, Batch batch) {
        if (this.trainer == null) {
            onTrainingBegin(trainer);
        }
        if (trajectory == null) {
            initialize(trainer);
        }
        updates.verify(trajectory.size());
        int step = trajectory.size() + 1;
        float rate = updates.plan(step);
        int[] indices = BatchIndices.of(batch, trainingSetSize, NAME);
        try (NDManager scope = manager.newSubManager()) {
            NDArray weights = space.values(scope, dataType);
            applied.beforeStep(step, weights, space.gradients(scope, dataType), rate);
            if (trajectory.wantsCheckpoint()) {
                trajectory.checkpoint(weights, momentum(scope));
            }
        }
        trajectory.addStep(new StepRecord(indices, rate));
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        if (failed || trajectory == null || trajectory.isComplete()) {
            return;
        }
        epochs++;
        try {
            verifyUpdates("at the end of epoch " + epochs);
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /** Checks the updates so far: counts and rates, the applied updates, finiteness. */
    private void verifyUpdates(String when) {
        updates.verify(trajectory.size());
        try (NDManager scope = manager.newSubManager()) {
            applied.afterStep(space.values(scope, dataType));
        }
        applied.requireSound(when);
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingEnd(Trainer trainer) {
        if (failed || trajectory == null || trajectory.isComplete()) {
            return;
        }
        try {
            finish();
        } catch (RuntimeException e) {
            failed = true; // reached from trainer.close(), often while another exception unwinds
            throw e;
        }
    }

    /**
     * Ends the recording: verifies the last step and stores the final weights. Called by {@code
     * onTrainingEnd} (on {@code trainer.close()}); call it yourself to replay before closing the
     * trainer. No training step may follow.
     */
    public void finish() {
        if (trajectory == null) {
            throw new IllegalStateException("No training batch has been recorded");
        }
        if (failed) {
            throw new IllegalStateException("Training failed earlier; the recording is incomplete");
        }
        if (trajectory.isComplete()) {
            return;
        }
        try {
            verifyUpdates("when training ended");
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
        try (NDManager scope = manager.newSubManager()) {
            trajectory.finish(space.values(scope, dataType), manager);
        }
    }

    /**
     * Returns the recording, finishing it first if training has not ended.
     *
     * @return the trajectory (owned by this recorder: freed by {@link #close()})
     */
    public Trajectory getTrajectory() {
        finish();
        return trajectory;
    }

    /** Frees the recording. */
    @Override
    public void close() {
        if (trajectory != null) {
            trajectory.close();
        }
        if (manager != null) {
            manager.close();
        }
    }

    private void initialize(Trainer trainer) {
        Device device = trainer.getDevices()[0];
        manager = trainer.getModel().getNDManager().newSubManager(device);
        space = ParameterSpace.of(trainer.getModel().getBlock());
        dataType = trainer.getModel().getDataType();
        TrajectoryStore store = new TrajectoryStore(manager, placement, directory);
        trajectory = new Trajectory(optimizer, trainingSetSize, store, interval, budget);
        updates =
                new UpdateVerifier(
                        optimizer, space.trainable().stream().map(Parameter::getId).toList(), NAME);
        updates.start();
        boolean fresh = optimizer.getUpdateLog().getLatestNumUpdate() == 0;
        applied = new AppliedUpdateCheck(manager, optimizer, dataType, fresh);
    }

    /** The optimizer's momentum buffers, flat (zeros before a parameter's first update). */
    private NDArray momentum(NDManager scope) {
        if (optimizer.getMomentum() == 0f) {
            return null;
        }
        List<Parameter> trainable = space.trainable();
        Map<String, NDArray> live = optimizer.momentumBuffers();
        NDList buffers = new NDList(trainable.size());
        for (Parameter parameter : trainable) {
            NDArray buffer = live.get(parameter.getId());
            NDArray copy =
                    buffer == null
                            ? scope.zeros(parameter.getArray().getShape(), dataType)
                            : buffer.duplicate();
            copy.attach(scope);
            buffers.add(copy);
        }
        return space.flatten(buffers);
    }

    /** Builds a {@link TrajectoryRecorder}. */
    public static final class Builder {

        private final HydraSgd optimizer;
        private final long trainingSetSize;
        private int interval;
        private long budget = 1L << 30;
        private TrajectoryStore.Placement placement = TrajectoryStore.Placement.DEVICE;
        private Path directory = Path.of(System.getProperty("java.io.tmpdir"), "hydra-store");

        Builder(HydraSgd optimizer, long trainingSetSize) {
            if (optimizer == null) {
                throw new IllegalArgumentException(
                        "TrajectoryRecorder needs the HydraSgd optimizer the trainer uses");
            }
            if (trainingSetSize <= 0 || trainingSetSize > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(
                        "The training set size must be in [1, 2^31-1], got " + trainingSetSize);
            }
            this.optimizer = optimizer;
            this.trainingSetSize = trainingSetSize;
        }

        /**
         * Stores a checkpoint every {@code k} steps, whatever memory that takes; by default the
         * interval adapts to {@link #optMemoryBudget}.
         *
         * @param k the interval, at least 1 (1 = every step: no replay needed)
         * @return this builder
         */
        public Builder optCheckpointInterval(int k) {
            if (k < 1) {
                throw new IllegalArgumentException("checkpoint interval must be >= 1, got " + k);
            }
            this.interval = k;
            return this;
        }

        /**
         * Caps the bytes checkpoints take (default 1 GiB): every step is stored while it fits, then
         * the interval doubles as often as needed. Ignored with a fixed interval.
         *
         * @param bytes the budget
         * @return this builder
         */
        public Builder optMemoryBudget(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("memory budget must be positive, got " + bytes);
            }
            this.budget = bytes;
            return this;
        }

        /**
         * Sets where checkpoints are kept; defaults to the training device.
         *
         * @param placement DEVICE, HOST or DISK
         * @return this builder
         */
        public Builder optPlacement(TrajectoryStore.Placement placement) {
            this.placement = placement;
            return this;
        }

        /**
         * Sets the folder under which DISK checkpoints are written; defaults to {@code
         * java.io.tmpdir/hydra-store}.
         *
         * @param directory the folder
         * @return this builder
         */
        public Builder optDirectory(Path directory) {
            this.directory = directory;
            return this;
        }

        /**
         * Builds the recorder.
         *
         * @return the recorder
         */
        public TrajectoryRecorder build() {
            return new TrajectoryRecorder(this);
        }
    }
}
