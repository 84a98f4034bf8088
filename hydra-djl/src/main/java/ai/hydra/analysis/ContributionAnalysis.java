package ai.hydra.analysis;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import ai.hydra.gradient.NDLists;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.listener.Hypergradients;
import java.io.IOException;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Turns hypergradients into contributions of training samples to test losses: {@code C(i) = -(1/N)
 * grad L_test(w_T) . d_T(i)} for the mean test loss, and {@code C(i, j) = -(1/N) grad l_j(w_T) .
 * d_T(i)} for one test sample.
 *
 * <p>Sign convention (the paper's): positive means removing sample i would raise the test loss, so
 * sample i helped. Test gradients are taken in prediction mode (batch normalization uses its
 * running statistics), as the model is used at test time.
 */
public final class ContributionAnalysis {

    private final Hypergradients hypergradients;
    private final int chunkSize;

    /**
     * Creates an analysis over hypergradients.
     *
     * @param hypergradients the result of a HYDRA run
     */
    public ContributionAnalysis(Hypergradients hypergradients) {
        this(hypergradients, 512);
    }

    /**
     * Creates an analysis that reads hypergradients {@code chunkSize} rows at a time.
     *
     * @param hypergradients the result of a HYDRA run
     * @param chunkSize rows per read
     */
    public ContributionAnalysis(Hypergradients hypergradients, int chunkSize) {
        this.hypergradients = hypergradients;
        this.chunkSize = chunkSize;
    }

    /**
     * Computes C(i) for the mean loss over a test set.
     *
     * @param manager a manager on the model's device
     * @param testSet the test set
     * @return one contribution per tracked sample, in row order
     * @throws IOException if the test set cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public double[] testLossContributions(NDManager manager, Dataset testSet)
            throws IOException, TranslateException {
        try (NDManager scope = manager.newSubManager()) {
            NDArray gradient = meanTestGradient(scope, testSet);
            return contributions(scope, gradient.reshape(1, -1));
        }
    }

    /**
     * Computes the matrix C(i, j) for individual test samples.
     *
     * @param manager a manager on the model's device
     * @param testInputs the test samples' inputs (batch axis first)
     * @param testLabels their labels
     * @param testIndices their ids, kept in the result (e.g. test-set indices)
     * @return the contribution matrix, rows = tracked training samples, columns = test samples
     */
    public ContributionMatrix contributionMatrix(
            NDManager manager, NDList testInputs, NDList testLabels, int[] testIndices) {
        try (NDManager scope = manager.newSubManager()) {
            ShadowModel model = hypergradients.model();
            NDArray w = weights(scope);
            int m = (int) testInputs.head().getShape().get(0);
            if (testIndices.length != m) {
                throw new IllegalArgumentException(
                        "testIndices has "
                                + testIndices.length
                                + " ids for "
                                + m
                                + " test samples: give one id per sample");
            }
            int[] rows = IntStream.range(0, m).toArray();
            NDArray gradients = model.sampleGradients(w, testInputs, testLabels, rows, false);
            double[] flat = contributions(scope, gradients);
            int n = hypergradients.size();
            double[][] values = new double[n][];
            for (int i = 0; i < n; i++) {
                values[i] = Arrays.copyOfRange(flat, i * m, (i + 1) * m);
            }
            return new ContributionMatrix(
                    values, hypergradients.trackedIndices(), testIndices.clone());
        }
    }

    /**
     * Computes the inter-class contribution matrix (the paper's Eq. 23) over a whole test set.
     *
     * <p>Exact and cheap: {@code M[a][b] = sum_{i in a, j in b} C(i, j) = -(1/N) S_a . G_b} with
     * {@code S_a} the sum of class a's hypergradients (one pass over the store) and {@code G_b} the
     * summed test-loss gradient of class b (one gradient pass per class and test batch).
     *
     * @param manager a manager on the model's device
     * @param testSet the test set, labels as class indices
     * @param trainLabels the label of each tracked training sample, in row order
     * @param numClasses the number of classes
     * @return the matrix
     * @throws IOException if the test set cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public InterClassMatrix interClass(
            NDManager manager, Dataset testSet, int[] trainLabels, int numClasses)
            throws IOException, TranslateException {
        if (trainLabels.length != hypergradients.size()) {
            throw new IllegalArgumentException("one label per tracked training sample is needed");
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray classHypergradients = classSums(scope, trainLabels, numClasses);
            NDArray classTestGradients = classTestGradients(scope, testSet, numClasses);
            NDArray raw =
                    classHypergradients
                            .matMul(
                                    classTestGradients
                                            .toType(classHypergradients.getDataType(), false)
                                            .transpose())
                            .mul(-1.0 / hypergradients.trainingSetSize())
                            .toType(DataType.FLOAT64, false);
            double[] flat = raw.toDoubleArray();
            double[][] matrix = new double[numClasses][];
            for (int a = 0; a < numClasses; a++) {
                matrix[a] = Arrays.copyOfRange(flat, a * numClasses, (a + 1) * numClasses);
            }
            return InterClassMatrix.ofSums(matrix);
        }
    }

    /** S: row a = sum of the hypergradients of tracked samples labelled a. */
    private NDArray classSums(NDManager scope, int[] trainLabels, int numClasses) {
        int n = hypergradients.size();
        NDArray sums = null;
        for (int start = 0; start < n; start += chunkSize) {
            int[] rows = IntStream.range(start, Math.min(n, start + chunkSize)).toArray();
            int[] labels = Arrays.copyOfRange(trainLabels, start, start + rows.length);
            try (NDManager chunk = scope.newSubManager()) {
                NDArray d = hypergradients.read(chunk, rows);
                if (sums == null) {
                    sums =
                            scope.zeros(new Shape(numClasses, d.getShape().get(1)), d.getDataType())
                                    .toDevice(d.getDevice(), false);
                    sums.attach(scope);
                }
                chunk.tempAttachAll(sums);
                sums.addi(oneHot(chunk, labels, numClasses, d).transpose().matMul(d));
            }
        }
        return sums;
    }

    /** G: row b = sum over test samples of class b of their loss gradients (prediction mode). */
    private NDArray classTestGradients(NDManager scope, Dataset testSet, int numClasses)
            throws IOException, TranslateException {
        ShadowModel model = hypergradients.model();
        NDArray w = weights(scope);
        NDArray sums =
                scope.zeros(new Shape(numClasses, model.space().size()), w.getDataType())
                        .toDevice(w.getDevice(), false);
        sums.attach(scope);
        for (Batch batch : testSet.getData(scope)) {
            try (batch;
                    NDManager step = scope.newSubManager()) {
                step.tempAttachAll(w, sums); // per-batch temporaries die with the batch
                NDArray labels = batch.getLabels().head();
                int[] classes = checkedLabels(labels, numClasses, "test");
                for (int c = 0; c < numClasses; c++) {
                    int[] rows = rowsOf(classes, c);
                    if (rows.length == 0) {
                        continue;
                    }
                    NDArray index = step.create(rows).toDevice(labels.getDevice(), false);
                    NDList x = NDLists.get(batch.getData(), index);
                    NDList y = NDLists.get(batch.getLabels(), index);
                    NDArray gradient = model.gradient(w, x, y, false).muli(rows.length);
                    sums.set(new NDIndex(c), sums.get(c).addi(gradient));
                }
            }
        }
        return sums;
    }

    private static int[] rowsOf(int[] classes, int c) {
        return IntStream.range(0, classes.length).filter(k -> classes[k] == c).toArray();
    }

    private static int[] checkedLabels(NDArray labels, int numClasses, String what) {
        int[] classes = labels.toType(DataType.INT32, false).toIntArray();
        for (int c : classes) {
            if (c < 0 || c >= numClasses) {
                throw new IllegalArgumentException(
                        "A " + what + " label is " + c + ", outside [0, " + numClasses + ")");
            }
        }
        return classes;
    }

    private static NDArray oneHot(NDManager scope, int[] labels, int numClasses, NDArray like) {
        for (int c : labels) {
            if (c < 0 || c >= numClasses) {
                throw new IllegalArgumentException(
                        "A training label is " + c + ", outside [0, " + numClasses + ")");
            }
        }
        double[] values = new double[labels.length * numClasses];
        for (int k = 0; k < labels.length; k++) {
            values[k * numClasses + labels[k]] = 1;
        }
        return scope.create(values, new Shape(labels.length, numClasses))
                .toDevice(like.getDevice(), false)
                .toType(like.getDataType(), false);
    }

    /** Mean gradient of the test loss at the final weights, in the model's data type. */
    private NDArray meanTestGradient(NDManager scope, Dataset testSet)
            throws IOException, TranslateException {
        ShadowModel model = hypergradients.model();
        NDArray w = weights(scope);
        NDArray sum =
                scope.zeros(new Shape(model.space().size()), w.getDataType())
                        .toDevice(w.getDevice(), false);
        sum.attach(scope);
        long count = 0;
        for (Batch batch : testSet.getData(scope)) {
            try (batch;
                    NDManager step = scope.newSubManager()) {
                step.tempAttachAll(w, sum); // per-batch temporaries die with the batch
                sum.addi(
                        model.gradient(w, batch.getData(), batch.getLabels(), false)
                                .muli(batch.getSize()));
                count += batch.getSize();
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("The test set is empty");
        }
        return sum.div(count);
    }

    /** Returns -(1/N) D G^T, read chunk by chunk: shape (tracked, rows of G). */
    private double[] contributions(NDManager scope, NDArray testGradients) {
        int n = hypergradients.size();
        int m = (int) testGradients.getShape().get(0);
        double[] out = new double[Math.multiplyExact(n, m)];
        double factor = -1.0 / hypergradients.trainingSetSize();
        for (int start = 0; start < n; start += chunkSize) {
            int[] rows = IntStream.range(start, Math.min(n, start + chunkSize)).toArray();
            // one chunk of the store on the device at a time
            try (NDManager chunk = scope.newSubManager()) {
                chunk.tempAttachAll(testGradients);
                NDArray d = hypergradients.read(chunk, rows);
                NDArray part =
                        d.matMul(testGradients.toType(d.getDataType(), false).transpose())
                                .mul(factor);
                double[] values = part.toType(DataType.FLOAT64, false).toDoubleArray();
                System.arraycopy(values, 0, out, start * m, values.length);
            }
        }
        return out;
    }

    private NDArray weights(NDManager scope) {
        ShadowModel model = hypergradients.model();
        return model.space()
                .values(scope, model.space().trainable().get(0).getArray().getDataType());
    }
}
