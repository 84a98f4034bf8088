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
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.hydra.data.DatasetLoader;
import ai.hydra.data.DatasetName;
import ai.hydra.data.ImageData;
import ai.hydra.data.SeededRandomSampler;
import ai.hydra.data.Split;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.HydraListener;
import ai.hydra.model.LeNet5;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Measures what HYDRA costs on top of plain DJL training: LeNet-5 on MNIST, batch 64, float32, SGD
 * with momentum 0.9.
 *
 * <p>It prints a table and writes {@code bench-hydra.json} to the output directory:
 *
 * <ul>
 *   <li>the epoch time of plain DJL training (DJL's own {@code Sgd}, no listener);
 *   <li>the epoch time with a {@link HydraListener} tracking every training sample in the
 *       Hessian-free mode, the ratio of the two, the time of the final catch-up, where the
 *       hypergradient store was placed, and the peak resident set size;
 *   <li>the cost of the Hessian-aware mode per tracked sample and step (a few samples tracked for a
 *       few steps, minus the same steps without the listener);
 *   <li>the cost of one per-sample gradient, batched (a batch of {@code
 *       ShadowModel.sampleGradients}) and one sample at a time ({@code sampleGradientsOneAtATime}).
 * </ul>
 *
 * <pre>
 * java -Dai.djl.offline=true -cp ... ai.hydra.bench.HydraBenchmark \
 *     [--data DIR] [--train-limit N] [--epochs E] [--device cpu|gpu] [--out DIR]
 *     [--aware-samples K] [--aware-steps S]
 * </pre>
 */
@Command(
        name = "HydraBenchmark",
        mixinStandardHelpOptions = true,
        description = "Measures what HYDRA costs on top of plain DJL training (LeNet-5, MNIST).")
public final class HydraBenchmark implements Callable<Integer> {

    /** The default MNIST directory (the standard four IDX files). */
    public static final String DEFAULT_DATA = "../shared/data/mnist";

    private static final int BATCH = 64;
    private static final float LEARNING_RATE = 0.01f;
    private static final float MOMENTUM = 0.9f;
    private static final long SEED = 42;
    private static final int WARMUP_BATCHES = 20;

    @Option(
            names = "--data",
            description = "MNIST folder (the four IDX files); default ${DEFAULT-VALUE}")
    private Path data = Paths.get(DEFAULT_DATA);

    @Option(names = "--train-limit", description = "training samples used, 0 = all")
    private int trainLimit;

    @Option(names = "--epochs", description = "timed epochs; default ${DEFAULT-VALUE}")
    private int epochs = 1;

    @Option(
            names = "--device",
            converter = DeviceConverter.class,
            description = "cpu or gpu; default cpu")
    private Device device = Device.cpu();

    @Option(names = "--out", description = "output folder; default ${DEFAULT-VALUE}")
    private Path out = Paths.get("bench-out");

    @Option(
            names = "--aware-samples",
            description = "samples tracked in the Hessian-aware run; default ${DEFAULT-VALUE}")
    private int awareSamples = 8;

    @Option(
            names = "--aware-steps",
            description = "steps of the Hessian-aware run; default ${DEFAULT-VALUE}")
    private int awareSteps = 20;

    @Spec private CommandSpec spec;

    private final BenchmarkResults results = new BenchmarkResults();

    /**
     * Runs the benchmark.
     *
     * @param args the options (see the class documentation); {@code --help} lists them
     */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(new CommandLine(new HydraBenchmark()).execute(args));
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        requirePositive("--epochs", epochs);
        requirePositive("--aware-samples", awareSamples);
        requirePositive("--aware-steps", awareSteps);
        if (trainLimit < 0) {
            throw new ParameterException(
                    spec.commandLine(), "--train-limit must be >= 0, got " + trainLimit);
        }
        run();
        return 0;
    }

    private void requirePositive(String option, int value) {
        if (value <= 0) {
            throw new ParameterException(
                    spec.commandLine(), option + " must be positive, got " + value);
        }
    }

    private void run() throws Exception {
        ImageData train = loadTrain();
        results.put("model", "LeNet-5");
        results.put("dataset", "MNIST " + data);
        results.put("train_samples", train.size());
        results.put("epochs", epochs);
        results.put("batch_size", BATCH);
        results.put("dtype", "float32");
        results.put("optimizer", "SGD lr=" + LEARNING_RATE + " momentum=" + MOMENTUM);
        results.put("device", device.toString());
        results.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        results.put("java_max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        results.put("load_average_at_start", BenchmarkResults.loadAverage());
        try (NDManager manager = NDManager.newBaseManager(device)) {
            ArrayDataset dataset = train.toDataset(manager, DataType.FLOAT32, BATCH, true, SEED);
            warmUp(dataset);
            measurePlain(dataset);
            measureSampleGradients(dataset, manager);
            measureHessianFree(dataset, train.size());
            measureHessianAware(train, manager);
        }
        results.put("load_average_at_end", BenchmarkResults.loadAverage());
        results.printTable("HYDRA benchmark: LeNet-5 / MNIST, batch 64, float32, SGD momentum 0.9");
        results.writeJson(out, "bench-hydra.json");
    }

    private ImageData loadTrain() throws IOException {
        ImageData train = DatasetLoader.load(DatasetName.MNIST, Split.TRAIN, data);
        if (trainLimit > 0 && trainLimit < train.size()) {
            train = train.subset(IntStream.range(0, trainLimit).toArray());
        }
        return train;
    }

    /**
     * Lets the JIT and PyTorch's kernels warm up so that the first timed epoch is not penalized.
     */
    private void warmUp(ArrayDataset dataset) throws Exception {
        try (Model model = newModel();
                Trainer trainer = newTrainer(model, plainOptimizer())) {
            runSteps(trainer, dataset, WARMUP_BATCHES);
        }
    }

    private void measurePlain(ArrayDataset dataset) throws Exception {
        try (Model model = newModel();
                Trainer trainer = newTrainer(model, plainOptimizer())) {
            double[] epochs = timeEpochs(trainer, dataset);
            results.put("plain_epoch_s", mean(epochs));
            results.put("plain_epoch_s_each", epochs);
        }
        results.put("peak_rss_after_plain_mib", BenchmarkResults.peakRssMib());
    }

    /**
     * Times the per-sample gradients of one batch of 64, batched ({@code
     * ShadowModel.sampleGradients}, one probing pass) and one sample at a time ({@code
     * sampleGradientsOneAtATime}, the loop the models that cannot be batched fall back to).
     */
    private void measureSampleGradients(ArrayDataset dataset, NDManager manager) throws Exception {
        try (Model model = newModel();
                Trainer trainer = newTrainer(model, plainOptimizer());
                NDManager scope = manager.newSubManager()) {
            ShadowModel shadow = new ShadowModel(model.getBlock(), trainer.getLoss());
            Batch batch = trainer.iterateDataset(dataset).iterator().next();
            NDList data = batch.getData();
            NDList labels = batch.getLabels();
            int[] rows = IntStream.range(0, batch.getSize()).toArray();
            results.put("parameters", shadow.space().size());
            results.put("per_sample_gradients_batched", shadow.batchesSamples(true));
            results.put(
                    "per_sample_gradient_ms",
                    sampleGradientMs(
                            scope,
                            20,
                            rows.length,
                            m -> shadow.sampleGradients(weights(shadow, m), data, labels, rows)));
            results.put(
                    "per_sample_gradient_loop_ms",
                    sampleGradientMs(
                            scope,
                            3,
                            rows.length,
                            m ->
                                    shadow.sampleGradientsOneAtATime(
                                            weights(shadow, m), data, labels, rows, true)));
            batch.close();
        }
    }

    /** Milliseconds per sample of a per-sample gradient computation, after one warm-up call. */
    private double sampleGradientMs(
            NDManager scope, int repeats, int samples, Function<NDManager, NDArray> gradients) {
        try (NDManager inner = scope.newSubManager()) {
            gradients.apply(inner).close();
        }
        long start = System.nanoTime();
        for (int r = 0; r < repeats; r++) {
            try (NDManager inner = scope.newSubManager()) {
                gradients.apply(inner).close(); // CPU: computed on return
            }
        }
        return (System.nanoTime() - start) / 1e6 / repeats / samples;
    }

    private static NDArray weights(ShadowModel shadow, NDManager manager) {
        return shadow.space().values(manager, DataType.FLOAT32);
    }

    private void measureHessianFree(ArrayDataset dataset, int size) throws Exception {
        HydraSgd sgd = hydraOptimizer();
        try (HydraListener hydra = HydraListener.builder(sgd, size).build();
                Model model = newModel();
                Trainer trainer = newTrainer(model, sgd, hydra)) {
            double[] epochs = timeEpochs(trainer, dataset);
            long start = System.nanoTime();
            hydra.finish();
            double catchUp = (System.nanoTime() - start) / 1e9;
            results.put("hydra_free_epoch_s", mean(epochs));
            results.put("hydra_free_epoch_s_each", epochs);
            results.put("hydra_free_catch_up_s", catchUp);
            results.put("hydra_free_ratio", mean(epochs) / results.number("plain_epoch_s"));
            results.put("store", hydra.describeStore());
            results.put("peak_rss_after_hessian_free_mib", BenchmarkResults.peakRssMib());
        }
    }

    /**
     * Tracks the first samples of the first batch (a fresh dataset's epoch-0 order), so that their
     * hypergradients are non-zero, and every Hessian-vector product is real, from step 1.
     */
    private void measureHessianAware(ImageData train, NDManager manager) throws Exception {
        int steps = awareSteps;
        int size = train.size();
        int[] order = SeededRandomSampler.permutation(SEED, 0, size);
        int[] tracked = Arrays.copyOf(order, Math.min(Math.min(awareSamples, BATCH), size));
        double plain;
        try (Model model = newModel();
                Trainer trainer = newTrainer(model, hydraOptimizer())) {
            plain =
                    runSteps(
                            trainer,
                            train.toDataset(manager, DataType.FLOAT32, BATCH, true, SEED),
                            steps);
        }
        HydraSgd sgd = hydraOptimizer();
        double aware;
        try (HydraListener hydra =
                        HydraListener.builder(sgd, size)
                                .optTrackedSamples(tracked)
                                .optMode(HydraMode.HESSIAN_AWARE)
                                .build();
                Model model = newModel();
                Trainer trainer = newTrainer(model, sgd, hydra)) {
            aware =
                    runSteps(
                            trainer,
                            train.toDataset(manager, DataType.FLOAT32, BATCH, true, SEED),
                            steps);
        }
        results.put("aware_tracked_samples", tracked.length);
        results.put("aware_steps", steps);
        results.put("aware_steps_s", aware);
        results.put("aware_plain_steps_s", plain);
        results.put(
                "aware_ms_per_sample_step",
                (aware - plain) * 1000 / ((double) tracked.length * steps));
    }

    private double[] timeEpochs(Trainer trainer, ArrayDataset dataset) throws Exception {
        double[] seconds = new double[epochs];
        for (int e = 0; e < seconds.length; e++) {
            seconds[e] = runSteps(trainer, dataset, Integer.MAX_VALUE);
            System.out.printf(Locale.ROOT, "  epoch %d: %.2f s%n", e + 1, seconds[e]);
        }
        return seconds;
    }

    /** Trains up to {@code maxSteps} batches of one pass and returns the seconds it took. */
    private static double runSteps(Trainer trainer, ArrayDataset dataset, int maxSteps)
            throws Exception {
        long start = System.nanoTime();
        int steps = 0;
        for (Batch batch : trainer.iterateDataset(dataset)) {
            try (batch) {
                EasyTrain.trainBatch(trainer, batch);
                trainer.step();
            }
            if (++steps >= maxSteps) {
                break;
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private Model newModel() {
        Trainers.seed(SEED);
        Model model = Model.newInstance("lenet5", device);
        model.setBlock(LeNet5.newBlock());
        return model;
    }

    private Trainer newTrainer(Model model, Optimizer optimizer, TrainingListener... listeners) {
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                        .optOptimizer(optimizer)
                        .optDevices(new Device[] {device});
        if (listeners.length > 0) {
            config.addTrainingListeners(listeners);
        }
        return Trainers.newTrainer(model, config, LeNet5.INPUT_SHAPE);
    }

    private static Optimizer plainOptimizer() {
        return Optimizer.sgd()
                .setLearningRateTracker(Tracker.fixed(LEARNING_RATE))
                .optMomentum(MOMENTUM)
                .build();
    }

    private static HydraSgd hydraOptimizer() {
        return HydraSgd.builder()
                .setLearningRateTracker(LearningRates.constant(LEARNING_RATE))
                .optMomentum(MOMENTUM)
                .build();
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }

    /** Converts {@code cpu} and {@code gpu} to devices. */
    static final class DeviceConverter implements CommandLine.ITypeConverter<Device> {

        @Override
        public Device convert(String value) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "cpu":
                    return Device.cpu();
                case "gpu":
                    return Device.gpu();
                default:
                    throw new CommandLine.TypeConversionException(
                            "--device must be cpu or gpu, got " + value);
            }
        }
    }
}
