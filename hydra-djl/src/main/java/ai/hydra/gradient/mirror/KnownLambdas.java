package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.training.ParameterStore;
import ai.hydra.train.DjlInternals;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The {@link LambdaBlock}s of DJL's factories ({@code Activation.reluBlock()}, {@code
 * Pool.maxPool2dBlock(...)}, {@code Blocks.batchFlattenBlock()}, ...), recognized by name and
 * captured arguments and verified on a probe input: a block counts as known only if it computes
 * exactly what DJL's function computes with those arguments.
 *
 * <p>Smooth ones run as they are; ReLU, leaky ReLU and max pooling get freezing nodes. ReLU6, ELU,
 * SELU, soft sign, soft plus (a threshold switch in PyTorch), Mish and the Lp pools are left
 * unknown: they have kinks or second-derivative jumps this mirror does not freeze.
 *
 * <p>The check runs on the engine in use, so a block is known only where that engine computes what
 * the node computes. On MXNet a float64 leaky ReLU computes its negative side in float32 precision
 * (not the smooth float64 function a frozen pass computes), and a max pooling in ceil mode may keep
 * a window PyTorch drops ({@link PoolWindow}): such blocks stay unknown there.
 */
final class KnownLambdas {

    private static final long PROBE_SEED = 20210523L;

    private static final Map<String, Known> KNOWN =
            Map.ofEntries(
                    Map.entry("ReLU", freezing((x, a) -> Activation.relu(x), a -> relu())),
                    Map.entry(
                            "LeakyReLU",
                            freezing(
                                    (x, a) -> Activation.leakyRelu(x, (Float) a.get(0)),
                                    a -> leakyRelu((Float) a.get(0)))),
                    Map.entry("sigmoid", smooth((x, a) -> Activation.sigmoid(x))),
                    Map.entry("Tanh", smooth((x, a) -> Activation.tanh(x))),
                    Map.entry("GELU", smooth((x, a) -> Activation.gelu(x))),
                    Map.entry("Swish", smooth((x, a) -> Activation.swish(x, (Float) a.get(0)))),
                    Map.entry("identity", smooth((x, a) -> x)),
                    Map.entry(
                            "batchFlatten",
                            smooth(
                                    (x, a) ->
                                            a.isEmpty()
                                                    ? Blocks.batchFlatten(x)
                                                    : Blocks.batchFlatten(x, (Long) a.get(0)))),
                    Map.entry("maxPool1d", maxPool()),
                    Map.entry("maxPool2d", maxPool()),
                    Map.entry("maxPool3d", maxPool()),
                    Map.entry("globalMaxPool1d", globalMaxPool()),
                    Map.entry("globalMaxPool2d", globalMaxPool()),
                    Map.entry("globalMaxPool3d", globalMaxPool()),
                    Map.entry("avgPool1d", avgPool()),
                    Map.entry("avgPool2d", avgPool()),
                    Map.entry("avgPool3d", avgPool()),
                    Map.entry("globalAvgPool1d", globalAvgPool()),
                    Map.entry("globalAvgPool2d", globalAvgPool()),
                    Map.entry("globalAvgPool3d", globalAvgPool()));

    private KnownLambdas() {}

