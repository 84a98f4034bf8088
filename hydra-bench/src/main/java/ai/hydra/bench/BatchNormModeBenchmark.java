package ai.hydra.bench;

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
import ai.djl.training.loss.Loss;
import ai.hydra.data.DatasetLoader;
import ai.hydra.data.DatasetName;
import ai.hydra.data.ImageData;
import ai.hydra.data.Split;
import ai.hydra.gradient.BatchNormGradients;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.HydraListener;
import ai.hydra.model.DenseNetBc;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How far the fast batch-norm mode of per-sample gradients ({@link
 * BatchNormGradients#CONSTANT_STATISTICS}) is from the exact one ({@link BatchNormGradients#EXACT})
 * on DenseNet-BC-40 / CIFAR-10, and what each costs.
 *
 * <p>One training run (float32, SGD momentum 0.9) carries two Hessian-free {@link HydraListener}s
 * tracking every training sample, one per mode, so both see the same weights at every step. At the
 * end it compares the contributions {@code C(i)}, the hypergradients dotted with the gradient of
 * the mean test loss (prediction mode): Spearman rank correlation and sign agreement. Before
 * training it times one batch of per-sample gradients in each mode and compares them directly
 * (cosine per sample).
 *
 * <pre>
 * java -cp ... ai.hydra.bench.BatchNormModeBenchmark --data /tmp/cifar [--train-size N]
 *     [--batch B] [--epochs E] [--test-size M]
 * </pre>
 */
@Command(
        name = "BatchNormModeBenchmark",
        mixinStandardHelpOptions = true,
        description = "Exact vs constant-statistics batch-norm per-sample gradients (DenseNet).")
public final class BatchNormModeBenchmark implements Callable<Integer> {

    private static final long SEED = 42;

    @Option(names = "--data", description = "CIFAR-10 folder (binary batches)")
    private Path data = Paths.get("/tmp/cifar");

    @Option(names = "--train-size", description = "training samples; default ${DEFAULT-VALUE}")
    private int trainSize = 256;

    @Option(names = "--batch", description = "batch size; default ${DEFAULT-VALUE}")
    private int batch = 32;

    @Option(names = "--epochs", description = "epochs; default ${DEFAULT-VALUE}")
    private int epochs = 1;

    @Option(names = "--test-size", description = "test samples; default ${DEFAULT-VALUE}")
    private int testSize = 100;

    @Option(
            names = "--time-steps",
            description =
                    "instead of comparing: time this many steps of plain training and of training"
                            + " with one listener per mode tracking every sample; default 0")
    private int timeSteps;

    /**
     * Runs the benchmark.
     *
     * @param args see the class documentation
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BatchNormModeBenchmark()).execute(args));
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        ImageData train = DatasetLoader.load(DatasetName.CIFAR10, Split.TRAIN, data);
        ImageData test = DatasetLoader.load(DatasetName.CIFAR10, Split.TEST, data);
        train = train.subset(IntStream.range(0, trainSize).toArray());
        test = test.subset(IntStream.range(0, testSize).toArray());
        System.out.printf(
                Locale.ROOT,
                "DenseNet-BC-40, CIFAR-10: %d training, %d test images, batch %d, %d epoch(s);"
                        + " load average %.2f%n",
                trainSize,
                testSize,
                batch,
                epochs,
                loadAverage());
        if (timeSteps > 0) {
            timeSteps(train);
            return 0;
        }
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("densenet")) {
            Trainers.seed(SEED);
            model.setBlock(DenseNetBc.newBlock());
            HydraSgd sgd =
                    HydraSgd.builder()
                            .setLearningRateTracker(LearningRates.constant(0.1f))
                            .optMomentum(0.9f)
                            .optWeightDecay(1e-4f)
                            .build();
            ArrayDataset dataset = train.toDataset(manager, DataType.FLOAT32, batch, true, SEED);
            try (HydraListener exact = listener(sgd, BatchNormGradients.EXACT);
                    HydraListener fast = listener(sgd, BatchNormGradients.CONSTANT_STATISTICS);
                    Trainer trainer =
                            Trainers.newTrainer(
                                    model,
                                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                            .optOptimizer(sgd)
                                            .addTrainingListeners(exact, fast),
                                    DenseNetBc.INPUT_SHAPE)) {
                compareSampleGradients(manager, model, trainer, dataset);
                long start = System.nanoTime();
                EasyTrain.fit(trainer, epochs, dataset, null);
                System.out.printf(
                        Locale.ROOT,
                        "trained with both listeners in %.1f s%n",
                        (System.nanoTime() - start) / 1e9);
                exact.finish();
                fast.finish();
                NDArray testGradient = testGradient(manager, model, trainer, test);
                double[] cExact = contributions(manager, exact, testGradient);
                double[] cFast = contributions(manager, fast, testGradient);
                int agree = 0;
                for (int i = 0; i < cExact.length; i++) {
                    agree += Math.signum(cExact[i]) == Math.signum(cFast[i]) ? 1 : 0;
                }
                System.out.printf(
                        Locale.ROOT,
                        "C(i) over %d tracked samples: Spearman %.4f, sign agreement %.4f,"
                                + " Pearson %.4f; load average %.2f%n",
                        cExact.length,
                        spearman(cExact, cFast),
                        agree / (double) cExact.length,
                        pearson(cExact, cFast),
                        loadAverage());
            }
        }
        return 0;
    }

    /**
     * Times {@code timeSteps} training steps (after one warm-up step) without a listener and with a
     * Hessian-free listener tracking every sample in each mode.
     */
    private void timeSteps(ImageData train) throws Exception {
        String[] runs = {"plain", "CONSTANT_STATISTICS", "EXACT"};
        for (String run : runs) {
            try (NDManager manager = NDManager.newBaseManager();
                    Model model = Model.newInstance("densenet")) {
                Trainers.seed(SEED);
                model.setBlock(DenseNetBc.newBlock());
                HydraSgd sgd =
                        HydraSgd.builder()
                                .setLearningRateTracker(LearningRates.constant(0.1f))
                                .optMomentum(0.9f)
                                .optWeightDecay(1e-4f)
                                .build();
                DefaultTrainingConfig config =
                        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd);
                HydraListener hydra =
                        run.equals("plain") ? null : listener(sgd, BatchNormGradients.valueOf(run));
                if (hydra != null) {
                    config.addTrainingListeners(hydra);
                }
                ArrayDataset dataset =
                        train.toDataset(manager, DataType.FLOAT32, batch, true, SEED);
                try (Trainer trainer = Trainers.newTrainer(model, config, DenseNetBc.INPUT_SHAPE)) {
                    int step = 0;
                    long start = 0;
                    for (Batch b : trainer.iterateDataset(dataset)) {
                        try (b) {
                            if (step == 1) {
                                start = System.nanoTime(); // after one warm-up step
                            }
                            EasyTrain.trainBatch(trainer, b);
                            trainer.step();
                        }
                        if (++step > timeSteps) {
                            break;
                        }
                    }
                    System.out.printf(
                            Locale.ROOT,
                            "%s: %.2f s per step (batch %d, %d steps timed); load average %.2f%n",
                            run,
                            (System.nanoTime() - start) / 1e9 / timeSteps,
                            batch,
                            timeSteps,
                            loadAverage());
                } finally {
                    if (hydra != null) {
                        hydra.close();
                    }
                }
            }
        }
    }

    private HydraListener listener(HydraSgd sgd, BatchNormGradients mode) {
        return HydraListener.builder(sgd, trainSize)
                .optMode(HydraMode.HESSIAN_FREE)
                .optBatchNormGradients(mode)
                .build();
    }

    /** Times one batch of per-sample gradients in each mode and compares them per sample. */
    private void compareSampleGradients(
            NDManager manager, Model model, Trainer trainer, ArrayDataset dataset)
            throws Exception {
        Batch first = trainer.iterateDataset(dataset).iterator().next();
        try (NDManager scope = manager.newSubManager()) {
            NDList x = first.getData();
            NDList y = first.getLabels();
            int[] rows = IntStream.range(0, first.getSize()).toArray();
            NDArray[] gradients = new NDArray[2];
            BatchNormGradients[] modes = BatchNormGradients.values();
            for (int m = 0; m < modes.length; m++) {
                ShadowModel shadow = new ShadowModel(model.getBlock(), trainer.getLoss(), modes[m]);
                NDArray w = shadow.space().values(scope, DataType.FLOAT32);
                shadow.sampleGradients(w, x, y, rows).close(); // warm-up: first-touch, kernels
                long start = System.nanoTime();
                gradients[m] = shadow.sampleGradients(w, x, y, rows);
                System.out.printf(
                        Locale.ROOT,
                        "per-sample gradients, %s: %.2f ms per sample (batch of %d)%n",
                        modes[m],
                        (System.nanoTime() - start) / 1e6 / rows.length,
                        rows.length);
            }
            NDArray dot = gradients[0].mul(gradients[1]).sum(new int[] {1});
            NDArray norms = gradients[0].norm(new int[] {1}).mul(gradients[1].norm(new int[] {1}));
            double[] cosine = dot.div(norms).toType(DataType.FLOAT64, false).toDoubleArray();
            Arrays.sort(cosine);
            System.out.printf(
                    Locale.ROOT,
                    "cosine(exact, constant statistics) per sample: min %.4f, median %.4f, max"
                            + " %.4f%n",
                    cosine[0],
                    cosine[cosine.length / 2],
                    cosine[cosine.length - 1]);
        }
        first.close();
    }

    private static NDArray testGradient(
            NDManager manager, Model model, Trainer trainer, ImageData test) {
        ShadowModel shadow = new ShadowModel(model.getBlock(), trainer.getLoss());
        NDArray w = shadow.space().values(manager, DataType.FLOAT32);
        return shadow.gradient(
                w,
                new NDList(test.images(manager, DataType.FLOAT32)),
                new NDList(test.labelArray(manager, DataType.FLOAT32)),
                false);
    }

    private static double[] contributions(
            NDManager manager, HydraListener listener, NDArray testGradient) {
        try (NDManager scope = manager.newSubManager()) {
            int[] rows =
                    IntStream.range(0, listener.getHypergradients(HydraMode.HESSIAN_FREE).size())
                            .toArray();
            NDArray h = listener.getHypergradients(HydraMode.HESSIAN_FREE).read(scope, rows);
            return h.matMul(testGradient.reshape(-1, 1))
                    .toType(DataType.FLOAT64, false)
                    .toDoubleArray();
        }
    }

    private static double spearman(double[] a, double[] b) {
        return pearson(ranks(a), ranks(b));
    }

    private static double[] ranks(double[] values) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (i, j) -> Double.compare(values[i], values[j]));
        double[] ranks = new double[values.length];
        for (int start = 0; start < order.length; ) {
            int end = start;
            while (end + 1 < order.length && values[order[end + 1]] == values[order[start]]) {
                end++;
            }
            for (int k = start; k <= end; k++) {
                ranks[order[k]] = (start + end) / 2.0; // ties share their mean rank
            }
            start = end + 1;
        }
        return ranks;
    }

    private static double pearson(double[] a, double[] b) {
        double ma = Arrays.stream(a).average().orElse(0);
        double mb = Arrays.stream(b).average().orElse(0);
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.sqrt(aa * bb);
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
