package ai.hydra.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.TinyProblem;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Pinned to the DJL version: an upgrade that moves one of the private fields hydra-djl reads fails
 * here, naming the field, before it fails anywhere else. Runs on each engine.
 */
@EngineNeutral
class DjlInternalsTest {

    @Test
    void builtForTheDjlOnTheClassPath() {
        assertEquals(DjlInternals.DJL_VERSION, Engine.getDjlVersion());
    }

    @Test
    void everyFieldIsFound() {
        List<String> missing = DjlInternals.missingFields();
        assertTrue(missing.isEmpty(), "DJL fields not found: " + missing);
    }

    /**
     * DJL's factories capture their arguments as the mirror reads them (on a change the mirror
     * would treat their blocks as unknown and check products for crossings, not compute wrong
     * ones).
     */
    @Test
    void readsTheArgumentsOfDjlFactoryBlocks() {
        assertEquals(
                Optional.of(List.of(new Shape(3, 2), new Shape(2, 1), new Shape(1, 0), true)),
                captured(
                        Pool.maxPool2dBlock(
                                new Shape(3, 2), new Shape(2, 1), new Shape(1, 0), true)));
        assertEquals(
                Optional.of(List.of(new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false)),
                captured(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2))));
        assertEquals(
                Optional.of(List.of(new Shape(2), new Shape(1), new Shape(1), false, true)),
                captured(
                        Pool.avgPool1dBlock(
                                new Shape(2), new Shape(1), new Shape(1), false, true)));
        assertEquals(Optional.of(List.of(0.25f)), captured(Activation.leakyReluBlock(0.25f)));
        assertEquals(Optional.of(List.of(784L)), captured(Blocks.batchFlattenBlock(784)));
        assertEquals(Optional.of(List.of()), captured(Activation.reluBlock()));
        assertEquals(Optional.of(List.of()), captured(Pool.globalMaxPool2dBlock()));
        assertEquals(Optional.of(List.of()), captured(Blocks.batchFlattenBlock()));
        Function<NDList, NDList> own =
                new Function<>() {
                    @Override
                    public NDList apply(NDList x) {
                        return x;
                    }
                };
        assertEquals(Optional.empty(), captured(new LambdaBlock(own, "own")));
    }

    private static Optional<List<Object>> captured(Block block) {
        return DjlInternals.capturedArguments((LambdaBlock) block);
    }

    /** The fields hold what hydra-djl expects: the trainer's optimizer, its buffers and counts. */
    @Test
    void fieldsHoldTheOptimizerAndItsState() throws Exception {
        TinyProblem problem = new TinyProblem();
        HydraSgd sgd = problem.optimizer();
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Model.newInstance("tiny")) {
            model.setDataType(DataType.FLOAT64); // needs markGradientsChecked to step
            model.setBlock(TinyProblem.block());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(new TinyProblem.WeightedSoftmaxLoss())
                            .optOptimizer(sgd);
            try (Trainer trainer =
                    Trainers.newTrainer(model, config, new Shape(1, TinyProblem.FEATURES))) {
                assertSame(sgd, DjlInternals.optimizerOf(trainer).orElseThrow());
                assertTrue(sgd.momentumBuffers().isEmpty());
                Batch batch =
                        trainer.iterateDataset(problem.trainSet(manager, -1, 0)).iterator().next();
                EasyTrain.trainBatch(trainer, batch);
                trainer.step();
                batch.close();
                int parameters = model.getBlock().getParameters().size();
                assertEquals(parameters, sgd.momentumBuffers().size());
                assertEquals(parameters, sgd.updateCounts().size());
                assertTrue(sgd.updateCounts().values().stream().allMatch(c -> c == 1));
            }
        }
    }

    /**
     * Values written into an initialized trainer's parameters are the ones it trains from (MXNet's
     * parameter server keeps a copy of its own, taken at initialization). With learning rate 0 a
     * step must leave them exactly as written.
     */
    @Test
    void writtenParametersSurviveAStep() {
        HydraSgd sgd =
                HydraSgd.builder().setLearningRateTracker(LearningRates.constant(0f)).build();
        try (Model model = Model.newInstance("linear");
                NDManager manager = NDManager.newBaseManager()) {
            model.setDataType(DataType.FLOAT64);
            model.setBlock(Linear.builder().setUnits(2).build());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(sgd);
            try (Trainer trainer = Trainers.newTrainer(model, config, new Shape(1, 3))) {
                NDArray weight = model.getBlock().getParameters().get("weight").getArray();
                double[] written = {0.5, -1.5, 2.5, 3.5, -4.5, 5.5};
                weight.set(written);
                DjlInternals.syncParameterServer(trainer);
                NDArray x = manager.ones(new Shape(4, 3), DataType.FLOAT64);
                NDArray y = manager.zeros(new Shape(4, 2), DataType.FLOAT64);
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList out = trainer.forward(new NDList(x));
                    collector.backward(trainer.getLoss().evaluate(new NDList(y), out));
                }
                trainer.step();
                assertArrayEquals(written, weight.toDoubleArray());
            }
        }
    }
}
