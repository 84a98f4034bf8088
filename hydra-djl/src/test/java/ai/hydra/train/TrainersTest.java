package ai.hydra.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.hydra.testing.EngineNeutral;
import org.junit.jupiter.api.Test;

/** What {@link Trainers} reads from and hands to DJL's trainers, on every engine. */
@EngineNeutral
class TrainersTest {

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
                Trainers.syncParameterServer(trainer);
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

    @Test
    void optimizerOfFindsTheTrainersOptimizer() {
        HydraSgd sgd =
                HydraSgd.builder().setLearningRateTracker(LearningRates.constant(0.1f)).build();
        try (Model model = Model.newInstance("linear")) {
            model.setBlock(Linear.builder().setUnits(2).build());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(sgd);
            try (Trainer trainer = Trainers.newTrainer(model, config, new Shape(1, 3))) {
                assertSame(sgd, Trainers.optimizerOf(trainer).orElseThrow());
            }
        }
    }
}
