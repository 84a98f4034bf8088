package ai.hydra.testing;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.listener.TrainingListener;
import ai.hydra.data.BundledData;
import ai.hydra.data.ImageData;
import ai.hydra.data.SampleSet;
import ai.hydra.data.SeededRandomSampler;
import ai.hydra.model.LeNet5;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * The paper's model on real images, small enough for ground truths: LeNet-5 (ReLU, max pooling) in
 * float64 on the first {@link #N} bundled Fashion-MNIST training images, shuffled batches of {@link
 * #BATCH}, SGD with momentum, weight decay and a per-epoch step decay, {@link #EPOCHS} epochs.
 * Sample weights ride along as a second label, as in {@link TinyProblem}.
 */
public final class LeNetProblem implements RetrainingProblem {

    public static final int N = 96;
    public static final int TEST = 64;
    public static final int BATCH = 16;
    public static final int EPOCHS = 3;
    public static final int STEPS_PER_EPOCH = (N + BATCH - 1) / BATCH;
    public static final float LR = 0.05f;
    public static final float MOMENTUM = 0.9f;
    public static final float WEIGHT_DECAY = 5e-4f;
    public static final long SEED = 5;

    private final double biasStd;
    private final ImageData train = BundledData.train().subset(IntStream.range(0, N).toArray());
    private final ImageData test = BundledData.test().subset(IntStream.range(0, TEST).toArray());

    /**
     * @param biasStd standard deviation of the initial biases (0: zero biases, as DJL's default)
     */
    public LeNetProblem(double biasStd) {
        this.biasStd = biasStd;
    }

    @Override
    public HydraSgd optimizer() {
        return HydraSgd.builder()
                .setLearningRateTracker(
                        LearningRates.step(LR, 0.5f, STEPS_PER_EPOCH, EPOCHS * STEPS_PER_EPOCH))
                .optMomentum(MOMENTUM)
                .optWeightDecay(WEIGHT_DECAY)
                .build();
    }

    /** Training inputs (N,1,28,28) in [0,1], float64. */
    public NDArray trainInputs(NDManager manager) {
        return images(manager, train);
    }

    /** Training labels (class, sample weight 1), float64. */
    public NDList trainLabels(NDManager manager) {
        return new NDList(classes(manager, train), manager.ones(new Shape(N), DataType.FLOAT64));
    }

    @Override
    public Model train(
            NDManager manager, int sample, double eps, HydraSgd sgd, TrainingListener... listeners)
            throws Exception {
        double[] weights = new double[N];
        Arrays.fill(weights, 1.0);
        if (sample >= 0) {
            weights[sample] = 1.0 + N * eps;
        }
        ArrayDataset data =
                new ArrayDataset.Builder()
                        .setData(trainInputs(manager))
                        .optLabels(classes(manager, train), manager.create(weights))
                        .setSampling(new BatchSampler(new SeededRandomSampler(SEED), BATCH, false))
                        .build();
        return RetrainingProblem.trainWeighted(
                LeNet5.newBlock(),
                LeNet5.INPUT_SHAPE,
                data,
                EPOCHS,
                SEED,
                trainer -> JavaInit.apply(trainer, SEED, biasStd),
                sgd,
                listeners);
    }

    @Override
    public SampleSet testSamples(NDManager manager) {
        return RetrainingProblem.samples(images(manager, test), test.labels());
    }

    @Override
    public SampleSet trainSamples(NDManager manager) {
        return RetrainingProblem.samples(trainInputs(manager), train.labels());
    }

    @Override
    public ArrayDataset testSet(NDManager manager) {
        return new ArrayDataset.Builder()
                .setData(images(manager, test))
                .optLabels(classes(manager, test), manager.ones(new Shape(TEST), DataType.FLOAT64))
                .setSampling(TEST, false)
                .build();
    }

    @Override
    public double testLoss(Model model, NDManager manager) {
        return RetrainingProblem.meanCrossEntropy(
                model, manager, images(manager, test), test.labels());
    }

    @Override
    public double trainLoss(Model model, NDManager manager, int sample) {
        return RetrainingProblem.meanCrossEntropy(
                model,
                manager,
                trainInputs(manager).get(sample).expandDims(0),
                new int[] {train.labels()[sample]});
    }

    @Override
    public int size() {
        return N;
    }

    private static NDArray images(NDManager manager, ImageData data) {
        double[] values = new double[data.size() * data.imageSize()];
        byte[] pixels = data.pixels();
        for (int i = 0; i < values.length; i++) {
            values[i] = (pixels[i] & 0xff) / 255.0;
        }
        return manager.create(values, new Shape(data.size(), 1, 28, 28));
    }

    private static NDArray classes(NDManager manager, ImageData data) {
        return manager.create(data.labels()).toType(DataType.FLOAT64, false);
    }
}
