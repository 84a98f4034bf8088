package ai.hydra.experiment;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import ai.hydra.model.Models;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.Trainers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Trains the model an {@link ExperimentConfig} describes and measures its test accuracy.
 *
 * <p>The run loads the data, builds the model, a {@link HydraSgd} optimizer with the configured
 * schedule and a trainer, trains for the configured epochs (reporting to a {@link
 * TrainingProgress}) and evaluates. It prints nothing itself.
 *
 * <pre>{@code
 * ExperimentConfig config = ExperimentConfig.load(Path.of("configs/lenet5-mnist.yaml"), List.of());
 * try (TrainingResult result = TrainingRun.builder().setConfig(config).build().run()) {
 *     System.out.println(result.testAccuracy());
 * }
 * }</pre>
 */
public final class TrainingRun {

    private final ExperimentConfig config;
    private final TrainingProgress progress;
    private final List<TrainingListener> listeners;
    private final List<ListenerFactory> listenerFactories;
    private final LossProbe lossProbe = new LossProbe();
    private final Resume resume;

    private TrainingRun(Builder builder) {
        this.config = builder.config;
        this.progress = builder.progress;
        this.listeners = builder.listeners;
        this.listenerFactories = builder.listenerFactories;
        this.resume = builder.resume;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the experiment.
     *
     * @return the metrics and the trained model (close it when done)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if a batch cannot be processed
     * @throws ConfigException if the configuration cannot be run here (e.g. no GPU)
     */
    public TrainingResult run() throws IOException, TranslateException {
        long start = System.nanoTime();
        progress.onStage(describeData());
        ExperimentData data = ExperimentData.load(config.data(), config.source());
        return run(data, start);
    }

    /**
     * Runs the experiment on data that was already loaded (e.g. shared between runs).
     *
     * @param data the splits to train and test on
     * @return the metrics and the trained model (close it when done)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public TrainingResult run(ExperimentData data) throws IOException, TranslateException {
        return run(data, System.nanoTime());
    }

    private TrainingResult run(ExperimentData data, long start)
            throws IOException, TranslateException {
        Trainers.seed(config.seed());
        TrainConfig train = config.train();
        DataType dataType = train.precision().dataType();
        Device device = device();
        Model model = Model.newInstance(config.name(), device);
        Engine engine = model.getNDManager().getEngine();
        String engineName = engine.getEngineName() + " " + engine.getVersion();
        progress.onStage(
                "training "
                        + config.model()
                        + " on "
                        + data.train().size()
                        + " images ("
                        + engineName
                        + ", "
                        + device
                        + ", "
                        + dataType
                        + ")");
        boolean done = false;
        try (NDManager dataManager = NDManager.newBaseManager(device)) {
            model.setDataType(dataType);
            model.setBlock(Models.newBlock(config.model()));
            int batchSize = train.batchSize();
            int firstEpoch = resume == null ? 0 : resume.firstEpoch();
            if (firstEpoch >= train.epochs()) {
                throw new ConfigException(
                        "the checkpoint already covers "
                                + firstEpoch
                                + " epoch(s) and train.epochs is "
                                + train.epochs()
                                + ": raise train.epochs to train further");
            }
            Dataset trainSet =
                    data.train()
                            .toDataset(
                                    dataManager,
                                    dataType,
                                    batchSize,
                                    true,
                                    config.seed(),
                                    firstEpoch);
            Dataset testSet = data.test().toDataset(dataManager, dataType, batchSize);
            int stepsPerEpoch = (data.train().size() + batchSize - 1) / batchSize;
            Tracker schedule = Schedules.tracker(train, stepsPerEpoch);
            List<TrainingProgress.EpochStats> epochs = new ArrayList<>();
            double accuracy;
            long parameters;
            try (Trainer trainer =
                    Trainers.newTrainer(
                            model,
                            trainingConfig(schedule, device, data),
                            Models.inputShape(config.model()))) {
                parameters = countTrainable(model);
                if (resume != null) {
                    progress.onStage("resuming after epoch " + firstEpoch);
                    resume.restore(trainer);
                }
                for (int epoch = firstEpoch + 1; epoch <= train.epochs(); epoch++) {
                    epochs.add(trainEpoch(trainer, trainSet, epoch, stepsPerEpoch, schedule));
                }
                progress.onEvaluationStart((data.test().size() + batchSize - 1) / batchSize);
                accuracy = Trainers.accuracy(trainer, testSet);
                progress.onEvaluationEnd();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            TrainingResult result =
                    new TrainingResult(
                            config,
                            data,
                            parameters,
                            engineName,
                            device.toString(),
                            epochs,
                            epochs.get(epochs.size() - 1).meanLoss(),
                            accuracy,
                            seconds,
                            model);
            done = true;
            return result;
        } finally {
            if (!done) {
                model.close();
            }
        }
    }

    private TrainingProgress.EpochStats trainEpoch(
            Trainer trainer, Dataset trainSet, int epoch, int stepsPerEpoch, Tracker schedule)
            throws IOException, TranslateException {
        long start = System.nanoTime();
        progress.onEpochStart(epoch, config.train().epochs(), stepsPerEpoch);
        double lossSum = 0;
        int batches = 0;
        for (Batch batch : trainer.iterateDataset(trainSet)) {
            try (batch) {
                float loss = trainBatch(trainer, batch);
                trainer.step();
                lossSum += loss;
                batches++;
                progress.onBatch(batches, loss);
            }
        }
        trainer.notifyListeners(listener -> listener.onEpoch(trainer));
        double learningRate = schedule.getNewValue("", epoch * stepsPerEpoch);
        TrainingProgress.EpochStats stats =
                new TrainingProgress.EpochStats(
                        epoch,
                        config.train().epochs(),
                        lossSum / batches,
                        learningRate,
                        (System.nanoTime() - start) / 1e9);
        progress.onEpochEnd(stats);
        return stats;
    }

    /** DJL's own training step, so listeners see exactly what a DJL user's loop gives them. */
    private float trainBatch(Trainer trainer, Batch batch) {
        EasyTrain.trainBatch(trainer, batch);
        return lossProbe.lastLoss;
    }

    /** Reads the batch loss from the predictions EasyTrain hands to listeners. */
    private static final class LossProbe extends TrainingListenerAdapter {

        private float lastLoss = Float.NaN;

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            float sum = 0;
            for (Device device : batchData.getLabels().keySet()) {
                NDArray loss =
                        trainer.getLoss()
                                .evaluate(
                                        batchData.getLabels().get(device),
                                        batchData.getPredictions().get(device));
                sum += loss.toType(DataType.FLOAT32, false).getFloat();
                loss.close();
            }
            lastLoss = sum / batchData.getLabels().size();
        }
    }

