package ai.hydra.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.ReplayAttributor;
import ai.hydra.data.DatasetLoader;
import ai.hydra.data.DatasetName;
import ai.hydra.data.ImageData;
import ai.hydra.data.SampleSet;
import ai.hydra.data.Split;
import ai.hydra.gradient.FiniteDifferenceDirectionalDerivatives;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.model.LeNet5;
import ai.hydra.replay.Trajectory;
import ai.hydra.reproduce.metrics.Agreement;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Measures exact attribution by reverse-mode replay against the training it explains: LeNet-5 on
 * MNIST, batch 64, float32, SGD with momentum 0.9. It times
 *
 * <ul>
 *   <li>the training run itself (DJL, no listener), the baseline;
 *   <li>the same training with a {@link TrajectoryRecorder} (its overhead, what it stored);
 *   <li>the exact C(i) of every training sample for the mean test loss ({@link ReplayAttributor}:
 *       the test gradient at the final weights, the replay of checkpointed segments, and per step
 *       one Hessian product and one set of per-sample slopes);
 * </ul>
 *
 * and prints the ratio of the attribution (and of recording plus attribution) to the training time,
 * with the load average, into a table and {@code bench-replay.json}. With {@code --precision both}
 * it also takes the derivatives in float32 and compares them with the float64 ones.
 *
 * <pre>
 * java -Dai.djl.offline=true -cp ... ai.hydra.bench.ReplayBenchmark \
 *     [--data DIR] [--train-limit N] [--test-limit M] [--epochs E] [--device cpu|gpu]
 *     [--interval K] [--precision float64|float32|both] [--out DIR]
 * </pre>
 */
@Command(
        name = "ReplayBenchmark",
        mixinStandardHelpOptions = true,
        description = "Times exact attribution by replay against training (LeNet-5, MNIST).")
public final class ReplayBenchmark implements Callable<Integer> {

    private static final int BATCH = 64;
    private static final float LEARNING_RATE = 0.01f;
    private static final float MOMENTUM = 0.9f;
    private static final long SEED = 42;

    /** Float32 differences need a larger step: rounding 1e-7/step against truncation step^2. */
    private static final double FLOAT32_STEP = 1e-2;

    @Option(
            names = "--data",
            description = "MNIST folder (the four IDX files); default ${DEFAULT-VALUE}")
    private Path data = Paths.get(HydraBenchmark.DEFAULT_DATA);

    @Option(
            names = "--train-limit",
            description = "training samples used, 0 = all; default ${DEFAULT-VALUE}")
    private int trainLimit = 10_000;

    @Option(names = "--test-limit", description = "test samples used, 0 = all (the default)")
    private int testLimit;

    @Option(names = "--epochs", description = "epochs; default ${DEFAULT-VALUE}")
    private int epochs = 3;

    @Option(
            names = "--device",
            converter = HydraBenchmark.DeviceConverter.class,
            description = "cpu or gpu; default cpu")
    private Device device = Device.cpu();

    @Option(
            names = "--interval",
            description = "checkpoint interval K, 0 = from the recorder's memory budget (default)")
    private int interval;

    @Option(
            names = "--precision",
            description = "derivatives in float64, float32 or both; default ${DEFAULT-VALUE}")
    private String precision = "float64";

    @Option(names = "--out", description = "output folder; default ${DEFAULT-VALUE}")
    private Path out = Paths.get("bench-out");

    @Spec private CommandSpec spec;

    private final BenchmarkResults results = new BenchmarkResults();

