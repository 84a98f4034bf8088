package ai.hydra.experiment;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;
import ai.djl.translate.TranslateException;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.attribution.ReplayAttributor;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.checkpoint.Checkpoint;
import ai.hydra.data.ImageData;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.FiniteDifferenceDirectionalDerivatives;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.io.FolderLock;
import ai.hydra.io.Folders;
import ai.hydra.listener.HydraListener;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.replay.TrajectoryStore;
import ai.hydra.store.StorePlanner;
import ai.hydra.train.HydraSgd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Trains an experiment with the HYDRA listener attached and computes, for every mode the listener
 * ran, contributions: C(i) of every tracked training sample to the mean test loss, C(i, j) to a few
 * test samples spread over the classes, and the inter-class matrix.
 *
 * <pre>{@code
 * try (AttributionResult result = AttributionRun.builder().setConfig(config).build().run()) {
 *     ContributionMatrix c = result.first().perTestSample();
 * }
 * }</pre>
 */
public final class AttributionRun {

    private final ExperimentConfig config;
    private final TrainingProgress progress;
    private final boolean resume;
    private final boolean overwrite;

    private AttributionRun(Builder builder) {
        config = builder.config;
        progress = builder.progress;
        resume = builder.resume;
        overwrite = builder.overwrite;
    }

    /**
     * Creates a builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs training and attribution.
     *
     * @return the result; close it to free the model and the hypergradients
     * @throws IOException if data cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public AttributionResult run() throws IOException, TranslateException {
        Path checkpoint = config.hydra().checkpointDir();
        if (resume && config.hydra().mode() == AttributionMode.EXACT) {
            throw new ConfigException(
                    "hydra.mode exact cannot resume an interrupted run: the recording of the"
                            + " training lives in the process that trained. Run it again from the"
                            + " start, without --resume.");
        }
        if (resume && checkpoint == null) {
            throw new ConfigException(
                    "resuming needs hydra.checkpointDir: the folder the"
                            + " interrupted run wrote its checkpoints to");
        }
        // the checkpoint folder is this run's until it ends; nothing else may write there
        try (FolderLock claim = checkpoint == null ? null : Checkpoint.lock(checkpoint)) {
            requireWritableOutputs();
            int firstEpoch = checkpoint == null ? 0 : firstEpoch(checkpoint);
            progress.onStage("loading " + config.data().dataset());
            ExperimentData data = ExperimentData.load(config.data(), config.source());
            return train(data, firstEpoch);
        }
    }

    private AttributionResult train(ExperimentData data, int firstEpoch)
            throws IOException, TranslateException {
        Path checkpoint = firstEpoch > 0 ? config.hydra().checkpointDir() : null;
        TrainingRun training =
                TrainingRun.builder()
                        .setConfig(config)
                        .optProgress(progress)
                        .optFirstEpoch(firstEpoch)
                        .build();
        try (PreparedTraining prepared = training.prepare(data)) {
            if (config.hydra().mode() == AttributionMode.EXACT) {
                return replay(prepared, data); // no checkpointDir: refused by HydraConfig
            }
            HydraListener listener = newListener(prepared.optimizer(), data);
            try {
                TrainingResult trained =
                        prepared.fit(
                                trainer -> {
                                    if (checkpoint != null) {
                                        listener.resume(trainer, checkpoint);
                                    }
                                },
                                listener);
                try {
                    progress.onStage("computing contributions (" + config.hydra().mode() + ")");
                    return attribute(trained, listener, data);
                } catch (RuntimeException e) {
                    trained.close();
                    throw e;
                }
            } catch (IOException | TranslateException | RuntimeException e) {
                listener.close(); // frees the store (and deletes disk-store files)
                throw e;
            }
        }
    }

    /** Exact mode: trains with a recorder, then one backward sweep gives every contribution. */
    private AttributionResult replay(PreparedTraining prepared, ExperimentData data)
            throws IOException, TranslateException {
        TrajectoryRecorder recorder = newRecorder(prepared.optimizer(), data);
        try {
            TrainingResult trained = prepared.fit(recorder);
            try {
                progress.onStage("computing exact contributions of every training sample");
                return exactContributions(trained, recorder, prepared.loss(), data);
            } catch (RuntimeException e) {
                trained.close();
                throw e;
            }
        } catch (IOException | TranslateException | RuntimeException e) {
            recorder.close();
            throw e;
        }
    }

