package ai.hydra.experiment;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
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
import java.util.List;

/**
 * A {@link TrainingRun} ready to fit: the model, the optimizer and the datasets are built, the
 * trainer is not. Build listeners that need the optimizer or the data (e.g. the HYDRA listener)
 * from it, then {@link #fit}.
 *
 * <pre>{@code
 * try (PreparedTraining prepared = TrainingRun.builder().setConfig(config).build().prepare(data)) {
 *     HydraListener hydra = HydraListener.builder(prepared.optimizer(), data.train().size()).build();
 *     TrainingResult result = prepared.fit(hydra);
 * }
 * }</pre>
 */
public final class PreparedTraining implements AutoCloseable {

    private final ExperimentConfig config;
    private final ExperimentData data;
    private final TrainingProgress progress;
    private final String engine;
    private final Device device;
    private final int firstEpoch;
    private final long start;
    private final Model model;
    private final NDManager dataManager;
    private final HydraSgd optimizer;
    private final Tracker schedule;
    private final int stepsPerEpoch;
    private final Dataset trainSet;
    private final Dataset testSet;
    private boolean fitted;
    private boolean modelHandedOver;

    PreparedTraining(
            ExperimentConfig config,
            ExperimentData data,
            TrainingProgress progress,
            String engine,
            Device device,
            int firstEpoch,
            long start) {
        this.config = config;
        this.data = data;
        this.progress = progress;
        this.engine = engine;
        this.device = device;
        this.firstEpoch = firstEpoch;
        this.start = start;
        TrainConfig train = config.train();
        model = Model.newInstance(config.name(), device);
        dataManager = NDManager.newBaseManager(device);
        try {
            model.setDataType(train.precision().dataType());
            model.setBlock(Models.newBlock(config.model()));
            int batchSize = train.batchSize();
            trainSet =
                    data.train()
                            .toDataset(
                                    dataManager,
                                    train.precision().dataType(),
                                    batchSize,
                                    true,
                                    config.seed(),
                                    firstEpoch);
            testSet = data.test().toDataset(dataManager, train.precision().dataType(), batchSize);
            stepsPerEpoch = (data.train().size() + batchSize - 1) / batchSize;
            schedule = Schedules.tracker(train, stepsPerEpoch);
            OptimizerConfig sgd = train.optimizer();
            optimizer =
                    HydraSgd.builder()
                            .setLearningRateTracker(schedule)
                            .optMomentum((float) sgd.momentum())
                            .optWeightDecay((float) sgd.weightDecay())
                            .optRescaleGrad((float) sgd.rescaleGrad())
                            .build();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Returns the optimizer the trainer will use (give it to the HYDRA listener).
     *
     * @return the optimizer
     */
    public HydraSgd optimizer() {
        return optimizer;
    }

    /**
     * Returns the data the run trains and tests on.
     *
     * @return the data
     */
    public ExperimentData data() {
        return data;
    }

    /**
     * Returns the epochs already trained before this run (a resumed run's starting point).
     *
     * @return 0 for a fresh run
     */
    public int firstEpoch() {
        return firstEpoch;
    }

    /**
     * Returns the loss training minimizes, the batch mean of the softmax cross-entropy: what
     * attribution differentiates.
     *
     * @return a new instance of the loss
     */
    public Loss loss() {
        return Loss.softmaxCrossEntropyLoss();
    }

    /**
     * Trains the remaining epochs with {@link EasyTrain#fit} and measures the test accuracy.
     *
     * @param listeners listeners added to the trainer after the run's own progress listener
     * @return the metrics and the trained model (close it when done)
     * @throws IOException if the data cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public TrainingResult fit(TrainingListener... listeners)
            throws IOException, TranslateException {
        return fit(trainer -> {}, listeners);
    }

    /**
     * Trains the remaining epochs like {@link #fit(TrainingListener...)}, calling {@code
     * beforeFirstBatch} on the initialized trainer first (e.g. to restore a checkpoint).
     *
     * @param beforeFirstBatch what to do with the new trainer before training
     * @param listeners listeners added to the trainer after the run's own progress listener
     * @return the metrics and the trained model (close it when done)
     * @throws IOException if the data or the restored state cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public TrainingResult fit(TrainerSetup beforeFirstBatch, TrainingListener... listeners)
            throws IOException, TranslateException {
        if (fitted) {
            throw new IllegalStateException("A prepared training fits once");
        }
        fitted = true;
        RecordingLoss loss = new RecordingLoss(loss());
        ProgressListener epochs = new ProgressListener(loss);
        DefaultTrainingConfig trainingConfig =
                new DefaultTrainingConfig(loss)
                        .optOptimizer(optimizer)
                        .optDevices(new Device[] {device})
                        .addTrainingListeners(epochs) // first: it reads the trainer's loss
                        .addTrainingListeners(listeners);
        double accuracy;
        long parameters;
        Trainers.seed(config.seed()); // parameters are initialized with the trainer
        try (Trainer trainer =
                Trainers.newTrainer(model, trainingConfig, Models.inputShape(config.model()))) {
            parameters = countTrainable(model);
            int remaining = config.train().epochs() - firstEpoch;
            if (firstEpoch > 0) {
                progress.onStage(
                        "resuming after epoch "
                                + firstEpoch
                                + (remaining == 0 ? " (training is complete)" : ""));
            }
            beforeFirstBatch.accept(trainer);
            if (remaining > 0) {
                epochs.startEpoch(firstEpoch + 1);
                EasyTrain.fit(trainer, remaining, trainSet, null);
            }
            int batchSize = config.train().batchSize();
            progress.onEvaluationStart((data.test().size() + batchSize - 1) / batchSize);
            accuracy = Trainers.accuracy(trainer, testSet);
            progress.onEvaluationEnd();
        }
        List<TrainingProgress.EpochStats> stats = epochs.stats;
        modelHandedOver = true;
        return new TrainingResult(
                config,
                data,
                parameters,
                engine,
                device.toString(),
                stats,
                stats.isEmpty() ? Double.NaN : stats.get(stats.size() - 1).meanLoss(),
                accuracy,
                (System.nanoTime() - start) / 1e9,
                model);
    }

    /** Frees the datasets, and the model unless {@link #fit} handed it to its result. */
    @Override
    public void close() {
        dataManager.close();
        if (!modelHandedOver) {
            model.close();
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

    /** Prepares a new trainer before its first batch. */
    @FunctionalInterface
    public interface TrainerSetup {

        /**
         * Acts on the initialized trainer.
         *
         * @param trainer the trainer
         * @throws IOException if state cannot be read
         */
        void accept(Trainer trainer) throws IOException;
    }

    /** Turns DJL's training events into {@link TrainingProgress} events and epoch statistics. */
    private final class ProgressListener extends TrainingListenerAdapter {

        private final RecordingLoss loss;
        private final List<TrainingProgress.EpochStats> stats = new ArrayList<>();
        private int epoch;
        private long epochStart;
        private double lossSum;
        private int batches;

        ProgressListener(RecordingLoss loss) {
            this.loss = loss;
        }

        void startEpoch(int number) {
            epoch = number;
            epochStart = System.nanoTime();
            lossSum = 0;
            batches = 0;
            progress.onEpochStart(epoch, config.train().epochs(), stepsPerEpoch);
        }

        @Override
        public void onTrainingBatch(Trainer trainer, BatchData batchData) {
            float value = loss.lastValue(); // the trainer's evaluation of this batch
            if (!Float.isFinite(value)) {
                throw new IllegalStateException(
                        "Training diverged: the loss of batch "
                                + (batches + 1)
                                + " of epoch "
                                + epoch
                                + " is "
                                + value
                                + ". Lower the learning rate (train.optimizer.learningRate) or"
                                + " check the data; nothing is evaluated or saved from a diverged"
                                + " training.");
            }
            lossSum += value;
            batches++;
            progress.onBatch(batches, value);
        }

        @Override
        public void onEpoch(Trainer trainer) {
            // before any other listener (e.g. a checkpoint) uses the weights
            Trainers.requireFiniteParameters(model, "at the end of epoch " + epoch);
            TrainingProgress.EpochStats epochStats =
                    new TrainingProgress.EpochStats(
                            epoch,
                            config.train().epochs(),
                            lossSum / batches,
                            schedule.getNewValue("", epoch * stepsPerEpoch),
                            (System.nanoTime() - epochStart) / 1e9);
            stats.add(epochStats);
            progress.onEpochEnd(epochStats);
            if (epoch < config.train().epochs()) {
                startEpoch(epoch + 1);
            }
        }
    }
}
