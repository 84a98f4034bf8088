package ai.hydra.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.tracker.Tracker;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Hypergradients;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.RecordingListener;
import ai.hydra.testing.TinyProblem;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Correctness bar 2 and 3: the lazy Hessian-free hypergradients equal an independent, eager,
 * step-by-step evaluation of the Hessian-free formula in plain Java, fed with per-sample gradients
 * derived by hand (tanh MLP, softmax cross-entropy) from the recorded pre-step weights.
 */
@EngineNeutral
class HessianFreeDirectTest {

    private static final int[] TRACKED = {0, 5, 31, 32, 99, 150, 199};

    @ParameterizedTest
    @CsvSource({"0.9, 1.0, false", "0.0, 0.5, true", "0.5, 2.0, false"})
    void lazyEqualsEagerDirectFormula(float momentum, float rescale, boolean cosine)
            throws Exception {
        TinyProblem problem = new TinyProblem(momentum, rescale, cosine);
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra =
                    HydraListener.builder(sgd, TinyProblem.N).optTrackedSamples(TRACKED).build();
            RecordingListener recorder = new RecordingListener();
            try (Model model = problem.train(manager, -1, 0, sgd, recorder, hydra)) {
                Hypergradients result = hydra.getHypergradients(HydraMode.HESSIAN_FREE);
                int[] rows = new int[TRACKED.length];
                java.util.Arrays.setAll(rows, k -> k);
                double[] lazy =
                        result.read(manager, rows).toType(DataType.FLOAT64, false).toDoubleArray();
                int p = lazy.length / TRACKED.length;
                double worst = 0;
                for (int k = 0; k < TRACKED.length; k++) {
                    double[] eager = eager(problem, recorder, TRACKED[k]);
                    assertEquals(p, eager.length);
                    double diff = 0;
                    double norm = 0;
                    for (int j = 0; j < p; j++) {
                        diff = Math.max(diff, Math.abs(eager[j] - lazy[k * p + j]));
                        norm = Math.max(norm, Math.abs(eager[j]));
                    }
                    worst = Math.max(worst, diff / norm);
                }
                System.out.printf(
                        "momentum %s rescale %s: worst relative error %.2e%n",
                        momentum, rescale, worst);
                assertTrue(worst < 1e-10, "lazy vs eager relative error " + worst);
                assertEquals(TinyProblem.EPOCHS * TinyProblem.STEPS_PER_EPOCH, result.steps());
            }
            hydra.close();
        }
    }

    /** d_T of one sample, step by step, in DJL's update convention. */
    private static double[] eager(TinyProblem problem, RecordingListener recorder, int sample) {
        Tracker schedule = problem.schedule();
        double p = problem.momentum;
        double lambda = TinyProblem.WEIGHT_DECAY;
        double r = problem.rescaleGrad;
        int size = recorder.weights.get(0).stream().mapToInt(a -> a.length).sum();
        double[] d = new double[size];
        double[] m = new double[size];
        for (int t = 0; t < recorder.weights.size(); t++) {
            double eta = schedule.getNewValue(t + 1);
            long[] batch = recorder.indices.get(t);
            double[] g = null;
            for (long index : batch) {
                if (index == sample) {
                    g =
                            gradient(
                                    recorder.weights.get(t),
                                    problem.trainX[sample],
                                    problem.trainY[sample]);
                }
            }
            double u = eta * r * TinyProblem.N / batch.length;
            for (int j = 0; j < size; j++) {
                m[j] = p * m[j] + eta * lambda * d[j] + (g == null ? 0 : u * g[j]);
                d[j] -= m[j];
            }
        }
        return d;
    }

    /** Gradient of -log softmax(W2 tanh(W1 x + b1) + b2)[y], flattened as W1, b1, W2, b2. */
    static double[] gradient(List<double[]> weights, double[] x, int y) {
        int h = TinyProblem.HIDDEN;
        int f = TinyProblem.FEATURES;
        int c = TinyProblem.CLASSES;
        double[] w1 = weights.get(0);
        double[] b1 = weights.get(1);
        double[] w2 = weights.get(2);
        double[] b2 = weights.get(3);
        assertEquals(h * f, w1.length);
        assertEquals(c * h, w2.length);
        double[] a = new double[h];
        for (int i = 0; i < h; i++) {
            double z = b1[i];
            for (int j = 0; j < f; j++) {
                z += w1[i * f + j] * x[j];
            }
            a[i] = Math.tanh(z);
        }
        double[] o = new double[c];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) {
            o[k] = b2[k];
            for (int i = 0; i < h; i++) {
                o[k] += w2[k * h + i] * a[i];
            }
            max = Math.max(max, o[k]);
        }
        double sum = 0;
        for (int k = 0; k < c; k++) {
            o[k] = Math.exp(o[k] - max);
            sum += o[k];
        }
        double[] dOut = new double[c];
        for (int k = 0; k < c; k++) {
            dOut[k] = o[k] / sum - (k == y ? 1 : 0);
        }
        double[] grad = new double[h * f + h + c * h + c];
        int gw2 = h * f + h;
        int gb2 = gw2 + c * h;
        double[] dA = new double[h];
        for (int k = 0; k < c; k++) {
            for (int i = 0; i < h; i++) {
                grad[gw2 + k * h + i] = dOut[k] * a[i];
                dA[i] += w2[k * h + i] * dOut[k];
            }
            grad[gb2 + k] = dOut[k];
        }
        for (int i = 0; i < h; i++) {
            double dz = dA[i] * (1 - a[i] * a[i]);
            for (int j = 0; j < f; j++) {
                grad[i * f + j] = dz * x[j];
            }
            grad[h * f + i] = dz;
        }
        return grad;
    }
}
