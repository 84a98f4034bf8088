package ai.hydra.attribution;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Preconditions;
import ai.hydra.io.AtomicFiles;
import ai.hydra.io.CsvFiles;
import ai.hydra.io.ReproducibleZip;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Contributions C(i, j) of training samples (rows) to test losses (columns: single test samples, or
 * the functionals of {@link TestFunctionals}), with the dataset indices of the rows and the ids of
 * the columns. Positive = helpful (removing the training sample would raise the test loss).
 */
public final class ContributionMatrix {

    private final double[][] values;
    private final int[] trainIndices;
    private final int[] testIndices;

    /**
     * Creates a matrix.
     *
     * @param values rows = training samples, columns = test samples
     * @param trainIndices dataset index of each row
     * @param testIndices id of each column
     */
    public ContributionMatrix(double[][] values, int[] trainIndices, int[] testIndices) {
        Preconditions.checkArgument(
                values.length == trainIndices.length, "one training index per row is needed");
        for (double[] row : values) {
            Preconditions.checkArgument(
                    row.length == testIndices.length, "one test index per column is needed");
        }
        this.values = values;
        this.trainIndices = trainIndices;
        this.testIndices = testIndices;
    }

    /**
     * Returns C(row, column).
     *
     * @param row the training row
     * @param column the test column
     * @return the contribution
     */
    public double get(int row, int column) {
        return values[row][column];
    }

    /**
     * Returns the number of training rows.
     *
     * @return the row count
     */
    public int rows() {
        return values.length;
    }

    /**
     * Returns the number of test columns.
     *
     * @return the column count
     */
    public int columns() {
        return testIndices.length;
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
     * Returns the ids of the columns.
     *
     * @return a copy
     */
    public int[] testIndices() {
        return testIndices.clone();
    }

    /**
     * Returns one test sample's contributions, with the training indices and ranking helpers.
     *
     * @param column the test column
     * @return C(., column) in row order
     */
    public Contributions column(int column) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i][column];
        }
        return new Contributions(out, trainIndices);
    }

    /**
     * Returns the mean of every row over the columns: for per-test-sample columns, C(i) of the mean
     * loss over those test samples.
     *
     * @return one value per row
     */
    public Contributions meanOverColumns() {
        double[] means = new double[values.length];
        for (int i = 0; i < means.length; i++) {
            double sum = 0;
            for (double value : values[i]) {
                sum += value;
            }
            means[i] = sum / testIndices.length;
        }
        return new Contributions(means, trainIndices);
    }

    /**
     * Returns the rows of the k most helpful training samples for a test sample, best first.
     *
     * @param column the test column
     * @param k how many
     * @return row numbers (use {@link #trainIndices()} for dataset indices)
     */
    public int[] mostHelpful(int column, int k) {
        return column(column).mostHelpful(k);
    }

    /**
     * Returns the rows of the k most harmful training samples for a test sample, worst first.
     *
     * @param column the test column
     * @param k how many
     * @return row numbers
     */
    public int[] mostHarmful(int column, int k) {
        return column(column).mostHarmful(k);
    }

    /**
     * Computes the inter-class contribution matrix of the paper's Eq. 23.
     *
     * @param trainLabels the label of each row
     * @param testLabels the label of each column
     * @param numClasses the number of classes
     * @return the matrix
     */
    public InterClassMatrix interClass(int[] trainLabels, int[] testLabels, int numClasses) {
        return InterClassMatrix.of(this, trainLabels, testLabels, numClasses);
    }

    /**
     * Returns how many values are NaN or infinite (a diverged run).
     *
     * @return the count
     */
    public long nonFiniteCount() {
        long count = 0;
        for (double[] row : values) {
            count += NonFinite.count(row);
        }
        return count;
    }

    /**
     * Throws unless every value is finite.
     *
     * @throws NonFiniteResultException naming the count and the first such cell
     */
    public void requireFinite() {
        long count = nonFiniteCount();
        for (int i = 0; i < values.length && count > 0; i++) {
            for (int j = 0; j < testIndices.length; j++) {
                if (!Double.isFinite(values[i][j])) {
                    NonFinite.require(
                            count,
                            (long) values.length * testIndices.length,
                            "contributions",
                            "train index " + trainIndices[i] + ", test " + testIndices[j]);
                }
            }
        }
    }

    /**
     * Writes the matrix as CSV: {@code train_index,test_<id>...}, one line per training sample,
     * replacing the file atomically.
     *
     * @param file the file
     * @throws IOException if writing fails
     * @throws NonFiniteResultException if a value is NaN or infinite
     */
    public void writeCsv(Path file) throws IOException {
        writeCsv(file, false);
    }

    /**
     * Writes the matrix as CSV like {@link #writeCsv(Path)}, NaN or infinite values included if
     * allowed.
     *
     * @param file the file
     * @param allowNonFinite true to write NaN and infinite values
     * @throws IOException if writing fails
     * @throws NonFiniteResultException if a value is NaN or infinite and that is not allowed
     */
    public void writeCsv(Path file, boolean allowNonFinite) throws IOException {
        if (!allowNonFinite) {
            requireFinite();
        }
        String[] header = new String[testIndices.length + 1];
        header[0] = "train_index";
        for (int j = 0; j < testIndices.length; j++) {
            header[j + 1] = "test_" + testIndices[j];
        }
        CsvFiles.write(
                file,
                header,
                csv -> {
                    for (int i = 0; i < values.length; i++) {
                        Object[] record = new Object[testIndices.length + 1];
                        record[0] = trainIndices[i];
                        for (int j = 0; j < testIndices.length; j++) {
                            record[j + 1] = values[i][j];
                        }
                        csv.printRecord(record);
                    }
                });
    }

    /**
     * Writes the matrix as a NumPy {@code .npz} with arrays {@code contributions} (float64, rows x
     * columns), {@code train_indices} and {@code test_indices} (int32), replacing the file
     * atomically. The same matrix always gives the same bytes (entry times are fixed, see {@link
     * ReproducibleZip}).
     *
     * @param manager a manager for the temporary arrays
     * @param file the file
     * @throws IOException if writing fails
     * @throws NonFiniteResultException if a value is NaN or infinite
     */
    public void writeNpz(NDManager manager, Path file) throws IOException {
        writeNpz(manager, file, false);
    }

    /**
     * Writes the matrix as a NumPy {@code .npz} like {@link #writeNpz(NDManager, Path)}, NaN or
     * infinite values included if allowed.
     *
     * @param manager a manager for the temporary arrays
     * @param file the file
     * @param allowNonFinite true to write NaN and infinite values
     * @throws IOException if writing fails
     * @throws NonFiniteResultException if a value is NaN or infinite and that is not allowed
     */
    public void writeNpz(NDManager manager, Path file, boolean allowNonFinite) throws IOException {
        if (!allowNonFinite) {
            requireFinite();
        }
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        try (NDManager scope = manager.newSubManager()) {
            double[] flat = Arrays.stream(values).flatMapToDouble(Arrays::stream).toArray();
            NDArray matrix = scope.create(flat, new Shape(rows(), columns()));
            matrix.setName("contributions");
            NDArray train = scope.create(trainIndices);
            train.setName("train_indices");
            NDArray test = scope.create(testIndices);
            test.setName("test_indices");
            new NDList(matrix, train, test).encode(encoded, NDList.Encoding.NPZ);
        }
        AtomicFiles.write(file, out -> ReproducibleZip.copy(encoded.toByteArray(), out));
    }
}
