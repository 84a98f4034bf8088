package ai.hydra.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.hydra.data.DatasetLoader;
import ai.hydra.data.DatasetName;
import ai.hydra.data.ImageData;
import ai.hydra.data.Split;
import ai.hydra.gradient.FiniteDifferenceDirectionalDerivatives;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.model.LeNet5;
import ai.hydra.replay.ReverseSweep;
import ai.hydra.replay.Trajectory;
import ai.hydra.reproduce.metrics.Agreement;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Measures exact attribution by reverse-mode replay against the training it explains: LeNet-5 on
 * MNIST, batch 64, float32, SGD with momentum 0.9. It times
 *
 * <ul>
 *   <li>the training run itself (DJL, no listener), the baseline;
 *   <li>the same training with a {@link TrajectoryRecorder} (its overhead, what it stored);
 *   <li>the reverse sweep giving the exact C(i) of every training sample for the mean test loss
 *       (the test gradient at the final weights, the replay of the checkpointed segments and one
 *       Hessian product and one set of per-sample slopes per step).
 * </ul>
 *
 * and prints the ratio of the sweep (and of recording plus sweep) to the training time, with the
 * load average, into a table and {@code bench-replay.json}.
 *
 * <pre>
 * java -Dai.djl.offline=true -cp ... ai.hydra.bench.ReplayBenchmark \
 *     [--data DIR] [--train-limit N] [--test-limit M] [--epochs E] [--device cpu|gpu]
 *     [--interval K] [--precision float64|float32|both] [--out DIR]
 * </pre>
 */
public final class ReplayBenchmark {

    private static final int BATCH = 64;
    private static final float LEARNING_RATE = 0.01f;
    private static final float MOMENTUM = 0.9f;
    private static final long SEED = 42;

    /** Float32 differences need a larger step: rounding 1e-7/step against truncation step^2. */
    private static final double FLOAT32_STEP = 1e-2;

    private final Options options;
    private final BenchmarkResults results = new BenchmarkResults();

    private ReplayBenchmark(Options options) {
        this.options = options;
    }

