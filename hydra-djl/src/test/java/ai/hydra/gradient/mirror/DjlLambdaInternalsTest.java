package ai.hydra.gradient.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.pooling.Pool;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Pins the reflective reads of {@link DjlLambdaInternals} to DJL 0.35.1: on a DJL upgrade this test
 * says whether the factories still capture their arguments the same way (the mirror would then
 * treat their blocks as unknown, not compute wrong products).
 */
class DjlLambdaInternalsTest {

    @Test
    void readsTheArgumentsOfDjl0351Factories() {
        assertEquals("0.35.1", Engine.getDjlVersion());
        assertEquals(
                Optional.of(List.of(new Shape(3, 2), new Shape(2, 1), new Shape(1, 0), true)),
                captured(
                        Pool.maxPool2dBlock(
                                new Shape(3, 2), new Shape(2, 1), new Shape(1, 0), true)));
        assertEquals(
                Optional.of(List.of(new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false)),
                captured(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2))));
        assertEquals(
                Optional.of(List.of(new Shape(2), new Shape(1), new Shape(1), false, true)),
                captured(
                        Pool.avgPool1dBlock(
                                new Shape(2), new Shape(1), new Shape(1), false, true)));
        assertEquals(Optional.of(List.of(0.25f)), captured(Activation.leakyReluBlock(0.25f)));
        assertEquals(Optional.of(List.of(784L)), captured(Blocks.batchFlattenBlock(784)));
        assertEquals(Optional.of(List.of()), captured(Activation.reluBlock()));
        assertEquals(Optional.of(List.of()), captured(Pool.globalMaxPool2dBlock()));
        assertEquals(Optional.of(List.of()), captured(Blocks.batchFlattenBlock()));
    }

    private static Optional<List<Object>> captured(ai.djl.nn.Block block) {
        return DjlLambdaInternals.capturedArguments((LambdaBlock) block);
    }
}
