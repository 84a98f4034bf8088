package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Convolution;

/**
 * Per-sample parameter gradients of one layer from its recorded input and the per-sample gradient
 * of its output (the gradient a zero probe added to the output received): for a layer that is
 * linear in its parameters, sample {@code b}'s weight gradient is a product of its own input and
 * output gradient, so a whole batch of them is one batched matrix product.
 */
final class LayerGradients {

    private LayerGradients() {}

    /**
     * A linear layer {@code y = x W^T + b} over the last axis, any leading axes after the batch.
     *
     * @param x the input, shape (B, ..., in)
     * @param g the output gradient, shape (B, ..., out)
     * @return the weight gradients (B, out, in) and the bias gradients (B, out)
     */
    static NDList linear(NDArray x, NDArray g) {
        long batch = x.getShape().get(0);
        if (x.getShape().dimension() == 2) {
            // one row per sample: an outer product (a batched product with inner size 1 is slower)
            return new NDList(g.expandDims(2).mul(x.expandDims(1)), g);
        }
        NDArray rowsIn = x.reshape(batch, -1, x.getShape().tail());
        NDArray rowsOut = g.reshape(batch, -1, g.getShape().tail());
        NDArray weight = rowsOut.transpose(0, 2, 1).matMul(rowsIn);
        return new NDList(weight, rowsOut.sum(new int[] {1}));
    }

    /**
     * A convolution (1, 2 or 3 spatial axes, any stride, padding, dilation and groups): sample
     * {@code b}'s weight gradient is its output gradient times its input patches, per group.
     *
     * @param layer the convolution, for its options
     * @param x the input, shape (B, C, spatial...)
     * @param g the output gradient, shape (B, O, output spatial...)
     * @param method how to gather the patches
     * @return the weight gradients (B, O, C/groups, kernel...) and, if the layer has a bias, the
     *     bias gradients (B, O)
     */
    static NDList convolution(Convolution layer, NDArray x, NDArray g, PatchMethod method) {
        Shape in = x.getShape();
        long batch = in.get(0);
        long channels = in.get(1);
        long filters = g.getShape().get(1);
        long groups = layer.getGroups();
        Shape kernel = layer.getKernelShape();
        NDArray patches =
                method == PatchMethod.ONE_HOT ? oneHotPatches(layer, x) : slicedPatches(layer, x);
        // (B, C * K, L) -> (B, groups, C / groups * K, L); output gradient (B, groups, O / groups,
        // L)
        NDArray grouped = patches.reshape(batch, groups, channels / groups * kernel.size(), -1);
        NDArray outputs = g.reshape(batch, groups, filters / groups, -1);
        NDArray weight = outputs.matMul(grouped.transpose(0, 1, 3, 2));
        Shape weightShape = new Shape(batch, filters, channels / groups).addAll(kernel);
        NDList out = new NDList(weight.reshape(weightShape));
        if (layer.isIncludeBias()) {
            out.add(g.reshape(batch, filters, -1).sum(new int[] {2}));
        }
        return out;
    }

    /**
     * Each sample's patches by one strided slice of the zero-padded input per kernel offset.
     *
     * @return shape (B, C * K, L): channel-major, kernel offsets in row-major order
     */
    static NDArray slicedPatches(Convolution layer, NDArray x) {
        Shape in = x.getShape();
        int dims = in.dimension() - 2;
        long[] kernel = layer.getKernelShape().getShape();
        long[] stride = layer.getStride().getShape();
        long[] padding = layer.getPadding().getShape();
        long[] dilation = layer.getDilation().getShape();
        NDArray source = x;
        long[] out = new long[dims];
        for (int i = 0; i < dims; i++) {
            source = PoolWindow.padded(source, i + 2, padding[i], padding[i], 0);
            long span = dilation[i] * (kernel[i] - 1) + 1;
            out[i] = (in.get(i + 2) + 2 * padding[i] - span) / stride[i] + 1;
        }
        NDList views = new NDList();
        long[] offset = new long[dims];
        do {
            NDIndex index = new NDIndex().addAllDim().addAllDim();
            for (int i = 0; i < dims; i++) {
                long start = offset[i] * dilation[i];
                index.addSliceDim(start, start + (out[i] - 1) * stride[i] + 1, stride[i]);
            }
            views.add(source.get(index));
        } while (PoolWindow.next(offset, kernel));
        // (B, C, K, output spatial...)
        return NDArrays.stack(views, 2).reshape(in.get(0), in.get(1) * views.size(), -1);
    }

    /**
     * Each sample's patches by one convolution with one-hot filters (channel-wise: groups = C), one
     * filter per kernel offset: exact, since every output adds one input to zeros.
     *
     * @return shape (B, C * K, L), in the order of {@link #slicedPatches}
     */
    static NDArray oneHotPatches(Convolution layer, NDArray x) {
        Shape in = x.getShape();
        Shape kernel = layer.getKernelShape();
        long volume = kernel.size();
        long channels = in.get(1);
        NDManager manager = x.getManager();
        NDArray eye = manager.eye(Math.toIntExact(volume)).toType(x.getDataType(), false);
        NDArray filters =
                eye.reshape(new Shape(1, volume).addAll(kernel))
                        .broadcast(new Shape(channels, volume).addAll(kernel))
                        .reshape(new Shape(channels * volume, 1).addAll(kernel));
        NDArray patches =
                x.getNDArrayInternal()
                        .convolution(
                                x,
                                filters,
                                null,
                                layer.getStride(),
                                layer.getPadding(),
                                layer.getDilation(),
                                Math.toIntExact(channels))
                        .singletonOrThrow();
        return patches.reshape(in.get(0), channels * volume, -1);
    }

    /**
     * How convolution patches are gathered (both exact; their speed differs by engine and layer).
     */
    enum PatchMethod {
        /** One strided slice of the padded input per kernel offset, stacked. */
        SLICES,
        /** One channel-wise convolution with one-hot filters. */
        ONE_HOT
    }
}
