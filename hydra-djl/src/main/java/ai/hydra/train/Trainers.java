package ai.hydra.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterServer;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Optional;

/** Creates trainers that behave the same in float32 and float64, and evaluates them. */
public final class Trainers {

    private Trainers() {}

    /**
     * Seeds every random source DJL training uses (parameter initialization through the engine,
     * DJL's shared {@code RandomUtils}); dataset shuffling is seeded separately by the dataset.
     *
     * @param seed the seed
     */
    public static void seed(long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
    }

    /**
     * Creates and initializes a trainer for a model.
     *
     * @param model the model, with its data type already set
     * @param config the training configuration
     * @param inputShapes the input shapes, batch dimension included
     * @return the initialized trainer
     */
    public static Trainer newTrainer(Model model, TrainingConfig config, Shape... inputShapes) {
        Trainer trainer = model.newTrainer(config);
        trainer.initialize(inputShapes);
        if (model.getDataType() != DataType.FLOAT32) {
            skipFirstStepGradientCheck(trainer);
        }
        return trainer;
    }

    /**
     * DJL 0.35.1's {@code Trainer.step()} checks on its first call that the gradients are not all
     * zero by reading their sum with {@code getFloat()}, which throws "DataType mismatch" for any
     * type but float32. The check guards only against a forgotten backward pass, so for other types
     * it is marked as done; nothing else in the trainer depends on it.
     */
    private static void skipFirstStepGradientCheck(Trainer trainer) {
        try {
            Field checked = Trainer.class.getDeclaredField("gradientsChecked");
            checked.setAccessible(true);
            checked.setBoolean(trainer, true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "Cannot train in "
                            + trainer.getModel().getDataType()
                            + " with this DJL version: its Trainer.step() gradient check only"
                            + " supports float32. Use dtype float32.",
                    e);
        }
    }

    /**
     * Returns the optimizer a trainer updates its parameters with, when it can be found.
     *
     * <p>DJL 0.35.1 does not expose it; it sits in the trainer's parameter server (see {@link
     * EngineQuirks}). Read by reflection so that a wrong optimizer is refused when training starts
     * rather than after the first step.
     *
     * @param trainer the trainer
     * @return the optimizer, or empty for a parameter server of an engine hydra-djl does not know
     */
    public static Optional<Optimizer> optimizerOf(Trainer trainer) {
        ParameterServer server = EngineQuirks.parameterServer(trainer);
        return server == null ? Optional.empty() : EngineQuirks.optimizerOf(server);
    }

    /**
     * Makes the trainer continue from the values now in its model's parameter arrays: call it after
     * writing into them in place once the trainer is initialized (a loaded checkpoint, a custom
     * initialization). Needed on MXNet, whose parameter server keeps its own copy of every
     * parameter and would overwrite the written values at the next step; nothing to do on PyTorch.
     *
     * @param trainer an initialized trainer
     * @throws IllegalStateException if the engine's parameter server is not one hydra-djl knows
     */
    public static void syncParameterServer(Trainer trainer) {
        EngineQuirks.syncParameterServer(trainer);
    }

    /**
     * Computes the classification accuracy of a trainer's model on a dataset (prediction mode).
     *
     * @param trainer the trainer
     * @param dataset the dataset, labels as class indices
     * @return the fraction of correctly classified samples
     * @throws IOException if the dataset cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public static double accuracy(Trainer trainer, Dataset dataset)
            throws IOException, TranslateException {
        long correct = 0;
        long total = 0;
        for (Batch batch : trainer.iterateDataset(dataset)) {
            try (batch;
                    NDManager scope = trainer.getManager().newSubManager()) {
                NDList preds = trainer.evaluate(batch.getData());
                preds.attach(scope);
                NDArray predicted =
                        preds.singletonOrThrow().argMax(1).toType(DataType.INT64, false);
                NDArray labels = batch.getLabels().singletonOrThrow().toType(DataType.INT64, false);
                correct += predicted.eq(labels.reshape(predicted.getShape())).sum().getLong();
                total += predicted.size();
            }
        }
        return total == 0 ? Double.NaN : (double) correct / total;
    }
}
