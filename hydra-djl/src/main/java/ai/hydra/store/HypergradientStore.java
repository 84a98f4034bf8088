package ai.hydra.store;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * A matrix of {@code rows} vectors of the parameter space, one per tracked training sample: where
 * hypergradients {@code d = dw/deps_i} (and their momentum {@code m}) live between steps.
 *
 * <p>Implementations keep the matrix on the trainer's device, in host memory, or in memory-mapped
 * files; {@link StorePlanner} picks one from a memory budget.
 */
public interface HypergradientStore extends AutoCloseable {

    /**
     * Returns the number of rows (tracked samples).
     *
     * @return the row count
     */
    int rows();

    /**
     * Returns the length of each row (the parameter-space dimension).
     *
     * @return the column count
     */
    long columns();

    /**
     * Returns the element type.
     *
     * @return FLOAT32 or FLOAT64, usually the model's
     */
    DataType dataType();

    /**
     * Reads rows into a new array on the manager's device, shape (rows.length, columns), in the
     * store's data type.
     *
     * @param manager the manager of the result
     * @param rows the row numbers
     * @return the rows
     */
    NDArray read(NDManager manager, int[] rows);

    /**
     * Writes rows.
     *
     * @param rows the row numbers
     * @param values shape (rows.length, columns)
     */
    void write(int[] rows, NDArray values);

    /**
     * Returns where the store keeps its data, for reports.
     *
     * @return a short description
     */
    String describe();

    /** Frees the store's memory (and deletes its files, if any). */
    @Override
    void close();
}