    /**
     * Runs the benchmark.
     *
     * @param args the options (see the class documentation); {@code --help} lists them
     * @throws Exception if the data cannot be read or training fails
     */
    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (options == null) {
            System.out.println(Options.USAGE);
            return;
        }
        new ReplayBenchmark(options).run();
    }

    private void run() throws Exception {
        ImageData train =
                limit(
                        DatasetLoader.load(DatasetName.MNIST, Split.TRAIN, options.data),
                        options.trainLimit);
        ImageData test =
                limit(
                        DatasetLoader.load(DatasetName.MNIST, Split.TEST, options.data),
                        options.testLimit);
        results.put("model", "LeNet-5");
        results.put("dataset", "MNIST " + options.data);
        results.put("train_samples", train.size());
        results.put("test_samples", test.size());
        results.put("epochs", options.epochs);
        results.put("batch_size", BATCH);
        results.put("optimizer", "SGD lr=" + LEARNING_RATE + " momentum=" + MOMENTUM);
        results.put("device", options.device.toString());
        results.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        results.put("load_average_at_start", BenchmarkResults.loadAverage());
        try (NDManager manager = NDManager.newBaseManager(options.device)) {
            ArrayDataset dataset = train.toDataset(manager, DataType.FLOAT32, BATCH, true, SEED);
            fit(dataset, Math.min(2, options.epochs), hydraOptimizer()); // warm-up
            double plain = fit(dataset, options.epochs, hydraOptimizer());
            results.put("training_s", plain);
            HydraSgd sgd = hydraOptimizer();
            TrajectoryRecorder.Builder builder = TrajectoryRecorder.builder(sgd, train.size());
            if (options.interval > 0) {
                builder.optCheckpointInterval(options.interval);
            }
            try (TrajectoryRecorder recorder = builder.build();
                    Model model = newModel()) {
                double recorded = fit(model, dataset, options.epochs, sgd, recorder);
                results.put("training_with_recorder_s", recorded);
                results.put("recorder_overhead", recorded / plain - 1);
                results.put("load_average_after_training", BenchmarkResults.loadAverage());
                double[] reference = null;
                for (DataType precision : options.precisions) {
                    double[] derivatives =
                            sweep(
                                    manager,
                                    model,
                                    recorder.getTrajectory(),
                                    train,
                                    test,
                                    plain,
                                    precision);
                    if (reference == null) {
                        reference = derivatives;
                    } else {
                        compare(derivatives, reference, precision);
                    }
                }
            }
        }
        results.put("load_average_at_end", BenchmarkResults.loadAverage());
        results.put("peak_rss_mib", BenchmarkResults.peakRssMib());
        results.printTable("Exact attribution by replay: LeNet-5 / MNIST, batch 64, float32");
        results.writeJson(options.out, "bench-replay.json");
    }

    private double[] sweep(
            NDManager manager,
            Model model,
            Trajectory trajectory,
            ImageData train,
            ImageData test,
            double training,
            DataType precision) {
        String key =
                precision == DataType.FLOAT64
                        ? ""
                        : "_" + precision.name().toLowerCase(Locale.ROOT);
        try (NDManager scope = manager.newSubManager()) {
            ShadowModel shadow = new ShadowModel(model.getBlock(), Loss.softmaxCrossEntropyLoss());
            long start = System.nanoTime();
            NDList[] testArrays = arrays(scope, test);
            NDArray gradient =
                    shadow.gradient(trajectory.finalWeights(), testArrays[0], testArrays[1], false)
                            .reshape(1, -1);
            gradient.attach(scope);
            double testGradient = seconds(start);
            NDList[] trainArrays = arrays(scope, train);
            int total = trajectory.size();
            ReverseSweep sweep =
                    ReverseSweep.builder(trajectory, shadow, trainArrays[0], trainArrays[1])
                            .optDerivatives(
                                    new FiniteDifferenceDirectionalDerivatives(
                                            shadow,
                                            precision == DataType.FLOAT64
                                                    ? FiniteDifferenceHvp.DEFAULT_STEP
                                                    : FLOAT32_STEP,
                                            precision))
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
                            .build();
            double[] derivatives = sweep.run(scope, gradient)[0];
            double seconds = seconds(start);
            results.put("steps", total);
            results.put("test_gradient_s" + key, testGradient);
            results.put("sweep_s" + key, seconds);
            results.put("sweep_ms_per_step" + key, seconds * 1000 / total);
            results.put("sweep_over_training" + key, seconds / training);
            results.put(
                    "record_and_sweep_over_training" + key,
                    (seconds + results.number("training_with_recorder_s") - training) / training);
            results.put("stored", sweep.describe());
            double helpful = 0;
            for (double d : derivatives) {
                helpful += d < 0 ? 1 : 0; // dL/deps < 0: up-weighting lowers the test loss
            }
            results.put("helpful_fraction" + key, helpful / derivatives.length);
            return derivatives;
        }
    }

    /** How far a cheaper precision's values are from the float64 ones. */
    private void compare(double[] values, double[] reference, DataType precision) {
        String key = "_" + precision.name().toLowerCase(Locale.ROOT) + "_vs_float64";
        double largest = 0;
        for (double r : reference) {
            largest = Math.max(largest, Math.abs(r));
        }
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

    /** The whole split as arrays in index order (row k = dataset index k), as training sees it. */
    private static NDList[] arrays(NDManager manager, ImageData data) {
        ArrayDataset ordered = data.toDataset(manager, DataType.FLOAT32, data.size());
        try {
            Batch batch = ordered.getData(manager).iterator().next();
            NDList inputs = batch.getData();
            NDList labels = batch.getLabels();
            inputs.attach(manager);
            labels.attach(manager);
            batch.close();
            return new NDList[] {inputs, labels};
        } catch (IOException | ai.djl.translate.TranslateException e) {
            throw new IllegalStateException("Cannot read the data", e);
        }
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
                        .optDevices(new Device[] {options.device});
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
        Model model = Model.newInstance("lenet5", options.device);
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
        int[] first = new int[limit];
        for (int i = 0; i < limit; i++) {
            first[i] = i;
        }
        return data.subset(first);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Command-line options. */
    private static final class Options {

        static final String USAGE =
                "Usage: ReplayBenchmark [--data DIR] [--train-limit N (0 = all)] [--test-limit M"
                        + " (0 = all)] [--epochs E] [--device cpu|gpu] [--interval K (0 ="
                        + " automatic)] [--precision float64|float32|both] [--out DIR]";

        Path data = Paths.get(HydraBenchmark.DEFAULT_DATA);
        int trainLimit = 10_000;
        int testLimit;
        int epochs = 3;
        Device device = Device.cpu();
        int interval;
        List<DataType> precisions = List.of(DataType.FLOAT64);
        Path out = Paths.get("bench-out");

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String flag = args[i];
                if ("--help".equals(flag) || "-h".equals(flag)) {
                    return null;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(flag + " needs a value. " + USAGE);
                }
                String value = args[++i];
                switch (flag) {
                    case "--data" -> o.data = Paths.get(value);
                    case "--train-limit" ->
                            o.trainLimit = BenchmarkResults.positive(flag, value, true);
                    case "--test-limit" ->
                            o.testLimit = BenchmarkResults.positive(flag, value, true);
                    case "--epochs" -> o.epochs = BenchmarkResults.positive(flag, value, false);
                    case "--device" -> o.device = BenchmarkResults.device(value);
                    case "--interval" -> o.interval = BenchmarkResults.positive(flag, value, true);
                    case "--precision" -> o.precisions = precisions(value);
                    case "--out" -> o.out = Paths.get(value);
                    default ->
                            throw new IllegalArgumentException(
                                    "Unknown option " + flag + ". " + USAGE);
                }
            }
            return o;
        }

        private static List<DataType> precisions(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "float64" -> List.of(DataType.FLOAT64);
                case "float32" -> List.of(DataType.FLOAT32);
                case "both" -> List.of(DataType.FLOAT64, DataType.FLOAT32);
                default ->
                        throw new IllegalArgumentException(
                                "--precision must be float64, float32 or both, got " + value);
            };
        }
    }
}
