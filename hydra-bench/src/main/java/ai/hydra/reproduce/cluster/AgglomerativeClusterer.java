package ai.hydra.reproduce.cluster;

import java.util.Locale;
import java.util.Objects;
import smile.clustering.HierarchicalClustering;
import smile.clustering.linkage.CompleteLinkage;
import smile.clustering.linkage.Linkage;
import smile.clustering.linkage.SingleLinkage;
import smile.clustering.linkage.UPGMALinkage;
import smile.math.distance.Distance;

/**
 * Agglomerative (hierarchical) clustering on cosine distances, cut into a fixed number of clusters
 * (Smile's {@code HierarchicalClustering}); deterministic. The paper's authors used scikit-learn's
 * cosine agglomerative clustering for CIFAR-10; their linkage is not published, the default here is
 * average linkage (UPGMA).
 *
 * <p>The cosine distance is {@code 1 - x.y / (|x| |y|)}; a zero vector has distance 1 to every
 * point (as in scikit-learn). Distances are stored in single precision (Smile's layout), {@code n
 * (n + 1) / 2} floats, so a few tens of thousands of points at most.
 */
public final class AgglomerativeClusterer implements Clusterer {

    /** How the distance between two clusters is derived from the distances of their points. */
    public enum LinkageType {
        /** Mean distance over all cross pairs (UPGMA). */
        AVERAGE,
        /** Largest distance over the cross pairs. */
        COMPLETE,
        /** Smallest distance over the cross pairs. */
        SINGLE
    }

    private final int clusters;
    private final LinkageType linkage;

    private AgglomerativeClusterer(Builder builder) {
        clusters = builder.clusters;
        linkage = builder.linkage;
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
        if (points.length == 1) {
            return new int[1];
        }
        double[][] unit = Features.unitRows(points);
        Distance<double[]> cosine = AgglomerativeClusterer::cosineDistance;
        Linkage tree =
                switch (linkage) {
                    case AVERAGE -> UPGMALinkage.of(unit, cosine);
                    case COMPLETE -> CompleteLinkage.of(unit, cosine);
                    case SINGLE -> SingleLinkage.of(unit, cosine);
                };
        return HierarchicalClustering.fit(tree).partition(clusters);
    }

    /** Cosine distance of two rows already scaled to unit length (zero rows stay zero). */
    private static double cosineDistance(double[] x, double[] y) {
        double dot = 0;
        for (int i = 0; i < x.length; i++) {
            dot += x[i] * y[i];
        }
        return 1 - dot;
    }

    /** {@inheritDoc} */
    @Override
    public int clusters() {
        return clusters;
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return "agglomerative, cosine distance, "
                + linkage.name().toLowerCase(Locale.ROOT)
                + " linkage (k="
                + clusters
                + ")";
    }

    /** Builds {@link AgglomerativeClusterer}s. */
    public static final class Builder {

        private int clusters = 2;
        private LinkageType linkage = LinkageType.AVERAGE;

        Builder() {}

        /**
         * Sets the number of clusters (default 2).
         *
         * @param clusters k, at least 1
         * @return this builder
         */
        public Builder setClusters(int clusters) {
            if (clusters < 1) {
                throw new IllegalArgumentException("clusters must be at least 1, got " + clusters);
            }
            this.clusters = clusters;
            return this;
        }

        /**
         * Sets the linkage (default {@link LinkageType#AVERAGE}).
         *
         * @param linkage the linkage
         * @return this builder
         */
        public Builder optLinkage(LinkageType linkage) {
            this.linkage = Objects.requireNonNull(linkage, "linkage");
            return this;
        }

        /**
         * Builds the clusterer.
         *
         * @return the clusterer
         */
        public AgglomerativeClusterer build() {
            return new AgglomerativeClusterer(this);
        }
    }
}
