package ai.hydra.testing;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.loss.Loss;
import ai.hydra.data.SampleSet;
import ai.hydra.data.SeededRandomSampler;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A tiny float64 problem with an independent ground truth: Gaussian blobs, a tanh MLP (smooth, so
 * finite differences of whole retrainings are exact to high order), SGD with momentum, weight
 * decay, a per-epoch learning-rate decay, shuffling and a smaller last batch.
 */
public final class TinyProblem implements RetrainingProblem {

    public static final int N = 200;
    public static final int TEST = 100;
    public static final int FEATURES = 5;
    public static final int HIDDEN = 8;
    public static final int CLASSES = 3;
    public static final int BATCH = 32;
    public static final int EPOCHS = 3;
    public static final int STEPS_PER_EPOCH = (N + BATCH - 1) / BATCH;
    public static final float LR = 0.2f;
    public static final float MOMENTUM = 0.9f;
    public static final float WEIGHT_DECAY = 1e-3f;
    public static final long SEED = 1234;

    public final double[][] trainX = new double[N][FEATURES];
    public final int[] trainY = new int[N];
    public final double[][] testX = new double[TEST][FEATURES];
    public final int[] testY = new int[TEST];
    public final float momentum;
    public final float rescaleGrad;
    public final boolean cosine;
    public final int batchSize;
    private final Supplier<Block> blockFactory;

    public TinyProblem() {
        this(MOMENTUM, 1f, false);
    }

    /**
     * @param momentum SGD momentum (0 allowed)
     * @param rescaleGrad the optimizer's gradient factor
     * @param cosine cosine schedule instead of a per-epoch step decay
     */
    public TinyProblem(float momentum, float rescaleGrad, boolean cosine) {
        this(momentum, rescaleGrad, cosine, BATCH);
    }

    /**
     * @param momentum SGD momentum (0 allowed)
     * @param rescaleGrad the optimizer's gradient factor
     * @param cosine cosine schedule instead of a per-epoch step decay
     * @param batchSize the training batch size (the last batch of an epoch holds the rest)
     */
    public TinyProblem(float momentum, float rescaleGrad, boolean cosine, int batchSize) {
        this(momentum, rescaleGrad, cosine, batchSize, TinyProblem::block);
    }

    /**
     * @param momentum SGD momentum (0 allowed)
     * @param rescaleGrad the optimizer's gradient factor
     * @param cosine cosine schedule instead of a per-epoch step decay
     * @param batchSize the training batch size (the last batch of an epoch holds the rest)
     * @param blockFactory the model (input: FEATURES values per sample, output: CLASSES logits)
     */
    public TinyProblem(
            float momentum,
            float rescaleGrad,
            boolean cosine,
            int batchSize,
            Supplier<Block> blockFactory) {
        this.blockFactory = blockFactory;
        this.batchSize = batchSize;
        this.momentum = momentum;
        this.rescaleGrad = rescaleGrad;
        this.cosine = cosine;
        Random random = new Random(99);
        double[][] centers = new double[CLASSES][FEATURES];
        for (double[] c : centers) {
            for (int f = 0; f < FEATURES; f++) {
                c[f] = random.nextGaussian() * 1.5;
            }
        }
        fill(random, centers, trainX, trainY);
        fill(random, centers, testX, testY);
        // a few mislabeled samples, so that some contributions are harmful
        for (int i = 0; i < 10; i++) {
            trainY[i * 7] = (trainY[i * 7] + 1) % CLASSES;
        }
    }

