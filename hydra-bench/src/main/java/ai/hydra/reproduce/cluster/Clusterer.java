package ai.hydra.reproduce.cluster;

/** Partitions points (rows) into a fixed number of clusters. */
public interface Clusterer {

    /**
     * Clusters the points.
     *
     * @param points one row per point, all rows of the same length
     * @return a cluster label in [0, {@link #clusters()}) per point
     * @throws IllegalArgumentException if there are fewer points than clusters or the rows are
     *     ragged
     */
    int[] cluster(double[][] points);

    /**
     * Returns the number of clusters produced.
     *
     * @return k
     */
    int clusters();

    /**
     * Describes the algorithm and its settings for reports.
     *
     * @return e.g. {@code k-means++ (k=2, 10 restarts, seed 0)}
     */
    String describe();

    /** Fails unless there are at least {@code k} points and all rows have one length. */
    static void checkPoints(double[][] points, int k) {
        if (points.length < k) {
            throw new IllegalArgumentException(
                    "cannot form " + k + " clusters from " + points.length + " points");
        }
        int dimension = points[0].length;
        for (int i = 1; i < points.length; i++) {
            if (points[i].length != dimension) {
                throw new IllegalArgumentException(
                        "point "
                                + i
                                + " has "
                                + points[i].length
                                + " coordinates, point 0 has "
                                + dimension);
            }
        }
    }
}
