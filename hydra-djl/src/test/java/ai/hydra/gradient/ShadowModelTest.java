package ai.hydra.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.loss.Loss;
import ai.djl.util.Pair;
import ai.hydra.gradient.mirror.ActivationPattern;
import ai.hydra.model.DenseNetBc;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shadow passes never touch the model: batch-norm running statistics stay bit-identical. */
class ShadowModelTest {

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
}
