package ai.hydra.gradient.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.hydra.model.DenseNetBc;
import ai.hydra.model.LeNet5;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.train.DjlInternals;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The mirror against DJL's own blocks on each engine: same outputs, same gradient routing (the ReLU
 * mask and first-maximum max pooling of PyTorch and MXNet, ties included), and frozen passes that
 * are the linear maps autograd differentiates.
 */
@EngineNeutral
class BlockMirrorTest {

    @Test
    void maxPoolingMatchesPyTorchForEveryWindowShapeAndTie() {
        check(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)), new Shape(2, 3, 8, 8));
        check(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)), new Shape(2, 3, 7, 9));
        check(
                Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), true),
                new Shape(2, 2, 8, 7));
        check(
                Pool.maxPool2dBlock(new Shape(3, 2), new Shape(1, 2), new Shape(1, 0), false),
                new Shape(1, 2, 6, 5));
        check(
                Pool.maxPool1dBlock(new Shape(3), new Shape(2), new Shape(1), true),
                new Shape(2, 3, 10));
        check(
                Pool.maxPool3dBlock(new Shape(2, 2, 2), new Shape(2, 1, 2), new Shape(1, 0, 1)),
                new Shape(1, 2, 5, 4, 5));
        check(Pool.globalMaxPool2dBlock(), new Shape(2, 3, 5, 4));
        check(Pool.globalMaxPool1dBlock(), new Shape(2, 3, 6));
    }

    @Test
    void reluMatchesTheEngine() {
        check(Activation.reluBlock(), new Shape(3, 7));
    }

    /**
     * MXNet computes the negative side of a float64 leaky ReLU in float32 precision (-3 x 0.1 gives
     * -0.30000001192, not -0.30000000447): not the smooth float64 function a frozen pass computes,
     * so the mirror leaves the block unknown there (products checked for crossings).
     */
    @Test
    void leakyReluMatchesPyTorchAndIsLeftUnknownOnMxnet() {
        checkOrUnknownOnMxnet(Activation.leakyReluBlock(0.1f), new Shape(3, 7));
    }

    /**
     * In ceil mode PyTorch drops a last window that would start in the right padding; MXNet's
     * {@code pooling_convention=full} keeps it (here 3x3 outputs instead of 2x2).
     */
    @Test
    void ceilModeWindowInThePaddingFollowsPyTorchAndIsLeftUnknownOnMxnet() {
        checkOrUnknownOnMxnet(
                Pool.maxPool2dBlock(new Shape(3, 3), new Shape(3, 3), new Shape(1, 1), true),
                new Shape(2, 2, 5, 5));
    }

    private static void checkOrUnknownOnMxnet(Block block, Shape shape) {
        if (!"MXNet".equals(Engine.getInstance().getEngineName())) {
            check(block, shape);
            return;
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, DataType.FLOAT64, shape);
            List<String> unfrozen = BlockMirror.of(block).unfrozenBlocks();
            assertEquals(1, unfrozen.size(), unfrozen.toString());
            assertTrue(unfrozen.get(0).contains("LambdaBlock"), unfrozen.toString());
        }
    }

    @Test
    void knowsEveryBlockOfLeNetAndDenseNetAndComputesTheirFunction() {
        check(LeNet5.newBlock(), new Shape(3, 1, 28, 28));
        check(DenseNetBc.builder().optDepth(10).optGrowthRate(2).build(), new Shape(3, 3, 8, 8));
    }

    @Test
    void listsBlocksThatMayHideKinks() {
        Block impostor = new LambdaBlock(x -> new NDList(x.head().abs()), "ReLU");
        SequentialBlock net =
                new SequentialBlock()
                        .add(Linear.builder().setUnits(4).build())
                        .add(Activation::tanh) // anonymous lambda
                        .add(impostor) // named like DJL's ReLU, computes |x|
                        .add(Activation.softSignBlock()) // second derivative jumps at 0
                        .add(Activation.reluBlock())
                        .add(Blocks.batchFlattenBlock());
        try (NDManager manager = NDManager.newBaseManager()) {
            net.initialize(manager, DataType.FLOAT64, new Shape(2, 3));
            BlockMirror mirror = BlockMirror.of(net);
            assertFalse(mirror.freezesEveryKink());
            List<String> unfrozen = mirror.unfrozenBlocks();
            assertEquals(3, unfrozen.size(), unfrozen.toString());
            assertTrue(unfrozen.get(0).contains("'anonymous'"), unfrozen.toString());
            assertTrue(unfrozen.get(1).contains("'ReLU'"), unfrozen.toString());
            assertTrue(unfrozen.get(2).contains("'softSign'"), unfrozen.toString());
        }
    }

    /**
     * Runs a block and its mirror on inputs full of ties (small integers) and on distinct values:
     * same outputs, same input gradients; a frozen pass at a moved input is the recorded linear
     * selection (its product with r equals the recorded input gradient's product with the input).
     */
    private static void check(Block block, Shape shape) {
        try (NDManager manager = NDManager.newBaseManager()) {
            block.initialize(manager, DataType.FLOAT64, shape);
            BlockMirror mirror = BlockMirror.of(block);
            assertTrue(mirror.freezesEveryKink(), block + ": " + mirror.unfrozenBlocks());
            Random random = new Random(1);
            for (boolean ties : new boolean[] {true, false}) {
                ParameterStore store = new ParameterStore(manager, false);
                NDArray x = values(manager, random, shape, ties);
                NDArray r =
                        manager.randomNormal(
                                        outsideCollector(x, () -> blockOutput(block, store, x))
                                                .getShape())
                                .toType(DataType.FLOAT64, false);
                try (ActivationPattern pattern = new ActivationPattern(manager, true)) {
                    NDArray own = gradientOf(x, r, in -> blockOutput(block, store, in));
                    NDArray mirrored =
                            gradientOf(
                                    x,
                                    r,
                                    in ->
                                            MirrorPass.recording(mirror, store, pattern)
                                                    .run(new NDList(in))
                                                    .singletonOrThrow());
                    assertTrue(
                            outsideCollector(x, () -> blockOutput(block, store, x))
                                    .contentEquals(
                                            outsideCollector(
                                                    x,
                                                    () ->
                                                            MirrorPass.frozen(
                                                                            mirror, store, pattern)
                                                                    .run(new NDList(x))
                                                                    .singletonOrThrow())),
                            block + ": frozen output at the recorded point");
                    double scale = own.abs().max().getDouble() + 1;
                    assertEquals(0, own.sub(mirrored).abs().max().getDouble() / scale, 1e-14);
                    if (mirror.block() instanceof LambdaBlock) {
                        // parameter-free: the frozen pass is the linear map whose adjoint gave own
                        NDArray moved = values(manager, random, shape, false);
                        NDArray frozen =
                                MirrorPass.frozen(mirror, store, pattern)
                                        .run(new NDList(moved))
                                        .singletonOrThrow();
                        double lhs = frozen.mul(r).sum().getDouble();
                        double rhs = own.mul(moved).sum().getDouble();
                        assertEquals(rhs, lhs, 1e-12 * (Math.abs(rhs) + 1), block.toString());
                    }
                }
            }
        }
    }

    private static NDArray blockOutput(Block block, ParameterStore store, NDArray x) {
        return block.forward(store, new NDList(x), true).singletonOrThrow();
    }

    /** A training-mode pass outside a gradient collector (MXNet's batch norm needs a scope). */
    private static NDArray outsideCollector(NDArray x, Supplier<NDArray> pass) {
        try (DjlInternals.ForwardMode mode =
                DjlInternals.forwardMode(x.getManager().getEngine(), true)) {
            return pass.get();
        }
    }

    /** The gradient of sum(f(x) * r) with respect to x. */
    private static NDArray gradientOf(
            NDArray x, NDArray r, java.util.function.Function<NDArray, NDArray> f) {
        NDArray leaf = x.duplicate();
        leaf.setRequiresGradient(true);
        try (GradientCollector collector = x.getManager().getEngine().newGradientCollector()) {
            collector.backward(f.apply(leaf).mul(r).sum());
        }
        return leaf.getGradient().duplicate();
    }

    private static NDArray values(NDManager manager, Random random, Shape shape, boolean ties) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = ties ? random.nextInt(3) - 1 : random.nextGaussian();
        }
        return manager.create(values, shape);
    }
}
