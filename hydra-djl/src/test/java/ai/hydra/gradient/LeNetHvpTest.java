package ai.hydra.gradient;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.hydra.testing.LeNetProblem;
import ai.hydra.testing.PyTorchOnly;
import ai.hydra.testing.TinyProblem;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hessian-vector products on LeNet-5 (ReLU, max pooling) at trained float64 weights against
 * PyTorch's double backward, including units placed next to their kinks. PyTorch only: the oracle
 * goes through PyTorch's JNI (on MXNet the same products are checked against retraining, {@code
 * RetrainingGroundTruthTest}).
 */
@PyTorchOnly
class LeNetHvpTest {

    private static final Loss LOSS = new TinyProblem.WeightedSoftmaxLoss();
    private static final int DIRECTIONS = 6;
    private static final int LINEAR_120 = 7; // position of the 120-unit dense layer in LeNet-5

    private static NDManager manager;
    private static Model model;
    private static LeNetProblem problem;
    private static ShadowModel shadow;
    private static DoubleBackwardHvp oracle;

    @BeforeAll
    static void train() throws Exception {
        manager = NDManager.newBaseManager();
        problem = new LeNetProblem(0.05);
        model = problem.train(manager, -1, 0, problem.optimizer());
        shadow = new ShadowModel(model.getBlock(), LOSS);
        oracle = new DoubleBackwardHvp(model.getBlock(), LOSS);
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    /**
     * Every product at trained weights equals double backward; across steps the products differ
     * only by float64 rounding, which grows like 1/step (about 1e-14/step relative here).
     */
    @Test
    void productsEqualDoubleBackwardAtEveryStep() {
        assertTrue(shadow.mirror().freezesEveryKink(), shadow.mirror().unfrozenBlocks().toString());
        Random random = new Random(11);
        double[] steps = {1e-5, 1e-6, 1e-7, 1e-8, 1e-9};
        double[] worst = new double[steps.length];
        try (NDManager scope = manager.newSubManager()) {
            NDArray w = shadow.space().values(scope, DataType.FLOAT64);
            NDArray x = problem.trainInputs(scope);
            NDList y = problem.trainLabels(scope);
            for (int batch = 0; batch < LeNetProblem.N / LeNetProblem.BATCH; batch++) {
                NDIndex rows =
                        new NDIndex(
                                "{}:{}",
                                batch * LeNetProblem.BATCH,
                                (batch + 1) * LeNetProblem.BATCH);
                NDList inputs = new NDList(x.get(rows));
                NDList labels = NDLists.get(y, rows);
                NDArray v = randomDirections(scope, random, DIRECTIONS);
                double[] expected = oracle.multiply(w, inputs, labels, v).toDoubleArray();
                for (int s = 0; s < steps.length; s++) {
                    double[] got =
                            new FiniteDifferenceHvp(shadow, steps[s])
                                    .multiply(w, inputs, labels, v)
                                    .toDoubleArray();
                    worst[s] = Math.max(worst[s], worstRowError(got, expected));
                }
            }
        }
        for (int s = 0; s < steps.length; s++) {
            System.out.printf(
                    "LeNet-5 H v vs double backward, step %.0e: worst relative error %.2e%n",
                    steps[s], worst[s]);
            assertTrue(
                    worst[s] < Math.max(1e-8, 5e-14 / steps[s]),
                    "step " + steps[s] + ": relative error " + worst[s]);
        }
        assertTrue(worst[0] < 1e-8, "default step: relative error " + worst[0]);
    }

    /**
     * The mechanism: a unit of the 120-wide dense layer within 1e-6 of its ReLU kink at
     * {@code w}, in directions that move it across. Unfrozen differences jump; frozen ones do not.
     */
    @Test
    void unitNextToItsReluKinkIsExact() {
        for (double z : new double[] {-7e-7, 5e-8, -1e-9}) {
            try (NDManager scope = manager.newSubManager()) {
                NDList inputs = new NDList(problem.trainInputs(scope).get("0:16"));
                NDList labels = NDLists.get(problem.trainLabels(scope), new NDIndex("0:16"));
                NDArray w = shadow.space().values(scope, DataType.FLOAT64);
                // move unit u's bias so that sample 0 sits at z; direction: mostly that bias
                int u = 17;
                double[] pre = activations(scope, inputs.head(), LINEAR_120).toDoubleArray();
                long bias = coordinate(LINEAR_120, "bias", u);
                double[] flat = w.toDoubleArray();
                flat[(int) bias] += z - pre[u];
                NDArray point = scope.create(flat);
                double[][] v = randomDirections(new Random(3), DIRECTIONS);
                for (int k = 0; k < DIRECTIONS; k++) {
                    scale(v[k], 0.5 / norm(v[k]));
                    v[k][(int) bias] += k % 2 == 0 ? 1 : -1;
                }
                check("ReLU unit at z = " + z, point, inputs, labels, scope.create(v));
            }
        }
    }

    /**
     * A max-pooling window of the first pooling layer whose two largest inputs differ by 1e-10 at
     * {@code w} (an input pixel seen only by one of them is moved to place it), in directions on
     * that channel's kernel, which swap them within the step.
     */
    @Test
    void maxPoolNearTieIsExact() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray images = problem.trainInputs(scope).get("0:16");
            double[] x = images.toDoubleArray();
            NDArray w = shadow.space().values(scope, DataType.FLOAT64);
            double[] conv = activations(scope, images, 0).toDoubleArray(); // (16,6,28,28)
            double[] kernel =
                    parameter(0, "weight")
                            .getArray()
                            .toType(DataType.FLOAT64, false)
                            .toDoubleArray(); // (6,1,5,5)
            int[] tie = placeNearTie(x, conv, kernel, 1e-10);
            int channel = tie[0];
            NDList inputs = new NDList(scope.create(x, images.getShape()));
            NDList labels = NDLists.get(problem.trainLabels(scope), new NDIndex("0:16"));
            long first = coordinate(0, "weight", channel * 25);
            double[][] v = randomDirections(new Random(5), DIRECTIONS);
            Random random = new Random(6);
            for (double[] row : v) {
                scale(row, 0.1 / norm(row));
                for (int j = 0; j < 25; j++) {
                    row[(int) first + j] += random.nextGaussian();
                }
            }
            check("max-pool near-tie", w, inputs, labels, scope.create(v));
        }
    }

    /** Frozen products equal double backward; the unfrozen ones of the old method do not. */
    private static void check(
            String name, NDArray w, NDList inputs, NDList labels, NDArray directions) {
        double[] expected = oracle.multiply(w, inputs, labels, directions).toDoubleArray();
        double[] frozen =
                new FiniteDifferenceHvp(shadow)
                        .multiply(w, inputs, labels, directions)
                        .toDoubleArray();
        double[] unfrozen = unfrozenProducts(shadow, w, inputs, labels, directions);
        double frozenError = worstRowError(frozen, expected);
        double unfrozenError = worstRowError(unfrozen, expected);
        System.out.printf(
                "%s: frozen relative error %.2e, unfrozen %.2e%n",
                name, frozenError, unfrozenError);
        assertTrue(frozenError < 1e-8, name + ": relative error " + frozenError);
        assertTrue(unfrozenError > 1e-3, name + ": the case must cross a kink, " + unfrozenError);
    }

    /** Central differences without a frozen pattern: what FiniteDifferenceHvp did before. */
    static double[] unfrozenProducts(
            ShadowModel model, NDArray w, NDList inputs, NDList labels, NDArray directions) {
        int rows = Math.toIntExact(directions.getShape().get(0));
        int size = Math.toIntExact(model.space().size());
        double[] out = new double[rows * size];
        for (int k = 0; k < rows; k++) {
            NDArray v = directions.get(k);
            double alpha = FiniteDifferenceHvp.DEFAULT_STEP / v.norm().getDouble();
            NDArray plus = model.gradientAt(w, v, alpha, inputs, labels);
            NDArray minus = model.gradientAt(w, v, -alpha, inputs, labels);
            double[] product = plus.sub(minus).div(2 * alpha).toDoubleArray();
            System.arraycopy(product, 0, out, k * size, size);
        }
        return out;
    }

    /**
     * Moves one input pixel so that in some 2x2 pooling window of the first convolution's output
     * the largest element p1 (positive) and another p2 differ by {@code gap}; the pixel is seen by
     * p2's 5x5 patch but by no other element of the window.
     *
     * @return {channel}
     */
    private static int[] placeNearTie(double[] x, double[] conv, double[] kernel, double gap) {
        for (int n = 0; n < 16; n++) {
            for (int c = 0; c < 6; c++) {
                for (int wi = 0; wi < 14; wi++) {
                    for (int wj = 0; wj < 14; wj++) {
                        for (int di = 0; di < 2; di++) {
                            int i2 = 2 * wi + di;
                            int j2 = 2 * wj + 1;
                            int qi = di == 1 ? i2 + 2 : i2 - 2;
                            int qj = j2 + 2;
                            int r = qi - i2 + 2;
                            double weight = kernel[c * 25 + r * 5 + 4];
                            if (qi < 0 || qi > 27 || qj > 27 || Math.abs(weight) < 0.1) {
                                continue;
                            }
                            double best = Double.NEGATIVE_INFINITY;
                            for (int a = 0; a < 2; a++) {
                                for (int b = 0; b < 2; b++) {
                                    if (2 * wi + a != i2 || 2 * wj + b != j2) {
                                        best =
                                                Math.max(
                                                        best,
                                                        conv[index(n, c, 2 * wi + a, 2 * wj + b)]);
                                    }
                                }
                            }
                            double delta = (best + gap - conv[index(n, c, i2, j2)]) / weight;
                            if (best > 0.1 && Math.abs(delta) < 0.5) {
                                x[n * 784 + qi * 28 + qj] += delta;
                                return new int[] {c};
                            }
                        }
                    }
                }
            }
        }
        throw new AssertionError("no pooling window to place a near-tie in");
    }

    private static int index(int n, int c, int i, int j) {
        return ((n * 6 + c) * 28 + i) * 28 + j;
    }

    /** The output of LeNet-5's layers 0..last on images, with the model's own weights. */
    private static NDArray activations(NDManager scope, NDArray images, int last) {
        List<Block> layers = model.getBlock().getChildren().values();
        NDList current = new NDList(images);
        ParameterStore store = new ParameterStore(scope, false);
        for (int i = 0; i <= last; i++) {
            current = layers.get(i).forward(store, current, false);
        }
        return current.singletonOrThrow();
    }

    private static Parameter parameter(int layer, String name) {
        Block block = model.getBlock().getChildren().values().get(layer);
        return block.getParameters().get(name);
    }

    /** The flat coordinate of element {@code element} of a layer's parameter. */
    private static long coordinate(int layer, String name, int element) {
        Parameter target = parameter(layer, name);
        List<Parameter> trainable = shadow.space().trainable();
        for (int i = 0; i < trainable.size(); i++) {
            if (trainable.get(i) == target) {
                return shadow.space().offset(i) + element;
            }
        }
        throw new AssertionError("no parameter " + name + " in layer " + layer);
    }

    private static NDArray randomDirections(NDManager scope, Random random, int rows) {
        return scope.create(randomDirections(random, rows));
    }

    private static double[][] randomDirections(Random random, int rows) {
        double[][] v = new double[rows][Math.toIntExact(shadow.space().size())];
        for (double[] row : v) {
            for (int j = 0; j < row.length; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return v;
    }

    private static double norm(double[] v) {
        double sum = 0;
        for (double value : v) {
            sum += value * value;
        }
        return Math.sqrt(sum);
    }

    private static void scale(double[] v, double factor) {
        for (int j = 0; j < v.length; j++) {
            v[j] *= factor;
        }
    }

    private static double worstRowError(double[] got, double[] expected) {
        int rows = Math.toIntExact(got.length / shadow.space().size());
        return DoubleBackwardHvp.worstRowError(got, expected, rows);
    }
}