    /**
     * Recognizes an initialized DJL factory block.
     *
     * @param block the block
     * @return its node, or empty if the block is not a verified DJL factory block
     */
    static Optional<BlockMirror.Node> recognize(LambdaBlock block) {
        Known known = KNOWN.get(block.getName());
        if (known == null || !block.isInitialized()) {
            return Optional.empty();
        }
        Optional<List<Object>> arguments = DjlInternals.capturedArguments(block);
        if (arguments.isEmpty()) {
            return Optional.empty();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Object> args = arguments.get();
            NDArray probe = probe(manager, block.getInputShapes()[0]);
            NDArray own =
                    block.forward(new ParameterStore(manager, false), new NDList(probe), false)
                            .singletonOrThrow();
            BlockMirror.Node node = known.node.apply(args);
            // the reference checks the arguments; the node's own output checks its freezing
            NDArray reference = known.reference.apply(probe, args);
            NDArray mirrored =
                    node == null
                            ? reference
                            : node.forward(
                                            MirrorPass.probe(
                                                    new ParameterStore(manager, false),
                                                    new ActivationPattern(manager, false)),
                                            new NDList(probe))
                                    .singletonOrThrow();
            if (own.getShape().equals(reference.getShape())
                    && own.contentEquals(reference)
                    && own.contentEquals(mirrored)) {
                return Optional.of(node == null ? BlockMirror.asIs(block) : node);
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            // wrong argument types or counts: not the factory lambda this table knows
            return Optional.empty();
        }
    }

    /** Distinct float64 values of both signs, so that no window of a max pooling ties. */
    private static NDArray probe(NDManager manager, Shape shape) {
        return gaussian(manager, shape, new Random(PROBE_SEED));
    }

    /** Standard normal float64 draws of {@code random}, for probe inputs. */
    static NDArray gaussian(NDManager manager, Shape shape, Random random) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian();
        }
        return manager.create(values, shape).toType(DataType.FLOAT64, false);
    }

    private static BlockMirror.Node relu() {
        return (pass, inputs) -> new NDList(pass.relu(inputs.singletonOrThrow()));
    }

    private static BlockMirror.Node leakyRelu(float alpha) {
        return (pass, inputs) -> new NDList(pass.leakyRelu(inputs.singletonOrThrow(), alpha));
    }

    private static Known maxPool() {
        return freezing(
                (x, a) ->
                        x.getNDArrayInternal()
                                .maxPool(
                                        (Shape) a.get(0),
                                        (Shape) a.get(1),
                                        (Shape) a.get(2),
                                        (Boolean) a.get(3)),
                a -> {
                    PoolWindow window =
                            new PoolWindow(
                                    (Shape) a.get(0),
                                    (Shape) a.get(1),
                                    (Shape) a.get(2),
                                    (Boolean) a.get(3));
                    return (pass, inputs) ->
                            new NDList(pass.maxPool(inputs.singletonOrThrow(), window));
                });
    }

    private static Known globalMaxPool() {
        return freezing(
                (x, a) -> noArguments(a, x.getNDArrayInternal().globalMaxPool()),
                a -> (pass, inputs) -> new NDList(pass.globalMaxPool(inputs.singletonOrThrow())));
    }

    private static Known avgPool() {
        return smooth(
                (x, a) ->
                        x.getNDArrayInternal()
                                .avgPool(
                                        (Shape) a.get(0),
                                        (Shape) a.get(1),
                                        (Shape) a.get(2),
                                        (Boolean) a.get(3),
                                        (Boolean) a.get(4)));
    }

    private static Known globalAvgPool() {
        return smooth((x, a) -> noArguments(a, x.getNDArrayInternal().globalAvgPool()));
    }

    private static NDArray noArguments(List<Object> arguments, NDArray result) {
        if (!arguments.isEmpty()) {
            throw new IllegalArgumentException("expected no captured arguments");
        }
        return result;
    }

    private static Known smooth(BiFunction<NDArray, List<Object>, NDArray> reference) {
        return new Known(reference, a -> null);
    }

    private static Known freezing(
            BiFunction<NDArray, List<Object>, NDArray> reference,
            Function<List<Object>, BlockMirror.Node> node) {
        return new Known(reference, node);
    }

    /** DJL's function with the captured arguments, and the node (null: run the block as is). */
    private static final class Known {

        final BiFunction<NDArray, List<Object>, NDArray> reference;
        final Function<List<Object>, BlockMirror.Node> node;

        Known(
                BiFunction<NDArray, List<Object>, NDArray> reference,
                Function<List<Object>, BlockMirror.Node> node) {
            this.reference = reference;
            this.node = node;
        }
    }
}
