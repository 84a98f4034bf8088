package ai.hydra.replay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.data.SampleSet;
import ai.hydra.listener.HydraListener;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Hypergradients;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.TinyProblem;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The reverse sweep on a small convolutional network with batch normalization, where a sample's
 * loss depends on its whole batch: against the Hessian-aware listener (which takes per-sample
 * gradients in the batch's context) and against float64 retrainings.
 *
 * <p>Both methods differentiate through the trainable weights; the test loss is taken in prediction
 * mode with batch normalization's running statistics of the run, which the retrainings hold fixed
 * (their dependence on the trajectory is not part of the derivative).
 */
@EngineNeutral
class ReverseSweepBatchNormTest {

    private static final int[] RETRAINED = {0, 7, 21, 50, 101, 150};
    private static final double H = 1e-6;

    @Test
    void equalsHessianAwareListenerAndRetraining() throws Exception {
        TinyProblem problem =
                new TinyProblem(
                        TinyProblem.MOMENTUM, 1f, false, TinyProblem.BATCH, TinyProblem::convBlock);
        int[] tracked = IntStream.range(0, TinyProblem.N).filter(i -> i % 4 == 0).toArray();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra =
                    HydraListener.builder(sgd, TinyProblem.N)
                            .optMode(HydraMode.HESSIAN_AWARE)
                            .optTrackedSamples(tracked)
                            .build();
            TrajectoryRecorder recorder =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N).optCheckpointInterval(5).build();
            Model model = problem.train(manager, -1, 0, sgd, hydra, recorder);
            Hypergradients aware = hydra.getHypergradients(HydraMode.HESSIAN_AWARE);
            SampleSet test = problem.testSamples(manager);
            double[] replayed =
                    ReverseSweepTest.meanTestLossDerivatives(problem, model, recorder, manager);
            try (Attributor listener = HydraAttributor.builder(aware).build()) {
                ReverseSweepTest.compare(
                        replayed,
                        ReverseSweepTest.derivatives(listener.testLossContributions(manager, test)),
                        aware,
                        TestFunctionals.meanLoss(test),
                        0,
                        "Hessian-aware listener (BN)",
                        manager);
            }
            double worst = 0;
            for (int sample : RETRAINED) {
                double[] plus = retrainedLosses(problem, manager, model, sample, H);
                double[] minus = retrainedLosses(problem, manager, model, sample, -H);
                double truth = (plus[0] - minus[0]) / (2 * H);
                double withStatistics = (plus[1] - minus[1]) / (2 * H);
                double error = Math.abs(replayed[sample] - truth) / Math.abs(truth);
                worst = Math.max(worst, error);
                System.out.printf(
                        "sample %3d  retrain %+.10e  replay %+.10e (rel %.2e)  with running"
                                + " statistics %+.10e%n",
                        sample, truth, replayed[sample], error, withStatistics);
                assertTrue(
                        error < 1e-5,
                        "sample " + sample + ": replay " + replayed[sample] + ", retrain " + truth);
            }
            System.out.printf("BN replay vs retraining: worst relative error %.3e%n", worst);
            recorder.close();
            hydra.close();
            model.close();
        }
    }

    /**
     * The test loss of a retraining with sample's weight perturbed: with the running statistics of
     * the unperturbed run, and with its own.
     */
    private static double[] retrainedLosses(
            TinyProblem problem, NDManager manager, Model base, int sample, double eps)
            throws Exception {
        try (NDManager scope = manager.newSubManager();
                Model model = problem.train(scope, sample, eps, problem.optimizer())) {
            double own = problem.testLoss(model, scope);
            PairList<String, Parameter> from = base.getBlock().getParameters();
            PairList<String, Parameter> to = model.getBlock().getParameters();
            for (int p = 0; p < from.size(); p++) {
                Pair<String, Parameter> source = from.get(p);
                if (!source.getValue().requiresGradient()) {
                    to.get(p)
                            .getValue()
                            .getArray()
                            .set(source.getValue().getArray().toByteBuffer());
                }
            }
            return new double[] {problem.testLoss(model, scope), own};
        }
    }
}
