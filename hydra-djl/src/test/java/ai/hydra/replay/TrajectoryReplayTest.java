package ai.hydra.replay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.hydra.attribution.LossGradients;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.TinyProblem;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recording and replay: budgets, prefixes, placements and the checks that must fail loudly. */
@EngineNeutral
class TrajectoryReplayTest {

    @TempDir Path temp;

    @Test
    void budgetThinsCheckpointsWithoutChangingTheResult() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            TrajectoryRecorder all = TrajectoryRecorder.builder(sgd, TinyProblem.N).build();
            long checkpoint = 2L * 75 * Double.BYTES; // weights and momentum of the 75-weight MLP
            TrajectoryRecorder budgeted =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N)
                            .optMemoryBudget(5 * checkpoint)
                            .build();
            TrajectoryRecorder onDisk =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N)
                            .optCheckpointInterval(4)
                            .optPlacement(TrajectoryStore.Placement.DISK)
                            .optDirectory(temp)
                            .build();
            Model model = problem.train(manager, -1, 0, sgd, all, budgeted, onDisk);
            Trajectory thinned = budgeted.getTrajectory();
            // T = 21 steps: K ends between T c / budget = 4.2 and twice that
            assertTrue(thinned.interval() == 8, "interval " + thinned.interval());
            assertArrayEquals(new int[] {0, 8, 16}, thinned.checkpointSteps());
            double[] reference =
                    ReverseSweepTest.meanTestLossDerivatives(problem, model, all, manager);
            assertArrayEquals(
                    reference,
                    ReverseSweepTest.meanTestLossDerivatives(problem, model, budgeted, manager),
                    0.0);
            assertArrayEquals(
                    reference,
                    ReverseSweepTest.meanTestLossDerivatives(problem, model, onDisk, manager),
                    0.0);
            assertTrue(onDisk.getTrajectory().describe().contains("in files under " + temp));
            all.close();
            budgeted.close();
            onDisk.close();
            try (Stream<Path> left = Files.walk(temp)) {
                // this process's store folder (StoreFolders) stays until exit; no checkpoint does
                assertTrue(left.noneMatch(TrajectoryReplayTest::isCheckpoint), "files left behind");
            }
            model.close();
        }
    }

    /** A sweep over the first epoch equals the full sweep of a run that stopped there. */
    @Test
    void prefixSweepEqualsTheShorterRun() throws Exception {
        TinyProblem problem = new TinyProblem();
        int steps = problem.stepsPerEpoch();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            TrajectoryRecorder full =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N).optCheckpointInterval(3).build();
            Model model = problem.train(manager, -1, 0, sgd, full);
            var shortSgd = problem.optimizer();
            TrajectoryRecorder shorter =
                    TrajectoryRecorder.builder(shortSgd, TinyProblem.N).build();
            Model shortModel = problem.train(manager, -1, 0, 1, shortSgd, shorter);
            double[] reference =
                    ReverseSweepTest.meanTestLossDerivatives(problem, shortModel, shorter, manager);
            try (NDManager scope = manager.newSubManager()) {
                ShadowModel shadow =
                        new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
                ReverseSweep sweep =
                        ReverseSweep.builder(
                                        full.getTrajectory(), shadow, problem.trainSamples(scope))
                                .build();
                NDArray w = sweep.weightsAfter(scope, steps);
                NDArray adjoint =
                        LossGradients.of(
                                shadow,
                                w,
                                TestFunctionals.meanLoss(problem.testSamples(scope)),
                                64); // as ReplayAttributor's default: the same rounding
                double[] prefix = sweep.run(scope, adjoint, steps)[0];
                for (int i = 0; i < prefix.length; i++) {
                    // the round trip through C(i) = -(1/N) dJ/deps_i the reference took
                    prefix[i] = -TinyProblem.N * (-prefix[i] / TinyProblem.N);
                }
                assertArrayEquals(reference, prefix, 0.0);
            }
            full.close();
            shorter.close();
            model.close();
            shortModel.close();
        }
    }

    @Test
    void replayOfOtherDataFailsNamingTheStep() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            TrajectoryRecorder recorder =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N).optCheckpointInterval(5).build();
            Model model = problem.train(manager, -1, 0, sgd, recorder);
            Trajectory trajectory = recorder.getTrajectory();
            ShadowModel shadow =
                    new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
            SampleSet train = problem.trainSamples(manager);
            int changed = trajectory.step(trajectory.size()).indices()[0]; // used by the last step
            train.inputs().head().set(new NDIndex(changed), 0.5);
            NDArray adjoint = manager.ones(new Shape(1, shadow.space().size()), DataType.FLOAT64);
            ReverseSweep sweep = ReverseSweep.builder(trajectory, shadow, train).build();
            IllegalStateException error =
                    assertThrows(IllegalStateException.class, () -> sweep.run(manager, adjoint));
            assertTrue(
                    error.getMessage()
                            .contains(
                                    "did not reproduce the weights after step "
                                            + trajectory.size()),
                    error.getMessage());
            recorder.close();
            model.close();
        }
    }

    @Test
    void dropoutIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            TrajectoryRecorder recorder = TrajectoryRecorder.builder(sgd, TinyProblem.N).build();
            Model model = problem.train(manager, -1, 0, sgd, recorder);
            SequentialBlock withDropout =
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(4).build())
                            .add(Dropout.builder().optRate(0.5f).build())
                            .add(Linear.builder().setUnits(TinyProblem.CLASSES).build());
            withDropout.initialize(manager, DataType.FLOAT64, new Shape(1, TinyProblem.FEATURES));
            ShadowModel shadow =
                    new ShadowModel(withDropout, new TinyProblem.WeightedSoftmaxLoss());
            SampleSet train = problem.trainSamples(manager);
            IllegalArgumentException error =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> ReverseSweep.builder(recorder.getTrajectory(), shadow, train));
            assertTrue(error.getMessage().contains("dropout"), error.getMessage());
            recorder.close();
            model.close();
        }
    }

    /** A checkpoint file changed on the disk is refused before the replay reads it. */
    @Test
    void damagedDiskCheckpointIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            TrajectoryRecorder recorder =
                    TrajectoryRecorder.builder(sgd, TinyProblem.N)
                            .optCheckpointInterval(4)
                            .optPlacement(TrajectoryStore.Placement.DISK)
                            .optDirectory(temp)
                            .build();
            Model model = problem.train(manager, -1, 0, sgd, recorder);
            List<Path> files;
            try (Stream<Path> walk = Files.walk(temp)) {
                files = walk.filter(TrajectoryReplayTest::isCheckpoint).toList();
            }
            assertEquals(recorder.getTrajectory().checkpointSteps().length, files.size());
            Path damaged = files.get(files.size() - 1);
            byte[] bytes = Files.readAllBytes(damaged);
            bytes[bytes.length - 1] ^= 1; // one bit of the last weight
            Files.write(damaged, bytes);
            UncheckedIOException error =
                    assertThrows(
                            UncheckedIOException.class,
                            () ->
                                    ReverseSweepTest.meanTestLossDerivatives(
                                            problem, model, recorder, manager));
            assertTrue(error.getMessage().contains(damaged.toString()), error.getMessage());
            assertTrue(error.getMessage().contains("SHA-256 differs"), error.getMessage());
            recorder.close();
            model.close();
        }
    }

    /**
     * A non-finite adjoint (here a NaN functional gradient) gives NaN derivatives, which every
     * writer refuses unless allowed, and the sweep says where it diverged.
     */
    @Test
    void nonFiniteAdjointGivesNaNAndNamesTheStep() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            TrajectoryRecorder recorder = TrajectoryRecorder.builder(sgd, TinyProblem.N).build();
            Model model = problem.train(manager, -1, 0, sgd, recorder);
            Trajectory trajectory = recorder.getTrajectory();
            ShadowModel shadow =
                    new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
            ReverseSweep sweep =
                    ReverseSweep.builder(trajectory, shadow, problem.trainSamples(manager)).build();
            NDArray adjoint =
                    manager.full(new Shape(1, shadow.space().size()), Float.NaN, DataType.FLOAT64);
            double[] derivatives = sweep.run(manager, adjoint)[0];
            assertEquals(trajectory.size(), sweep.divergedAfter());
            assertTrue(Arrays.stream(derivatives).allMatch(Double::isNaN));
            assertTrue(sweep.describe().contains("NaN or infinite at step " + trajectory.size()));
            recorder.close();
            model.close();
        }
    }

    private static boolean isCheckpoint(Path file) {
        return file.getFileName().toString().endsWith(".ndlist");
    }
}