    private DefaultTrainingConfig trainingConfig(
            Tracker schedule, Device device, ExperimentData data) {
        OptimizerConfig optimizer = config.train().optimizer();
        HydraSgd sgd =
                HydraSgd.builder()
                        .setLearningRateTracker(schedule)
                        .optMomentum((float) optimizer.momentum())
                        .optWeightDecay((float) optimizer.weightDecay())
                        .optRescaleGrad((float) optimizer.rescaleGrad())
                        .build();
        DefaultTrainingConfig trainingConfig =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(sgd)
                        .optDevices(new Device[] {device})
                        .addTrainingListeners(lossProbe)
                        .addTrainingListeners(listeners.toArray(new TrainingListener[0]));
        for (ListenerFactory factory : listenerFactories) {
            trainingConfig.addTrainingListeners(factory.create(sgd, data));
        }
        return trainingConfig;
    }

    private Device device() {
        Engine engine = Engine.getInstance();
        switch (config.train().device()) {
            case CPU:
                return Device.cpu();
            case GPU:
                if (engine.getGpuCount() == 0) {
                    throw new ConfigException(
                            "train.device is gpu (in "
                                    + config.source()
                                    + ") but "
                                    + engine.getEngineName()
                                    + " sees no GPU; use device: "
                                    + "auto or cpu, or see the README on running on a GPU");
                }
                return Device.gpu();
            default:
                return engine.defaultDevice();
        }
    }

    private static long countTrainable(Model model) {
        long count = 0;
        for (Pair<String, Parameter> entry : model.getBlock().getParameters()) {
            Parameter parameter = entry.getValue();
            if (parameter.requiresGradient()) {
                count += parameter.getArray().size();
            }
        }
        return count;
    }

    private String describeData() {
        DataConfig data = config.data();
        String where = data.dir() != null ? " from " + data.dir() : "";
        return "loading " + data.dataset() + where;
    }

    /** Continues an interrupted run: where it stopped, and how to restore its state. */
    public interface Resume {

        /**
         * Returns the number of epochs the interrupted run completed.
         *
         * @return the epochs already trained
         */
        int firstEpoch();

        /**
         * Restores the state into the new, initialized trainer before its first batch.
         *
         * @param trainer the trainer
         * @throws IOException if the state cannot be read
         */
        void restore(Trainer trainer) throws IOException;
    }

    /** Makes a training listener for a run's optimizer and data. */
    @FunctionalInterface
    public interface ListenerFactory {

        /**
         * Creates the listener.
         *
         * @param optimizer the optimizer the trainer will use
         * @param data the training and test data
         * @return the listener
         */
        TrainingListener create(HydraSgd optimizer, ExperimentData data);
    }

    /** Builds a {@link TrainingRun}. */
    public static final class Builder {

        private ExperimentConfig config;
        private TrainingProgress progress = TrainingProgress.NONE;
        private final List<TrainingListener> listeners = new ArrayList<>();
        private final List<ListenerFactory> listenerFactories = new ArrayList<>();
        private Resume resume;

        Builder() {}

        /**
         * Continues an interrupted run instead of starting afresh.
         *
         * @param resume where the run stopped and how to restore it
         * @return this builder
         */
        public Builder optResume(Resume resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Adds a listener made once the run has built its optimizer and loaded its data (the HYDRA
         * listener needs both).
         *
         * @param factory the factory
         * @return this builder
         */
        public Builder addListenerFactory(ListenerFactory factory) {
            listenerFactories.add(Objects.requireNonNull(factory, "factory"));
            return this;
        }

        /**
         * Sets the experiment to run.
         *
         * @param config the configuration
         * @return this builder
         */
        public Builder setConfig(ExperimentConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Sets the receiver of progress events; none by default.
         *
         * @param progress the listener
         * @return this builder
         */
        public Builder optProgress(TrainingProgress progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /**
         * Adds DJL training listeners to the trainer (e.g. the HYDRA hypergradient listener).
         *
         * @param trainingListeners the listeners
         * @return this builder
         */
        public Builder addTrainingListeners(TrainingListener... trainingListeners) {
            listeners.addAll(Arrays.asList(trainingListeners));
            return this;
        }

        /**
         * Builds the run.
         *
         * @return the run
         * @throws IllegalStateException if no config was set
         */
        public TrainingRun build() {
            if (config == null) {
                throw new IllegalStateException("TrainingRun needs a config: call setConfig()");
            }
            return new TrainingRun(this);
        }
    }
}
