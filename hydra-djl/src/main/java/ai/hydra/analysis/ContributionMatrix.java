package ai.hydra.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Contributions C(i, j) of tracked training samples (rows) to test samples (columns), with the
 * dataset indices of both. Positive = helpful (removing the training sample would raise the test
 * sample's loss).
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
        if (values.length != trainIndices.length) {
            throw new IllegalArgumentException("one training index per row is needed");
        }
        for (double[] row : values) {
            if (row.length != testIndices.length) {
                throw new IllegalArgumentException("one test index per column is needed");
            }
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
     * Returns one test sample's contributions.
     *
     * @param column the test column
     * @return C(., column) in row order
     */
    public double[] column(int column) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i][column];
        }
        return out;
    }

    /**
     * Returns the rows of the k most helpful training samples for a test sample, best first.
     *
     * @param column the test column
     * @param k how many
     * @return row numbers (use {@link #trainIndices()} for dataset indices)
     */
    public int[] mostHelpful(int column, int k) {
        return ranked(column, Comparator.comparingDouble((Integer i) -> -values[i][column]), k);
    }

    /**
     * Returns the rows of the k most harmful training samples for a test sample, worst first.
     *
     * @param column the test column
     * @param k how many
     * @return row numbers
     */
    public int[] mostHarmful(int column, int k) {
        return ranked(column, Comparator.comparingDouble((Integer i) -> values[i][column]), k);
    }

    private int[] ranked(int column, Comparator<Integer> order, int k) {
        return IntStream.range(0, values.length)
                .boxed()
                .sorted(order.thenComparingInt(i -> i))
                .limit(k)
                .mapToInt(Integer::intValue)
                .toArray();
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
     * Writes the matrix as CSV: {@code train_index,test_<id>...}, one line per training sample.
     *
     * @param file the file
     * @throws IOException if writing fails
     */
    public void writeCsv(Path file) throws IOException {
        String[] header = new String[testIndices.length + 1];
        header[0] = "train_index";
        for (int j = 0; j < testIndices.length; j++) {
            header[j + 1] = "test_" + testIndices[j];
        }
        try (Writer writer = Files.newBufferedWriter(file);
                CSVPrinter csv =
                        CSVFormat.DEFAULT.builder().setHeader(header).build().print(writer)) {
            for (int i = 0; i < values.length; i++) {
                Object[] record = new Object[testIndices.length + 1];
                record[0] = trainIndices[i];
                for (int j = 0; j < testIndices.length; j++) {
                    record[j + 1] = values[i][j];
                }
                csv.printRecord(record);
            }
        }
    }

    /**
     * Writes the matrix as a NumPy {@code .npz} with arrays {@code contributions} (float64, rows x
     * columns), {@code train_indices} and {@code test_indices} (int32).
     *
     * @param manager a manager for the temporary arrays
     * @param file the file
     * @throws IOException if writing fails
     */
    public void writeNpz(NDManager manager, Path file) throws IOException {
        try (NDManager scope = manager.newSubManager();
                OutputStream out = Files.newOutputStream(file)) {
            double[] flat = Arrays.stream(values).flatMapToDouble(Arrays::stream).toArray();
            NDArray matrix = scope.create(flat, new ai.djl.ndarray.types.Shape(rows(), columns()));
            matrix.setName("contributions");
            NDArray train = scope.create(trainIndices);
            train.setName("train_indices");
            NDArray test = scope.create(testIndices);
            test.setName("test_indices");
            new NDList(matrix, train, test).encode(out, NDList.Encoding.NPZ);
        }
    }
}
