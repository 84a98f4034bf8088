package ai.hydra.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.SnapshotRecorder;
import ai.hydra.testing.JavaInit;
import ai.hydra.testing.TinyMlpMath;
import ai.hydra.testing.TinyProblem;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.Trainers;
import ai.hydra.train.WeightSnapshot;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TracIn-CP against a hand computation: snapshots of a tiny float64 MLP trained three epochs (SGD
 * with momentum, a step schedule, a smaller last batch), and per-sample gradients derived by hand
 * in plain Java ({@link TinyMlpMath}).
 */
class TracInAttributorTest {

    private static final int[] TRAIN_ROWS = {0, 7, 13, 42, 199};
    private static final int[] TEST_ROWS = {3, 50, 99};

    private static final TinyProblem PROBLEM = new TinyProblem();
    private static NDManager manager;
    private static Model model;
    private static SnapshotRecorder recorder;
    private static double[] finalWeights;

    @BeforeAll
    static void train() {
        manager = NDManager.newBaseManager();
        HydraSgd sgd = PROBLEM.optimizer();
        recorder = SnapshotRecorder.builder(sgd).build();
        Trainers.seed(TinyProblem.SEED);
        model = Model.newInstance("tiny");
        model.setDataType(DataType.FLOAT64);
        model.setBlock(TinyProblem.block());
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(new TinyProblem.WeightedSoftmaxLoss())
                        .optOptimizer(sgd)
                        .addTrainingListeners(recorder);
        try (Trainer trainer =
                Trainers.newTrainer(model, config, new Shape(1, TinyProblem.FEATURES))) {
            JavaInit.apply(trainer, TinyProblem.SEED);
            EasyTrain.fit(trainer, TinyProblem.EPOCHS, PROBLEM.trainSet(manager, -1, 0), null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        finalWeights =
                ParameterSpace.of(model.getBlock())
                        .values(manager, DataType.FLOAT64)
                        .toDoubleArray();
    }

    @AfterAll
    static void close() {
        recorder.close();
        model.close();
        manager.close();
    }

    @Test
    void snapshotsHoldTheEpochsWeightsAndStepWeights() {
        List<WeightSnapshot> snapshots = recorder.snapshots();
        assertEquals(TinyProblem.EPOCHS, snapshots.size());
        // 200 samples in batches of 32: six of 32 and one of 8 per epoch
        double meanInverseBatch = (6 / 32.0 + 1 / 8.0) / 7;
        Tracker schedule = PROBLEM.schedule();
        for (int e = 0; e < TinyProblem.EPOCHS; e++) {
            double rate = 0;
            for (int k = 1; k <= TinyProblem.STEPS_PER_EPOCH; k++) {
                rate += schedule.getNewValue(e * TinyProblem.STEPS_PER_EPOCH + k);
            }
            rate /= TinyProblem.STEPS_PER_EPOCH;
            double expected = rate * meanInverseBatch / (1 - (double) TinyProblem.MOMENTUM);
            assertEquals(e + 1, snapshots.get(e).epoch());
            assertEquals(TinyProblem.STEPS_PER_EPOCH, snapshots.get(e).steps());
            assertEquals(expected, snapshots.get(e).stepWeight(), 1e-7 * expected);
        }
        double[] last = snapshots.get(snapshots.size() - 1).weights().toDoubleArray();
        assertEquals(finalWeights.length, last.length);
        for (int i = 0; i < last.length; i++) {
            assertEquals(finalWeights[i], last[i], 0.0, "the last snapshot is the final model");
        }
    }

    @Test
    void contributionsAndSelfInfluenceMatchTheHandComputation() {
        try (NDManager scope = manager.newSubManager();
                TracInAttributor tracIn = attributor(scope)) {
            SampleSet test = PROBLEM.testSamples(scope).select(scope, TEST_ROWS);
            ContributionMatrix c = tracIn.contributionMatrix(scope, test);
            Contributions self =
                    tracIn.selfAttribution(
                            scope, PROBLEM.trainSamples(scope).select(scope, TRAIN_ROWS));
            Contributions mean = tracIn.testLossContributions(scope, PROBLEM.testSamples(scope));
            for (int r = 0; r < TRAIN_ROWS.length; r++) {
                int i = TRAIN_ROWS[r];
                double expectedSelf = 0;
                double expectedMean = 0;
                double[] expected = new double[TEST_ROWS.length];
                for (WeightSnapshot snapshot : recorder.snapshots()) {
                    double[] w = snapshot.weights().toDoubleArray();
                    double s = snapshot.stepWeight();
                    double[] g = TinyMlpMath.gradient(w, PROBLEM.trainX[i], PROBLEM.trainY[i]);
                    expectedSelf += s * TinyMlpMath.dot(g, g);
                    for (int j = 0; j < TEST_ROWS.length; j++) {
                        int t = TEST_ROWS[j];
                        double[] gt = TinyMlpMath.gradient(w, PROBLEM.testX[t], PROBLEM.testY[t]);
                        expected[j] += s * TinyMlpMath.dot(gt, g);
                    }
                    double[] meanGradient = new double[g.length];
                    for (int t = 0; t < TinyProblem.TEST; t++) {
                        double[] gt = TinyMlpMath.gradient(w, PROBLEM.testX[t], PROBLEM.testY[t]);
                        for (int k = 0; k < g.length; k++) {
                            meanGradient[k] += gt[k] / TinyProblem.TEST;
                        }
                    }
                    expectedMean += s * TinyMlpMath.dot(meanGradient, g);
                }
                assertEquals(i, c.trainIndices()[i]);
                for (int j = 0; j < TEST_ROWS.length; j++) {
                    assertClose(
                            expected[j], c.get(i, j), "C(" + i + ", test " + TEST_ROWS[j] + ")");
                }
                assertEquals(i, self.trainIndex(r));
                assertClose(expectedSelf, self.get(r), "self-influence of " + i);
                assertClose(expectedMean, mean.get(i), "C(" + i + ") of the mean test loss");
            }
        }
    }

    @Test
    void snapshotsOfAnotherModelAreRefused() {
        try (NDManager scope = manager.newSubManager()) {
            WeightSnapshot wrong = new WeightSnapshot(1, scope.zeros(new Shape(3)), 1, 1);
            ShadowModel shadow = shadow();
            SampleSet train = PROBLEM.trainSamples(scope);
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> TracInAttributor.builder(shadow, List.of(wrong), train));
            assertEquals(
                    "a snapshot has 3 weights but the model has "
                            + TinyMlpMath.SIZE
                            + ": snapshots of another model?",
                    e.getMessage());
            assertThrows(
                    IllegalArgumentException.class,
                    () -> TracInAttributor.builder(shadow, List.of(), train));
        }
    }

    private static TracInAttributor attributor(NDManager scope) {
        return TracInAttributor.builder(shadow(), recorder.snapshots(), PROBLEM.trainSamples(scope))
                .optChunkSize(64)
                .optBatchSize(16)
                .build();
    }

    private static ShadowModel shadow() {
        return new ShadowModel(model.getBlock(), new TinyProblem.WeightedSoftmaxLoss());
    }

    private static void assertClose(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-9 * Math.abs(expected) + 1e-15, what);
    }
}
