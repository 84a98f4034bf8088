package ai.hydra.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.data.SampleSet;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Hypergradients;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.TinyProblem;
import org.junit.jupiter.api.Test;

/**
 * Correctness bar 1: HYDRA's dL_test/deps_i against central differences of whole float64
 * retrainings in which sample i's loss weight is 1/N +/- h; the same retrainings check the
 * self-attribution dl_i/deps_i (sample i's own loss at the final weights).
 */
@EngineNeutral
class RetrainingGroundTruthTest {

    private static final int[] TRACKED = {0, 7, 14, 21, 3, 50, 77, 101, 150, 199, 63, 120};
    private static final double H = 1e-6; // N*h = 2e-4: truncation ~ (N h)^2, rounding ~ 1e-16/h

    @Test
    void hessianAwareMatchesRetraining() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra =
                    HydraListener.builder(sgd, TinyProblem.N)
                            .optTrackedSamples(TRACKED)
                            .optMode(HydraMode.BOTH)
                            .build();
            Model model = problem.train(manager, -1, 0, sgd, hydra);
            double[] aware = derivatives(hydra, HydraMode.HESSIAN_AWARE, problem, manager);
            double[] free = derivatives(hydra, HydraMode.HESSIAN_FREE, problem, manager);
            double[] awareSelf = selfDerivatives(hydra, problem, manager);
            int helpful = 0;
            int harmful = 0;
            double worst = 0;
            double worstSelf = 0;
            for (int k = 0; k < TRACKED.length; k++) {
                double[] plus = retrainedLosses(problem, manager, TRACKED[k], H);
                double[] minus = retrainedLosses(problem, manager, TRACKED[k], -H);
                double truth = (plus[0] - minus[0]) / (2 * H);
                double error = Math.abs(aware[k] - truth) / Math.abs(truth);
                worst = Math.max(worst, error);
                System.out.printf(
                        "sample %3d  retrain %+.10e  aware %+.10e (rel %.2e)  free %+.10e%n",
                        TRACKED[k], truth, aware[k], error, free[k]);
                assertTrue(error < 1e-5, "sample " + TRACKED[k] + " relative error " + error);
                double selfTruth = (plus[1] - minus[1]) / (2 * H);
                double selfError = Math.abs(awareSelf[k] - selfTruth) / Math.abs(selfTruth);
                worstSelf = Math.max(worstSelf, selfError);
                assertTrue(
                        selfError < 1e-5,
                        "sample " + TRACKED[k] + " self-attribution relative error " + selfError);
                if (truth < 0) {
                    helpful++; // up-weighting lowers the test loss
                } else {
                    harmful++;
                }
            }
            System.out.printf(
                    "worst relative error %.3e, of the self-attribution %.3e%n", worst, worstSelf);
            assertTrue(
                    helpful > 0 && harmful > 0,
                    "the tracked set must hold helpful and harmful samples");
            model.close();
            hydra.close();
        }
    }

    /** dL_test/deps_i = -N C(i). */
    private static double[] derivatives(
            HydraListener hydra, HydraMode mode, TinyProblem problem, NDManager manager)
            throws Exception {
        Hypergradients d = hydra.getHypergradients(mode);
        assertEquals(TRACKED.length, d.size());
        double[] c =
                HydraAttributor.builder(d)
                        .build()
                        .testLossContributions(manager, problem.testSamples(manager))
                        .values();
        for (int k = 0; k < c.length; k++) {
            c[k] *= -TinyProblem.N;
        }
        return c;
    }

    /** dl_i(w_T)/deps_i = -N C(i, i), Hessian-aware. */
    private static double[] selfDerivatives(
            HydraListener hydra, TinyProblem problem, NDManager manager) {
        Attributor aware =
                HydraAttributor.builder(hydra.getHypergradients(HydraMode.HESSIAN_AWARE)).build();
        SampleSet tracked = problem.trainSamples(manager).select(manager, TRACKED);
        Contributions self = aware.selfAttribution(manager, tracked);
        assertArrayEquals(TRACKED, self.trainIndices());
        double[] c = self.values();
        for (int k = 0; k < c.length; k++) {
            c[k] *= -TinyProblem.N;
        }
        return c;
    }

    /** {mean test loss, sample's own loss} after a retraining with the sample's weight moved. */
    private static double[] retrainedLosses(
            TinyProblem problem, NDManager manager, int sample, double eps) throws Exception {
        try (NDManager scope = manager.newSubManager();
                Model model = problem.train(scope, sample, eps, problem.optimizer())) {
            return new double[] {
                problem.testLoss(model, scope), problem.trainLoss(model, scope, sample)
            };
        }
    }
}
