package ai.hydra.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ranking, Eq. 23 and CSV export on hand-computed examples. */
class ContributionMatrixTest {

    @TempDir Path temp;

    private final ContributionMatrix matrix =
            new ContributionMatrix(
                    new double[][] {{0.5, -1}, {-2, 0.25}, {1, 3}, {0, -0.5}},
                    new int[] {10, 11, 12, 13},
                    new int[] {7, 8});

    @Test
    void ranksHelpfulAndHarmful() {
        assertArrayEquals(new int[] {2, 0}, matrix.mostHelpful(0, 2));
        assertArrayEquals(new int[] {1, 3}, matrix.mostHarmful(0, 2));
        assertArrayEquals(new int[] {2, 1}, matrix.mostHelpful(1, 2));
        assertArrayEquals(new int[] {0, 3}, matrix.mostHarmful(1, 2));
    }

    @Test
    void interClassSumsAndNormalizesByAbsoluteSums() {
        // train classes 0,0,1,1; test classes 0,1
        InterClassMatrix m = matrix.interClass(new int[] {0, 0, 1, 1}, new int[] {0, 1}, 2);
        double[][] raw = m.raw();
        assertArrayEquals(new double[] {-1.5, -0.75}, raw[0], 1e-12);
        assertArrayEquals(new double[] {1, 2.5}, raw[1], 1e-12);
        double[][] n = m.normalized();
        // row sums 2.25, 3.5; column sums 2.5, 3.25
        assertEquals(-1.5 / Math.sqrt(2.25 * 2.5), n[0][0], 1e-12);
        assertEquals(2.5 / Math.sqrt(3.5 * 3.25), n[1][1], 1e-12);
    }

    @Test
    void csvHasOneLinePerTrainingSample() throws Exception {
        Path file = temp.resolve("c.csv");
        matrix.writeCsv(file);
        List<String> lines = Files.readAllLines(file);
        assertEquals("train_index,test_7,test_8", lines.get(0));
        assertEquals("11,-2.0,0.25", lines.get(2));
        assertEquals(5, lines.size());
    }
}
