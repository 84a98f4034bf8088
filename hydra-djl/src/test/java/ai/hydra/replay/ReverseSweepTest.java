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
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.HydraListener;
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
            assertAgrees(replayed, reference, "Hessian-aware listener");
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
     * Asserts agreement to 1e-8 relative, measured against at least 1% of the largest value: both
     * sides carry finite-difference noise of about 1e-10 of the largest value, which a
     * near-cancelling value cannot resolve to 1e-8 of itself.
     */
    static void assertAgrees(double[] got, double[] reference, String what) {
        double largest = 0;
        for (double value : reference) {
            largest = Math.max(largest, Math.abs(value));
        }
        double worst = 0;
        double worstPlain = 0;
        double worstOfLargest = 0;
        for (int i = 0; i < reference.length; i++) {
            double difference = Math.abs(got[i] - reference[i]);
            double error = difference / Math.max(Math.abs(reference[i]), 0.01 * largest);
            worst = Math.max(worst, error);
            worstPlain = Math.max(worstPlain, difference / Math.abs(reference[i]));
            worstOfLargest = Math.max(worstOfLargest, difference / largest);
            assertTrue(
                    error < 1e-8,
                    "sample " + i + ": replay " + got[i] + ", " + what + " " + reference[i]);
        }
        System.out.printf(
                "replay vs %s, %d samples: worst error %.2e (relative %.2e, of the largest %.2e)%n",
                what, reference.length, worst, worstPlain, worstOfLargest);
    }

    /** dL_test/deps_i for every training sample, by the reverse sweep. */
    static double[] meanTestLossDerivatives(
            TinyProblem problem, Model model, TrajectoryRecorder recorder, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            ShadowModel shadow =
                    new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
            Trajectory trajectory = recorder.getTrajectory();
            NDList[] test = arrays(scope, problem.testX, problem.testY);
            NDArray adjoint =
                    shadow.gradient(trajectory.finalWeights(), test[0], test[1], false)
                            .reshape(1, -1);
            adjoint.attach(scope);
            NDList[] train = arrays(scope, problem.trainX, problem.trainY);
            ReverseSweep sweep =
                    ReverseSweep.builder(trajectory, shadow, train[0], train[1]).build();
            double[] result = sweep.run(scope, adjoint)[0];
            System.out.println(sweep.describe());
            return result;
        }
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
