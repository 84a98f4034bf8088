package ai.hydra.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.hydra.analysis.ContributionAnalysis;
import ai.hydra.analysis.ContributionMatrix;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.HydraListener;
import ai.hydra.listener.Hypergradients;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.testing.TinyProblem;
import org.junit.jupiter.api.Test;

/**
 * The reverse sweep against two independent references on the tanh MLP of the retraining test: the
 * forward Hessian-aware recurrence of the listener (same run, every sample) and central differences
 * of whole float64 retrainings.
 */
class ReverseSweepTest {

    private static final int[] RETRAINED = {0, 7, 14, 21, 3, 50, 77, 101, 150, 199, 63, 120};
    private static final double H = 1e-6;

    @Test
    void equalsHessianAwareListenerAndRetraining() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra =
                    HydraListener.builder(sgd, TinyProblem.N)
                            .optMode(HydraMode.HESSIAN_AWARE)
                            .build();
            TrajectoryRecorder recorder = TrajectoryRecorder.builder(sgd, TinyProblem.N).build();
            Model model = problem.train(manager, -1, 0, sgd, hydra, recorder);
            double[] replayed = meanTestLossDerivatives(problem, model, recorder, manager);
            double[] aware =
                    new ContributionAnalysis(hydra.getHypergradients(HydraMode.HESSIAN_AWARE))
                            .testLossContributions(manager, problem.testSet(manager));
            double[] reference = new double[TinyProblem.N];
            for (int i = 0; i < reference.length; i++) {
                reference[i] = -TinyProblem.N * aware[i];
            }
            Hypergradients d = hydra.getHypergradients(HydraMode.HESSIAN_AWARE);
            try (NDManager scope = manager.newSubManager()) {
                NDArray g = meanTestGradient(problem, model, recorder.getTrajectory(), scope);
                assertAgrees(replayed, reference, scales(d, g, scope), "Hessian-aware listener");
            }
            perTestSampleMatrixEqualsListener(problem, model, recorder, hydra, manager);
            double worstTruth = 0;
            for (int sample : RETRAINED) {
                double truth =
                        (retrainedLoss(problem, manager, sample, H)
                                        - retrainedLoss(problem, manager, sample, -H))
                                / (2 * H);
                double error = Math.abs(replayed[sample] - truth) / Math.abs(truth);
                worstTruth = Math.max(worstTruth, error);
                assertTrue(
                        error < 1e-5,
                        "sample " + sample + ": replay " + replayed[sample] + ", retrain " + truth);
            }
            System.out.printf("replay vs retraining: worst relative error %.3e%n", worstTruth);
            recorder.close();
            hydra.close();
            model.close();
        }
    }

    @Test
    void checkpointedReplayEqualsStoredTrajectory() throws Exception {
        TinyProblem problem = new TinyProblem(TinyProblem.MOMENTUM, 1f, false, 8); // 75 steps
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            TrajectoryRecorder everyStep =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N).optCheckpointInterval(1).build();
            TrajectoryRecorder every37 =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N)
                            .optCheckpointInterval(37)
                            .build();
            Model model = problem.train(manager, -1, 0, sgd, everyStep, every37);
            assertArrayEquals(new int[] {0, 37, 74}, every37.getTrajectory().checkpointSteps());
            double[] all = meanTestLossDerivatives(problem, model, everyStep, manager);
            double[] checkpointed = meanTestLossDerivatives(problem, model, every37, manager);
            assertArrayEquals(all, checkpointed, 0.0);
            everyStep.close();
            every37.close();
            model.close();
        }
    }

    /**
     * Several functionals in one sweep: the losses of three single test samples, against the
     * listener's C(i, j).
     */
    private static void perTestSampleMatrixEqualsListener(
            TinyProblem problem,
            Model model,
            TrajectoryRecorder recorder,
            HydraListener hydra,
            NDManager manager) {
        int[] columns = {3, 41, 97};
        try (NDManager scope = manager.newSubManager()) {
            ShadowModel shadow =
                    new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
            Trajectory trajectory = recorder.getTrajectory();
            NDList[] test = arrays(scope, problem.testX, problem.testY);
            NDArray adjoints =
                    shadow.sampleGradients(
                            trajectory.finalWeights(), test[0], test[1], columns, false);
            adjoints.attach(scope);
            NDList[] train = arrays(scope, problem.trainX, problem.trainY);
            double[][] replayed =
                    ReverseSweep.builder(trajectory, shadow, train[0], train[1])
                            .build()
                            .run(scope, adjoints);
            NDArray index = scope.create(new long[] {3, 41, 97});
            ContributionMatrix aware =
                    new ContributionAnalysis(hydra.getHypergradients(HydraMode.HESSIAN_AWARE))
                            .contributionMatrix(
                                    scope,
                                    new NDList(test[0].head().get(index)),
                                    new NDList(
                                            test[1].get(0).get(index), test[1].get(1).get(index)),
                                    columns);
            for (int j = 0; j < columns.length; j++) {
                double[] reference = new double[TinyProblem.N];
                for (int i = 0; i < reference.length; i++) {
                    reference[i] = -TinyProblem.N * aware.get(i, j);
                }
                assertAgrees(
                        replayed[j],
                        reference,
                        scales(
                                hydra.getHypergradients(HydraMode.HESSIAN_AWARE),
                                adjoints.get(j),
                                scope),
                        "listener C(i, " + columns[j] + ")");
            }
        }
    }

    /**
     * Asserts agreement to 1e-8 relative to each sample's scale {@code |grad J| |d_T(i)|}, the
     * largest value its derivative {@code grad J . d_T(i)} could take: both methods carry
     * finite-difference errors of about 1e-10 of that scale, so a derivative that nearly cancels
     * cannot agree to 1e-8 of itself (the worst plain relative error is printed too).
     */
    static void assertAgrees(double[] got, double[] reference, double[] scales, String what) {
        double worst = 0;
        double worstPlain = 0;
        for (int i = 0; i < reference.length; i++) {
            double difference = Math.abs(got[i] - reference[i]);
            double error = difference / scales[i];
            worst = Math.max(worst, error);
            worstPlain = Math.max(worstPlain, difference / Math.abs(reference[i]));
            assertTrue(
                    error < 1e-8,
                    "sample " + i + ": replay " + got[i] + ", " + what + " " + reference[i]);
        }
        System.out.printf(
                "replay vs %s, %d samples: worst error %.2e of |grad J| |d_T(i)| (plain relative"
                        + " %.2e)%n",
                what, reference.length, worst, worstPlain);
    }

    /** {@code |g| |d_T(i)|} for every row of the listener's hypergradients. */
    static double[] scales(Hypergradients d, NDArray g, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            int[] rows = java.util.stream.IntStream.range(0, d.size()).toArray();
            double gNorm = g.norm().getDouble();
            double[] norms = d.read(scope, rows).norm(new int[] {1}).toDoubleArray();
            for (int i = 0; i < norms.length; i++) {
                norms[i] *= gNorm;
            }
            return norms;
        }
    }

    /** dL_test/deps_i for every training sample, by the reverse sweep. */
    static double[] meanTestLossDerivatives(
            TinyProblem problem, Model model, TrajectoryRecorder recorder, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            ShadowModel shadow =
                    new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
            Trajectory trajectory = recorder.getTrajectory();
            NDArray adjoint = meanTestGradient(problem, model, trajectory, scope).reshape(1, -1);
            NDList[] train = arrays(scope, problem.trainX, problem.trainY);
            ReverseSweep sweep =
                    ReverseSweep.builder(trajectory, shadow, train[0], train[1]).build();
            double[] result = sweep.run(scope, adjoint)[0];
            System.out.println(sweep.describe());
            return result;
        }
    }

    /** The gradient of the mean test loss at the final weights (prediction mode). */
    static NDArray meanTestGradient(
            TinyProblem problem, Model model, Trajectory trajectory, NDManager manager) {
        ShadowModel shadow =
                new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
        NDList[] test = arrays(manager, problem.testX, problem.testY);
        NDArray gradient = shadow.gradient(trajectory.finalWeights(), test[0], test[1], false);
        gradient.attach(manager);
        return gradient;
    }

    /** Inputs and labels (class, weight 1) of a split, row k = index k. */
    static NDList[] arrays(NDManager manager, double[][] x, int[] y) {
        return new NDList[] {
            new NDList(manager.create(x)),
            new NDList(
                    manager.create(y).toType(DataType.FLOAT64, false),
                    manager.ones(new Shape(y.length), DataType.FLOAT64))
        };
    }

    private static double retrainedLoss(
            TinyProblem problem, NDManager manager, int sample, double eps) throws Exception {
        try (NDManager scope = manager.newSubManager();
                Model model = problem.train(scope, sample, eps, problem.optimizer())) {
            return problem.testLoss(model, scope);
        }
    }
}
