package ai.hydra.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.data.DatasetLoader;
import ai.hydra.data.DatasetName;
import ai.hydra.data.ImageData;
import ai.hydra.data.SampleSet;
import ai.hydra.data.Split;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.influence.InfluenceFunctions;
import ai.hydra.influence.LissaSolver;
import ai.hydra.model.LeNet5;
import ai.hydra.store.HostMemory;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Times influence functions on LeNet-5 trained for one epoch on real Fashion-MNIST, with the LiSSA
 * preset of the HYDRA authors' comparison (damping 0.01, scale 1000): one s_test solve, then the
 * full C(i) vector over all training samples for the mean loss of a test subset. Prints VmRSS
 * during the solve (a full 5,000 x 10 run doubles as the long-run memory check).
 *
 * <p>Options: {@code --data DIR --train-size N --depth D --repeats R --test-size M}, defaults
 * {@code ../shared/data/fashion-mnist 60000 5000 10 1000}; {@code --help} lists them.
 */
@Command(
        name = "InfluenceBenchmark",
        mixinStandardHelpOptions = true,
        description = "Times LiSSA influence functions on LeNet-5 / Fashion-MNIST.")
public final class InfluenceBenchmark implements Callable<Integer> {

    @Option(names = "--data", description = "Fashion-MNIST folder; default ${DEFAULT-VALUE}")
    private Path dir = Paths.get("../shared/data/fashion-mnist");

    @Option(names = "--train-size", description = "training samples; default ${DEFAULT-VALUE}")
    private int trainSize = 60000;

    @Option(names = "--depth", description = "LiSSA recursion depth; default ${DEFAULT-VALUE}")
    private int depth = 5000;

    @Option(names = "--repeats", description = "LiSSA repeats; default ${DEFAULT-VALUE}")
    private int repeats = 10;

    @Option(names = "--test-size", description = "test samples; default ${DEFAULT-VALUE}")
    private int testSize = 1000;

    @Spec private CommandSpec spec;

    /**
     * Runs the benchmark.
     *
     * @param args see the class documentation
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new InfluenceBenchmark()).execute(args));
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        for (int value : new int[] {trainSize, depth, repeats, testSize}) {
            if (value <= 0) {
                throw new ParameterException(
                        spec.commandLine(), "sizes, depth and repeats must be positive");
            }
        }
        ImageData train = DatasetLoader.load(DatasetName.FASHION_MNIST, Split.TRAIN, dir);
        ImageData test = DatasetLoader.load(DatasetName.FASHION_MNIST, Split.TEST, dir);
        train = train.first(trainSize);
        test = test.first(testSize);
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("lenet5")) {
            HydraSgd sgd = trainOneEpoch(manager, model, train);
            ShadowModel shadow = new ShadowModel(model.getBlock(), Loss.softmaxCrossEntropyLoss());
            SampleSet trainSet = train.toSampleSet(manager, DataType.FLOAT32);
            LissaSolver lissa =
                    LissaSolver.hydraPreset().optDepth(depth).optRepeats(repeats).build();
            long[] last = {System.nanoTime()};
            try (InfluenceFunctions influence =
                    InfluenceFunctions.builder(shadow, trainSet)
                            .optOptimizer(sgd)
                            .optSolver(lissa)
                            .optProgress(
                                    (stage, done, total, metric) -> {
                                        if (done % 1000 == 0 || done == total) {
                                            long now = System.nanoTime();
                                            System.out.printf(
                                                    "  %s %d/%d  metric %.3g  VmRSS %,d kB  (%.1f"
                                                            + " s)%n",
                                                    stage,
                                                    done,
                                                    total,
                                                    metric,
                                                    rssKb(),
                                                    (now - last[0]) / 1e9);
                                            last[0] = now;
                                        }
                                    })
                            .optGradientChunkSize(1000)
                            .build()) {
                SampleSet testSet = test.toSampleSet(manager, DataType.FLOAT32);
                long start = System.nanoTime();
                NDArray s =
                        influence.sTest(
                                manager, TestFunctionals.eachSample(testSet.rows(manager, 0, 1)));
                double solve = (System.nanoTime() - start) / 1e9;
                System.out.printf(
                        "one s_test solve (LiSSA depth %d x %d repeats, batch 32, FD HVP float64):"
                                + " %.1f s (%.2f ms/iteration), |s_test| %.4g%n",
                        depth,
                        repeats,
                        solve,
                        solve * 1000 / (depth * (double) repeats),
                        s.norm().getDouble());
                start = System.nanoTime();
                double[] c = influence.testLossContributions(manager, testSet).values();
                double all = (System.nanoTime() - start) / 1e9;
                System.out.printf(
                        "full C(i) vector, %d training samples, mean loss of %d test images: %.1f s"
                                + " (one solve + %d per-sample gradients)%n",
                        c.length, test.size(), all, c.length);
                double[] sorted = c.clone();
                Arrays.sort(sorted);
                System.out.printf(
                        "C(i) min %.3e median %.3e max %.3e%n",
                        sorted[0], sorted[sorted.length / 2], sorted[sorted.length - 1]);
            }
        }
        return 0;
    }

    private static HydraSgd trainOneEpoch(NDManager manager, Model model, ImageData train)
            throws Exception {
        Trainers.seed(42);
        model.setBlock(LeNet5.newBlock());
        HydraSgd sgd =
                HydraSgd.builder()
                        .setLearningRateTracker(LearningRates.constant(0.05f))
                        .optMomentum(0.9f)
                        .optWeightDecay(5e-4f)
                        .build();
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd);
        ArrayDataset data = train.toDataset(manager, DataType.FLOAT32, 64, true, 42);
        long start = System.nanoTime();
        try (Trainer trainer = Trainers.newTrainer(model, config, LeNet5.INPUT_SHAPE)) {
            EasyTrain.fit(trainer, 1, data, null);
            System.out.printf(
                    "trained LeNet-5 for 1 epoch on %d images in %.1f s, training accuracy %.3f%n",
                    train.size(),
                    (System.nanoTime() - start) / 1e9,
                    Trainers.accuracy(trainer, data));
        }
        return sgd;
    }

    /** Resident set size in kB, or -1 where it cannot be read. */
    private static long rssKb() {
        return HostMemory.resident().orElse(-1024) / 1024;
    }
}
