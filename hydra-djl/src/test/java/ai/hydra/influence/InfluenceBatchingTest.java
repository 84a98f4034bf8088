package ai.hydra.influence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.data.SampleSet;
import org.junit.jupiter.api.Test;

/**
 * Contribution matrices are the same whether test samples are solved one at a time or together, and
 * equal the closed form (1/N) g_test^T H^-1 g_i.
 */
class InfluenceBatchingTest {

    private static final double LAMBDA = 0.02;
    private static final int[] TRACKED = {0, 1, 9, 18, 25, 33, 47, 59};
    private static final int TESTS = 6;

    @Test
    void batchedEqualsOneAtATimeAndClosedForm() {
        LogisticProblem problem = new LogisticProblem(60, 20, LAMBDA, 5);
        double[] theta = problem.train(-1);
        double[][] truth = closedFormMatrix(problem, theta);
        try (NDManager manager = NDManager.newBaseManager()) {
            LogisticProblem.Djl djl = new LogisticProblem.Djl(manager, theta);
            NDList testX = LogisticProblem.inputs(manager, problem.testX);
            NDList testY = LogisticProblem.labels(manager, problem.testY);
            InverseHvpSolver cg = ConjugateGradientSolver.builder().build();
            InverseHvpSolver lissa =
                    LissaSolver.builder().optScale(3).optDepth(200).optBatchSize(8).build();
            for (InverseHvpSolver solver : new InverseHvpSolver[] {cg, lissa}) {
                try (InfluenceFunctions influence =
                        InfluenceFunctions.builder(
                                        djl.shadow,
                                        LogisticProblem.samples(
                                                manager, problem.trainX, problem.trainY))
                                .optWeightDecay(LAMBDA)
                                .optSolver(solver)
                                .optTrackedSamples(TRACKED)
                                .optGradientChunkSize(3) // several chunks
                                .build()) {
                    int[] ids = {100, 101, 102, 103, 104, 105};
                    ContributionMatrix batched =
                            influence.contributionMatrix(
                                    manager,
                                    SampleSet.of(first(testX, TESTS), first(testY, TESTS), ids));
                    assertEquals(TRACKED.length, batched.rows());
                    assertEquals(105, batched.testIndices()[5]);
                    double worstSingle = 0;
                    double worstTruth = 0;
                    double largest = 0;
                    for (int j = 0; j < TESTS; j++) {
                        ContributionMatrix single =
                                influence.contributionMatrix(
                                        manager,
                                        SampleSet.of(
                                                rows(testX, j), rows(testY, j), new int[] {j}));
                        for (int i = 0; i < TRACKED.length; i++) {
                            worstSingle =
                                    Math.max(
                                            worstSingle,
                                            Math.abs(single.get(i, 0) - batched.get(i, j)));
                            worstTruth =
                                    Math.max(worstTruth, Math.abs(truth[i][j] - batched.get(i, j)));
                            largest = Math.max(largest, Math.abs(truth[i][j]));
                        }
                    }
                    System.out.printf(
                            "%s: batched vs one-at-a-time max abs diff %.3e, vs closed form %.3e"
                                    + " (max |C| %.3e)%n",
                            solver.getClass().getSimpleName(), worstSingle, worstTruth, largest);
                    assertTrue(worstSingle < 1e-9 * largest, "batched vs single " + worstSingle);
                    if (solver == cg) {
                        // a short minibatch LiSSA is not converged; its accuracy is tested
                        // elsewhere
                        assertTrue(worstTruth < 1e-7 * largest, "vs closed form " + worstTruth);
                    }
                }
            }
        }
    }

    /** Self-influence C(i, i) = (1/N) g_i^T H^-1 g_i against the closed form, in chunks. */
    @Test
    void selfInfluenceEqualsClosedForm() {
        LogisticProblem problem = new LogisticProblem(60, 20, LAMBDA, 5);
        double[] theta = problem.train(-1);
        double[][] h = problem.hessian(theta, -1);
        try (NDManager manager = NDManager.newBaseManager()) {
            LogisticProblem.Djl djl = new LogisticProblem.Djl(manager, theta);
            SampleSet train = LogisticProblem.samples(manager, problem.trainX, problem.trainY);
            try (InfluenceFunctions influence =
                    InfluenceFunctions.builder(djl.shadow, train)
                            .optWeightDecay(LAMBDA)
                            .optGradientChunkSize(3) // several solves
                            .build()) {
                Contributions self =
                        influence.selfAttribution(manager, train.select(manager, TRACKED));
                assertArrayEquals(TRACKED, self.trainIndices());
                double worst = 0;
                double largest = 0;
                for (int i = 0; i < TRACKED.length; i++) {
                    int row = TRACKED[i];
                    double[] g =
                            LogisticProblem.sampleGradient(
                                    theta, problem.trainX[row], problem.trainY[row]);
                    double[] s = LogisticProblem.solve(h, g);
                    double truth = 0;
                    for (int k = 0; k < g.length; k++) {
                        truth += g[k] * s[k];
                    }
                    truth /= problem.n;
                    assertTrue(truth > 0, "self-influence of a convex loss is positive");
                    worst = Math.max(worst, Math.abs(truth - self.get(i)));
                    largest = Math.max(largest, truth);
                }
                System.out.printf(
                        "self-influence vs closed form: max abs diff %.3e (max %.3e)%n",
                        worst, largest);
                assertTrue(worst < 1e-7 * largest, "vs closed form " + worst);
            }
        }
    }

    /** C(i, j) = (1/N) g_j^T H^-1 g_i, all in plain Java. */
    private static double[][] closedFormMatrix(LogisticProblem problem, double[] theta) {
        double[][] h = problem.hessian(theta, -1);
        double[][] out = new double[TRACKED.length][TESTS];
        for (int j = 0; j < TESTS; j++) {
            double[] g = LogisticProblem.sampleGradient(theta, problem.testX[j], problem.testY[j]);
            double[] s = LogisticProblem.solve(h, g);
            for (int i = 0; i < TRACKED.length; i++) {
                int row = TRACKED[i];
                double[] gi =
                        LogisticProblem.sampleGradient(
                                theta, problem.trainX[row], problem.trainY[row]);
                double dot = 0;
                for (int k = 0; k < gi.length; k++) {
                    dot += gi[k] * s[k];
                }
                out[i][j] = dot / problem.n;
            }
        }
        return out;
    }

    private static NDList first(NDList list, int count) {
        NDList out = new NDList();
        for (NDArray array : list) {
            out.add(array.get(new NDIndex("0:{}", count)));
        }
        return out;
    }

    private static NDList rows(NDList list, int row) {
        NDList out = new NDList();
        for (NDArray array : list) {
            out.add(array.get(new NDIndex("{}:{}", row, row + 1)));
        }
        return out;
    }
}
