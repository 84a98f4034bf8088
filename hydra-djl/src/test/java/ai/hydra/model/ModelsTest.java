package ai.hydra.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.hydra.testing.EngineNeutral;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@EngineNeutral
class ModelsTest {

    @Test
    void leNet5HasTheClassicParameterCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            long count =
                    Models.countTrainableParameters(LeNet5.newBlock(), LeNet5.INPUT_SHAPE, manager);
            // conv1 6*(25+1) + conv2 16*(6*25+1) + fc 400*120+120 + 120*84+84 + 84*10+10
            assertEquals(6 * 26 + 16 * 151 + 400 * 120 + 120 + 120 * 84 + 84 + 840 + 10, count);
            assertEquals(61_706, count);
        }
    }

    @Test
    void denseNetBc40HasThePapersParameterCount() {
        try (NDManager manager = NDManager.newBaseManager()) {
            long count =
                    Models.countTrainableParameters(
                            DenseNetBc.newBlock(), DenseNetBc.INPUT_SHAPE, manager);
            assertEquals(176_122, count);
        }
    }

    @Test
    void logisticRegressionAndMlpHaveTheBenchmarkParameterCounts() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // one dense layer 784 -> 10 with bias
            assertEquals(
                    784 * 10 + 10,
                    Models.countTrainableParameters(
                            Models.newBlock("logistic-regression"),
                            LogisticRegression.INPUT_SHAPE,
                            manager));
            // 784 -> 128 -> 64 -> 10, all with bias
            long mlp = Models.countTrainableParameters(Mlp.newBlock(), Mlp.INPUT_SHAPE, manager);
            assertEquals(784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10, mlp);
            assertEquals(109_386, mlp);
        }
    }

    @Test
    void denseNetBuilderChangesTheArchitecture() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block small =
                    DenseNetBc.builder().optDepth(10).optGrowthRate(4).optNumClasses(3).build();
            // stem 3*9*8; one layer per block; see the class javadoc for the layout
            long expected = denseNetCount(10, 4, 3);
            assertEquals(
                    expected,
                    Models.countTrainableParameters(small, DenseNetBc.INPUT_SHAPE, manager));
        }
    }

    /** Independent closed-form count of DenseNet-BC with bias-free convs. */
    private static long denseNetCount(int depth, int k, int classes) {
        int c = 2 * k;
        long p = 3L * 9 * c;
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < (depth - 4) / 6; i++) {
                p += 2L * c + (long) c * 4 * k + 2L * 4 * k + 4L * k * 9 * k;
                c += k;
            }
            if (b < 2) {
                p += 2L * c + (long) c * (c / 2);
                c /= 2;
            }
        }
        return p + 2L * c + (long) c * classes + classes;
    }

    @ParameterizedTest
    @CsvSource({
        "lenet5, FLOAT32",
        "lenet5, FLOAT64",
        "densenet-bc-40, FLOAT32",
        "densenet-bc-40, FLOAT64",
        "logistic-regression, FLOAT32",
        "mlp, FLOAT32",
        "mlp, FLOAT64"
    })
    void forwardGivesOneLogitRowPerImage(String name, DataType dataType) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = Models.newBlock(name);
            Shape one = Models.inputShape(name);
            Shape batch = new Shape(2, one.get(1), one.get(2), one.get(3));
            block.initialize(manager, dataType, batch);
            NDArray input = manager.randomUniform(0, 1, batch, dataType);
            NDArray output =
                    block.forward(new ParameterStore(manager, false), new NDList(input), false)
                            .singletonOrThrow();
            assertEquals(new Shape(2, 10), output.getShape());
            assertEquals(dataType, output.getDataType());
            // (MXNet has no isInfinite)
            assertTrue(
                    Arrays.stream(output.toType(DataType.FLOAT64, false).toDoubleArray())
                            .allMatch(Double::isFinite));
            assertEquals(new Shape(2, 10), block.getOutputShapes(new Shape[] {batch})[0]);
        }
    }

    @Test
    void leNetNumClassesChangesTheOutput() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = LeNet5.builder().optNumClasses(3).build();
            block.initialize(manager, DataType.FLOAT32, LeNet5.INPUT_SHAPE);
            assertEquals(
                    new Shape(1, 3), block.getOutputShapes(new Shape[] {LeNet5.INPUT_SHAPE})[0]);
        }
    }

    @Test
    void unknownNamesListTheKnownOnes() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Models.newBlock("resnet"));
        assertTrue(e.getMessage().contains("resnet"));
        assertTrue(e.getMessage().contains("lenet5"));
        assertTrue(e.getMessage().contains("densenet-bc-40"));
        assertTrue(e.getMessage().contains("logistic-regression, mlp"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Models.inputShape("vgg"));
        assertThrows(IllegalArgumentException.class, () -> DenseNetBc.builder().optDepth(41));
    }
}
