package ai.hydra.replay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.attribution.ReplayAttributor;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.HydraListener;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Hypergradients;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.LeNetProblem;
import ai.hydra.testing.TinyProblem;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The reverse sweep on the paper's model (LeNet-5: ReLU, max pooling, float64, real images), where
 * the directional derivatives must freeze the activation pattern: against the listener's
 * Hessian-aware mode on the same run and against retrainings with a tiny h (on ReLU networks the
 * retrained loss jumps where a pattern changes with eps, see {@code RetrainingGroundTruthTest}).
 */
@EngineNeutral
class ReverseSweepLeNetTest {

    private static final int[] TRACKED = {0, 5, 11, 17, 23, 30, 38, 46, 53, 61, 77, 90};
    private static final int[] RETRAINED = {0, 30, 77};

    @Test
    void equalsHessianAwareListenerAndRetraining() throws Exception {
        check(0.05);
    }

    /**
     * Zero initial biases (DJL's default): units sit exactly at their kinks on the images' zero
     * background. On PyTorch only, as in {@code RetrainingGroundTruthTest}.
     */
    @Test
    void equalsHessianAwareListenerAndRetrainingWithZeroBiases() throws Exception {
        Assumptions.assumeTrue(
                "PyTorch".equals(Engine.getInstance().getEngineName()),
                "zero-bias LeNet-5 case runs on PyTorch only");
        check(0);
    }

    private static void check(double biasStd) throws Exception {
        LeNetProblem problem = new LeNetProblem(biasStd);
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra =
                    HydraListener.builder(sgd, LeNetProblem.N)
                            .optMode(HydraMode.HESSIAN_AWARE)
                            .optTrackedSamples(TRACKED)
                            .build();
            TrajectoryRecorder recorder =
                    TrajectoryRecorder.builder(sgd, LeNetProblem.N)
                            .optCheckpointInterval(5)
                            .build();
            Model model = problem.train(manager, -1, 0, sgd, hydra, recorder);
            Hypergradients aware = hydra.getHypergradients(HydraMode.HESSIAN_AWARE);
            SampleSet test = SampleSet.of(manager, problem.testSet(manager));
            SampleSet train =
                    SampleSet.of(
                            new NDList(problem.trainInputs(manager)), problem.trainLabels(manager));
            double[] replayed;
            try (ReplayAttributor exact =
                            ReplayAttributor.builder(
                                            recorder.getTrajectory(),
                                            new ShadowModel(
                                                    model.getBlock(),
                                                    new TinyProblem.WeightedSoftmaxLoss()),
                                            train)
                                    .build();
                    Attributor listener = HydraAttributor.builder(aware).build()) {
                replayed = derivatives(exact.testLossContributions(manager, test).values());
                double[] reference = new double[LeNetProblem.N];
                var c = listener.testLossContributions(manager, test);
                for (int row = 0; row < c.size(); row++) {
                    reference[c.trainIndex(row)] = -LeNetProblem.N * c.get(row);
                }
                ReverseSweepTest.compare(
                        replayed,
                        reference,
                        aware,
                        TestFunctionals.meanLoss(test),
                        0,
                        "Hessian-aware listener (LeNet-5)",
                        manager);
                System.out.println(exact.describe());
            }
            double worst = 0;
            for (int sample : RETRAINED) {
                double truth =
                        problem.retrainedDerivatives(manager, sample, 1e-6 / LeNetProblem.N)[0];
                double error = Math.abs(replayed[sample] - truth) / Math.abs(truth);
                worst = Math.max(worst, error);
                assertTrue(
                        error < 1e-5,
                        "sample " + sample + ": replay " + replayed[sample] + ", retrain " + truth);
            }
            System.out.printf("LeNet-5 replay vs retraining: worst relative error %.3e%n", worst);
            recorder.close();
            hydra.close();
            model.close();
        }
    }

    private static double[] derivatives(double[] contributions) {
        double[] out = new double[contributions.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = -LeNetProblem.N * contributions[i];
        }
        return out;
    }
}
