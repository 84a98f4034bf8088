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
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * Times influence functions on LeNet-5 trained for one epoch on real Fashion-MNIST, with the LiSSA
 * preset of the HYDRA authors' comparison (damping 0.01, scale 1000): one s_test solve, then the
 * full C(i) vector over all training samples for the mean loss of a test subset. Prints VmRSS
 * during the solve (a full 5,000 x 10 run doubles as the long-run memory check).
 *
 * <p>Arguments: {@code [dataDir] [trainSize] [depth] [repeats] [testSize]}, defaults {@code
 * ../shared/data/fashion-mnist 60000 5000 10 1000}.
 */
public final class InfluenceBenchmark {

    private InfluenceBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param args see the class documentation
     * @throws Exception if data cannot be read or training fails
     */
    public static void main(String[] args) throws Exception {
        Path dir = Paths.get(args.length > 0 ? args[0] : "../shared/data/fashion-mnist");
        int trainSize = args.length > 1 ? Integer.parseInt(args[1]) : 60000;
        int depth = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        int testSize = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
        ImageData train = DatasetLoader.load(DatasetName.FASHION_MNIST, Split.TRAIN, dir);
        ImageData test = DatasetLoader.load(DatasetName.FASHION_MNIST, Split.TEST, dir);
        int[] trainRows = range(Math.min(trainSize, train.size()));
        train = train.subset(trainRows);
        test = test.subset(range(Math.min(testSize, test.size())));
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

    private static int[] range(int n) {
        int[] rows = new int[n];
        Arrays.setAll(rows, i -> i);
        return rows;
    }

    private static long rssKb() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return -1; // not Linux: no figure
        }
        return -1;
    }
}
