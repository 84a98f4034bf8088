package ai.hydra.attribution;

import ai.djl.util.Preconditions;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * One value per training sample, with the samples' dataset indices: C(i) for a test loss, C(i, i)
 * from {@link Attributor#selfAttribution}, or one column of a {@link ContributionMatrix}. Larger
 * values are more helpful (removing the sample would raise the loss); ranks and top-k lists break
 * ties by row order.
 */
public final class Contributions {

    private final double[] values;
    private final int[] trainIndices;
    private int[] order; // rows from the largest value to the smallest, computed once

    /**
     * Creates the contributions; both arrays are copied.
     *
     * @param values one value per training sample
     * @param trainIndices the dataset index of each sample
     * @throws IllegalArgumentException if the lengths differ
     */
    public Contributions(double[] values, int[] trainIndices) {
        Preconditions.checkArgument(
                values.length == trainIndices.length,
                "one dataset index per value is needed: "
                        + trainIndices.length
                        + " indices for "
                        + values.length
                        + " values");
        this.values = values.clone();
        this.trainIndices = trainIndices.clone();
    }

    /**
     * Returns the number of training samples.
     *
     * @return the row count
     */
    public int size() {
        return values.length;
    }

    /**
     * Returns one value.
     *
     * @param row the row
     * @return its contribution
     */
    public double get(int row) {
        return values[row];
    }

    /**
     * Returns every value, in row order.
     *
     * @return a copy
     */
    public double[] values() {
        return values.clone();
    }

    /**
     * Returns the dataset indices of the rows.
     *
     * @return a copy
     */
    public int[] trainIndices() {
        return trainIndices.clone();
    }

    /**
     * Returns the dataset index of one row.
     *
     * @param row the row
     * @return its dataset index
     */
    public int trainIndex(int row) {
        return trainIndices[row];
    }

    /**
     * Returns the rows of the k most helpful samples (largest values), best first.
     *
     * @param k how many (at most {@link #size()} are returned)
     * @return row numbers; {@link #trainIndex(int)} gives their dataset indices
     */
    public int[] mostHelpful(int k) {
        int[] sorted = order();
        return Arrays.copyOf(sorted, Math.min(k, sorted.length));
    }

    /**
     * Returns the rows of the k most harmful samples (smallest values), worst first.
     *
     * @param k how many (at most {@link #size()} are returned)
     * @return row numbers
     */
    public int[] mostHarmful(int k) {
        int n = values.length;
        int count = Math.min(k, n);
        // ascending by value, ties by row order: not the reverse of mostHelpful on ties
        return IntStream.range(0, n)
                .boxed()
                .sorted(
                        Comparator.comparingDouble((Integer i) -> values[i])
                                .thenComparingInt(i -> i))
                .limit(count)
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * Returns the rank of every row, 1 = most helpful (ties by row order).
     *
     * @return one rank per row
     */
    public int[] ranks() {
        int[] sorted = order();
        int[] ranks = new int[sorted.length];
        for (int r = 0; r < sorted.length; r++) {
            ranks[sorted[r]] = r + 1;
        }
        return ranks;
    }

    private int[] order() {
        if (order == null) {
            order =
                    IntStream.range(0, values.length)
                            .boxed()
                            .sorted(
                                    Comparator.comparingDouble((Integer i) -> -values[i])
                                            .thenComparingInt(i -> i))
                            .mapToInt(Integer::intValue)
                            .toArray();
        }
        return order;
    }

    /**
     * Writes the values as CSV: {@code train_index,contribution,rank}, one line per row.
     *
     * @param file the file
     * @throws IOException if writing fails
     */
    public void writeCsv(Path file) throws IOException {
        int[] ranks = ranks();
        try (Writer writer = Files.newBufferedWriter(file);
                CSVPrinter csv =
                        CSVFormat.DEFAULT
                                .builder()
                                .setHeader("train_index", "contribution", "rank")
                                .build()
                                .print(writer)) {
            for (int row = 0; row < values.length; row++) {
                csv.printRecord(trainIndices[row], values[row], ranks[row]);
            }
        }
    }
}
