package ai.hydra.reproduce.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionMatchTest {

    @Test
    void picksTheBetterOfTheTwoAssignments() {
        int[] clusters = {0, 0, 0, 1, 1, 1};
        int[] groups = {1, 1, 0, 0, 0, 0};
        // J(c0,g0) = 1/6, J(c1,g1) = 0; swapped: J(c1,g0) = 3/4, J(c0,g1) = 2/3
        PartitionMatch match = PartitionMatch.best(clusters, groups, 2);
        assertArrayEquals(new int[] {1, 0}, match.clusterOfGroup());
        assertEquals(3 / 4.0, match.jaccard(0), 1e-15);
        assertEquals(2 / 3.0, match.jaccard(1), 1e-15);
        assertEquals((3 / 4.0 + 2 / 3.0) / 2, match.mean(), 1e-15);
    }

    @Test
    void relabelledClustersMatchPerfectly() {
        int[] groups = {0, 1, 2, 2, 1, 0, 2};
        int[] clusters = {2, 0, 1, 1, 0, 2, 1};
        PartitionMatch match = PartitionMatch.best(clusters, groups, 3);
        assertArrayEquals(new int[] {2, 0, 1}, match.clusterOfGroup());
        assertArrayEquals(new double[] {1, 1, 1}, match.jaccardOfGroup());
    }

    @Test
    void tiesAndEmptySetsAreDefined() {
        // J(c0,g0) = J(c1,g0) = 1/2, group 1 empty: both assignments give 1/2; identity wins
        PartitionMatch match = PartitionMatch.best(new int[] {0, 1}, new int[] {0, 0}, 2);
        assertArrayEquals(new int[] {0, 1}, match.clusterOfGroup());
        assertArrayEquals(new double[] {0.5, 0}, match.jaccardOfGroup());
        assertEquals(1.0, PartitionMatch.jaccard(new boolean[2], new boolean[2]));
        assertEquals(
                1 / 3.0,
                PartitionMatch.jaccard(
                        new boolean[] {true, true, false}, new boolean[] {false, true, true}),
                1e-15);
    }

    @Test
    void averagesPerGroupOverClasses() {
        PartitionMatch a = new PartitionMatch(new int[] {0, 1}, new double[] {1.0, 0.5});
        PartitionMatch b = new PartitionMatch(new int[] {1, 0}, new double[] {0.5, 0.25});
        assertArrayEquals(
                new double[] {0.75, 0.375}, PartitionMatch.meanPerGroup(List.of(a, b)), 1e-15);
    }

    @Test
    void badLabelsAreNamed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> PartitionMatch.best(new int[] {0, 2}, new int[] {0, 1}, 2));
        assertEquals(
                "PartitionMatch: cluster label 2 at index 1 is outside [0, 2)", e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> PartitionMatch.best(new int[] {0}, new int[] {0}, 9));
    }
}
