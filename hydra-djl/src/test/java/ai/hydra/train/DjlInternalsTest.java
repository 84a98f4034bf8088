package ai.hydra.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.hydra.testing.TinyProblem;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Pinned to the DJL version: an upgrade that moves one of the private fields hydra-djl reads fails
 * here, naming the field, before it fails anywhere else.
 */
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
}
