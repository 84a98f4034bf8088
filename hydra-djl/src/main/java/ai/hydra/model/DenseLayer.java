package ai.hydra.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.hydra.gradient.mirror.MirrorPass;
import ai.hydra.gradient.mirror.MirroredBlock;

/**
 * A DenseNet layer: applies an inner block to its (N,C,H,W) input and concatenates input and output
 * along the channel axis, giving (N, C + growth, H, W). It takes part in mirror passes, so that
 * Hessian-vector products freeze the ReLUs of its inner block.
 */
public final class DenseLayer extends AbstractBlock implements MirroredBlock {

    private static final byte VERSION = 1;

    private final Block inner;

    /**
     * Wraps an inner block that keeps the spatial size.
     *
     * @param inner the block computing the new feature maps
     */
    public DenseLayer(Block inner) {
        super(VERSION);
        this.inner = addChildBlock("inner", inner);
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore,
            NDList inputs,
            boolean training,
            PairList<String, Object> params) {
        return concatenate(inputs, inner.forward(parameterStore, inputs, training, params));
    }

    /** {@inheritDoc} */
    @Override
    public NDList mirrorForward(MirrorPass pass, NDList inputs) {
        return concatenate(inputs, pass.forward(inner, inputs));
    }

    private static NDList concatenate(NDList inputs, NDList output) {
        NDArray input = inputs.singletonOrThrow();
        return new NDList(input.concat(output.singletonOrThrow(), 1));
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape in = inputShapes[0];
        Shape out = inner.getOutputShapes(inputShapes)[0];
        return new Shape[] {new Shape(in.get(0), in.get(1) + out.get(1), in.get(2), in.get(3))};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        inner.initialize(manager, dataType, inputShapes);
    }
}
