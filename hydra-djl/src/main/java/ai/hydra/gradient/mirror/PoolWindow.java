package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The windows of a max pooling over the spatial axes of an {@code (N, C, spatial...)} array, as
 * DJL's {@code Pool.maxPool1d/2d/3d} define them (PyTorch's {@code max_pool}, dilation 1): kernel,
 * stride, zero-based symmetric padding (padded elements never win) and ceil mode. MXNet's ceil mode
 * ({@code pooling_convention=full}) keeps a last window that starts in the right padding, which
 * PyTorch drops: such a block's output shape differs from this window's, so the mirror does not
 * recognize it on MXNet (a checked, not a wrong, product).
 */
public final class PoolWindow {

    private final long[] kernel;
    private final long[] stride;
    private final long[] padding;
    private final boolean ceilMode;

    /**
     * Creates a pooling window.
     *
     * @param kernel the kernel shape, one entry per spatial axis
     * @param stride the stride, same rank
     * @param padding the padding on each side, same rank, at most half the kernel
     * @param ceilMode whether the output size rounds up (PyTorch's {@code ceil_mode})
     * @throws IllegalArgumentException if the shapes disagree or hold non-positive sizes
     */
    public PoolWindow(Shape kernel, Shape stride, Shape padding, boolean ceilMode) {
        int dims = kernel.dimension();
        if (dims == 0 || stride.dimension() != dims || padding.dimension() != dims) {
            throw new IllegalArgumentException(
                    "pool kernel "
                            + kernel
                            + ", stride "
                            + stride
                            + " and padding "
                            + padding
                            + " must have the same non-zero rank");
        }
        this.kernel = kernel.getShape();
        this.stride = stride.getShape();
        this.padding = padding.getShape();
        for (int i = 0; i < dims; i++) {
            if (this.kernel[i] < 1 || this.stride[i] < 1 || this.padding[i] < 0) {
                throw new IllegalArgumentException(
                        "pool kernel and stride must be positive and padding non-negative, got "
                                + kernel
                                + ", "
                                + stride
                                + ", "
                                + padding);
            }
            if (2 * this.padding[i] > this.kernel[i]) {
                throw new IllegalArgumentException(
                        "pool padding " + padding + " must be at most half the kernel " + kernel);
            }
        }
        this.ceilMode = ceilMode;
    }

    /**
     * Returns the number of spatial axes.
     *
     * @return 1, 2 or 3 for DJL's pools
     */
    public int spatialAxes() {
        return kernel.length;
    }

    /**
     * Returns the output size along one spatial axis, by PyTorch's rule.
     *
     * @param axis the spatial axis (0-based)
     * @param size the input size along it
     * @return the number of windows along it
     */
    public long outputSize(int axis, long size) {
        long k = kernel[axis];
        long s = stride[axis];
        long p = padding[axis];
        long span = size + 2 * p - k + (ceilMode ? s - 1 : 0);
        long out = Math.floorDiv(span, s) + 1;
        if (ceilMode && (out - 1) * s >= size + p) {
            out--; // the last window would start in the right padding
        }
        return out;
    }

    /**
     * Returns the output spatial shape for an input spatial shape.
     *
     * @param spatial the input's spatial axes
     * @return the number of windows along each
     */
    public Shape outputShape(Shape spatial) {
        long[] out = new long[kernel.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = outputSize(i, spatial.get(i));
        }
        return new Shape(out);
    }

    /**
     * Applies the engine's own max pooling with these windows (what DJL's factory block runs).
     *
     * @param x the input, shape (N, C, spatial...)
     * @return the pooled array
     */
    NDArray pool(NDArray x) {
        return x.getNDArrayInternal()
                .maxPool(new Shape(kernel), new Shape(stride), new Shape(padding), ceilMode);
    }

