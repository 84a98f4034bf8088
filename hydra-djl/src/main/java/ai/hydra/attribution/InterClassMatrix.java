package ai.hydra.attribution;

import ai.djl.util.Preconditions;

/**
 * The inter-class contribution matrix of the HYDRA paper (Eq. 23): {@code M[a][b]} sums the
 * contributions of training samples of class a to test samples of class b, and the normalized
 * matrix divides each entry by {@code sqrt(rowSum(a) * columnSum(b))}, which removes the effect of
 * class sizes and counts.
 *
 * <p>The sums are taken over absolute values, {@code rowSum(a) = sum_b |M[a][b]|}: contributions
 * are signed, and a class whose harmful and helpful contributions cancel would otherwise have a
 * zero or negative sum and no normalized value. With absolute sums every entry lies in [-1, 1] and
 * keeps its sign; where all contributions of a class are positive it equals the paper's formula.
 */
public final class InterClassMatrix {

    private final double[][] raw;
    private final double[][] normalized;

    private InterClassMatrix(double[][] raw, double[][] normalized) {
        this.raw = raw;
        this.normalized = normalized;
    }

    /**
     * Creates the matrix from class sums computed elsewhere.
     *
     * @param raw M[a][b], training class by test class
     * @return the matrix with its normalization
     */
    public static InterClassMatrix ofSums(double[][] raw) {
        double[][] copy = copy(raw);
        return new InterClassMatrix(copy, normalize(copy));
    }

    static InterClassMatrix of(
            ContributionMatrix matrix, int[] trainLabels, int[] testLabels, int numClasses) {
        Preconditions.checkArgument(
                trainLabels.length == matrix.rows() && testLabels.length == matrix.columns(),
                "one label per row and per column is needed");
        for (int[] labels : new int[][] {trainLabels, testLabels}) {
            for (int label : labels) {
                Preconditions.checkArgument(
                        label >= 0 && label < numClasses,
                        "A label is " + label + ", outside [0, " + numClasses + ")");
            }
        }
        double[][] raw = new double[numClasses][numClasses];
        for (int i = 0; i < matrix.rows(); i++) {
            for (int j = 0; j < matrix.columns(); j++) {
                raw[trainLabels[i]][testLabels[j]] += matrix.get(i, j);
            }
        }
        return new InterClassMatrix(raw, normalize(raw));
    }

    private static double[][] normalize(double[][] raw) {
        int n = raw.length;
        double[] rowSums = new double[n];
        double[] columnSums = new double[n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                rowSums[a] += Math.abs(raw[a][b]);
                columnSums[b] += Math.abs(raw[a][b]);
            }
        }
        double[][] out = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                double product = rowSums[a] * columnSums[b];
                out[a][b] = product > 0 ? raw[a][b] / Math.sqrt(product) : 0;
            }
        }
        return out;
    }

    /**
     * Returns the summed contributions, training class by test class.
     *
     * @return a copy of M
     */
    public double[][] raw() {
        return copy(raw);
    }

    /**
     * Returns the normalized matrix.
     *
     * @return a copy of M[a][b] / sqrt(rowSum(a) columnSum(b)), 0 where a class has no
     *     contributions
     */
    public double[][] normalized() {
        return copy(normalized);
    }

    /**
     * Returns how many summed contributions are NaN or infinite (a diverged run).
     *
     * @return the count
     */
    public long nonFiniteCount() {
        long count = 0;
        for (double[] row : raw) {
            count += NonFinite.count(row);
        }
        return count;
    }

    private static double[][] copy(double[][] m) {
        double[][] out = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
        }
        return out;
    }
}
