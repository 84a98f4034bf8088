package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The windows of a max pooling over the spatial axes of an {@code (N, C, spatial...)} array, as
 * DJL's {@code Pool.maxPool1d/2d/3d} define them (PyTorch's {@code max_pool}, dilation 1): kernel,
 * stride, zero-based symmetric padding (padded elements never win) and ceil mode.
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
     * Finds each window's selected element: the first maximal one in row-major kernel order, the
     * one PyTorch's max pooling backward routes to.
     *
     * @param x the input, shape (N, C, spatial...)
     * @return the flat spatial position (into the unpadded input) of each window's selected
     *     element, int64, shape (N, C, output spatial...)
     */
    NDArray selectedPositions(NDArray x) {
        Shape spatial = x.getShape().slice(2);
        int last = spatial.dimension() + 2;
        NDArray choice = windows(x).argMax(last).expandDims(last);
        // the same windows over an array holding each element's own flat position
        NDArray own =
                x.getManager()
                        .arange(0, spatial.size(), 1, DataType.FLOAT64, x.getDevice())
                        .reshape(new Shape(1, 1).addAll(spatial));
        NDArray positions = windows(own);
        Shape stacked = choice.getShape().slice(0, last).add(positions.getShape().get(last));
        return positions
                .broadcast(stacked)
                .gather(choice, last)
                .squeeze(last)
                .toType(DataType.INT64, false);
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
        boolean padded = false;
        for (int i = 0; i < dims; i++) {
            long size = shape.get(i + 2);
            long right = Math.max(0, (out[i] - 1) * stride[i] + kernel[i] - size - padding[i]);
            pads[2 * (dims - 1 - i)] = padding[i];
            pads[2 * (dims - 1 - i) + 1] = right;
            padded |= padding[i] > 0 || right > 0;
        }
        NDArray source = padded ? x.pad(new Shape(pads), Double.NEGATIVE_INFINITY) : x;
        NDList views = new NDList();
        long[] offset = new long[dims];
        do {
            NDIndex index = new NDIndex().addAllDim().addAllDim();
            for (int i = 0; i < dims; i++) {
                index.addSliceDim(offset[i], offset[i] + (out[i] - 1) * stride[i] + 1, stride[i]);
            }
            views.add(source.get(index));
        } while (next(offset));
        return NDArrays.stack(views, dims + 2);
    }

    /** Advances a kernel offset in row-major order; false after the last. */
    private boolean next(long[] offset) {
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
