package ai.hydra.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ranking, Eq. 23, CSV and npz export on hand-computed examples; non-finite values refused. */
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
        assertArrayEquals(new int[] {1}, matrix.mostHarmful(0, 2)); // row 3's 0 harmed nothing
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

    /** Issue 10: a diverged run wrote an all-NaN contributions.csv without a word. */
    @Test
    void nonFiniteValuesAreNotWrittenUnlessAllowed() throws Exception {
        ContributionMatrix diverged =
                new ContributionMatrix(
                        new double[][] {{0.5, Double.NaN}, {Double.POSITIVE_INFINITY, 1}},
                        new int[] {10, 11},
                        new int[] {7, 8});
        assertEquals(2, diverged.nonFiniteCount());
        Path csv = temp.resolve("nan.csv");
        NonFiniteResultException e =
                assertThrows(NonFiniteResultException.class, () -> diverged.writeCsv(csv));
        assertTrue(
                e.getMessage().startsWith("2 of 4 contributions are NaN or infinite"),
                e.getMessage());
        assertTrue(e.getMessage().contains("train index 10, test 8"), e.getMessage());
        assertFalse(Files.exists(csv));
        try (NDManager manager = NDManager.newBaseManager()) {
            Path npz = temp.resolve("nan.npz");
            assertThrows(NonFiniteResultException.class, () -> diverged.writeNpz(manager, npz));
            assertFalse(Files.exists(npz));
        }
        diverged.writeCsv(csv, true);
        assertEquals("10,0.5,NaN", Files.readAllLines(csv).get(1));
    }

    /** Issue 10: npz files differed from run to run (zip entries carry the time of writing). */
    @Test
    void npzIsByteReproducible() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path first = temp.resolve("first.npz");
            matrix.writeNpz(manager, first);
            try (ZipFile zip = new ZipFile(first.toFile())) {
                for (ZipEntry entry : java.util.Collections.list(zip.entries())) {
                    assertEquals(
                            LocalDateTime.of(1980, 1, 1, 0, 0),
                            entry.getTimeLocal(),
                            entry.getName());
                }
            }
            Path second = temp.resolve("second.npz");
            matrix.writeNpz(manager, second);
            assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
            NDList read = NDList.decode(manager, Files.readAllBytes(first));
            assertEquals("contributions", read.get(0).getName());
            assertArrayEquals(
                    new double[] {0.5, -1, -2, 0.25, 1, 3, 0, -0.5},
                    read.get(0).toDoubleArray(),
                    0);
            assertArrayEquals(new int[] {10, 11, 12, 13}, read.get(1).toIntArray());
        }
    }
}
