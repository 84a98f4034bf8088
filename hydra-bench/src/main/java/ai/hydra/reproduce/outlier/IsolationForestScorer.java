package ai.hydra.reproduce.outlier;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import smile.anomaly.IsolationForest;
import smile.anomaly.IsolationTree;
import smile.math.MathEx;
import smile.stat.distribution.GaussianDistribution;

/**
 * Anomaly scores of an isolation forest (Liu, Ting and Zhou 2008), built from Smile's isolation
 * trees: each of {@code trees} trees isolates a random subsample of {@code sampleSize} points by
 * axis-parallel random splits up to depth {@code ceil(log2 sampleSize)}; a point's score is {@code
 * 2^(-E[h(x)] / c(sampleSize))}, higher for points isolated after fewer splits. The defaults (100
 * trees, subsamples of 256) are the paper's and scikit-learn's, which Outlier Gradient Analysis
 * uses.
 *
 * <p>Why not Smile's {@code IsolationForest.fit}: in Smile 3.1.1 it ignores its sampling rate
 * (every tree sees all points), builds trees in parallel from thread-local generators, so results
 * change from run to run, and shares one unsynchronized Gaussian generator between those threads.
 * This class draws the subsamples itself from a seeded generator, builds the trees on the calling
 * thread with Smile's generator seeded, and drops columns that are constant over all points (a
 * split on them isolates nothing; last-layer gradients have such columns for dead units). Scores
 * are therefore reproducible for a given seed. Not thread-safe: Smile's generators are global.
 *
 * <pre>{@code
 * double[] anomaly = IsolationForestScorer.builder().optSeed(1).build().scores(lastLayerGradients);
 * boolean[] outliers = IsolationForestScorer.flagHighest(anomaly, 0.05);
 * }</pre>
 */
public final class IsolationForestScorer {

    private final int trees;
    private final int sampleSize;
    private final long seed;

    private IsolationForestScorer(Builder builder) {
        trees = builder.trees;
        sampleSize = builder.sampleSize;
        seed = builder.seed;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Fits a forest on the points and scores each of them.
     *
     * @param points one row per point, all rows of one length, finite values
     * @return one anomaly score in (0, 1] per point: the higher, the more anomalous; all 0.5 when
     *     every column is constant (nothing to isolate)
     * @throws IllegalArgumentException if there are fewer than 2 points, the rows are ragged or a
     *     value is not finite
     */
    public double[] scores(double[][] points) {
        double[][] data = varyingColumns(points);
        int n = data.length;
        if (data[0].length == 0) {
            double[] half = new double[n];
            Arrays.fill(half, 0.5);
            return half;
        }
        int psi = Math.min(sampleSize, n);
        int maxDepth = (int) Math.ceil(Math.log(psi) / Math.log(2));
        Random subsampling = new Random(seed);
        MathEx.setSeed(seed);
        clearGaussianCache();
        IsolationTree[] forest = new IsolationTree[trees];
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        for (int t = 0; t < trees; t++) {
            List<double[]> sample = new ArrayList<>(psi);
            for (int i = 0; i < psi; i++) { // partial Fisher-Yates: psi points without replacement
                int j = i + subsampling.nextInt(n - i);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
                sample.add(data[order[i]]);
            }
            forest[t] = new IsolationTree(sample, maxDepth, 0);
        }
        IsolationForest model = new IsolationForest(psi, 0, forest);
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            scores[i] = model.score(data[i]);
        }
        return scores;
    }

    /**
     * Flags the most anomalous points, as a contamination level does: the {@code
     * round(contamination * n)} highest scores, and any point tied with the lowest of them.
     *
     * @param scores anomaly scores, higher = more anomalous
     * @param contamination the expected share of outliers, in [0, 1] (Outlier Gradient Analysis:
     *     0.05)
     * @return a flag per point
     * @throws IllegalArgumentException if the contamination is outside [0, 1]
     */
    public static boolean[] flagHighest(double[] scores, double contamination) {
        if (!(contamination >= 0 && contamination <= 1)) {
            throw new IllegalArgumentException(
                    "contamination must be in [0, 1], got " + contamination);
        }
        int count = (int) Math.round(contamination * scores.length);
        boolean[] flags = new boolean[scores.length];
        if (count == 0) {
            return flags;
        }
        double[] ascending = scores.clone();
        Arrays.sort(ascending);
        double cut = ascending[scores.length - count];
        for (int i = 0; i < scores.length; i++) {
            flags[i] = scores[i] >= cut;
        }
        return flags;
    }

    /** Copies the columns that vary over the points; checks the input on the way. */
    private static double[][] varyingColumns(double[][] points) {
        if (points.length < 2) {
            throw new IllegalArgumentException(
                    "an isolation forest needs at least 2 points, got " + points.length);
        }
        int d = points[0].length;
        boolean[] varies = new boolean[d];
        for (int i = 0; i < points.length; i++) {
            if (points[i].length != d) {
                throw new IllegalArgumentException(
                        "point " + i + " has " + points[i].length + " values, point 0 has " + d);
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(points[i][j])) {
                    throw new IllegalArgumentException(
                            "value " + points[i][j] + " of point " + i + " is not finite");
                }
                varies[j] |= points[i][j] != points[0][j];
            }
        }
        int[] kept = IntStream.range(0, d).filter(j -> varies[j]).toArray();
        double[][] result = new double[points.length][kept.length];
        for (int i = 0; i < points.length; i++) {
            for (int k = 0; k < kept.length; k++) {
                result[i][k] = points[i][kept[k]];
            }
        }
        return result;
    }

    /**
     * Empties the cached second value of Smile's shared Box-Muller generator, which the trees draw
     * from, so that the draws (and the scores) do not depend on earlier users of it. Whether a
     * value was cached shows in whether drawing one consumed uniform numbers.
     */
    private void clearGaussianCache() {
        GaussianDistribution gauss = GaussianDistribution.getInstance();
        MathEx.setSeed(seed);
        double fresh = MathEx.random();
        MathEx.setSeed(seed);
        gauss.rand();
        if (MathEx.random() != fresh) { // it drew a new pair and cached the second value
            gauss.rand();
        }
        MathEx.setSeed(seed);
    }

    /** Builds {@link IsolationForestScorer}s. */
    public static final class Builder {

        private int trees = 100;
        private int sampleSize = 256;
        private long seed;

        Builder() {}

        /**
         * Sets the number of trees (default 100).
         *
         * @param trees at least 1
         * @return this builder
         */
        public Builder optTrees(int trees) {
            this.trees = atLeast("trees", trees, 1);
            return this;
        }

        /**
         * Sets the subsample size per tree (default 256; all points when there are fewer).
         *
         * @param sampleSize at least 2
         * @return this builder
         */
        public Builder optSampleSize(int sampleSize) {
            this.sampleSize = atLeast("sampleSize", sampleSize, 2);
            return this;
        }

        /**
         * Sets the seed of the subsampling and of the splits (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the scorer.
         *
         * @return the scorer
         */
        public IsolationForestScorer build() {
            return new IsolationForestScorer(this);
        }

        private static int atLeast(String name, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(
                        name + " must be at least " + min + ", got " + value);
            }
            return value;
        }
    }
}
