package ai.hydra.reproduce.cluster;

/**
 * Feature transforms applied to contribution vectors before clustering (rows are training samples,
 * columns the validation samples they contribute to).
 */
public final class Features {

    private Features() {}

    /**
     * Discretizes to signs, as the paper's text does ({@code {+1, -1}^1000}): positive values
     * become +1, negative values -1; an exact zero (no sign) becomes 0, equidistant from both.
     *
     * @param rows the vectors
     * @return a new matrix of -1, 0 and +1
     */
    public static double[][] signs(double[][] rows) {
        double[][] result = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            result[i] = new double[rows[i].length];
            for (int j = 0; j < rows[i].length; j++) {
                result[i][j] = Math.signum(rows[i][j]) + 0.0;
            }
        }
        return result;
    }

    /**
     * Standardizes every column (feature) over the rows to mean 0 and standard deviation 1, as
     * scikit-learn's {@code StandardScaler} (population standard deviation; a constant column
     * becomes 0). The authors' script clusters such z-scored real-valued vectors.
     *
     * @param rows the vectors, all of one length
     * @return a new standardized matrix
     * @throws IllegalArgumentException if there are no rows or they are ragged
     */
    public static double[][] zScores(double[][] rows) {
        Clusterer.checkPoints(rows, 1);
        int n = rows.length;
        int d = rows[0].length;
        double[][] result = new double[n][d];
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (double[] row : rows) {
                mean += row[j] / n;
            }
            double variance = 0;
            for (double[] row : rows) {
                variance += (row[j] - mean) * (row[j] - mean) / n;
            }
            double std = Math.sqrt(variance);
            for (int i = 0; i < n; i++) {
                result[i][j] = std == 0 ? 0 : (rows[i][j] - mean) / std;
            }
        }
        return result;
    }

    /** Scales every row to unit Euclidean length; zero rows stay zero. */
    static double[][] unitRows(double[][] rows) {
        double[][] result = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            double norm = 0;
            for (double value : rows[i]) {
                norm += value * value;
            }
            norm = Math.sqrt(norm);
            result[i] = rows[i].clone();
            if (norm > 0) {
                for (int j = 0; j < result[i].length; j++) {
                    result[i][j] /= norm;
                }
            }
        }
        return result;
    }
}