    private TrajectoryRecorder newRecorder(HydraSgd sgd, ExperimentData data) {
        HydraConfig hydra = config.hydra();
        TrajectoryRecorder.Builder builder =
                TrajectoryRecorder.builder(sgd, data.train().size())
                        .optPlacement(
                                switch (hydra.store()) {
                                    case AUTO, DEVICE -> TrajectoryStore.Placement.DEVICE;
                                    case HOST -> TrajectoryStore.Placement.HOST;
                                    case DISK -> TrajectoryStore.Placement.DISK;
                                });
        if (hydra.storeDir() != null) {
            builder.optDirectory(hydra.storeDir());
        }
        if (hydra.replayInterval() > 0) {
            builder.optCheckpointInterval(hydra.replayInterval());
        }
        return builder.build();
    }

    /**
     * One sweep for every functional the report needs: the class sums of the test losses (the
     * inter-class matrix; their total is the mean test loss times the test-set size) and the chosen
     * test samples' own losses.
     */
    private AttributionResult exactContributions(
            TrainingResult training, TrajectoryRecorder recorder, Loss loss, ExperimentData data) {
        DataType dataType = config.train().precision().dataType();
        int[] testColumns = spreadOverClasses(data.test(), config.hydra().testSamples());
        int numClasses = data.train().numClasses();
        ShadowModel shadow = new ShadowModel(training.model().getBlock(), loss);
        try (NDManager manager = training.model().getNDManager().newSubManager();
                ReplayAttributor method =
                        ReplayAttributor.builder(
                                        recorder.getTrajectory(),
                                        shadow,
                                        data.train().toSampleSet(manager, dataType))
                                .optDerivatives(
                                        new FiniteDifferenceDirectionalDerivatives(
                                                shadow,
                                                config.hydra().hessianStep(),
                                                DataType.FLOAT64))
                                .optBatchSize(config.train().batchSize())
                                .optProgress(progress::onSweepStep)
                                .build()) {
            progress.onSweepStart(recorder.getTrajectory().size());
            SampleSet testSet = data.test().toSampleSet(manager, dataType);
            List<ContributionMatrix> matrices =
                    method.contributions(
                            manager,
                            List.of(
                                    TestFunctionals.classSums(testSet, numClasses),
                                    TestFunctionals.eachSample(
                                            testSet.select(manager, testColumns))));
            ContributionMatrix byClass = matrices.get(0);
            double[] mean = new double[byClass.rows()];
            for (int i = 0; i < mean.length; i++) {
                for (int c = 0; c < numClasses; c++) {
                    mean[i] += byClass.get(i, c);
                }
                mean[i] /= testSet.size();
            }
            int[] rowLabels =
                    Arrays.stream(byClass.trainIndices()).map(i -> data.train().label(i)).toArray();
            AttributionResult.MethodResult result =
                    new AttributionResult.MethodResult(
                            method.name(),
                            new Contributions(mean, byClass.trainIndices()),
                            matrices.get(1),
                            byClass.interClass(rowLabels, byClass.testIndices(), numClasses));
            return new AttributionResult(
                    training,
                    recorder,
                    recorder.getTrajectory().size(),
                    method.describe(),
                    data,
                    List.of(result));
        }
    }

    /**
     * The epochs a resumed run skips (every epoch of a finished training: it goes on to the
     * analysis); a fresh run refuses to replace another run's checkpoint unless told to.
     */
    private int firstEpoch(Path checkpoint) throws IOException {
        if (resume) {
            return Checkpoint.read(checkpoint).epochs(); // a clear error if there is none
        }
        if (!overwrite && Checkpoint.exists(checkpoint)) {
            throw new ConfigException(
                    "hydra.checkpointDir "
                            + checkpoint
                            + " already holds a checkpoint (after epoch "
                            + Checkpoint.read(checkpoint).epochs()
                            + "): continue it with --resume, replace it with --overwrite, or"
                            + " choose another folder");
        }
        return 0;
    }

    /** Fails before any work if a folder the run will write into cannot be written. */
    private void requireWritableOutputs() {
        HydraConfig hydra = config.hydra();
        Path checkpoint = hydra.checkpointDir();
        if (checkpoint != null) {
            Path parent = checkpoint.toAbsolutePath().getParent();
            writable(parent, "folder of hydra.checkpointDir", "hydra.checkpointDir");
            if (Files.exists(checkpoint) && !Files.isDirectory(checkpoint)) {
                throw new ConfigException(
                        "hydra.checkpointDir "
                                + checkpoint
                                + " is a file, not a folder; choose a folder");
            }
        }
        if (hydra.store() == StorePlanner.Placement.DISK || hydra.storeDir() != null) {
            writable(hydra.planner().directory(), "folder of disk stores", "hydra.storeDir");
        }
    }

