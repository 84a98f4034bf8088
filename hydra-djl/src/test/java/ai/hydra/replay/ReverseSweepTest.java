package ai.hydra.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.attribution.LossGradients;
import ai.hydra.attribution.ReplayAttributor;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.HydraListener;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Hypergradients;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.TinyProblem;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The reverse sweep against two independent references on the tanh MLP of the retraining test: the
 * forward Hessian-aware recurrence of the listener (same run, every sample) and central differences
 * of whole float64 retrainings.
 */
@EngineNeutral
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
            Hypergradients aware = hydra.getHypergradients(HydraMode.HESSIAN_AWARE);
            SampleSet test = problem.testSamples(manager);
            // the mean test loss, and three test samples' own losses in one sweep
            SampleSet chosen = test.select(manager, 3, 41, 97);
            try (Attributor exact = exact(problem, model, recorder, manager);
                    Attributor listener = HydraAttributor.builder(aware).build()) {
                double[] replayed = derivatives(exact.testLossContributions(manager, test));
                compare(
                        replayed,
                        derivatives(listener.testLossContributions(manager, test)),
                        aware,
                        TestFunctionals.meanLoss(test),
                        0,
                        "Hessian-aware listener",
                        manager);
                ContributionMatrix replayedMatrix = exact.contributionMatrix(manager, chosen);
                ContributionMatrix awareMatrix = listener.contributionMatrix(manager, chosen);
                for (int j = 0; j < chosen.size(); j++) {
                    compare(
                            derivatives(replayedMatrix.column(j)),
                            derivatives(awareMatrix.column(j)),
                            aware,
                            TestFunctionals.eachSample(chosen),
                            j,
                            "listener C(i, " + chosen.index(j) + ")",
                            manager);
                }
                selfAttributionEqualsListener(exact, listener, aware, problem, manager);
                double worst = 0;
                for (int sample : RETRAINED) {
                    double truth =
                            (retrainedLoss(problem, manager, sample, H)
                                            - retrainedLoss(problem, manager, sample, -H))
                                    / (2 * H);
                    double error = Math.abs(replayed[sample] - truth) / Math.abs(truth);
                    worst = Math.max(worst, error);
                    assertTrue(
                            error < 1e-5,
                            "sample "
                                    + sample
                                    + ": replay "
                                    + replayed[sample]
                                    + ", retrain "
                                    + truth);
                }
                System.out.printf("replay vs retraining: worst relative error %.3e%n", worst);
            }
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

    /** C(i, i) of a few training samples, one functional each, against the listener's. */
    private static void selfAttributionEqualsListener(
            Attributor exact,
            Attributor listener,
            Hypergradients aware,
            TinyProblem problem,
            NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            SampleSet own = problem.trainSamples(scope).select(scope, 0, 7, 150);
            Contributions replayed = exact.selfAttribution(scope, own);
            Contributions reference = listener.selfAttribution(scope, own);
            TestFunctionals functionals = TestFunctionals.eachSample(own);
            NDArray w = aware.model().space().values(scope, DataType.FLOAT64);
            NDArray gradients = LossGradients.of(aware.model(), w, functionals, 64);
            for (int k = 0; k < own.size(); k++) {
                // every sample is tracked: the listener's row is the dataset index
                double scale =
                        gradients.get(k).norm().getDouble()
                                * aware.read(scope, new int[] {own.index(k)}).norm().getDouble();
                assertAgrees(
                        new double[] {-TinyProblem.N * replayed.get(k)},
                        new double[] {-TinyProblem.N * reference.get(k)},
                        new double[] {scale},
                        "listener C(i, i), i = " + own.index(k));
            }
        }
    }

    /** The replay as an attributor over the whole training set. */
    static ReplayAttributor exact(
            TinyProblem problem, Model model, TrajectoryRecorder recorder, NDManager manager) {
        return ReplayAttributor.builder(
                        recorder.getTrajectory(),
                        new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss()),
                        problem.trainSamples(manager))
                .build();
    }

    /** dL_test/deps_i for every training sample, by the reverse sweep. */
    static double[] meanTestLossDerivatives(
            TinyProblem problem, Model model, TrajectoryRecorder recorder, NDManager manager) {
        try (NDManager scope = manager.newSubManager();
                ReplayAttributor exact = exact(problem, model, recorder, scope)) {
            double[] result =
                    derivatives(exact.testLossContributions(scope, problem.testSamples(scope)));
            System.out.println(exact.describe());
            return result;
        }
    }

    /** dJ/deps_i = -N C(i), in dataset-index order (every sample is a row). */
    static double[] derivatives(Contributions contributions) {
        double[] out = new double[TinyProblem.N];
        for (int row = 0; row < contributions.size(); row++) {
            out[contributions.trainIndex(row)] = -TinyProblem.N * contributions.get(row);
        }
        return out;
    }

    /**
     * Compares the replay with the listener's derivatives of functional {@code column}, for the
     * listener's tracked samples (rows of {@code aware}), via {@link #assertAgrees}.
     */
    static void compare(
            double[] replayed,
            double[] reference,
            Hypergradients aware,
            TestFunctionals functionals,
            int column,
            String what,
            NDManager manager) {
        int[] tracked = aware.trackedIndices();
        double[] got = new double[tracked.length];
        double[] expected = new double[tracked.length];
        for (int k = 0; k < tracked.length; k++) {
            got[k] = replayed[tracked[k]];
            expected[k] = reference[tracked[k]];
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray w = aware.model().space().values(scope, DataType.FLOAT64);
            NDArray g = LossGradients.of(aware.model(), w, functionals, 64).get(column);
            assertAgrees(got, expected, scales(aware, g, scope), what);
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
    private static double[] scales(Hypergradients d, NDArray g, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            int[] rows = IntStream.range(0, d.size()).toArray();
            double gNorm = g.norm().getDouble();
            double[] norms = d.read(scope, rows).norm(new int[] {1}).toDoubleArray();
            for (int i = 0; i < norms.length; i++) {
                norms[i] *= gNorm;
            }
            return norms;
        }
    }

    private static double retrainedLoss(
            TinyProblem problem, NDManager manager, int sample, double eps) throws Exception {
        try (NDManager scope = manager.newSubManager();
                Model model = problem.train(scope, sample, eps, problem.optimizer())) {
            return problem.testLoss(model, scope);
        }
    }
}
