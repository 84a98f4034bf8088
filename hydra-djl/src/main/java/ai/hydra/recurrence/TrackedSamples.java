package ai.hydra.recurrence;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Which training samples carry hypergradients: their dataset indices in store-row order, and the
 * map back from a dataset index to its row.
 */
public final class TrackedSamples {

    private final long trainingSetSize;
    private final int[] indices;
    private final int[] rowOfIndex;

    private TrackedSamples(long trainingSetSize, int[] indices) {
        this.trainingSetSize = trainingSetSize;
        this.indices = indices;
        rowOfIndex = new int[Math.toIntExact(trainingSetSize)];
        Arrays.fill(rowOfIndex, -1);
        for (int row = 0; row < indices.length; row++) {
            if (rowOfIndex[indices[row]] >= 0) {
                throw new IllegalArgumentException(
                        "Tracked index " + indices[row] + " is repeated");
            }
            rowOfIndex[indices[row]] = row;
        }
    }

    /**
     * Tracks every sample of a training set.
     *
     * @param trainingSetSize N
     * @return rows 0..N-1 for dataset indices 0..N-1
     * @throws IllegalArgumentException if N is not positive or exceeds 2^31-1
     */
    public static TrackedSamples all(long trainingSetSize) {
        return new TrackedSamples(
                checkedSize(trainingSetSize), IntStream.range(0, (int) trainingSetSize).toArray());
    }

    /**
     * Tracks some samples of a training set.
     *
     * @param trainingSetSize N
     * @param indices distinct dataset indices in [0, N), in row order
     * @return the tracked samples
     * @throws IllegalArgumentException if an index is outside [0, N) or repeated
     */
    public static TrackedSamples of(long trainingSetSize, int... indices) {
        checkedSize(trainingSetSize);
        for (int index : indices) {
            if (index < 0 || index >= trainingSetSize) {
                throw new IllegalArgumentException(
                        "Tracked index " + index + " is outside [0, " + trainingSetSize + ")");
            }
        }
        return new TrackedSamples(trainingSetSize, indices.clone());
    }

    private static long checkedSize(long trainingSetSize) {
        if (trainingSetSize <= 0) {
            throw new IllegalArgumentException(
                    "The training set size must be positive, got " + trainingSetSize);
        }
        if (trainingSetSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("Cannot track more than 2^31-1 samples");
        }
        return trainingSetSize;
    }

    /**
     * Returns N, the size of the training set.
     *
     * @return N
     */
    public long trainingSetSize() {
        return trainingSetSize;
    }

    /**
     * Returns the number of tracked samples (store rows).
     *
     * @return the row count
     */
    public int size() {
        return indices.length;
    }

    /**
     * Returns the dataset indices of the tracked samples, in row order.
     *
     * @return a copy
     */
    public int[] indices() {
        return indices.clone();
    }

    /**
     * Returns the store row of a dataset index.
     *
     * @param index a dataset index
     * @return its row, or -1 if the sample is not tracked
     * @throws IllegalArgumentException if the index is outside the training set
     */
    public int rowOf(long index) {
        if (index < 0 || index >= trainingSetSize) {
            throw new IllegalArgumentException(
                    "Dataset index "
                            + index
                            + " is outside the training set of "
                            + trainingSetSize
                            + " samples");
        }
        return rowOfIndex[(int) index];
    }

    /**
     * Finds the tracked samples among a batch's dataset indices.
     *
     * @param batchIndices the dataset index of each batch row, each in [0, N)
     * @return the batch rows holding tracked samples, and their store rows
     */
    public InBatch inBatch(int[] batchIndices) {
        int[] positions = new int[batchIndices.length];
        int[] rows = new int[batchIndices.length];
        int count = 0;
        for (int k = 0; k < batchIndices.length; k++) {
            int row = rowOfIndex[batchIndices[k]];
            if (row >= 0) {
                positions[count] = k;
                rows[count++] = row;
            }
        }
        return new InBatch(Arrays.copyOf(positions, count), Arrays.copyOf(rows, count));
    }

    /**
     * The tracked samples of one batch.
     *
     * @param positions their rows in the batch
     * @param rows their store rows
     */
    public record InBatch(int[] positions, int[] rows) {}
}
