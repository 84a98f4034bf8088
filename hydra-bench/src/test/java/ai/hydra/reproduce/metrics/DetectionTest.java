package ai.hydra.reproduce.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DetectionTest {

    private static boolean[] flags(int... indices) {
        return flagsOf(10, indices);
    }

    private static boolean[] flagsOf(int n, int... indices) {
        boolean[] flags = new boolean[n];
        for (int i : indices) {
            flags[i] = true;
        }
        return flags;
    }

    @Test
    void aucCountsOrderedPairs() {
        // positives {2, 3} (0.35, 0.8), negatives {0, 1} (0.1, 0.4): of the 4 pairs, 3 are ordered
        double[] scores = {0.1, 0.4, 0.35, 0.8};
        boolean[] flagged = flagsOf(4, 2, 3);
        assertEquals(0.75, Detection.rocAuc(scores, flagged, Direction.HIGHEST_FIRST), 1e-15);
        assertEquals(0.25, Detection.rocAuc(scores, flagged, Direction.LOWEST_FIRST), 1e-15);
    }

    @Test
    void aucCountsTiesAsOneHalf() {
        // positives at scores 0 and 2, negatives at 0 and 1: pairs (0|0) tie, (0|1) wrong,
        // (2|0) right, (2|1) right -> (0.5 + 0 + 1 + 1) / 4
        double[] scores = {0, 0, 1, 2};
        boolean[] flagged = flagsOf(4, 0, 3);
        assertEquals(0.625, Detection.rocAuc(scores, flagged, Direction.HIGHEST_FIRST), 1e-15);
        assertEquals(0.375, Detection.rocAuc(scores, flagged, Direction.LOWEST_FIRST), 1e-15);
        double[] constant = {3, 3, 3, 3};
        assertEquals(0.5, Detection.rocAuc(constant, flagged, Direction.LOWEST_FIRST), 1e-15);
        // -0.0 and 0.0 are the same score
        double[] zeros = {-0.0, 0.0};
        assertEquals(0.5, Detection.rocAuc(zeros, flagsOf(2, 0), Direction.LOWEST_FIRST));
        assertEquals(0.5, Detection.rocAuc(zeros, flagsOf(2, 0), Direction.HIGHEST_FIRST));
    }

    @Test
    void aucIsOneForAPerfectScore() {
        double[] scores = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
        assertEquals(1.0, Detection.rocAuc(scores, flags(7, 8, 9), Direction.LOWEST_FIRST));
        assertEquals(0.0, Detection.rocAuc(scores, flags(7, 8, 9), Direction.HIGHEST_FIRST));
    }

    @Test
    void fractionFoundInspectsTheRequestedShare() {
        double[] scores = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
        boolean[] flagged = flags(0, 3, 9);
        // highest first: 20% = indices 0, 1 -> 1 of 3; 40% = 0..3 -> 2 of 3
        assertEquals(1 / 3.0, found(scores, flagged, Direction.HIGHEST_FIRST, 0.2), 1e-15);
        assertEquals(2 / 3.0, found(scores, flagged, Direction.HIGHEST_FIRST, 0.4), 1e-15);
        // lowest first: 10% = index 9 -> 1 of 3
        assertEquals(1 / 3.0, found(scores, flagged, Direction.LOWEST_FIRST, 0.1), 1e-15);
        assertEquals(0.0, found(scores, flagged, Direction.LOWEST_FIRST, 0.0));
        assertEquals(1.0, found(scores, flagged, Direction.LOWEST_FIRST, 1.0));
        // 0.14 * 10 rounds to 1 sample, 0.15 * 10 to 2
        assertEquals(1 / 3.0, found(scores, flagged, Direction.HIGHEST_FIRST, 0.14), 1e-15);
        assertEquals(1 / 3.0, found(scores, flagged, Direction.HIGHEST_FIRST, 0.15), 1e-15);
    }

    @Test
    void fractionFoundSharesATieAtTheCut() {
        // inspect 2 of 5: score 3 (unflagged) is in; one place left for the tied group {1, 2, 3}
        // holding one flagged sample -> 1/3 of a sample expected, of 2 flagged in all
        double[] scores = {3, 2, 2, 2, 1};
        boolean[] flagged = flagsOf(5, 1, 4);
        assertEquals(1 / 6.0, found(scores, flagged, Direction.HIGHEST_FIRST, 0.4), 1e-15);
        // the tie group entirely inside: 4 inspected -> sample 1 found, sample 4 not
        assertEquals(0.5, found(scores, flagged, Direction.HIGHEST_FIRST, 0.8), 1e-15);
    }

    private static double found(double[] s, boolean[] f, Direction d, double fraction) {
        return Detection.fractionFound(s, f, d, fraction);
    }

    @Test
    void badInputIsNamed() {
        double[] scores = {1, 2, 3};
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Detection.rocAuc(scores, new boolean[3], Direction.LOWEST_FIRST));
        assertTrue(e.getMessage().contains("0 flagged of 3"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> Detection.rocAuc(scores, new boolean[2], Direction.LOWEST_FIRST));
        assertTrue(e.getMessage().contains("3 vs 2"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Detection.rocAuc(
                                        new double[] {1, Double.NaN},
                                        flagsOf(2, 0),
                                        Direction.LOWEST_FIRST));
        assertTrue(e.getMessage().contains("index 1"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> Detection.fractionFound(scores, flagsOf(3, 0), Direction.LOWEST_FIRST, 1.5));
        assertThrows(
                IllegalArgumentException.class,
                () -> Detection.fractionFound(scores, new boolean[3], Direction.LOWEST_FIRST, .5));
    }
}
