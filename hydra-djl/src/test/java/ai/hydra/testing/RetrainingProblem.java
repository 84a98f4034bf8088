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
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.data.SampleSet;
import ai.hydra.listener.HydraListener;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.Trainers;
import java.util.Arrays;
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

    /** The test set as a SampleSet (labels: class, weight 1), dataset indices 0..TEST-1. */
    SampleSet testSamples(NDManager manager);

    /** The training set as a SampleSet (labels: class, weight 1), dataset indices 0..N-1. */
    SampleSet trainSamples(NDManager manager);

    /** The mean test cross-entropy of a trained model. */
    double testLoss(Model model, NDManager manager);

    /** The cross-entropy of one training sample (its own loss, weight 1). */
    double trainLoss(Model model, NDManager manager, int sample);

    /**
     * The ground truths by two retrainings with sample i weighing {@code 1 + N (+-h)}: {@code
     * dL_test/deps_i} and {@code dl_i(w_T)/deps_i} (the sample's own loss at the final weights).
     */
    default double[] retrainedDerivatives(NDManager manager, int sample, double h)
            throws Exception {
        double[] plus = retrainedLosses(manager, sample, h);
        double[] minus = retrainedLosses(manager, sample, -h);
        return new double[] {(plus[0] - minus[0]) / (2 * h), (plus[1] - minus[1]) / (2 * h)};
    }

    /** {mean test loss, the sample's own loss} after a retraining with its weight moved. */
    private double[] retrainedLosses(NDManager manager, int sample, double eps) throws Exception {
        try (NDManager scope = manager.newSubManager();
                Model model = train(scope, sample, eps, optimizer())) {
            return new double[] {testLoss(model, scope), trainLoss(model, scope, sample)};
        }
    }

    /** HYDRA's {@code dL_test/deps_i = -N C(i)}, one per tracked sample. */
    default double[] hydraDerivatives(HydraListener hydra, HydraMode mode, NDManager manager) {
        Attributor attributor = HydraAttributor.builder(hydra.getHypergradients(mode)).build();
        return scaled(attributor.testLossContributions(manager, testSamples(manager)), -size());
    }

    /** HYDRA's self-attribution {@code dl_i(w_T)/deps_i = -N C(i, i)}, Hessian-aware. */
    default double[] selfDerivatives(HydraListener hydra, NDManager manager, int[] tracked) {
        Attributor aware =
                HydraAttributor.builder(hydra.getHypergradients(HydraMode.HESSIAN_AWARE)).build();
        SampleSet samples = trainSamples(manager).select(manager, tracked);
        Contributions self = aware.selfAttribution(manager, samples);
        if (!Arrays.equals(tracked, self.trainIndices())) {
            throw new AssertionError(
                    "self-attribution rows " + Arrays.toString(self.trainIndices()));
        }
        return scaled(self, -size());
    }

    private static double[] scaled(Contributions contributions, double factor) {
        double[] c = contributions.values();
        for (int k = 0; k < c.length; k++) {
            c[k] *= factor;
        }
        return c;
    }

    /** Samples with labels (class, weight 1), row k = dataset index k. */
    static SampleSet samples(NDArray inputs, int[] classes) {
        NDManager manager = inputs.getManager();
        return SampleSet.of(
                new NDList(inputs),
                new NDList(
                        manager.create(classes).toType(DataType.FLOAT64, false),
                        manager.ones(new Shape(classes.length), DataType.FLOAT64)));
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
     * @param init re-initializes the parameters once the trainer has created them (see {@link
     *     JavaInit})
     */
    static Model trainWeighted(
            Block block,
            Shape inputShape,
            ArrayDataset data,
            int epochs,
            long seed,
            Consumer<Trainer> init,
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
            init.accept(trainer);
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