    private static void writable(Path folder, String what, String key) {
        try {
            Folders.requireWritable(folder, what);
        } catch (IOException e) {
            throw new ConfigException(e.getMessage() + " (" + key + ")", e);
        }
    }

    private HydraListener newListener(HydraSgd sgd, ExperimentData data) {
        HydraConfig hydra = config.hydra();
        HydraListener.Builder builder =
                HydraListener.builder(sgd, data.train().size())
                        .optMode(hydra.mode().listenerMode().orElseThrow())
                        .optStorePlanner(hydra.planner())
                        .optHessianStep(hydra.hessianStep())
                        .optBatchNormGradients(hydra.batchNormGradients())
                        .optCheckpointDirectory(hydra.checkpointDir())
                        .optRunDescription(runDescription(data));
        if (hydra.trackLimit() != null && hydra.trackLimit() < data.train().size()) {
            builder.optTrackedSamples(IntStream.range(0, hydra.trackLimit()).toArray());
        }
        return builder.build();
    }

    /** What a checkpoint records of this run: the settings and the training data. */
    private Map<String, String> runDescription(ExperimentData data) {
        Map<String, String> description = new TreeMap<>(config.checkpointedSettings());
        description.put("data.trainSha256", data.train().fingerprint());
        return description;
    }

    private AttributionResult attribute(
            TrainingResult training, HydraListener listener, ExperimentData data) {
        DataType dataType = config.train().precision().dataType();
        int[] testColumns = spreadOverClasses(data.test(), config.hydra().testSamples());
        List<AttributionResult.MethodResult> methods = new ArrayList<>();
        try (NDManager manager = training.model().getNDManager().newSubManager()) {
            SampleSet testSet = data.test().toSampleSet(manager, dataType);
            SampleSet chosen = testSet.select(manager, testColumns);
            for (HydraMode mode : listener.getMode().modes()) {
                try (Attributor method =
                        HydraAttributor.builder(listener.getHypergradients(mode))
                                .optBatchSize(config.train().batchSize())
                                .build()) {
                    methods.add(
                            new AttributionResult.MethodResult(
                                    method.name(),
                                    method.testLossContributions(manager, testSet),
                                    method.contributionMatrix(manager, chosen),
                                    method.interClass(
                                            manager,
                                            testSet,
                                            data.train().labels(),
                                            data.train().numClasses())));
                }
            }
        }
        return new AttributionResult(
                training,
                listener,
                listener.getSteps(),
                listener.describeStore(),
                data,
                List.copyOf(methods));
    }

    /** The first test samples of each class in turn, so every class is represented. */
    static int[] spreadOverClasses(ImageData test, int count) {
        int classes = test.numClasses();
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < test.size(); i++) {
            byClass.get(test.label(i)).add(i);
        }
        List<Integer> picked = new ArrayList<>();
        for (int round = 0; picked.size() < Math.min(count, test.size()); round++) {
            for (int c = 0; c < classes && picked.size() < count; c++) {
                if (round < byClass.get(c).size()) {
                    picked.add(byClass.get(c).get(round));
                }
            }
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Builds an {@link AttributionRun}. */
    public static final class Builder {

        private ExperimentConfig config;
        private TrainingProgress progress = TrainingProgress.NONE;
        private boolean resume;
        private boolean overwrite;

        Builder() {}

        /**
         * Continues an interrupted run from the checkpoint in {@code hydra.checkpointDir}, which
         * must have been written with the same settings and data (every difference is refused by
         * name). A checkpoint of a finished training goes straight on to the analysis.
         *
         * @param resume true to resume
         * @return this builder
         */
        public Builder optResume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Lets a fresh run replace a checkpoint already in {@code hydra.checkpointDir}; by default
         * such a run is refused, so that no run's checkpoint is lost by mistake.
         *
         * @param overwrite true to replace an existing checkpoint
         * @return this builder
         */
        public Builder optOverwrite(boolean overwrite) {
            this.overwrite = overwrite;
            return this;
        }

        /**
         * Sets the experiment.
         *
         * @param config the configuration, with its {@code hydra} section
         * @return this builder
         */
        public Builder setConfig(ExperimentConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Sets the receiver of progress events.
         *
         * @param progress the receiver
         * @return this builder
         */
        public Builder optProgress(TrainingProgress progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /**
         * Builds the run.
         *
         * @return the run
         */
        public AttributionRun build() {
            if (config == null) {
                throw new IllegalStateException("AttributionRun needs a config: call setConfig()");
            }
            return new AttributionRun(this);
        }
    }
}
