package ai.hydra.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import ai.hydra.gradient.mirror.ActivationPattern;
import ai.hydra.model.DenseNetBc;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.JavaInit;
import ai.hydra.train.DjlInternals;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Shadow gradients against central differences of the loss, in float64 (and float32 against
 * float64), through the operations of the library's models, with batch norm in both modes:
 * prediction mode (running statistics) is what influence functions and test-loss gradients use,
 * training mode (batch statistics) what HYDRA follows. On MXNet a gradient is recorded and
 * differentiated in the engine's training mode unless told otherwise, in which batch norm
 * differentiates batch statistics a prediction-mode pass did not use. Shadow passes never touch the
 * model: batch-norm running statistics stay bit-identical.
 */
@EngineNeutral
class ShadowModelTest {

    private static final int BATCH = 5;
    private static final int[] LABELS = {0, 2, 1, 1, 0};
    private static final double H = 1e-6;

    @ParameterizedTest
    @ValueSource(strings = {"dense", "conv", "conv without batch norm"})
    void gradientsMatchFiniteDifferences(String model) {
        boolean convolutional = model.startsWith("conv");
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape inputShape = convolutional ? new Shape(BATCH, 2, 6, 6) : new Shape(BATCH, 3);
            SequentialBlock block = block(convolutional, !model.contains("without"));
            block.initialize(manager, DataType.FLOAT64, inputShape);
            Random random = new Random(5);
            JavaInit.randomizeAll(block, random, 0.5);
            double[] x = new double[Math.toIntExact(inputShape.size())];
            for (int i = 0; i < x.length; i++) {
                x[i] = random.nextGaussian();
            }
            NDList inputs = new NDList(manager.create(x, inputShape));
            NDList labels =
                    new NDList(
                            manager.create(LABELS).toType(DataType.FLOAT64, false).reshape(BATCH));
            ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
            NDArray w = shadow.space().values(manager, DataType.FLOAT64);
            for (boolean training : new boolean[] {false, true}) {
                String what = model + ", training " + training;
                double[] gradient = shadow.gradient(w, inputs, labels, training).toDoubleArray();
                double[] truth = centralDifferences(block, shadow, w, inputs, labels, training);
                check(what + ", float64 vs central differences", gradient, truth, 1e-7);
                // float32 runs other kernels (MKL-DNN's on MXNet): against the checked float64
                NDArray w32 = w.toType(DataType.FLOAT32, false);
                double[] single =
                        shadow.gradient(w32, inputs, labels, training)
                                .toType(DataType.FLOAT64, false)
                                .toDoubleArray();
                check(what + ", float32 vs float64", single, gradient, 1e-4);
            }
        }
    }

    @Test
    void shadowPassesLeaveRunningStatisticsUntouched() {
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            Block block = DenseNetBc.builder().optDepth(10).optGrowthRate(2).build();
            try (NDManager manager = NDManager.newBaseManager()) {
                Shape shape = new Shape(4, 3, 8, 8);
                block.initialize(manager, type, shape);
                ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
                NDArray w = shadow.space().values(manager, type);
                NDList x = new NDList(manager.randomNormal(shape).toType(type, false));
                NDList y = new NDList(manager.create(new float[] {0, 1, 2, 3}).toType(type, false));
                List<double[]> before = runningStatistics(block);
                shadow.gradient(w, x, y).close();
                shadow.sampleGradients(w, x, y, new int[] {0, 2}).close();
                try (ActivationPattern pattern = shadow.activationPattern(w, x)) {
                    shadow.gradient(w, x, y, pattern).close();
                }
                NDArray v =
                        manager.randomNormal(new Shape(2, shadow.space().size()))
                                .toType(type, false);
                new FiniteDifferenceHvp(shadow).multiply(w, x, y, v).close();
                List<double[]> after = runningStatistics(block);
                for (int i = 0; i < before.size(); i++) {
                    assertArrayEquals(before.get(i), after.get(i), type + ": statistics changed");
                }
            }
        }
    }

    static List<double[]> runningStatistics(Block block) {
        List<double[]> out = new ArrayList<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            if (!pair.getValue().requiresGradient()) {
                NDArray array = pair.getValue().getArray();
                out.add(array.toType(DataType.FLOAT64, false).toDoubleArray());
            }
        }
        assertFalse(out.isEmpty());
        return out;
    }

    private static SequentialBlock block(boolean convolutional, boolean batchNorm) {
        SequentialBlock block = new SequentialBlock();
        // LeNet's and DenseNet's operations: convolution, batch norm, max and average pooling
        block.add(
                convolutional
                        ? Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(3).build()
                        : Linear.builder().setUnits(4).build());
        if (batchNorm) {
            block.add(BatchNorm.builder().build());
        }
        block.add(Activation::tanh);
        if (convolutional) {
            block.add(Pool.maxPool2dBlock(new Shape(2, 2)))
                    .add(Pool.avgPool2dBlock(new Shape(2, 2)))
                    .add(Blocks.batchFlattenBlock());
        }
        return block.add(Linear.builder().setUnits(3).build());
    }

    private static void check(String what, double[] actual, double[] truth, double tolerance) {
        double worst = 0;
        double largest = 0;
        for (int j = 0; j < truth.length; j++) {
            worst = Math.max(worst, Math.abs(actual[j] - truth[j]));
            largest = Math.max(largest, Math.abs(truth[j]));
        }
        System.out.printf("%s: max abs error %.2e (max %.2e)%n", what, worst, largest);
        assertTrue(worst < tolerance * largest, what + ": error " + worst);
    }

    private static double[] centralDifferences(
            SequentialBlock block,
            ShadowModel shadow,
            NDArray w,
            NDList inputs,
            NDList labels,
            boolean training) {
        double[] base = w.toDoubleArray();
        double[] out = new double[base.length];
        for (int j = 0; j < base.length; j++) {
            double[] plus = base.clone();
            plus[j] += H;
            double[] minus = base.clone();
            minus[j] -= H;
            out[j] =
                    (loss(block, shadow, plus, inputs, labels, training)
                                    - loss(block, shadow, minus, inputs, labels, training))
                            / (2 * H);
        }
        return out;
    }

    /** The loss at flat weights, by a plain forward of the block (no shadow copies). */
    private static double loss(
            SequentialBlock block,
            ShadowModel shadow,
            double[] weights,
            NDList inputs,
            NDList labels,
            boolean training) {
        try (NDManager scope = inputs.head().getManager().newSubManager()) {
            NDList values = shadow.space().unflatten(scope.create(weights));
            for (int i = 0; i < values.size(); i++) {
                shadow.space().trainable().get(i).getArray().set(values.get(i).toDoubleArray());
            }
            // copies of every array, so that a training pass leaves the running statistics alone
            ParameterStore copies = new ParameterStore(scope, true);
            try (DjlInternals.ForwardMode mode =
                    DjlInternals.forwardMode(scope.getEngine(), training)) {
                return loss(block.forward(copies, inputs, training), labels);
            }
        }
    }

    private static double loss(NDList predictions, NDList labels) {
        return Loss.softmaxCrossEntropyLoss()
                .evaluate(labels, predictions)
                .toType(DataType.FLOAT64, false)
                .getDouble();
    }
}
