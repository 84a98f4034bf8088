package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * One forward pass through a {@link BlockMirror}: the parameters it reads, the training flag (its
 * pattern's mode), and what it does at each kink.
 *
 * <p>A <em>recording</em> pass computes the block's function and stores every piecewise-linear
 * choice it makes in an {@link ActivationPattern}; a <em>frozen</em> pass makes the recorded
 * choices instead of its own, so that it computes a smooth function of the weights that agrees with
 * the block at the recorded point. A pass is used once, from one thread.
 */
public final class MirrorPass {

    private final BlockMirror mirror;
    private final ParameterStore store;
    private final boolean training;
    private final ActivationPattern pattern;
    private final boolean recording;
    private final SampleProbes probes;
    private int cursor;

    private MirrorPass(
            BlockMirror mirror,
            ParameterStore store,
            boolean training,
            ActivationPattern pattern,
            boolean recording,
            SampleProbes probes) {
        this.mirror = mirror;
        this.store = store;
        this.training = training;
        this.pattern = pattern;
        this.recording = recording;
        this.probes = probes;
    }

    /**
     * Creates a pass that records its kinks, in the pattern's mode.
     *
     * @param mirror the mirror to run
     * @param store where blocks read their parameters
     * @param into an empty pattern that receives the choices; its mode is the training flag blocks
     *     see (batch statistics in batch normalization)
     * @return the pass
     */
    public static MirrorPass recording(
            BlockMirror mirror, ParameterStore store, ActivationPattern into) {
        if (into.size() != 0) {
            throw new IllegalArgumentException("a recording pass needs an empty pattern");
        }
        return new MirrorPass(mirror, store, into.isTraining(), into, true, null);
    }

    /**
     * Creates a pass that probes every parametric layer for per-sample gradients (see {@link
     * SampleProbes}) and runs every kink as the block does (the engine's own ReLU and max pooling,
     * nothing recorded); the mirror must be {@link BlockMirror#batchesSamples() batching}.
     *
     * @param mirror the mirror to run
     * @param store where blocks read their parameters
     * @param training the training flag blocks see
     * @param probes an empty record that receives the layers' inputs and probes
     * @return the pass
     */
    public static MirrorPass probing(
            BlockMirror mirror, ParameterStore store, boolean training, SampleProbes probes) {
        if (!mirror.batchesSamples()) {
            throw new IllegalArgumentException(
                    "per-sample gradients cannot be batched through " + mirror.unbatchedBlocks());
        }
        return new MirrorPass(mirror, store, training, null, true, probes);
    }

    /**
     * Creates a pass that replays recorded kinks, in the mode they were recorded in.
     *
     * @param mirror the mirror to run (the one that recorded the pattern)
     * @param store where blocks read their parameters
     * @param pattern the recorded pattern, on the inputs this pass gets
     * @return the pass
     */
    public static MirrorPass frozen(
            BlockMirror mirror, ParameterStore store, ActivationPattern pattern) {
        return new MirrorPass(mirror, store, pattern.isTraining(), pattern, false, null);
    }

    /**
     * Creates a recording pass for one leaf operation outside any mirror (to verify a node on a
     * probe input); it cannot forward blocks.
     */
    static MirrorPass probe(ParameterStore store, ActivationPattern into) {
        return new MirrorPass(null, store, into.isTraining(), into, true, null);
    }

    /**
     * Runs the mirror's whole block; a frozen pass checks that it used the whole pattern.
     *
     * @param inputs the block's inputs
     * @return the block's outputs
     */
    public NDList run(NDList inputs) {
        NDList out = forward(mirror.block(), inputs);
        if (!recording && cursor != pattern.size()) {
            throw new IllegalStateException(
                    "A frozen pass met "
                            + cursor
                            + " kinked operations, the recorded pattern holds "
                            + pattern.size());
        }
        return out;
    }

    /**
     * Runs one block of the mirrored tree (a child, from a {@link MirroredBlock}).
     *
     * @param block a block of the mirrored tree
     * @param inputs its inputs
     * @return its outputs
     */
    public NDList forward(Block block, NDList inputs) {
        return mirror.node(block).forward(this, inputs);
    }

    /**
     * Returns where blocks read their parameters.
     *
     * @return the parameter store
     */
    public ParameterStore parameterStore() {
        return store;
    }

    /**
     * Returns the training flag blocks see.
     *
     * @return true in training mode
     */
    public boolean isTraining() {
        return training;
    }

    /**
     * Runs a parametric layer as it is; a probing pass records its input and adds a zero probe to
     * its output.
     *
     * @param layer a {@link ai.djl.nn.core.Linear} or {@link ai.djl.nn.convolutional.Convolution}
     * @param inputs its inputs
     * @return its outputs
     */
    NDList layer(Block layer, NDList inputs) {
        NDList out = layer.forward(store, inputs, training);
        if (probes == null) {
            return out;
        }
        return new NDList(probes.probe(layer, inputs.singletonOrThrow(), out.singletonOrThrow()));
    }

    /**
     * Runs a batch normalization as it is; a probing pass runs it as {@link
     * SampleProbes#probeBatchNorm} does and probes it.
     *
     * @param layer the batch normalization
     * @param inputs its inputs
     * @return its outputs
     */
    NDList batchNorm(BatchNorm layer, NDList inputs) {
        if (probes == null) {
            return layer.forward(store, inputs, training);
        }
        return new NDList(probes.probeBatchNorm(layer, store, inputs.singletonOrThrow(), training));
    }

    /**
     * Runs a layer normalization as it is; a probing pass also probes it (see {@link
     * SampleProbes#probeLayerNorm}).
     *
     * @param layer the layer normalization
     * @param inputs its inputs
     * @return its outputs
     */
    NDList layerNorm(LayerNorm layer, NDList inputs) {
        if (probes == null) {
            return layer.forward(store, inputs, training);
        }
        return new NDList(probes.probeLayerNorm(layer, store, inputs, training));
    }

    /**
     * ReLU with its mask {@code x > 0} (the one PyTorch's backward uses) frozen.
     *
     * @param x the input
     * @return {@code x * mask}
     */
    public NDArray relu(NDArray x) {
        if (pattern == null) {
            return Activation.relu(x);
        }
        NDArray mask = site(x.getShape(), () -> x.gt(0).toType(x.getDataType(), false));
        return x.mul(mask);
    }

    /**
     * Leaky ReLU ({@code x} where {@code x > 0}, else {@code alpha x}) with its branch frozen.
     *
     * @param x the input
     * @param alpha the slope of the negative side
     * @return {@code x * slope}, the slope (1 or {@code alpha}) frozen
     */
    public NDArray leakyRelu(NDArray x, float alpha) {
        if (pattern == null) {
            return Activation.leakyRelu(x, alpha);
        }
        NDArray slope =
                site(
                        x.getShape(),
                        () -> {
                            NDArray one = x.onesLike();
                            // alpha as the engine's own leaky ReLU rounds it into x's type (MXNet
                            // and a scalar multiplication round it differently)
                            NDArray negative = Activation.leakyRelu(one.neg(), alpha).neg();
                            return NDArrays.where(x.gt(0), one, negative);
                        });
        return x.mul(slope);
    }

    /**
     * Max pooling with the selected element of every window frozen (the first maximal one in
     * row-major kernel order, as PyTorch's and MXNet's backward route it). The pattern keeps each
     * output's position in the flattened input; frozen passes take them.
     *
     * @param x the input, shape (N, C, spatial...)
     * @param window the pooling windows
     * @return the pooled array, shape (N, C, output spatial...)
     */
    public NDArray maxPool(NDArray x, PoolWindow window) {
        if (pattern == null) {
            return window.pool(x);
        }
        Shape shape = x.getShape();
        Shape pooled = shape.slice(0, 2).addAll(window.outputShape(shape.slice(2)));
        NDArray positions = site(pooled, () -> flat(x, window.selectedPositions(x)));
        return x.take(x.getManager(), positions);
    }

    /**
     * Global max pooling over the spatial axes with the selected element frozen.
     *
     * @param x the input, shape (N, C, spatial...)
     * @return shape (N, C)
     */
    public NDArray globalMaxPool(NDArray x) {
        if (pattern == null) {
            return x.getNDArrayInternal().globalMaxPool();
        }
        Shape nc = x.getShape().slice(0, 2);
        NDArray positions =
                site(
                        nc,
                        () ->
                                flat(
                                        x,
                                        x.reshape(nc.get(0), nc.get(1), -1)
                                                .argMax(2)
                                                .toType(DataType.FLOAT64, false)));
        return x.take(x.getManager(), positions);
    }

    /**
     * Turns flat spatial positions, shape (N, C, ...), into positions in the whole flattened {@code
     * x}: linear indexing ({@code take}) is what both PyTorch's and MXNet's DJL engines implement
     * and differentiate ({@code gather} is missing on MXNet).
     */
    private static NDArray flat(NDArray x, NDArray spatial) {
        Shape shape = x.getShape();
        long channels = shape.get(0) * shape.get(1);
        long[] broadcast = new long[spatial.getShape().dimension()];
        Arrays.fill(broadcast, 1);
        broadcast[0] = shape.get(0);
        broadcast[1] = shape.get(1);
        NDArray start =
                x.getManager()
                        .arange(0, Math.toIntExact(channels), 1, DataType.FLOAT64)
                        .mul(shape.size() / channels)
                        .reshape(new Shape(broadcast));
        return spatial.add(start).toType(DataType.INT64, false);
    }

    /** Records a kink's choice, or returns the recorded one after checking its shape. */
    private NDArray site(Shape shape, Supplier<NDArray> choice) {
        if (recording) {
            NDArray chosen = choice.get();
            pattern.add(chosen);
            return chosen;
        }
        NDArray recorded = pattern.get(cursor++);
        if (!recorded.getShape().equals(shape)) {
            throw new IllegalStateException(
                    "A frozen pass met a kink of shape "
                            + shape
                            + " where the pattern recorded "
                            + recorded.getShape()
                            + ": freeze patterns on the same inputs they were recorded on");
        }
        return recorded;
    }
}
