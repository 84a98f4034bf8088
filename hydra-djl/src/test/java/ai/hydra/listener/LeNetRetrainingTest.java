package ai.hydra.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.hydra.analysis.ContributionAnalysis;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.testing.LeNetProblem;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Hessian-aware mode on the paper's model (LeNet-5: ReLU, max pooling) with default settings
 * against central differences of whole float64 retrainings. On ReLU networks the retrained loss
 * jumps where an activation pattern changes with eps, so the ground truth needs a tiny h: h =
 * 1e-6/N (at 1e-3/N or 1e-4/N the jumps dominate; 1e-5/N to 1e-7/N agree to about 1e-8).
 */
class LeNetRetrainingTest {

    private static final int[] TRACKED = {0, 5, 11, 17, 23, 30, 38, 46, 53, 61, 77, 90};
    private static final double H = 1e-6 / LeNetProblem.N;

    @ParameterizedTest(name = "initial bias std {0}")
    @ValueSource(doubles = {0.0, 0.05})
    void hessianAwareMatchesRetraining(double biasStd) throws Exception {
        LeNetProblem problem = new LeNetProblem(biasStd);
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra =
                    HydraListener.builder(sgd, LeNetProblem.N)
                            .optTrackedSamples(TRACKED)
                            .optMode(HydraMode.BOTH)
                            .build();
            Model model = problem.train(manager, -1, 0, sgd, hydra);
            double[] aware = derivatives(hydra, HydraMode.HESSIAN_AWARE, problem, manager);
            double[] free = derivatives(hydra, HydraMode.HESSIAN_FREE, problem, manager);
            double worst = 0;
            for (int k = 0; k < TRACKED.length; k++) {
                double plus = retrainedLoss(problem, manager, TRACKED[k], H);
                double minus = retrainedLoss(problem, manager, TRACKED[k], -H);
                double truth = (plus - minus) / (2 * H);
                double error = Math.abs(aware[k] - truth) / Math.abs(truth);
                worst = Math.max(worst, error);
                System.out.printf(
                        "bias std %.2f sample %2d  retrain %+.10e  aware %+.10e (rel %.2e)"
                                + "  free %+.6e (aware/free %.2f)%n",
                        biasStd, TRACKED[k], truth, aware[k], error, free[k], aware[k] / free[k]);
                assertTrue(error < 1e-5, "sample " + TRACKED[k] + " relative error " + error);
            }
            System.out.printf("bias std %.2f: worst relative error %.3e%n", biasStd, worst);
            model.close();
            hydra.close();
        }
    }

    /** dL_test/deps_i = -N C(i). */
    private static double[] derivatives(
            HydraListener hydra, HydraMode mode, LeNetProblem problem, NDManager manager)
            throws Exception {
        Hypergradients d = hydra.getHypergradients(mode);
        assertEquals(TRACKED.length, d.size());
        double[] c =
                new ContributionAnalysis(d)
                        .testLossContributions(manager, problem.testSet(manager));
        for (int k = 0; k < c.length; k++) {
            c[k] *= -LeNetProblem.N;
        }
        return c;
    }

    private static double retrainedLoss(
            LeNetProblem problem, NDManager manager, int sample, double eps) throws Exception {
        try (NDManager scope = manager.newSubManager();
                Model model = problem.train(scope, sample, eps, problem.optimizer())) {
            return problem.testLoss(model, scope);
        }
    }
}
