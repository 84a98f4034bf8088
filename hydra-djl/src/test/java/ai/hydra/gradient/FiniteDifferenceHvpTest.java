package ai.hydra.gradient;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.hydra.store.HostMemory;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.TinyProblem;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Hessian-vector products against an explicit Hessian, and flat memory over 10,000 products. */
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

    /** In its own JVM (tag memory, Surefire execution memory-tests); skipped without /proc. */
    @Test
    @Tag("memory")
    void memoryStaysFlatOverTenThousandProducts() throws Exception {
        Assumptions.assumeTrue(
                HostMemory.resident().isPresent(),
                "no /proc/self/status here: the resident set size cannot be measured");
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager();
                Model model = problem.train(manager, -1, 0, problem.optimizer())) {
            ShadowModel shadow =
                    new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
            NDArray w = shadow.space().values(manager, DataType.FLOAT64);
            NDList inputs = new NDList(manager.create(problem.trainX));
            NDList labels =
                    new NDList(
                            manager.create(problem.trainY).toType(DataType.FLOAT64, false),
                            manager.ones(new Shape(TinyProblem.N), DataType.FLOAT64));
            FiniteDifferenceHvp hvp = new FiniteDifferenceHvp(shadow);
            NDArray v =
                    manager.randomNormal(new Shape(10, shadow.space().size()))
                            .toType(DataType.FLOAT64, false);
            long warm = 0;
            for (int round = 0; round < 1000; round++) { // 1000 rounds x 10 vectors
                try (NDManager scope = manager.newSubManager()) {
                    scope.tempAttachAll(v);
                    hvp.multiply(w, inputs, labels, v).close();
                }
                if (round == 500) {
                    // the JVM heap grows to its working size in the first rounds; a native leak
                    // (double backward leaks ~1.25 MB per product) grows linearly after that
                    System.gc();
                    warm = rssKb();
                }
            }
            System.gc();
            long end = rssKb();
            System.out.printf(
                    "RSS after 5,000 products %d MB, after 10,000 %d MB%n",
                    warm / 1024, end / 1024);
            assertTrue(end - warm < 25 * 1024, "RSS grew by " + (end - warm) / 1024 + " MB");
        }
    }

    private static long rssKb() {
        return HostMemory.resident().orElseThrow() / 1024;
    }
}