    /**
     * Finds each window's selected element: the first maximal one in row-major kernel order, the
     * one PyTorch's and MXNet's max pooling backward route to.
     *
     * @param x the input, shape (N, C, spatial...)
     * @return the flat spatial position (into the unpadded input) of each window's selected
     *     element, float64 holding integers, shape (N, C, output spatial...)
     */
    NDArray selectedPositions(NDArray x) {
        Shape spatial = x.getShape().slice(2);
        int last = spatial.dimension() + 2;
        NDArray choice = windows(x).argMax(last).toType(DataType.FLOAT64, false);
        // the same windows over an array holding each element's own flat position, shape
        // (1, 1, output spatial..., K); window o's k-th element is its entry o * K + k
        NDManager manager = x.getManager();
        NDArray own =
                windows(
                        manager.arange(0, Math.toIntExact(spatial.size()), 1, DataType.FLOAT64)
                                .reshape(new Shape(1, 1).addAll(spatial)));
        Shape outputs = own.getShape().slice(0, last);
        long volume = own.getShape().get(last);
        NDArray first =
                manager.arange(0, Math.toIntExact(outputs.size()), 1, DataType.FLOAT64)
                        .mul(volume)
                        .reshape(outputs);
        // take (linear indexing) rather than gather, which DJL's MXNet engine lacks
        return own.take(manager, choice.add(first).toType(DataType.INT64, false));
    }

    /**
     * Stacks the elements of every window along a new last axis: entry {@code k} holds, for every
     * output position, the window's k-th element in row-major kernel order (the order in which
     * PyTorch scans a window, so the first maximum along it is the element its backward routes to).
     * The last axis, because arg-max along it is several times faster than along the first.
     *
     * @param x the input, shape (N, C, spatial...)
     * @return shape (N, C, output spatial..., kernel volume), padded elements {@code -inf}
     */
    NDArray windows(NDArray x) {
        Shape shape = x.getShape();
        int dims = kernel.length;
        if (shape.dimension() != dims + 2) {
            throw new IllegalArgumentException(
                    "a "
                            + dims
                            + "-d max pooling needs (N, C, "
                            + dims
                            + " spatial axes), got "
                            + shape);
        }
        long[] out = outputShape(shape.slice(2)).getShape();
        long[] pads = new long[2 * dims]; // PyTorch's order: last axis first, (left, right)
        for (int i = 0; i < dims; i++) {
            long size = shape.get(i + 2);
            long right = Math.max(0, (out[i] - 1) * stride[i] + kernel[i] - size - padding[i]);
            pads[2 * (dims - 1 - i)] = padding[i];
            pads[2 * (dims - 1 - i) + 1] = right;
        }
        NDArray source = x;
        for (int i = 0; i < dims; i++) {
            source =
                    padded(
                            source,
                            i + 2,
                            pads[2 * (dims - 1 - i)],
                            pads[2 * (dims - 1 - i) + 1],
                            Float.NEGATIVE_INFINITY);
        }
        NDList views = new NDList();
        long[] offset = new long[dims];
        do {
            NDIndex index = new NDIndex().addAllDim().addAllDim();
            for (int i = 0; i < dims; i++) {
                index.addSliceDim(offset[i], offset[i] + (out[i] - 1) * stride[i] + 1, stride[i]);
            }
            views.add(source.get(index));
        } while (next(offset, kernel));
        return NDArrays.stack(views, dims + 2);
    }

    /**
     * Pads one axis with a constant by concatenation ({@code NDArray.pad} is not implemented by
     * DJL's MXNet engine).
     */
    static NDArray padded(NDArray x, int axis, long left, long right, float value) {
        if (left == 0 && right == 0) {
            return x;
        }
        NDList parts = new NDList(3);
        if (left > 0) {
            parts.add(filled(x, axis, left, value));
        }
        parts.add(x);
        if (right > 0) {
            parts.add(filled(x, axis, right, value));
        }
        return NDArrays.concat(parts, axis);
    }

    private static NDArray filled(NDArray x, int axis, long size, float value) {
        long[] shape = x.getShape().getShape().clone(); // Shape hands out its own array
        shape[axis] = size;
        return x.getManager().full(new Shape(shape), value, x.getDataType());
    }

    /** Advances a kernel offset in row-major order; false after the last. */
    static boolean next(long[] offset, long[] kernel) {
        for (int i = offset.length - 1; i >= 0; i--) {
            if (++offset[i] < kernel[i]) {
                return true;
            }
            offset[i] = 0;
        }
        return false;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "PoolWindow(kernel "
                + new Shape(kernel)
                + ", stride "
                + new Shape(stride)
                + ", padding "
                + new Shape(padding)
                + (ceilMode ? ", ceil" : "")
                + ")";
    }
}
