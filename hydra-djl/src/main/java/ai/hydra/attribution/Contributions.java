package ai.hydra.attribution;

import ai.djl.util.Preconditions;
import ai.hydra.io.CsvFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

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
     * Returns the rows of the k most helpful samples (largest positive values), best first. Only
     * samples that helped (value above 0) are listed, so fewer than k come back when fewer helped.
     *
     * @param k how many at most
     * @return row numbers; {@link #trainIndex(int)} gives their dataset indices
     */
    public int[] mostHelpful(int k) {
        return Arrays.stream(order()).filter(row -> values[row] > 0).limit(k).toArray();
    }

    /**
     * Returns the rows of the k most harmful samples (most negative values), worst first. Only
     * samples that harmed (value below 0) are listed, so fewer than k come back when fewer harmed.
     *
     * @param k how many at most
     * @return row numbers
     */
    public int[] mostHarmful(int k) {
        return Arrays.stream(lowest(k)).filter(row -> values[row] < 0).toArray();
    }

    /**
     * Returns the rows of the k lowest values, lowest first, whatever their sign: the samples to
     * remove when cleaning a fixed share of the data.
     *
     * @param k how many at most
     * @return row numbers
     */
    public int[] lowest(int k) {
        // ascending by value, ties by row order: not the reverse of mostHelpful on ties
        return IntStream.range(0, values.length)
                .boxed()
                .sorted(
                        Comparator.comparingDouble((Integer i) -> values[i])
                                .thenComparingInt(i -> i))
                .limit(k)
                .mapToInt(Integer::intValue)
                .toArray();
    }

    /**
     * Returns how many values are NaN or infinite (a diverged run).
     *
     * @return the count
     */
    public long nonFiniteCount() {
        return NonFinite.count(values);
    }

    /**
     * Throws unless every value is finite.
     *
     * @throws NonFiniteResultException naming the count and the first such sample
     */
    public void requireFinite() {
        long count = nonFiniteCount();
        if (count > 0) {
            int row =
                    IntStream.range(0, values.length)
                            .filter(r -> !Double.isFinite(values[r]))
                            .findFirst()
                            .orElseThrow();
            NonFinite.require(
                    count, values.length, "contributions", "train index " + trainIndices[row]);
        }
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
     * Writes the values as CSV: {@code train_index,contribution,rank}, one line per row, replacing
     * the file atomically.
     *
     * @param file the file
     * @throws IOException if writing fails
     * @throws NonFiniteResultException if a value is NaN or infinite
     */
    public void writeCsv(Path file) throws IOException {
        writeCsv(file, false);
    }

    /**
     * Writes the values as CSV like {@link #writeCsv(Path)}, NaN or infinite values included if
     * allowed.
     *
     * @param file the file
     * @param allowNonFinite true to write NaN and infinite values (as {@code NaN}, {@code
     *     Infinity})
     * @throws IOException if writing fails
     * @throws NonFiniteResultException if a value is NaN or infinite and that is not allowed
     */
    public void writeCsv(Path file, boolean allowNonFinite) throws IOException {
        if (!allowNonFinite) {
            requireFinite();
        }
        int[] ranks = ranks();
        CsvFiles.write(
                file,
                new String[] {"train_index", "contribution", "rank"},
                csv -> {
                    for (int row = 0; row < values.length; row++) {
                        csv.printRecord(trainIndices[row], values[row], ranks[row]);
                    }
                });
    }
}
