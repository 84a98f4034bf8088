package ai.hydra.reproduce.cluster;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.exception.MathIllegalStateException;
import org.apache.commons.math3.ml.clustering.CentroidCluster;
import org.apache.commons.math3.ml.clustering.Clusterable;
import org.apache.commons.math3.ml.clustering.KMeansPlusPlusClusterer;
import org.apache.commons.math3.ml.clustering.MultiKMeansPlusPlusClusterer;
import org.apache.commons.math3.ml.distance.EuclideanDistance;
import org.apache.commons.math3.random.JDKRandomGenerator;

/**
 * K-means with k-means++ seeding (Apache Commons Math), restarted several times keeping the run
 * with the smallest sum of within-cluster variances; deterministic for a given seed. The defaults
 * (10 restarts, 300 iterations) follow scikit-learn's {@code KMeans}, which the paper's authors
 * used for MNIST and Fashion-MNIST.
 *
 * <pre>{@code
 * int[] labels = KMeansClusterer.builder().setClusters(2).optSeed(7).build().cluster(points);
 * }</pre>
 */
public final class KMeansClusterer implements Clusterer {

    private final int clusters;
    private final int restarts;
    private final int maxIterations;
    private final long seed;

    private KMeansClusterer(Builder builder) {
        clusters = builder.clusters;
        restarts = builder.restarts;
        maxIterations = builder.maxIterations;
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

    /** {@inheritDoc} */
    @Override
    public int[] cluster(double[][] points) {
        Clusterer.checkPoints(points, clusters);
        List<IndexedPoint> indexed = new ArrayList<>(points.length);
        for (int i = 0; i < points.length; i++) {
            indexed.add(new IndexedPoint(i, points[i]));
        }
        JDKRandomGenerator random = new JDKRandomGenerator();
        random.setSeed(seed);
        KMeansPlusPlusClusterer<IndexedPoint> single =
                new KMeansPlusPlusClusterer<>(
                        clusters, maxIterations, new EuclideanDistance(), random);
        List<CentroidCluster<IndexedPoint>> found;
        try {
            found = new MultiKMeansPlusPlusClusterer<>(single, restarts).cluster(indexed);
        } catch (MathIllegalStateException e) {
            throw new IllegalArgumentException(
                    "k-means cannot form " + clusters + " clusters here: " + e.getMessage(), e);
        }
        int[] labels = new int[points.length];
        for (int c = 0; c < found.size(); c++) {
            for (IndexedPoint point : found.get(c).getPoints()) {
                labels[point.index] = c;
            }
        }
        return labels;
    }

    /** {@inheritDoc} */
    @Override
    public int clusters() {
        return clusters;
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return "k-means++ (k="
                + clusters
                + ", "
                + restarts
                + " restarts, at most "
                + maxIterations
                + " iterations, seed "
                + seed
                + ")";
    }

    /** A point that remembers its row. */
    private record IndexedPoint(int index, double[] coordinates) implements Clusterable {
        /** {@inheritDoc} */
        @Override
        public double[] getPoint() {
            return coordinates;
        }
    }

    /** Builds {@link KMeansClusterer}s. */
    public static final class Builder {

        private int clusters = 2;
        private int restarts = 10;
        private int maxIterations = 300;
        private long seed;

        Builder() {}

        /**
         * Sets the number of clusters (default 2).
         *
         * @param clusters k, at least 1
         * @return this builder
         */
        public Builder setClusters(int clusters) {
            this.clusters = positive("clusters", clusters);
            return this;
        }

        /**
         * Sets how many k-means++ runs are made; the one with the smallest sum of within-cluster
         * variances is kept (default 10).
         *
         * @param restarts at least 1
         * @return this builder
         */
        public Builder optRestarts(int restarts) {
            this.restarts = positive("restarts", restarts);
            return this;
        }

        /**
         * Sets the iteration limit of each run (default 300).
         *
         * @param maxIterations at least 1
         * @return this builder
         */
        public Builder optMaxIterations(int maxIterations) {
            this.maxIterations = positive("maxIterations", maxIterations);
            return this;
        }

        /**
         * Sets the seed of the k-means++ seeding (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Builds the clusterer.
         *
         * @return the clusterer
         */
        public KMeansClusterer build() {
            return new KMeansClusterer(this);
        }

        private static int positive(String name, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, got " + value);
            }
            return value;
        }
    }
}
