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
import ai.djl.util.Preconditions;
import ai.hydra.checkpoint.Checkpoint;
import ai.hydra.checkpoint.CheckpointInfo;
import ai.hydra.checkpoint.TrainingState;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.recurrence.HessianAwareRecurrence;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Hypergradients;
import ai.hydra.recurrence.LazyHessianFreeRecurrence;
import ai.hydra.recurrence.Recurrence;
import ai.hydra.recurrence.StepInput;
import ai.hydra.recurrence.TrackedSamples;
import ai.hydra.store.HypergradientStore;
import ai.hydra.store.StorePlanner;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.UpdateVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A DJL {@code TrainingListener} that computes HYDRA hypergradients {@code d_T = dw_T/deps_i} of
 * the tracked training samples while an unchanged DJL training loop runs.
 *
 * <pre>{@code
 * HydraSgd sgd = HydraSgd.builder().setLearningRateTracker(LearningRates.constant(0.05f))
 *         .optMomentum(0.9f).optWeightDecay(5e-4f).build();
 * HydraListener hydra = HydraListener.builder(sgd, trainSet.size()).build();
 * DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
 *         .optOptimizer(sgd).addTrainingListeners(hydra);
 * try (Trainer trainer = Trainers.newTrainer(model, config, inputShape)) {
 *     EasyTrain.fit(trainer, epochs, trainSet, null);
 * }
 * Hypergradients d = hydra.getHypergradients(HydraMode.HESSIAN_FREE);
 * }</pre>
 *
 * <p>It runs in {@code onTrainingBatch}, after the trainer's backward pass and before {@code
 * trainer.step()}: per-sample gradients (and Hessian-vector products) are taken at the pre-step
 * weights in shadow passes, so training itself is bit-identical with and without it. The recurrence
 * differentiates DJL's own update; the optimizer must be the {@link HydraSgd} given to the builder,
 * and every learning rate it uses is checked against the one the recurrence assumed.
 */
public final class HydraListener extends TrainingListenerAdapter implements AutoCloseable {

    private final HydraSgd optimizer;
    private final TrackedSamples tracked;
    private final HydraMode mode;
    private final StorePlanner planner;
    private final double hessianStep;
    private final int chunkSize;
    private final Path checkpointDirectory;

    private final Map<HydraMode, Recurrence> recurrences = new EnumMap<>(HydraMode.class);
    private NDManager manager;
    private ShadowModel shadow;
    private UpdateVerifier updates;
    private Trainer trainer;
    private int step;
    private int epochs;
    private boolean failed;
    private String storeDescription = "";

    private HydraListener(Builder builder) {
        optimizer = builder.optimizer;
        tracked =
                builder.tracked != null
                        ? builder.tracked
                        : TrackedSamples.all(builder.trainingSetSize);
        mode = builder.mode;
        planner = builder.planner;
        hessianStep = builder.hessianStep;
        chunkSize = builder.chunkSize;
        checkpointDirectory = builder.checkpointDirectory;
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
        UpdateVerifier.requireTrainer(trainer, optimizer, "HydraListener");
        this.trainer = trainer;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        try {
            recordStep(trainer, batchData.getBatch());
        } catch (RuntimeException e) {
            failed = true; // the state is incomplete: onTrainingEnd must not report on it
            throw e;
        }
    }

