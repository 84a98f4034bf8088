package ai.hydra.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.hydra.data.SampleSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ranking and CSV of C(i) on hand-computed examples; methods refuse what they cannot do. */
class ContributionsTest {

    @TempDir Path temp;

    /** Rows 0..5 at dataset indices 20..25; a tie between rows 1 and 4. */
    private final Contributions c =
            new Contributions(
                    new double[] {0.1, -0.3, 0.5, 0.0, -0.3, 0.2},
                    new int[] {20, 21, 22, 23, 24, 25});

    @Test
    void ranksHelpfulAndHarmfulWithTiesInRowOrder() {
        assertArrayEquals(new int[] {2, 5}, c.mostHelpful(2));
        assertArrayEquals(new int[] {1, 4}, c.mostHarmful(2));
        assertArrayEquals(new int[] {3, 5, 1, 4, 6, 2}, c.ranks());
        assertEquals(22, c.trainIndex(c.mostHelpful(1)[0]));
    }

    /**
     * Issue 10: asking for more than there are (topK above the tracked samples) listed harmful
     * samples as helpful and helpful ones as harmful; a sample of contribution 0 is neither.
     */
    /**
     * Cleaning removes a fixed share whatever the signs: the lowest k values, which go on into the
     * zero and positive ones when fewer than k are negative (table3 removed too few before).
     */
    @Test
    void lowestTakesAFixedCountWhateverTheSign() {
        assertArrayEquals(new int[] {1, 4, 3, 0}, c.lowest(4));
        assertArrayEquals(new int[] {1, 4, 3, 0, 5, 2}, c.lowest(10));
        assertEquals(0, c.lowest(0).length);
    }

    @Test
    void helpfulListsOnlyPositiveAndHarmfulOnlyNegativeValues() {
        assertArrayEquals(new int[] {2, 5, 0}, c.mostHelpful(10));
        assertArrayEquals(new int[] {1, 4}, c.mostHarmful(10));
        Contributions allHarmful = new Contributions(new double[] {-1, -2}, new int[] {0, 1});
        assertEquals(0, allHarmful.mostHelpful(5).length);
    }

    @Test
    void matrixColumnsAreContributions() {
        ContributionMatrix matrix =
                new ContributionMatrix(
                        new double[][] {{1, 4}, {2, 5}, {3, 6}},
                        new int[] {7, 8, 9},
                        new int[] {0, 1});
        assertArrayEquals(new double[] {4, 5, 6}, matrix.column(1).values());
        assertArrayEquals(new int[] {7, 8, 9}, matrix.column(1).trainIndices());
        assertArrayEquals(new double[] {2.5, 3.5, 4.5}, matrix.meanOverColumns().values(), 0);
    }

    @Test
    void csvHasIndexValueAndRank() throws Exception {
        Path file = temp.resolve("c.csv");
        c.writeCsv(file);
        List<String> lines = Files.readAllLines(file);
        assertEquals("train_index,contribution,rank", lines.get(0));
        assertEquals("22,0.5,1", lines.get(3));
        assertEquals(7, lines.size());
    }

    @Test
    void mismatchedLengthsAreRefused() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> new Contributions(new double[2], new int[3]));
        assertTrue(e.getMessage().contains("3 indices for 2 values"), e.getMessage());
    }

    /** A score-only method: self-attribution, and a clear refusal of test contributions. */
    @Test
    void unsupportedOperationsSaySo() {
        Attributor selfOnly =
                new Attributor() {
                    @Override
                    public String name() {
                        return "self-loss";
                    }

                    @Override
                    public boolean supports(Capability capability) {
                        return capability == Capability.SELF_ATTRIBUTION;
                    }
                };
        assertFalse(selfOnly.supports(Capability.TEST_CONTRIBUTIONS));
        try (NDManager manager = NDManager.newBaseManager()) {
            SampleSet one =
                    SampleSet.of(
                            new NDList(manager.zeros(new Shape(1, 2))),
                            new NDList(manager.zeros(new Shape(1))));
            UnsupportedOperationException e =
                    assertThrows(
                            UnsupportedOperationException.class,
                            () -> selfOnly.testLossContributions(manager, one));
            assertTrue(
                    e.getMessage()
                            .contains("self-loss does not support contributions to test losses"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("TEST_CONTRIBUTIONS"), e.getMessage());
        }
    }
}