    private static void fill(Random random, double[][] centers, double[][] x, int[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] = random.nextInt(CLASSES);
            for (int f = 0; f < FEATURES; f++) {
                x[i][f] = centers[y[i]][f] + random.nextGaussian() * 1.6;
            }
        }
    }

    @Override
    public HydraSgd optimizer() {
        return HydraSgd.builder()
                .setLearningRateTracker(schedule())
                .optMomentum(momentum)
                .optRescaleGrad(rescaleGrad)
                .optWeightDecay(WEIGHT_DECAY)
                .build();
    }

    /** The learning rate of a 1-based update, as the optimizer sees it. */
    public ai.djl.training.tracker.Tracker schedule() {
        int total = EPOCHS * stepsPerEpoch();
        return cosine
                ? LearningRates.cosine(LR, 0.01f, total)
                : LearningRates.step(LR, 0.5f, stepsPerEpoch(), total);
    }

    /** Optimizer steps per epoch. */
    public int stepsPerEpoch() {
        return (N + batchSize - 1) / batchSize;
    }

    public static SequentialBlock block() {
        return new SequentialBlock()
                .add(Linear.builder().setUnits(HIDDEN).build())
                .add(Activation.tanhBlock())
                .add(Linear.builder().setUnits(CLASSES).build());
    }

    /**
     * A small convolutional network with batch normalization over the same features (seen as a
     * one-channel signal of FEATURES values): a sample's loss depends on its whole batch.
     */
    public static Block convBlock() {
        return new SequentialBlock()
                .add(x -> new NDList(x.singletonOrThrow().reshape(-1, 1, FEATURES)))
                .add(Conv1d.builder().setKernelShape(new Shape(3)).setFilters(4).build())
                .add(BatchNorm.builder().build())
                .add(Activation::tanh)
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(CLASSES).build());
    }

    /** Training set with labels (class, sample weight); weight of {@code sample} is 1 + N eps. */
    public ArrayDataset trainSet(NDManager manager, int sample, double eps) {
        return trainSet(manager, sample, eps, 0);
    }

    /** Training set whose shuffling starts at epoch {@code firstEpoch} (to resume a run). */
    public ArrayDataset trainSet(NDManager manager, int sample, double eps, int firstEpoch) {
        double[] weights = new double[N];
        java.util.Arrays.fill(weights, 1.0);
        if (sample >= 0) {
            weights[sample] = 1.0 + N * eps;
        }
        return dataset(manager, trainX, trainY, weights, firstEpoch, batchSize);
    }

    /** The test set as a SampleSet (labels: class, weight 1), dataset indices 0..TEST-1. */
    @Override
    public SampleSet testSamples(NDManager manager) {
        return RetrainingProblem.samples(manager.create(testX), testY);
    }

    /** The training set as a SampleSet (labels: class, weight 1), dataset indices 0..N-1. */
    @Override
    public SampleSet trainSamples(NDManager manager) {
        return RetrainingProblem.samples(manager.create(trainX), trainY);
    }

    @Override
    public ArrayDataset testSet(NDManager manager) {
        double[] weights = new double[TEST];
        java.util.Arrays.fill(weights, 1.0);
        return dataset(manager, testX, testY, weights, -1, BATCH);
    }

    private static ArrayDataset dataset(
            NDManager manager, double[][] x, int[] y, double[] w, int firstEpoch, int batch) {
        NDArray data = manager.create(x);
        NDArray labels = manager.create(y).toType(DataType.FLOAT64, false);
        NDArray weights = manager.create(w);
        ArrayDataset.BaseBuilder<ArrayDataset.Builder> builder =
                new ArrayDataset.Builder().setData(data).optLabels(labels, weights);
        if (firstEpoch >= 0) {
            builder.setSampling(
                    new BatchSampler(new SeededRandomSampler(SEED, firstEpoch), batch, false));
        } else {
            builder.setSampling(x.length, false);
        }
        return ((ArrayDataset.Builder) builder).build();
    }

    /** Trains a fresh float64 model; the listeners see every batch. */
    @Override
    public Model train(
            NDManager manager, int sample, double eps, HydraSgd sgd, TrainingListener... listeners)
            throws Exception {
        return train(manager, sample, eps, EPOCHS, sgd, listeners);
    }

    /** Trains a fresh float64 model for fewer (or more) epochs than {@link #EPOCHS}. */
    public Model train(
            NDManager manager,
            int sample,
            double eps,
            int epochs,
            HydraSgd sgd,
            TrainingListener... listeners)
            throws Exception {
        return RetrainingProblem.trainWeighted(
                blockFactory.get(),
                new Shape(1, FEATURES),
                trainSet(manager, sample, eps),
                epochs,
                SEED,
                trainer -> JavaInit.apply(trainer, SEED),
                sgd,
                listeners);
    }

    /** Mean test cross-entropy of a model. */
    @Override
    public double testLoss(Model model, NDManager manager) {
        return RetrainingProblem.meanCrossEntropy(model, manager, manager.create(testX), testY);
    }

    /** Cross-entropy of one training sample (its own loss, weight 1). */
    @Override
    public double trainLoss(Model model, NDManager manager, int sample) {
        return RetrainingProblem.meanCrossEntropy(
                model,
                manager,
                manager.create(new double[][] {trainX[sample]}),
                new int[] {trainY[sample]});
    }

    @Override
    public int size() {
        return N;
    }

    /** Softmax cross-entropy whose batch mean weighs each sample by its second label. */
    public static final class WeightedSoftmaxLoss extends Loss {

        public WeightedSoftmaxLoss() {
            super("WeightedSoftmaxCrossEntropy");
        }

        @Override
        public NDArray evaluate(NDList labels, NDList predictions) {
            NDArray logits = predictions.singletonOrThrow();
            NDArray classes = labels.get(0).toType(DataType.INT64, false);
            NDArray weights = labels.get(1);
            NDArray picked =
                    logits.logSoftmax(1)
                            .get(new NDIndex().addAllDim().addPickDim(classes))
                            .reshape(-1);
            return picked.neg().mul(weights.toType(picked.getDataType(), false).reshape(-1)).mean();
        }
    }
}
