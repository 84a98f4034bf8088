package ai.hydra.gradient;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.hydra.model.DenseNetBc;
import ai.hydra.model.LeNet5;
import ai.hydra.model.LogisticRegression;
import ai.hydra.model.Mlp;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.FlatMemory;
import ai.hydra.testing.JavaInit;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batched per-sample gradients (one probing pass) against the same gradients taken one sample at a
 * time (one forward and backward per sample, the independent reference), for the library's models
 * and every supported layer option, in float64 (1e-12 relative) and float32 (1e-5), in training and
 * prediction mode, on selected rows out of order.
 */
@EngineNeutral
class BatchedSampleGradientsTest {

    private static final int BATCH = 5;
    private static final int[] ROWS = {3, 0, 4};

    @ParameterizedTest
    @ValueSource(
            strings = {
                "lenet5",
                "mlp",
                "logistic regression",
                "linear with leading axes, no bias",
                "conv2d stride padding dilation groups, pools",
                "conv2d no bias, max pool padded",
                "conv1d stride padding groups",
                "conv3d stride padding dilation",
                "densenet",
                "linear with leading axes, layer norm of the last axis",
                "conv2d, layer norm of all axes",
                "parallel branches joined by concatenation"
            })
    void batchedEqualsOneAtATime(String model) {
        for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            double tolerance = type == DataType.FLOAT64 ? 1e-12 : 1e-5;
            try (NDManager manager = NDManager.newBaseManager()) {
                Shape inputShape = inputShape(model);
                Block block = block(model);
                block.initialize(manager, DataType.FLOAT64, inputShape);
                Random random = new Random(11);
                JavaInit.randomizeAll(block, random, 0.3);
                double[] x = new double[Math.toIntExact(inputShape.size())];
                for (int i = 0; i < x.length; i++) {
                    x[i] = random.nextGaussian();
                }
                NDList inputs = new NDList(manager.create(x, inputShape).toType(type, false));
                float[] y = new float[BATCH];
                for (int i = 0; i < BATCH; i++) {
                    y[i] = random.nextInt(3);
                }
                NDList labels = new NDList(manager.create(y).toType(type, false));
                ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
                boolean batchNorm = model.equals("densenet");
                // batch norm in training mode couples the samples: exact gradients are not batched
                assertTrue(
                        shadow.batchesSamples(!batchNorm),
                        shadow.mirror().unbatchedBlocks()::toString);
                NDArray w = shadow.space().values(manager, type);
                boolean[] modes = batchNorm ? new boolean[] {false} : new boolean[] {true, false};
                for (boolean training : modes) {
                    String what = model + ", " + type + ", training " + training;
                    NDArray batched =
                            shadow.batchedSampleGradients(w, inputs, labels, ROWS, training);
                    NDArray reference =
                            shadow.sampleGradientsOneAtATime(w, inputs, labels, ROWS, training);
                    check(what, batched, reference, tolerance);
                    check(
                            what + ", sampleGradients",
                            shadow.sampleGradients(w, inputs, labels, ROWS, training),
                            reference,
                            tolerance);
                }
            }
        }
    }

    @Test
    void batchNormInTrainingModeIsNotBatched() {
        Block block = DenseNetBc.builder().optDepth(10).optGrowthRate(2).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 3, 8, 8);
            block.initialize(manager, DataType.FLOAT32, shape);
            ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
            assertFalse(shadow.batchesSamples(true));
            NDArray w = shadow.space().values(manager, DataType.FLOAT32);
            NDList x = new NDList(manager.randomNormal(shape));
            NDList y = new NDList(manager.create(new float[] {0, 1}));
            IllegalArgumentException e =
                    assertThrows(
                            IllegalArgumentException.class,
                            () -> shadow.batchedSampleGradients(w, x, y, new int[] {0}, true));
            assertTrue(e.getMessage().contains("BatchNorm"), e.getMessage());
        }
    }

    /**
     * Batch statistics taken as constants: sample k's gradient is that of its loss through a
     * network whose batch norm normalizes with fixed statistics equal to the batch's, i.e. the
     * prediction-mode gradient with the running statistics set to the batch statistics (computed
     * here from the batch norm's input, the first layer's output), taken one sample at a time.
     */
    @Test
    void constantStatisticsEqualPredictionModeWithBatchStatistics() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape inputShape = new Shape(BATCH, 2, 5, 5);
            SequentialBlock block =
                    new SequentialBlock()
                            .add(
                                    Conv2d.builder()
                                            .setKernelShape(new Shape(3, 3))
                                            .setFilters(3)
                                            .build())
                            .add(BatchNorm.builder().build())
                            .add(Activation.reluBlock())
                            .add(Pool.maxPool2dBlock(new Shape(2, 2)));
            head(block);
            block.initialize(manager, DataType.FLOAT64, inputShape);
            Random random = new Random(3);
            JavaInit.randomizeAll(block, random, 0.5);
            NDArray x = manager.randomNormal(inputShape).toType(DataType.FLOAT64, false);
            NDList inputs = new NDList(x);
            NDList labels = new NDList(manager.create(new double[] {0, 1, 2, 1, 0}));
            ShadowModel fast =
                    new ShadowModel(
                            block,
                            Loss.softmaxCrossEntropyLoss(),
                            BatchNormGradients.CONSTANT_STATISTICS);
            assertTrue(fast.batchesSamples(true));
            NDArray w = fast.space().values(manager, DataType.FLOAT64);
            NDArray batched = fast.sampleGradients(w, inputs, labels, ROWS, true);
            // the batch norm's input and its batch statistics (biased variance)
            NDArray features =
                    block.getChildren()
                            .get(0)
                            .getValue()
                            .forward(new ParameterStore(manager, false), inputs, false)
                            .singletonOrThrow();
            long count = features.size() / 3;
            NDArray mean = features.sum(new int[] {0, 2, 3}).div(count);
            NDArray variance =
                    features.sub(mean.reshape(1, 3, 1, 1))
                            .square()
                            .sum(new int[] {0, 2, 3})
                            .div(count);
            BatchNorm norm = (BatchNorm) block.getChildren().get(1).getValue();
            norm.getParameters().get("runningMean").getArray().set(mean.toDoubleArray());
            norm.getParameters().get("runningVar").getArray().set(variance.toDoubleArray());
            NDArray reference =
                    new ShadowModel(block, Loss.softmaxCrossEntropyLoss())
                            .sampleGradientsOneAtATime(w, inputs, labels, ROWS, false);
            check("constant statistics", batched, reference, 1e-12);
        }
    }

    /**
     * Thousands of batched passes (LeNet-5, and a batch-norm model with constant statistics) keep
     * the resident memory flat: the smallest resident size over the last tenth of the calls against
     * that over the fifth tenth (a leak grows linearly). In its own JVM (tag memory).
     */
    @Test
    @Tag("memory")
    void memoryStaysFlatOverThousandsOfBatchedPasses() {
        for (String model : new String[] {"lenet5", "densenet"}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                boolean lenet = model.equals("lenet5");
                Shape shape = lenet ? new Shape(16, 1, 28, 28) : new Shape(8, 3, 8, 8);
                Block block =
                        lenet
                                ? LeNet5.newBlock()
                                : DenseNetBc.builder().optDepth(10).optGrowthRate(2).build();
                block.initialize(manager, DataType.FLOAT32, shape);
                ShadowModel shadow =
                        new ShadowModel(
                                block,
                                Loss.softmaxCrossEntropyLoss(),
                                BatchNormGradients.CONSTANT_STATISTICS);
                assertTrue(shadow.batchesSamples(true));
                NDList x = new NDList(manager.randomNormal(shape));
                NDList y = new NDList(manager.zeros(new Shape(shape.get(0))));
                int[] rows = IntStream.range(0, Math.toIntExact(shape.get(0))).toArray();
                NDArray w = shadow.space().values(manager, DataType.FLOAT32);
                FlatMemory.assertFlat(
                        model + " batched per-sample gradients",
                        2000,
                        25,
                        call -> shadow.sampleGradients(w, x, y, rows, true).close());
            }
        }
    }

    private static void check(String what, NDArray actual, NDArray reference, double tolerance) {
        assertTrue(
                actual.getShape().equals(reference.getShape()),
                what + ": shape " + actual.getShape() + " vs " + reference.getShape());
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] r = reference.toType(DataType.FLOAT64, false).toDoubleArray();
        int columns = Math.toIntExact(reference.getShape().get(1));
        for (int k = 0; k < ROWS.length; k++) {
            double worst = 0;
            double largest = 0;
            for (int j = k * columns; j < (k + 1) * columns; j++) {
                worst = Math.max(worst, Math.abs(a[j] - r[j]));
                largest = Math.max(largest, Math.abs(r[j]));
            }
            assertTrue(largest > 0, what + ": row " + k + " is zero");
            assertTrue(
                    worst <= tolerance * largest,
                    what + ": row " + k + " error " + worst + " of " + largest);
        }
    }

    private static Shape inputShape(String model) {
        if (model.startsWith("parallel")) {
            return new Shape(BATCH, 2, 6, 6);
        }
        if (model.startsWith("conv2d, layer norm")) {
            return new Shape(BATCH, 2, 5, 5);
        }
        if (model.startsWith("linear")) {
            return new Shape(BATCH, 3, 4);
        }
        if (model.startsWith("conv1d")) {
            return new Shape(BATCH, 4, 11);
        }
        if (model.startsWith("conv2d")) {
            return new Shape(BATCH, 4, 9, 9);
        }
        if (model.startsWith("conv3d")) {
            return new Shape(BATCH, 2, 6, 5, 6);
        }
        if (model.equals("densenet")) {
            return new Shape(BATCH, 3, 8, 8);
        }
        return new Shape(BATCH, 1, 28, 28);
    }

    private static Block block(String model) {
        switch (model) {
            case "lenet5":
                return LeNet5.newBlock();
            case "mlp":
                return Mlp.newBlock();
            case "logistic regression":
                return LogisticRegression.newBlock();
            case "densenet":
                return DenseNetBc.builder().optDepth(10).optGrowthRate(2).optNumClasses(3).build();
            case "linear with leading axes, no bias":
                return head(
                        new SequentialBlock()
                                .add(Linear.builder().setUnits(5).build())
                                .add(Activation.tanhBlock()));
            case "linear with leading axes, layer norm of the last axis":
                return head(
                        new SequentialBlock()
                                .add(Linear.builder().setUnits(5).build())
                                .add(LayerNorm.builder().axis(2).build())
                                .add(Activation.tanhBlock()));
            case "parallel branches joined by concatenation":
                return head(new SequentialBlock().add(parallel(false)));
            case "conv2d, layer norm of all axes":
                return head(
                        new SequentialBlock()
                                .add(
                                        Conv2d.builder()
                                                .setKernelShape(new Shape(3, 3))
                                                .setFilters(3)
                                                .build())
                                .add(LayerNorm.builder().build())
                                .add(Activation.reluBlock()));
            case "conv2d stride padding dilation groups, pools":
                return head(
                        new SequentialBlock()
                                .add(
                                        Conv2d.builder()
                                                .setKernelShape(new Shape(3, 2))
                                                .optStride(new Shape(2, 1))
                                                .optPadding(new Shape(1, 1))
                                                .optDilation(new Shape(1, 2))
                                                .optGroups(2)
                                                .setFilters(6)
                                                .build())
                                .add(Activation.reluBlock())
                                .add(Pool.avgPool2dBlock(new Shape(2, 2), new Shape(1, 1)))
                                .add(Pool.globalMaxPool2dBlock()));
            case "conv2d no bias, max pool padded":
                return head(
                        new SequentialBlock()
                                .add(
                                        Conv2d.builder()
                                                .setKernelShape(new Shape(3, 3))
                                                .optBias(false)
                                                .setFilters(3)
                                                .build())
                                .add(Activation.reluBlock())
                                .add(
                                        Pool.maxPool2dBlock(
                                                new Shape(3, 3),
                                                new Shape(2, 2),
                                                new Shape(1, 1))));
            case "conv1d stride padding groups":
                return head(
                        new SequentialBlock()
                                .add(
                                        Conv1d.builder()
                                                .setKernelShape(new Shape(3))
                                                .optStride(new Shape(2))
                                                .optPadding(new Shape(1))
                                                .optGroups(2)
                                                .setFilters(4)
                                                .build())
                                .add(Activation.sigmoidBlock())
                                .add(Pool.avgPool1dBlock(new Shape(2))));
            case "conv3d stride padding dilation":
                return head(
                        new SequentialBlock()
                                .add(
                                        Conv3d.builder()
                                                .setKernelShape(new Shape(2, 3, 2))
                                                .optStride(new Shape(1, 2, 1))
                                                .optPadding(new Shape(1, 0, 1))
                                                .optDilation(new Shape(2, 1, 1))
                                                .setFilters(3)
                                                .build())
                                .add(Activation.reluBlock())
                                .add(Pool.maxPool3dBlock(new Shape(2, 2, 2))));
            default:
                throw new IllegalArgumentException(model);
        }
    }

    /**
     * Two convolution branches joined along the channel axis; {@code mixing} also subtracts the
     * batch mean, a join that couples the samples.
     */
    private static ParallelBlock parallel(boolean mixing) {
        return new ParallelBlock(
                outputs -> {
                    NDArray joined =
                            outputs.get(0)
                                    .singletonOrThrow()
                                    .concat(outputs.get(1).singletonOrThrow(), 1);
                    return new NDList(
                            mixing ? joined.sub(joined.mean(new int[] {0}, true)) : joined);
                },
                List.of(
                        new SequentialBlock()
                                .add(
                                        Conv2d.builder()
                                                .setKernelShape(new Shape(3, 3))
                                                .optPadding(new Shape(1, 1))
                                                .setFilters(2)
                                                .build())
                                .add(Activation.reluBlock()),
                        Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(1).build()));
    }

    @Test
    void parallelJoinThatMixesSamplesIsNotBatched() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = head(new SequentialBlock().add(parallel(true)));
            block.initialize(manager, DataType.FLOAT64, new Shape(BATCH, 2, 6, 6));
            ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
            assertFalse(shadow.batchesSamples(true));
            assertTrue(
                    shadow.mirror().unbatchedBlocks().toString().contains("ParallelBlock"),
                    shadow.mirror().unbatchedBlocks()::toString);
        }
    }

    /** Flatten and a bias-free linear classifier of 3 classes. */
    private static Block head(SequentialBlock body) {
        return body.add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(3).optBias(false).build());
    }
}