    /**
     * Runs the benchmark.
     *
     * @param args the options (see the class documentation); {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ReplayBenchmark()).execute(args));
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        if (epochs <= 0 || trainLimit < 0 || testLimit < 0 || interval < 0) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--epochs must be positive; --train-limit, --test-limit and --interval >= 0");
        }
        run(precisions());
        return 0;
    }

    private List<DataType> precisions() {
        return switch (precision.toLowerCase(Locale.ROOT)) {
            case "float64" -> List.of(DataType.FLOAT64);
            case "float32" -> List.of(DataType.FLOAT32);
            case "both" -> List.of(DataType.FLOAT64, DataType.FLOAT32);
            default ->
                    throw new ParameterException(
                            spec.commandLine(),
                            "--precision must be float64, float32 or both, got " + precision);
        };
    }

    private void run(List<DataType> precisions) throws Exception {
        ImageData train =
                limit(DatasetLoader.load(DatasetName.MNIST, Split.TRAIN, data), trainLimit);
        ImageData test = limit(DatasetLoader.load(DatasetName.MNIST, Split.TEST, data), testLimit);
        results.put("model", "LeNet-5");
        results.put("dataset", "MNIST " + data);
        results.put("train_samples", train.size());
        results.put("test_samples", test.size());
        results.put("epochs", epochs);
        results.put("batch_size", BATCH);
        results.put("optimizer", "SGD lr=" + LEARNING_RATE + " momentum=" + MOMENTUM);
        results.put("device", device.toString());
        results.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        results.put("load_average_at_start", BenchmarkResults.loadAverage());
        try (NDManager manager = NDManager.newBaseManager(device)) {
            ArrayDataset dataset = train.toDataset(manager, DataType.FLOAT32, BATCH, true, SEED);
            fit(dataset, Math.min(2, epochs), hydraOptimizer()); // warm-up
            double plain = fit(dataset, epochs, hydraOptimizer());
            results.put("training_s", plain);
            HydraSgd sgd = hydraOptimizer();
            TrajectoryRecorder.Builder builder = TrajectoryRecorder.builder(sgd, train.size());
            if (interval > 0) {
                builder.optCheckpointInterval(interval);
            }
            try (TrajectoryRecorder recorder = builder.build();
                    Model model = newModel()) {
                double recorded = fit(model, dataset, epochs, sgd, recorder);
                results.put("training_with_recorder_s", recorded);
                results.put("recorder_overhead", recorded / plain - 1);
                results.put("load_average_after_training", BenchmarkResults.loadAverage());
                SampleSet trainSamples = train.toSampleSet(manager, DataType.FLOAT32);
                SampleSet testSamples = test.toSampleSet(manager, DataType.FLOAT32);
                double[] reference = null;
                for (DataType type : precisions) {
                    double[] values =
                            attribute(
                                    manager,
                                    model,
                                    recorder.getTrajectory(),
                                    trainSamples,
                                    testSamples,
                                    plain,
                                    type);
                    if (reference == null) {
                        reference = values;
                    } else {
                        compare(values, reference, type);
                    }
                }
            }
        }
        results.put("load_average_at_end", BenchmarkResults.loadAverage());
        results.put("peak_rss_mib", BenchmarkResults.peakRssMib());
        results.printTable("Exact attribution by replay: LeNet-5 / MNIST, batch 64, float32");
        results.writeJson(out, "bench-replay.json");
    }

    /** C(i) of every training sample for the mean test loss, timed. */
    private double[] attribute(
            NDManager manager,
            Model model,
            Trajectory trajectory,
            SampleSet trainSamples,
            SampleSet testSamples,
            double training,
            DataType type) {
        String key = type == DataType.FLOAT64 ? "" : "_" + type.name().toLowerCase(Locale.ROOT);
        ShadowModel shadow = new ShadowModel(model.getBlock(), Loss.softmaxCrossEntropyLoss());
        int total = trajectory.size();
        long start = System.nanoTime();
        try (ReplayAttributor exact =
                ReplayAttributor.builder(trajectory, shadow, trainSamples)
                        .optDerivatives(
                                new FiniteDifferenceDirectionalDerivatives(
                                        shadow,
                                        type == DataType.FLOAT64
                                                ? FiniteDifferenceHvp.DEFAULT_STEP
                                                : FLOAT32_STEP,
                                        type))
                        .optProgress(
                                done -> {
                                    if (done % 100 == 0 || done == total) {
                                        System.out.printf(
                                                Locale.ROOT,
                                                "  swept %d/%d steps, %.1f s%n",
                                                done,
                                                total,
                                                seconds(start));
                                    }
                                })
                        .build()) {
            Contributions c = exact.testLossContributions(manager, testSamples);
            double seconds = seconds(start);
            results.put("steps", total);
            results.put("attribution_s" + key, seconds);
            results.put("attribution_ms_per_step" + key, seconds * 1000 / total);
            results.put("attribution_over_training" + key, seconds / training);
            results.put(
                    "record_and_attribution_over_training" + key,
                    (seconds + results.number("training_with_recorder_s") - training) / training);
            results.put("stored", exact.describe());
            double[] values = c.values();
            results.put(
                    "helpful_fraction" + key,
                    Arrays.stream(values).filter(v -> v > 0).count() / (double) values.length);
            return values;
        }
    }

    /** How far a cheaper precision's values are from the float64 ones. */
    private void compare(double[] values, double[] reference, DataType type) {
        String key = "_" + type.name().toLowerCase(Locale.ROOT) + "_vs_float64";
        double largest = Arrays.stream(reference).map(Math::abs).max().orElse(0);
        double[] errors = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            errors[i] = Math.abs(values[i] - reference[i]) / largest;
        }
        Arrays.sort(errors);
        results.put("error" + key + "_median_of_largest", errors[errors.length / 2]);
        results.put("error" + key + "_max_of_largest", errors[errors.length - 1]);
        results.put("sign_errors" + key, Agreement.signErrorRate(values, reference));
        results.put("spearman" + key, Agreement.spearman(values, reference));
    }

    private double fit(ArrayDataset dataset, int epochs, HydraSgd sgd) throws Exception {
        try (Model model = newModel()) {
            return fit(model, dataset, epochs, sgd);
        }
    }

    private double fit(
            Model model,
            ArrayDataset dataset,
            int epochs,
            HydraSgd sgd,
            TrainingListener... listeners)
            throws Exception {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(sgd)
                        .optDevices(new Device[] {device});
        if (listeners.length > 0) {
            config.addTrainingListeners(listeners);
        }
        long start = System.nanoTime();
        try (Trainer trainer = Trainers.newTrainer(model, config, LeNet5.INPUT_SHAPE)) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                for (Batch batch : trainer.iterateDataset(dataset)) {
                    try (batch) {
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                    }
                }
            }
        }
        return seconds(start);
    }

    private Model newModel() {
        Trainers.seed(SEED);
        Model model = Model.newInstance("lenet5", device);
        model.setBlock(LeNet5.newBlock());
        return model;
    }

    private static HydraSgd hydraOptimizer() {
        return HydraSgd.builder()
                .setLearningRateTracker(LearningRates.constant(LEARNING_RATE))
                .optMomentum(MOMENTUM)
                .build();
    }

    private static ImageData limit(ImageData data, int limit) {
        if (limit <= 0 || limit >= data.size()) {
            return data;
        }
        return data.subset(IntStream.range(0, limit).toArray());
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
