package ai.hydra.testing;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.listener.TrainingListener;
import ai.hydra.analysis.ContributionAnalysis;
import ai.hydra.listener.HydraListener;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.Trainers;
import java.util.function.Consumer;

/**
 * A float64 training problem whose per-sample loss weights ride along as a second label ({@link
 * TinyProblem.WeightedSoftmaxLoss}), so that {@code dL_test/deps_i} has an independent ground
 * truth: central differences of whole retrainings with sample i weighing {@code 1 + N eps}.
 */
public interface RetrainingProblem {

    /** The training-set size N. */
    int size();

    /** A fresh optimizer with the problem's schedule. */
    HydraSgd optimizer();

    /** Trains a fresh model in which sample {@code sample} weighs {@code 1 + N eps}. */
    Model train(
            NDManager manager, int sample, double eps, HydraSgd sgd, TrainingListener... listeners)
            throws Exception;

    /** The test set with unit sample weights. */
    ArrayDataset testSet(NDManager manager);

    /** The mean test cross-entropy of a trained model. */
    double testLoss(Model model, NDManager manager);

    /** The ground truth: (L_test(eps = h) - L_test(eps = -h)) / 2h by two retrainings. */
    default double retrainedDerivative(NDManager manager, int sample, double h) throws Exception {
        return (retrainedLoss(manager, sample, h) - retrainedLoss(manager, sample, -h)) / (2 * h);
    }

    private double retrainedLoss(NDManager manager, int sample, double eps) throws Exception {
        try (NDManager scope = manager.newSubManager();
                Model model = train(scope, sample, eps, optimizer())) {
            return testLoss(model, scope);
        }
    }

    /** HYDRA's {@code dL_test/deps_i = -N C(i)}, one per tracked sample. */
    default double[] hydraDerivatives(HydraListener hydra, HydraMode mode, NDManager manager)
            throws Exception {
        double[] c =
                new ContributionAnalysis(hydra.getHypergradients(mode))
                        .testLossContributions(manager, testSet(manager));
        for (int k = 0; k < c.length; k++) {
            c[k] *= -size();
        }
        return c;
    }

    /**
     * Trains a fresh float64 model with the weighted loss, one {@code trainBatch} and {@code step}
     * per batch; the listeners see every batch.
     *
     * @param block the untrained block
     * @param inputShape its input shape
     * @param data the training set, labels (class, weight)
     * @param epochs the number of passes
     * @param seed seeds the engine before initialization
     * @param init re-initializes the parameters once the trainer has created them
     */
    static Model trainWeighted(
            Block block,
            Shape inputShape,
            ArrayDataset data,
            int epochs,
            long seed,
            Consumer<Block> init,
            HydraSgd sgd,
            TrainingListener... listeners)
            throws Exception {
        Trainers.seed(seed);
        Model model = Model.newInstance("retraining-problem");
        model.setDataType(DataType.FLOAT64);
        model.setBlock(block);
        DefaultTrainingConfig config =
                new DefaultTrainingConfig(new TinyProblem.WeightedSoftmaxLoss()).optOptimizer(sgd);
        if (listeners.length > 0) {
            config.addTrainingListeners(listeners);
        }
        try (Trainer trainer = Trainers.newTrainer(model, config, inputShape)) {
            init.accept(model.getBlock());
            for (int epoch = 0; epoch < epochs; epoch++) {
                for (Batch batch : trainer.iterateDataset(data)) {
                    EasyTrain.trainBatch(trainer, batch);
                    trainer.step();
                    batch.close();
                }
            }
        } catch (Exception | Error e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** The mean cross-entropy of a model's predictions (prediction mode) on labelled inputs. */
    static double meanCrossEntropy(Model model, NDManager manager, NDArray inputs, int[] labels) {
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(inputs);
            NDArray logits =
                    model.getBlock()
                            .forward(new ParameterStore(scope, false), new NDList(inputs), false)
                            .singletonOrThrow();
            NDArray classes = scope.create(labels).toType(DataType.INT64, false);
            NDArray picked =
                    logits.logSoftmax(1)
                            .get(new NDIndex().addAllDim().addPickDim(classes))
                            .reshape(-1);
            return -picked.mean().getDouble();
        }
    }
}