    private void recordStep(Trainer trainer, Batch batch) {
        if (this.trainer == null) {
            onTrainingBegin(trainer);
        }
        if (manager == null) {
            initialize(trainer);
        }
        updates.verify(step);
        TrackedSamples.InBatch inBatch =
                tracked.inBatch(BatchIndices.of(batch, tracked.trainingSetSize(), "HydraListener"));
        step++;
        float eta = updates.plan(step);
        double scale =
                (double) eta
                        * optimizer.getRescaleGrad()
                        * tracked.trainingSetSize()
                        / batch.getSize();
        try (NDManager scope = manager.newSubManager()) {
            // The same split EasyTrain.trainBatch forwards: the batch on the trainer's device.
            Batch onDevice = batch.split(trainer.getDevices(), false)[0];
            NDList inputs = onDevice.getData();
            NDList labels = onDevice.getLabels();
            scope.tempAttachAll(inputs, labels);
            NDArray weights = shadow.space().values(scope, trainer.getModel().getDataType());
            NDArray gradients =
                    shadow.sampleGradients(weights, inputs, labels, inBatch.positions());
            requireFinite(gradients, "per-sample gradients");
            StepInput input =
                    new StepInput(
                            step, eta, scale, inBatch.rows(), gradients, weights, inputs, labels);
            for (Recurrence recurrence : recurrences.values()) {
                recurrence.step(input);
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        epochs++;
        if (checkpointDirectory != null && manager != null && !failed) {
            try {
                saveCheckpoint(checkpointDirectory);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "Cannot write the HYDRA checkpoint to "
                                + checkpointDirectory
                                + ": "
                                + e.getMessage(),
                        e);
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingEnd(Trainer trainer) {
        if (failed) {
            return;
        }
        try {
            finish();
        } catch (RuntimeException e) {
            // reached from trainer.close(), often while another exception unwinds: report once
            failed = true;
            throw e;
        }
    }

    /**
     * Verifies the last step and brings every hypergradient up to the current step. Called by
     * {@code onTrainingEnd} (on {@code trainer.close()}); call it yourself to read results before
     * closing the trainer. Idempotent, and training may continue afterwards.
     */
    public void finish() {
        if (manager == null) {
            return;
        }
        if (failed) {
            throw new IllegalStateException(
                    "Training failed earlier; the hypergradients are incomplete");
        }
        updates.verify(step);
        for (Recurrence recurrence : recurrences.values()) {
            recurrence.catchUp();
        }
    }

    /**
     * Returns the hypergradients of a mode after training.
     *
     * @param which HESSIAN_FREE or HESSIAN_AWARE, a mode this listener ran
     * @return the hypergradients
     * @throws IllegalStateException if training has not started or the mode was not run
     */
    public Hypergradients getHypergradients(HydraMode which) {
        if (manager == null) {
            throw new IllegalStateException("No training batch has been seen yet");
        }
        Recurrence recurrence = recurrences.get(which);
        if (recurrence == null) {
            throw new IllegalStateException(
                    "This listener ran " + mode + ", so it has no " + which + " hypergradients");
        }
        finish();
        return new Hypergradients(which, recurrence.hypergradients(), tracked, step, shadow);
    }

    /**
     * Returns the mode this listener runs.
     *
     * @return the mode
     */
    public HydraMode getMode() {
        return mode;
    }

    /**
     * Returns the number of optimizer steps seen.
     *
     * @return the step count
     */
    public int getSteps() {
        return step;
    }

    /**
     * Describes where the state lives (device, host or disk), for reports.
     *
     * @return the description
     */
    public String describeStore() {
        return storeDescription;
    }

    /**
     * Writes a {@link Checkpoint} from which {@link #resume} continues the training exactly: the
     * model's parameters, the optimizer's state (DJL's checkpoints omit it) and the hypergradient
     * state. Call it between steps, e.g. at the end of an epoch. The folder is replaced atomically:
     * a run interrupted while writing keeps the previous checkpoint.
     *
     * @param directory the checkpoint folder
     * @throws IOException if writing fails
     */
    public void saveCheckpoint(Path directory) throws IOException {
        if (manager == null || failed) {
            throw new IllegalStateException(
                    "Nothing to checkpoint: no successful training step yet");
        }
        updates.verify(step);
        Checkpoint.save(directory, state(), info());
    }

    /**
     * Continues from a checkpoint of an identically configured run: call it after {@code
     * Trainers.newTrainer(...)} (or {@code trainer.initialize}) and before the first batch.
     * Restores the parameters, the optimizer state and the hypergradients; the data must continue
     * in the same order (e.g. {@code SeededRandomSampler(seed, firstEpoch)}, with {@code firstEpoch
     * = Checkpoint.read(directory).epochs()}).
     *
     * @param trainer the new trainer, using this listener and its optimizer
     * @param directory a folder written by {@link #saveCheckpoint}
     * @throws IOException if reading fails
     * @throws IllegalStateException if the checkpoint belongs to a different configuration
     */
    public void resume(Trainer trainer, Path directory) throws IOException {
        if (step != 0) {
            throw new IllegalStateException("resume(...) must be called before the first batch");
        }
        if (this.trainer == null) {
            onTrainingBegin(trainer);
        }
        initialize(trainer);
        CheckpointInfo saved = Checkpoint.restore(directory, state(), info());
        step = saved.step();
        epochs = saved.epochs();
        updates.restore(saved.firstNumUpdate(), step);
    }

    private TrainingState state() {
        return new TrainingState(trainer, optimizer, recurrences, manager);
    }

    private CheckpointInfo info() {
        return new CheckpointInfo(
                trainer.getManager().getEngine().getEngineName(),
                mode,
                tracked.trainingSetSize(),
                tracked.size(),
                shadow.space().size(),
                trainer.getModel().getDataType(),
                optimizer.getMomentum(),
                step,
                epochs,
                updates.firstNumUpdate());
    }

    /** Frees the hypergradient state. */
    @Override
    public void close() {
        for (Recurrence recurrence : recurrences.values()) {
            recurrence.close();
        }
        recurrences.clear();
        if (manager != null) {
            manager.close();
        }
    }

    /** Plans the stores and creates the recurrences, at the first batch (or on resume). */
    private void initialize(Trainer trainer) {
        Device device = trainer.getDevices()[0];
        manager = trainer.getModel().getNDManager().newSubManager(device);
        shadow = new ShadowModel(trainer.getModel().getBlock(), trainer.getLoss());
        DataType dataType = trainer.getModel().getDataType();
        int rows = tracked.size();
        boolean momentum = optimizer.getMomentum() != 0f;
        int perMode = momentum ? 2 : 1;
        long columns = shadow.space().size();
        StorePlanner.Plan plan =
                planner.plan(rows, columns, dataType, perMode * mode.modes().size(), device);
        List<String> described = new ArrayList<>();
        for (HydraMode which : mode.modes()) {
            String prefix = which == HydraMode.HESSIAN_FREE ? "free" : "aware";
            HypergradientStore d = plan.create(manager, prefix + "-d", rows, columns, dataType);
            HypergradientStore m =
                    momentum ? plan.create(manager, prefix + "-m", rows, columns, dataType) : null;
            recurrences.put(which, newRecurrence(which, d, m));
            described.add(d.describe());
        }
        storeDescription = plan.placement() + ": " + String.join("; ", described);
        updates =
                new UpdateVerifier(
                        optimizer,
                        shadow.space().trainable().stream().map(Parameter::getId).toList(),
                        "HydraListener");
        updates.start();
    }

    private Recurrence newRecurrence(HydraMode which, HypergradientStore d, HypergradientStore m) {
        if (which == HydraMode.HESSIAN_FREE) {
            return new LazyHessianFreeRecurrence(
                    manager, d, m, optimizer.getMomentum(), optimizer.getWeightDecay(), chunkSize);
        }
        return new HessianAwareRecurrence(
                manager,
                d,
                m,
                new FiniteDifferenceHvp(shadow, hessianStep),
                optimizer.getMomentum(),
                optimizer.getWeightDecay(),
                optimizer.getRescaleGrad(),
                chunkSize);
    }

    private void requireFinite(NDArray array, String what) {
        // one reduction: the sum is NaN or infinite if any element is (or if it overflows)
        if (array.size() > 0
                && !Double.isFinite(array.sum().toType(DataType.FLOAT64, false).getDouble())) {
            throw new IllegalStateException(
                    "Training diverged at step "
                            + step
                            + ": the "
                            + what
                            + " contain NaN or Inf. Lower the learning rate or check the data.");
        }
    }

    /** Builds a {@link HydraListener}. */
    public static final class Builder {

        private final HydraSgd optimizer;
        private final long trainingSetSize;
        private TrackedSamples tracked;
        private HydraMode mode = HydraMode.HESSIAN_FREE;
        private StorePlanner planner = StorePlanner.builder().build();
        private double hessianStep = FiniteDifferenceHvp.DEFAULT_STEP;
        private int chunkSize = 256;
        private Path checkpointDirectory;

        Builder(HydraSgd optimizer, long trainingSetSize) {
            Preconditions.checkArgument(
                    optimizer != null,
                    "HydraListener needs the HydraSgd optimizer the trainer uses");
            Preconditions.checkArgument(
                    trainingSetSize > 0,
                    "The training set size must be positive, got " + trainingSetSize);
            this.optimizer = optimizer;
            this.trainingSetSize = trainingSetSize;
        }

        /**
         * Tracks only these training samples (dataset indices); defaults to all.
         *
         * @param indices distinct indices in [0, N)
         * @return this builder
         */
        public Builder optTrackedSamples(int... indices) {
            this.tracked = TrackedSamples.of(trainingSetSize, indices);
            return this;
        }

        /**
         * Sets the mode; defaults to HESSIAN_FREE.
         *
         * @param mode the mode
         * @return this builder
         */
        public Builder optMode(HydraMode mode) {
            this.mode = mode;
            return this;
        }

        /**
         * Sets where state lives; defaults to an automatic {@link StorePlanner}.
         *
         * @param planner the planner
         * @return this builder
         */
        public Builder optStorePlanner(StorePlanner planner) {
            this.planner = planner;
            return this;
        }

        /**
         * Sets the perturbation norm of finite-difference Hessian-vector products.
         *
         * @param step the step; defaults to {@link FiniteDifferenceHvp#DEFAULT_STEP}
         * @return this builder
         */
        public Builder optHessianStep(double step) {
            this.hessianStep = step;
            return this;
        }

        /**
         * Sets how many tracked samples are updated at once (bounds temporary memory).
         *
         * @param chunkSize rows per chunk; defaults to 256
         * @return this builder
         */
        public Builder optChunkSize(int chunkSize) {
            Preconditions.checkArgument(chunkSize > 0, "chunk size must be positive");
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Writes a checkpoint ({@link HydraListener#saveCheckpoint}) into this folder at the end of
         * every epoch ({@code onEpoch}), so that an interrupted run can {@link
         * HydraListener#resume}; none by default.
         *
         * @param directory the checkpoint folder
         * @return this builder
         */
        public Builder optCheckpointDirectory(Path directory) {
            this.checkpointDirectory = directory;
            return this;
        }

        /**
         * Builds the listener.
         *
         * @return the listener
         */
        public HydraListener build() {
            return new HydraListener(this);
        }
    }
}
