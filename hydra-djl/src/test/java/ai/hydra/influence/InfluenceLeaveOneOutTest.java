package ai.hydra.influence;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.hydra.testing.EngineNeutral;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.junit.jupiter.api.Test;

/**
 * The whole chain (gradients, Hessian, solve, 1/N scale, sign) against actual leave-one-out
 * retraining of a strongly convex model, where influence functions are exact to first order:
 * C_IF(i) must predict L_test(w without i) - L_test(w).
 */
@EngineNeutral
class InfluenceLeaveOneOutTest {

    private static final int N = 100;
    private static final double LAMBDA = 0.01;

    @Test
    void contributionsPredictLeaveOneOutRetraining() throws Exception {
        LogisticProblem problem = new LogisticProblem(N, 200, LAMBDA, 11);
        double[] theta = problem.train(-1);
        double base = LogisticProblem.meanLoss(theta, problem.testX, problem.testY);
        double[] actual = new double[N];
        for (int i = 0; i < N; i++) {
            // retrained without sample i by Newton to machine precision, in plain Java
            actual[i] =
                    LogisticProblem.meanLoss(problem.train(i), problem.testX, problem.testY) - base;
        }
        double[] predicted;
        try (NDManager manager = NDManager.newBaseManager()) {
            LogisticProblem.Djl djl = new LogisticProblem.Djl(manager, theta);
            try (InfluenceFunctions influence =
                    InfluenceFunctions.builder(
                                    djl.shadow,
                                    LogisticProblem.samples(
                                            manager, problem.trainX, problem.trainY))
                            .optWeightDecay(LAMBDA)
                            .build()) {
                predicted =
                        influence
                                .testLossContributions(
                                        manager,
                                        LogisticProblem.samples(
                                                manager, problem.testX, problem.testY))
                                .values();
            }
        }
        int signs = 0;
        double worst = 0;
        double largest = 0;
        for (int i = 0; i < N; i++) {
            if (Math.signum(actual[i]) == Math.signum(predicted[i])) {
                signs++;
            }
            worst = Math.max(worst, Math.abs(actual[i] - predicted[i]));
            largest = Math.max(largest, Math.abs(actual[i]));
        }
        double rho = spearman(predicted, actual);
        for (int i = 0; i < 10; i++) {
            System.out.printf("sample %2d  LOO %+.6e  C_IF %+.6e%n", i, actual[i], predicted[i]);
        }
        System.out.printf(
                "LOO vs C_IF over %d samples: Spearman %.4f, signs agree %d/%d, max abs diff %.3e"
                        + " (max |LOO| %.3e)%n",
                N, rho, signs, N, worst, largest);
        assertTrue(rho > 0.9, "Spearman " + rho);
        assertTrue(signs >= N - 2, "signs agree on only " + signs + " of " + N);
        assertTrue(worst < 0.1 * largest, "max abs difference " + worst);
    }

    /** Spearman's rank correlation, ties ranked by their average (Commons Math). */
    static double spearman(double[] a, double[] b) {
        return new SpearmansCorrelation().correlation(a, b);
    }
}
