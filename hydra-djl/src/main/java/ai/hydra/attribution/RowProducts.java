package ai.hydra.attribution;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The product {@code factor * R G^T} of many vectors of the parameter space (one per training
 * sample: stored hypergradients, or per-sample gradients computed on the fly) with a few others
 * ({@code G}: test gradients, or their inverse-Hessian products), with only one chunk of {@code R}
 * in memory at a time: the second half of every gradient-based attribution method.
 */
public final class RowProducts {

    private RowProducts() {}

    /** Produces rows of {@code R}. */
    @FunctionalInterface
    public interface RowSource {

        /**
         * Returns rows {@code [start, end)} of {@code R}.
         *
         * @param manager the manager the rows must be attached to (freed after the chunk)
         * @param start the first row
         * @param end one past the last row
         * @return shape (end - start, |w|)
         */
        NDArray rows(NDManager manager, int start, int end);
    }

    /**
     * Computes {@code factor * R G^T} chunk by chunk, in the data type of {@code R}.
     *
     * @param manager a manager for temporaries
     * @param rowCount the rows of {@code R}
     * @param chunkSize rows read at once
     * @param source the rows of {@code R}
     * @param g the right-hand vectors, shape (k, |w|)
     * @param factor the scale
     * @param progress told the number of rows done after every chunk
     * @return rowCount rows of k values
     */
    public static double[][] multiply(
            NDManager manager,
            int rowCount,
            int chunkSize,
            RowSource source,
            NDArray g,
            double factor,
            IntConsumer progress) {
        Preconditions.checkArgument(chunkSize > 0, "chunk size must be positive, got " + chunkSize);
        int k = Math.toIntExact(g.getShape().get(0));
        double[][] out = new double[rowCount][];
        try (NDManager scope = manager.newSubManager()) {
            for (int start = 0; start < rowCount; start += chunkSize) {
                int end = Math.min(rowCount, start + chunkSize);
                // one chunk of R on the device at a time
                try (NDManager chunk = scope.newSubManager()) {
                    chunk.tempAttachAll(g);
                    NDArray r = source.rows(chunk, start, end);
                    NDArray part =
                            r.matMul(g.toType(r.getDataType(), false).transpose()).mul(factor);
                    double[] values = part.toType(DataType.FLOAT64, false).toDoubleArray();
                    for (int i = start; i < end; i++) {
                        out[i] = Arrays.copyOfRange(values, (i - start) * k, (i - start + 1) * k);
                    }
                }
                progress.accept(end);
            }
        }
        return out;
    }
}
