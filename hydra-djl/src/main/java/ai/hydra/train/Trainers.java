package ai.hydra.train;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.TrainingConfig;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import java.io.IOException;
import java.util.List;

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
            // DJL's first-step gradient check reads a float32 sum; it only guards against a
            // forgotten backward pass
            DjlInternals.markGradientsChecked(trainer);
        }
        return trainer;
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

    /**
     * Checks that every parameter of a model is finite: one reduction per parameter on its device
     * and one value read back. A diverged training must not be evaluated, saved or attributed.
     *
     * @param model the model
     * @param when a description of the moment, for the message, e.g. "at the end of epoch 2"
     * @throws IllegalStateException naming the first parameter holding NaN or Inf
     */
    public static void requireFiniteParameters(Model model, String when) {
        List<Pair<String, Parameter>> parameters =
                model.getBlock().getParameters().stream().toList();
        if (parameters.isEmpty() || isFinite(parameters)) {
            return;
        }
        String name =
                parameters.stream()
                        .filter(pair -> !isFinite(List.of(pair)))
                        .map(Pair::getKey)
                        .findFirst()
                        .orElse("?");
        throw new IllegalStateException(
                "Training diverged: parameter "
                        + name
                        + " holds NaN or Inf ("
                        + when
                        + "). Lower the learning rate (train.optimizer.learningRate) or check the"
                        + " data; nothing is evaluated or saved from a diverged training.");
    }

    /** True if no value is NaN or infinite: the sum of value * 0 is 0, else NaN. */
    private static boolean isFinite(List<Pair<String, Parameter>> parameters) {
        NDList arrays = new NDList();
        parameters.forEach(pair -> arrays.add(pair.getValue().getArray()));
        try (NDManager scope = arrays.head().getManager().newSubManager()) {
            scope.tempAttachAll(arrays); // intermediates land in the scope, not the model
            NDArray zero = null;
            for (NDArray array : arrays) {
                NDArray term = array.mul(0).sum().toType(DataType.FLOAT64, false);
                zero = zero == null ? term : zero.add(term);
            }
            return !Double.isNaN(zero.getDouble());
        }
    }
}
