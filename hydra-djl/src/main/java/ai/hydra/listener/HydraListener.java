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
import ai.hydra.gradient.BatchNormGradients;
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
import ai.hydra.train.AppliedUpdateCheck;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.UpdateVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
 * and every learning rate it uses is checked against the one the recurrence assumed. Each step's
 * applied update is checked against the one differentiated ({@link AppliedUpdateCheck}: gradient
 * clipping or any other change between {@code trainBatch} and {@code step} is refused), training
 * must stay finite, and the first epoch must visit every index in [0, N): these checks are read at
 * every epoch end, in {@link #finish()} and before a checkpoint.
 */
public final class HydraListener extends TrainingListenerAdapter implements AutoCloseable {

    private final HydraSgd optimizer;
    private final TrackedSamples tracked;
    private final HydraMode mode;
    private final StorePlanner planner;
    private final double hessianStep;
    private final BatchNormGradients batchNormGradients;
    private final int chunkSize;
    private final Path checkpointDirectory;
    private final Map<String, String> runDescription;

    private final Map<HydraMode, Recurrence> recurrences = new EnumMap<>(HydraMode.class);
    private NDManager manager;
    private ShadowModel shadow;
    private UpdateVerifier updates;
    private AppliedUpdateCheck applied;
    private BitSet seenInFirstEpoch;
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
        batchNormGradients = builder.batchNormGradients;
        chunkSize = builder.chunkSize;
        checkpointDirectory = builder.checkpointDirectory;
        runDescription = Map.copyOf(builder.runDescription);
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
            initialize(trainer, optimizer.getUpdateLog().getLatestNumUpdate() == 0);
        }
        updates.verify(step);
        int[] indices = BatchIndices.of(batch, tracked.trainingSetSize(), "HydraListener");
        TrackedSamples.InBatch inBatch = tracked.inBatch(indices);
        if (seenInFirstEpoch != null) {
            Arrays.stream(indices).forEach(seenInFirstEpoch::set);
        }
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
            DataType dataType = trainer.getModel().getDataType();
            NDArray weights = shadow.space().values(scope, dataType);
            applied.beforeStep(step, weights, shadow.space().gradients(scope, dataType), eta);
            NDArray gradients =
                    shadow.sampleGradients(weights, inputs, labels, inBatch.positions());
            applied.watchFinite(step, gradients);
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
        if (manager == null || failed) {
            return;
        }
        try {
            requireEverySampleSeen();
            verifyUpdates("at the end of epoch " + epochs);
            if (checkpointDirectory != null) {
                saveCheckpoint(checkpointDirectory);
            }
        } catch (IOException e) {
            failed = true;
            throw new UncheckedIOException(
                    "Cannot write the HYDRA checkpoint to "
                            + checkpointDirectory
                            + ": "
                            + e.getMessage(),
                    e);
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    /**
     * At the first epoch end: every index in [0, N) must have been visited, or N is not the size of
     * the dataset the trainer iterates (every hypergradient would be scaled by a wrong N, and
     * samples that do not exist would get rows of zeros).
     */
    private void requireEverySampleSeen() {
        if (seenInFirstEpoch == null) {
            return;
        }
        long n = tracked.trainingSetSize();
        int missing = seenInFirstEpoch.nextClearBit(0);
        if (missing < n) {
            throw new IllegalStateException(
                    "HydraListener was built for a training set of "
                            + n
                            + " samples, but the first epoch visited only "
                            + seenInFirstEpoch.cardinality()
                            + " distinct dataset indices (index "
                            + missing
                            + " never appeared): give HydraListener.builder the size of the"
                            + " dataset the trainer iterates (e.g. trainSet.size()), and let"
                            + " every epoch visit every sample.");
        }
        seenInFirstEpoch = null;
    }

    /** Checks the updates so far: counts and rates, the applied updates, finiteness. */
    private void verifyUpdates(String when) {
        updates.verify(step);
        if (step == 0) {
            return;
        }
        try (NDManager scope = manager.newSubManager()) {
            applied.afterStep(shadow.space().values(scope, trainer.getModel().getDataType()));
        }
        applied.requireSound(when);
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
        verifyUpdates("when training ended");
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
        verifyUpdates("before writing a checkpoint");
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
        initialize(trainer, false); // the first step's momentum buffer is not known to the check
        CheckpointInfo found = Checkpoint.read(directory);
        CheckpointInfo saved =
                Checkpoint.restore(
                        directory,
                        state(),
                        info(found.firstNumUpdate(), found.step(), found.epochs()));
        step = saved.step();
        epochs = saved.epochs();
        updates.restore(saved.firstNumUpdate(), step);
    }

    private TrainingState state() {
        return new TrainingState(trainer, optimizer, recurrences, manager);
    }

    private CheckpointInfo info() {
        return info(updates.firstNumUpdate(), step, epochs);
    }

    /** What a checkpoint after {@code steps} steps from update {@code first} records. */
    private CheckpointInfo info(int first, int steps, int epochCount) {
        Map<String, String> run = new TreeMap<>(runDescription);
        run.put("optimizer.weightDecay", Float.toString(optimizer.getWeightDecay()));
        run.put("optimizer.rescaleGrad", Float.toString(optimizer.getRescaleGrad()));
        run.put("optimizer.learningRatesSha256", updates.rateHistory(first, steps));
        if (recurrences.containsKey(HydraMode.HESSIAN_AWARE)) {
            run.put("hessianStep", Double.toString(hessianStep));
        }
        if (shadow.isBatchDependent()) {
            run.put("batchNormGradients", batchNormGradients.name());
        }
        return new CheckpointInfo(
                trainer.getManager().getEngine().getEngineName(),
                mode,
                tracked.trainingSetSize(),
                tracked.size(),
                shadow.space().size(),
                trainer.getModel().getDataType(),
                optimizer.getMomentum(),
                steps,
                epochCount,
                first,
                run);
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

    /**
     * Plans the stores and creates the recurrences, at the first batch (or on resume).
     *
     * @param fresh true if the optimizer has taken no step yet
     */
    private void initialize(Trainer trainer, boolean fresh) {
        Device device = trainer.getDevices()[0];
        manager = trainer.getModel().getNDManager().newSubManager(device);
        shadow =
                new ShadowModel(
                        trainer.getModel().getBlock(), trainer.getLoss(), batchNormGradients);
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
        applied = new AppliedUpdateCheck(manager, optimizer, dataType, fresh);
        seenInFirstEpoch = new BitSet(Math.toIntExact(tracked.trainingSetSize()));
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

    /** Builds a {@link HydraListener}. */
    public static final class Builder {

        private final HydraSgd optimizer;
        private final long trainingSetSize;
        private TrackedSamples tracked;
        private HydraMode mode = HydraMode.HESSIAN_FREE;
        private StorePlanner planner = StorePlanner.builder().build();
        private double hessianStep = FiniteDifferenceHvp.DEFAULT_STEP;
        private BatchNormGradients batchNormGradients = BatchNormGradients.EXACT;
        private int chunkSize = 256;
        private Path checkpointDirectory;
        private Map<String, String> runDescription = Map.of();

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
         * Sets how per-sample gradients treat batch normalization in training mode (models without
         * batch normalization ignore it).
         *
         * @param batchNorm exact (one batch pass per sample) or batch statistics as constants (one
         *     batched pass); defaults to {@link BatchNormGradients#EXACT}
         * @return this builder
         */
        public Builder optBatchNormGradients(BatchNormGradients batchNorm) {
            this.batchNormGradients = java.util.Objects.requireNonNull(batchNorm, "batchNorm");
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
         * HydraListener#resume}; none by default. A checkpoint already in the folder is replaced at
         * the first epoch end (check {@link Checkpoint#exists} first to refuse that, as {@code
         * AttributionRun} does), and the folder should be claimed with {@link Checkpoint#lock} when
         * several runs could share it.
         *
         * @param directory the checkpoint folder
         * @return this builder
         */
        public Builder optCheckpointDirectory(Path directory) {
            this.checkpointDirectory = directory;
            return this;
        }

        /**
         * Describes what else determines the run (e.g. the seed, the batch size, a fingerprint of
         * the training data): recorded in every checkpoint, and compared entry by entry when a run
         * resumes from one, which refuses any difference by name. The listener adds the optimizer's
         * weight decay, rescale factor and the learning rates of the steps taken itself.
         *
         * @param description setting name to value; none by default
         * @return this builder
         */
        public Builder optRunDescription(Map<String, String> description) {
            this.runDescription = Map.copyOf(description);
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
