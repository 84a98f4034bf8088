package ai.hydra.reproduce.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.hydra.reproduce.metrics.PartitionMatch;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClusteringTest {

    /** 40 points around (0, 0, 0) and 40 around (6, 6, -6), truth 0 and 1. */
    private static double[][] blobs(int[] truth) {
        Random random = new Random(3);
        double[][] points = new double[80][3];
        for (int i = 0; i < 80; i++) {
            truth[i] = i % 2;
            for (int j = 0; j < 3; j++) {
                double centre = truth[i] == 0 ? 0 : (j == 2 ? -6 : 6);
                points[i][j] = centre + random.nextGaussian();
            }
        }
        return points;
    }

    @Test
    void kMeansSeparatesTwoBlobs() {
        int[] truth = new int[80];
        double[][] points = blobs(truth);
        KMeansClusterer kMeans = KMeansClusterer.builder().setClusters(2).optSeed(5).build();
        int[] labels = kMeans.cluster(points);
        assertArrayEquals(
                new double[] {1, 1}, PartitionMatch.best(labels, truth, 2).jaccardOfGroup());
        assertArrayEquals(labels, kMeans.cluster(points), "same seed, same labels");
    }

    @Test
    void kMeansFindsTheHandComputedOptimum() {
        // 1-D: {0, 1, 2} and {10, 11} minimize the within-cluster sum of squares
        double[][] points = {{0}, {11}, {1}, {10}, {2}};
        int[] labels = KMeansClusterer.builder().setClusters(2).build().cluster(points);
        assertEquals(labels[0], labels[2]);
        assertEquals(labels[0], labels[4]);
        assertEquals(labels[1], labels[3]);
        assertTrue(labels[0] != labels[1]);
    }

    @Test
    void agglomerativeUsesCosineDistanceAndAverageLinkage() {
        // unit vectors at 0, 18, 40, 75 and 90 degrees (lengths vary: cosine ignores them).
        // Merges: 75-90 (1 - cos 15 = .034), 0-18 (.049); then 40 joins {0, 18} at the average
        // (1 - cos 40 + 1 - cos 22) / 2 = .153 rather than {75, 90} at .269.
        double[] degrees = {0, 18, 40, 75, 90};
        double[][] points = new double[5][];
        for (int i = 0; i < 5; i++) {
            double r = Math.toRadians(degrees[i]);
            points[i] = new double[] {(i + 1) * Math.cos(r), (i + 1) * Math.sin(r)};
        }
        AgglomerativeClusterer two = AgglomerativeClusterer.builder().setClusters(2).build();
        int[] labels = two.cluster(points);
        int[] truth = {0, 0, 0, 1, 1};
        assertEquals(1.0, PartitionMatch.best(labels, truth, 2).mean());
        int[] three = AgglomerativeClusterer.builder().setClusters(3).build().cluster(points);
        assertEquals(1.0, PartitionMatch.best(three, new int[] {0, 0, 1, 2, 2}, 3).mean());
        assertTrue(two.describe().contains("average linkage"), two.describe());
    }

    @Test
    void agglomerativeTreatsZeroVectorsAsOrthogonal() {
        // the zero vector is at cosine distance 1 from every point (no NaN), so it stays alone
        double[][] points = {{1, 0}, {2, 0.01}, {0, 1}, {0, 0}};
        int[] labels = AgglomerativeClusterer.builder().setClusters(3).build().cluster(points);
        assertEquals(labels[0], labels[1]);
        assertEquals(3, Arrays.stream(labels).distinct().count());
    }

    @Test
    void featuresAreSignsOrColumnZScores() {
        double[][] rows = {{0.5, -2, 1}, {1.5, 0, 1}, {2.5, 2, 1}};
        assertArrayEquals(new double[] {1, -1, 1}, Features.signs(rows)[0]);
        assertArrayEquals(new double[] {1, 0, 1}, Features.signs(rows)[1]);
        double[][] z = Features.zScores(rows);
        double s =
                Math.sqrt(
                        1.5); // column 0: 0.5, 1.5, 2.5 -> deviations -1, 0, 1, pop. std sqrt(2/3)
        assertArrayEquals(new double[] {-s, -s, 0}, z[0], 1e-15);
        assertArrayEquals(new double[] {0, 0, 0}, z[1], 1e-15);
        assertArrayEquals(new double[] {s, s, 0}, z[2], 1e-15);
    }

    @Test
    void badInputIsNamed() {
        KMeansClusterer kMeans = KMeansClusterer.builder().setClusters(3).build();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> kMeans.cluster(new double[][] {{1}, {2}}));
        assertEquals("cannot form 3 clusters from 2 points", e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                AgglomerativeClusterer.builder()
                                        .build()
                                        .cluster(new double[][] {{1, 2}, {3}}));
        assertEquals("point 1 has 1 coordinates, point 0 has 2", e.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> KMeansClusterer.builder().optRestarts(0));
    }
}
