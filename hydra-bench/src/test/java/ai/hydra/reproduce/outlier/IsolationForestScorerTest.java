package ai.hydra.reproduce.outlier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import smile.stat.distribution.GaussianDistribution;

class IsolationForestScorerTest {

    /** A 20 x 20 grid in the unit square, and one far point last. */
    private static double[][] gridWithOutlier(boolean constantColumn) {
        double[][] points = new double[401][];
        for (int i = 0; i < 400; i++) {
            double x = (i % 20) / 19.0;
            double y = (i / 20) / 19.0;
            points[i] = constantColumn ? new double[] {x, 7, y} : new double[] {x, y};
        }
        points[400] = constantColumn ? new double[] {5, 7, 5} : new double[] {5, 5};
        return points;
    }

    @Test
    void theFarPointScoresHighest() {
        double[] scores =
                IsolationForestScorer.builder().optSeed(1).build().scores(gridWithOutlier(false));
        double inlierMax = Arrays.stream(scores, 0, 400).max().orElseThrow();
        assertTrue(scores[400] > 0.7, "outlier score " + scores[400]);
        assertTrue(inlierMax < scores[400] - 0.1, "inliers up to " + inlierMax);
        for (double score : scores) {
            assertTrue(score > 0 && score <= 1, "score " + score);
        }
    }

    @Test
    void scoresAreReproducibleAndIgnoreConstantColumns() {
        IsolationForestScorer scorer =
                IsolationForestScorer.builder().optSeed(4).optTrees(20).build();
        double[] first = scorer.scores(gridWithOutlier(false));
        GaussianDistribution.getInstance().rand(); // a stray draw by another user of Smile
        double[] second = scorer.scores(gridWithOutlier(false));
        assertArrayEquals(first, second);
        assertArrayEquals(first, scorer.scores(gridWithOutlier(true)));
        double[] otherSeed =
                IsolationForestScorer.builder()
                        .optSeed(5)
                        .optTrees(20)
                        .build()
                        .scores(gridWithOutlier(false));
        assertTrue(!Arrays.equals(first, otherSeed), "the seed matters");
    }

    @Test
    void nothingToIsolateGivesOneHalf() {
        double[] scores =
                IsolationForestScorer.builder().build().scores(new double[][] {{1, 2}, {1, 2}});
        assertArrayEquals(new double[] {0.5, 0.5}, scores);
    }

    @Test
    void contaminationFlagsTheHighestScoresAndTheirTies() {
        double[] scores = {0.1, 0.9, 0.5, 0.9, 0.2};
        // 0.2 * 5 = 1 flagged, but index 3 ties with it
        assertArrayEquals(
                new boolean[] {false, true, false, true, false},
                IsolationForestScorer.flagHighest(scores, 0.2));
        assertArrayEquals(new boolean[5], IsolationForestScorer.flagHighest(scores, 0.0));
        assertThrows(
                IllegalArgumentException.class, () -> IsolationForestScorer.flagHighest(scores, 2));
    }

    @Test
    void badInputIsNamed() {
        IsolationForestScorer scorer = IsolationForestScorer.builder().build();
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> scorer.scores(new double[][] {{1}, {Double.NaN}}));
        assertEquals("value NaN of point 1 is not finite", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> scorer.scores(new double[][] {{1}}));
        assertThrows(
                IllegalArgumentException.class,
                () -> IsolationForestScorer.builder().optSampleSize(1));
    }
}
