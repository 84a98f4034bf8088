package ai.hydra.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.hydra.model.DenseNetBc;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.FlatMemory;
import ai.hydra.testing.PyTorchOnly;
import ai.hydra.testing.TinyProblem;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Hessian-vector products against an explicit Hessian and double backward (with batch
 * normalization), and flat memory over thousands of products (LeNet-5: {@link LeNetHvpTest}).
 */
class FiniteDifferenceHvpTest {

    private static final int D = 4;
    private static final int C = 3;
    private static final int B = 6;

    /**
     * Softmax regression: the Hessian of the mean cross-entropy has the closed form
     * H[(c,d),(c',d')] = mean_k S_k[c][c'] x_k[d] x_k[d'] with S = diag(p) - p p^T (x_k[D] = 1 for
     * the bias), independent of any autograd.
     */
    @Test
    @EngineNeutral
    void matchesClosedFormHessianOfSoftmaxRegression() {
        Random random = new Random(3);
        double[][] x = new double[B][D];
        int[] y = new int[B];
        for (int k = 0; k < B; k++) {
            for (int d = 0; d < D; d++) {
                x[k][d] = random.nextGaussian();
            }
            y[k] = random.nextInt(C);
        }
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("softmax")) {
            model.setDataType(DataType.FLOAT64);
            model.setBlock(Linear.builder().setUnits(C).build());
            model.getBlock().initialize(manager, DataType.FLOAT64, new Shape(1, D));
            model.getBlock()
                    .getParameters()
                    .forEach(
                            p ->
                                    p.getValue()
                                            .getArray()
                                            .set(
                                                    manager.randomNormal(
                                                                    p.getValue()
                                                                            .getArray()
                                                                            .getShape())
                                                            .toType(DataType.FLOAT64, false)
                                                            .toDoubleArray()));
            ShadowModel shadow = new ShadowModel(model.getBlock(), Loss.softmaxCrossEntropyLoss());
            NDArray w = shadow.space().values(manager, DataType.FLOAT64);
            NDList inputs = new NDList(manager.create(x));
            NDList labels = new NDList(manager.create(y).toType(DataType.FLOAT64, false));
            double[][] hessian = closedForm(model, manager, x);
            int p = hessian.length;
            double[][] v = new double[3][p];
            for (double[] row : v) {
                for (int j = 0; j < p; j++) {
                    row[j] = random.nextGaussian();
                }
            }
            NDArray products =
                    new FiniteDifferenceHvp(shadow).multiply(w, inputs, labels, manager.create(v));
            double[] got = products.toDoubleArray();
            double worst = 0;
            for (int r = 0; r < v.length; r++) {
                double diff = 0;
                double norm = 0;
                for (int i = 0; i < p; i++) {
                    double expected = 0;
                    for (int j = 0; j < p; j++) {
                        expected += hessian[i][j] * v[r][j];
                    }
                    diff += Math.pow(expected - got[r * p + i], 2);
                    norm += expected * expected;
                }
                worst = Math.max(worst, Math.sqrt(diff / norm));
            }
            System.out.printf("finite-difference HVP vs closed form: relative error %.2e%n", worst);
            assertTrue(worst < 1e-8, "relative error " + worst);
        }
    }

    private static double[][] closedForm(Model model, NDManager manager, double[][] x) {
        NDArray logits =
                model.getBlock()
                        .forward(
                                new ParameterStore(manager, false),
                                new NDList(manager.create(x)),
                                false)
                        .singletonOrThrow();
        double[] probabilities = logits.softmax(1).toDoubleArray();
        int p = C * D + C;
        double[][] h = new double[p][p];
        for (int k = 0; k < B; k++) {
            double[] xk = new double[D + 1];
            System.arraycopy(x[k], 0, xk, 0, D);
            xk[D] = 1;
            for (int c = 0; c < C; c++) {
                for (int c2 = 0; c2 < C; c2++) {
                    double pc = probabilities[k * C + c];
                    double s = (c == c2 ? pc : 0) - pc * probabilities[k * C + c2];
                    for (int d = 0; d <= D; d++) {
                        for (int d2 = 0; d2 <= D; d2++) {
                            h[index(c, d)][index(c2, d2)] += s * xk[d] * xk[d2] / B;
                        }
                    }
                }
            }
        }
        return h;
    }

    /** Layout of DJL's Linear: weight (C x D) row-major, then bias (C). */
    private static int index(int c, int d) {
        return d == D ? C * D + c : c * D + d;
    }

    /**
     * DenseNet-BC (batch normalization, ReLU, average pooling, concatenating DenseLayers) against
     * double backward, in training mode (batch statistics) and prediction mode (running statistics,
     * influence functions); the model's running statistics stay untouched.
     */
    @Test
    @PyTorchOnly
    void denseNetMatchesDoubleBackwardAndKeepsRunningStatistics() {
        Block block = DenseNetBc.builder().optDepth(10).optGrowthRate(3).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, DataType.FLOAT64, new Shape(6, 3, 8, 8));
            Loss loss = Loss.softmaxCrossEntropyLoss();
            ShadowModel shadow = new ShadowModel(block, loss);
            assertTrue(shadow.mirror().freezesEveryKink(), shadow.mirror().unfrozenBlocks() + "");
            NDArray w = shadow.space().values(manager, DataType.FLOAT64);
            Random random = new Random(8);
            NDList inputs =
                    new NDList(
                            manager.randomNormal(new Shape(6, 3, 8, 8))
                                    .toType(DataType.FLOAT64, false));
            double[] classes = new double[6];
            for (int k = 0; k < classes.length; k++) {
                classes[k] = random.nextInt(10);
            }
            NDList labels = new NDList(manager.create(classes));
            double[][] v = new double[4][Math.toIntExact(shadow.space().size())];
            for (double[] row : v) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = random.nextGaussian();
                }
            }
            NDArray vectors = manager.create(v);
            List<double[]> statistics = ShadowModelTest.runningStatistics(block);
            for (boolean training : new boolean[] {true, false}) {
                double[] expected =
                        new DoubleBackwardHvp(block, loss, training)
                                .multiply(w, inputs, labels, vectors)
                                .toDoubleArray();
                double[] got =
                        new FiniteDifferenceHvp(shadow, FiniteDifferenceHvp.DEFAULT_STEP, training)
                                .multiply(w, inputs, labels, vectors)
                                .toDoubleArray();
                double worst = DoubleBackwardHvp.worstRowError(got, expected, v.length);
                System.out.printf(
                        "DenseNet-BC H v vs double backward, training %s: relative error %.2e%n",
                        training, worst);
                assertTrue(worst < 1e-8, "training " + training + ": relative error " + worst);
            }
            List<double[]> after = ShadowModelTest.runningStatistics(block);
            for (int i = 0; i < statistics.size(); i++) {
                assertArrayEquals(statistics.get(i), after.get(i), "running statistics changed");
            }
        }
    }

    /**
     * A kink the mirror cannot freeze (a ReLU in an anonymous lambda) 3e-7 from a unit at {@code
     * w}: the difference at the default step crosses it, the check sees the step-halved difference
     * disagree and refines until it no longer crosses.
     */
    @Test
    @PyTorchOnly
    void crossingOfAnUnknownKinkIsDetectedAndRefined() {
        Block block =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(6).build())
                        .add(x -> new NDList(Activation.relu(x.head()))) // unknown to the mirror
                        .add(Linear.builder().setUnits(3).build());
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, DataType.FLOAT64, new Shape(5, 4));
            Loss loss = Loss.softmaxCrossEntropyLoss();
            ShadowModel shadow = new ShadowModel(block, loss);
            assertFalse(shadow.mirror().freezesEveryKink());
            Random random = new Random(4);
            double[][] x = new double[5][4];
            for (double[] row : x) {
                for (int d = 0; d < 4; d++) {
                    row[d] = random.nextGaussian();
                }
            }
            NDList inputs = new NDList(manager.create(x));
            NDList labels = new NDList(manager.create(new double[] {0, 1, 2, 1, 0}));
            // weight (6x4) then bias (6): put unit 2 of sample 0 at z = -3e-7
            double[] w = shadow.space().values(manager, DataType.FLOAT64).toDoubleArray();
            double z = w[24 + 2];
            for (int d = 0; d < 4; d++) {
                z += w[2 * 4 + d] * x[0][d];
            }
            w[24 + 2] += -3e-7 - z;
            NDArray point = manager.create(w);
            double[][] v = new double[2][w.length];
            for (double[] row : v) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = 0.1 * random.nextGaussian();
                }
            }
            v[0][24 + 2] = 1;
            v[1][24 + 2] = -1;
            NDArray vectors = manager.create(v);
            double[] expected =
                    new DoubleBackwardHvp(block, loss)
                            .multiply(point, inputs, labels, vectors)
                            .toDoubleArray();
            double[] got =
                    new FiniteDifferenceHvp(shadow)
                            .multiply(point, inputs, labels, vectors)
                            .toDoubleArray();
            double[] unchecked =
                    LeNetHvpTest.unfrozenProducts(shadow, point, inputs, labels, vectors);
            double error = DoubleBackwardHvp.worstRowError(got, expected, v.length);
            double uncheckedError = DoubleBackwardHvp.worstRowError(unchecked, expected, v.length);
            System.out.printf(
                    "unknown kink 3e-7 away: checked relative error %.2e, unchecked %.2e%n",
                    error, uncheckedError);
            assertTrue(error < 1e-7, "relative error " + error);
            assertTrue(uncheckedError > 1e-2, "the case must cross the kink: " + uncheckedError);
        }
    }

    /**
     * Frozen patterns (ReLU masks, max-pool selections) are recorded and freed on every call:
     * thousands of products on a small convolutional network keep the resident memory flat. In its
     * own JVM (tag memory, Surefire execution memory-tests); skipped without /proc.
     */
    @Test
    @Tag("memory")
    void memoryStaysFlatWithFrozenPatterns() throws Exception {
        Block block =
                new SequentialBlock()
                        .add(Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(4).build())
                        .add(Activation.reluBlock())
                        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                        .add(Blocks.batchFlattenBlock())
                        .add(Linear.builder().setUnits(3).build());
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, DataType.FLOAT64, new Shape(8, 1, 8, 8));
            ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
            assertTrue(shadow.mirror().freezesEveryKink());
            NDList inputs =
                    new NDList(
                            manager.randomNormal(new Shape(8, 1, 8, 8))
                                    .toType(DataType.FLOAT64, false));
            NDList labels = new NDList(manager.create(new double[] {0, 1, 2, 0, 1, 2, 0, 1}));
            assertFlatMemory("frozen-pattern products", manager, shadow, inputs, labels, 400);
        }
    }

    /** In its own JVM (tag memory, Surefire execution memory-tests); skipped without /proc. */
    @Test
    @Tag("memory")
    void memoryStaysFlatOverThousandsOfProducts() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager();
                Model model = problem.train(manager, -1, 0, problem.optimizer())) {
            ShadowModel shadow =
                    new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
            NDList inputs = new NDList(manager.create(problem.trainX));
            NDList labels =
                    new NDList(
                            manager.create(problem.trainY).toType(DataType.FLOAT64, false),
                            manager.ones(new Shape(TinyProblem.N), DataType.FLOAT64));
            assertFlatMemory("tiny MLP products", manager, shadow, inputs, labels, 600);
        }
    }

    /**
     * Runs {@code calls} products of 10 vectors each (a native leak, such as double backward's
     * ~1.25 MB per product, grows the resident size linearly).
     */
    private static void assertFlatMemory(
            String name,
            NDManager manager,
            ShadowModel shadow,
            NDList inputs,
            NDList labels,
            int calls) {
        NDArray w = shadow.space().values(manager, DataType.FLOAT64);
        FiniteDifferenceHvp hvp = new FiniteDifferenceHvp(shadow);
        NDArray v =
                manager.randomNormal(new Shape(10, shadow.space().size()))
                        .toType(DataType.FLOAT64, false);
        FlatMemory.assertFlat(
                name + " (10 products per call)",
                calls,
                25,
                call -> {
                    try (NDManager scope = manager.newSubManager()) {
                        scope.tempAttachAll(v);
                        hvp.multiply(w, inputs, labels, v).close();
                    }
                });
    }
}
