package ai.hydra.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.NonFiniteResultException;
import ai.hydra.data.ImageData;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContributionReportTest {

    @TempDir Path dir;

    private final ImageData train = Synthetic.images(8, 1, 28, 0);
    private final ImageData test = Synthetic.images(3, 1, 28, 1);

    /** C(i) per row, with ranks by hand: 0.1->3, -0.3->6, 0.5->1, 0.0->4, 0.2->2, -0.1->5. */
    private static final double[] TEST_LOSS = {0.1, -0.3, 0.5, 0.0, 0.2, -0.1};

    private static final int[] RANKS = {3, 6, 1, 4, 2, 5};

    private static Contributions testLoss() {
        return new Contributions(TEST_LOSS, Synthetic.TRAIN_INDICES);
    }

    private ContributionReport.Builder builder() {
        return ContributionReport.builder()
                .setContributions(Synthetic.matrix())
                .setTrainImages(train)
                .setTestImages(test)
                .optTopK(2);
    }

    /**
     * Issue 10: a diverged run wrote a report of NaN; now nothing is written unless non-finite
     * values are allowed, and then the summary gives their count.
     */
    @Test
    void nonFiniteContributionsAreRefusedOrCounted() throws Exception {
        double[] diverged = TEST_LOSS.clone();
        diverged[4] = Double.NaN;
        Contributions nan = new Contributions(diverged, Synthetic.TRAIN_INDICES);
        Path out = dir.resolve("nan");
        try (NDManager manager = NDManager.newBaseManager()) {
            ContributionReport refused = builder().optTestLossContributions(nan).build();
            assertEquals(1, refused.nonFiniteCount());
            NonFiniteResultException e =
                    assertThrows(NonFiniteResultException.class, () -> refused.write(manager, out));
            assertTrue(e.getMessage().contains("1 of 6 contributions"), e.getMessage());
            assertTrue(!Files.exists(out), "nothing written");
            builder()
                    .optTestLossContributions(nan)
                    .optAllowNonFinite(true)
                    .build()
                    .write(manager, out);
        }
        assertTrue(
                Files.readString(out.resolve("summary.md"))
                        .contains("- **non-finite values**: 1 contributions are NaN or infinite"),
                Files.readString(out.resolve("summary.md")));
    }

    @Test
    void writesEveryFileWithRoundTrippingContent() throws Exception {
        List<Path> files;
        try (NDManager manager = NDManager.newBaseManager()) {
            files =
                    builder()
                            .optTestLossContributions(testLoss())
                            .optSetting("epochs", 3)
                            .build()
                            .write(manager, dir.resolve("report"));
        }
        Path out = dir.resolve("report");
        for (String name :
                List.of(
                        "contributions.csv",
                        "contributions.npz",
                        "test-loss-contributions.csv",
                        "top-samples.png",
                        "interclass-heatmap.png",
                        "summary.md",
                        "summary.txt")) {
            assertTrue(Files.size(out.resolve(name)) > 0, name);
            assertTrue(files.contains(out.resolve(name)), name);
        }
        assertMatrixCsv(out.resolve("contributions.csv"));
        assertNpz(out.resolve("contributions.npz"));
        List<CSVRecord> rows = records(out.resolve("test-loss-contributions.csv"));
        assertEquals(6, rows.size());
        for (int r = 0; r < 6; r++) {
            int index = Synthetic.TRAIN_INDICES[r];
            assertEquals(index, Integer.parseInt(rows.get(r).get("train_index")));
            assertEquals(index % 3, Integer.parseInt(rows.get(r).get("label")));
            assertEquals(Synthetic.CLASSES.get(index % 3), rows.get(r).get("class"));
            assertEquals(TEST_LOSS[r], Double.parseDouble(rows.get(r).get("contribution")), 0);
            assertEquals(RANKS[r], Integer.parseInt(rows.get(r).get("rank")));
        }
        BufferedImage grid = ImageIO.read(out.resolve("top-samples.png").toFile());
        assertEquals(2 * 16 + 5 * 120 + 2 * 6 + 2 * 26, grid.getWidth());
        assertEquals(2 * 16 + 34 + 24 + 2 * 170 + 12, grid.getHeight(), "both test columns shown");
    }

    @Test
    void summaryListsSettingsAndRankings() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            builder()
                    .optTestLossContributions(testLoss())
                    .optSetting("epochs", 3)
                    .build()
                    .write(manager, dir);
        }
        String md = Files.readString(dir.resolve("summary.md"));
        String txt = Files.readString(dir.resolve("summary.txt"));
        assertTrue(md.contains("- **epochs**: 3"), md);
        // test loss: most helpful row 2 (train index 2, class "two"), most harmful row 1 (index 1)
        assertTrue(md.contains("| 1 | 2 | two | +5.0e-01 | 1 | one | -3.0e-01 |"), md);
        // test column 0 = test index 2 (label (2+1)%3 = 0): helpful row 3 (index 7, label 1),
        // harmful row 5 (index 0)
        assertTrue(md.contains("## Test sample #2 (zero)"), md);
        assertTrue(md.contains("| 1 | 7 | one | +5.0e-01 | 0 | zero | -4.0e-01 |"), md);
        assertTrue(txt.contains("#7      one            +5.0e-01"), txt);
        assertTrue(txt.contains("epochs:"), txt);
    }

    @Test
    void withoutTestLossUsesColumnMeans() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            builder().build().write(manager, dir);
        }
        List<CSVRecord> rows = records(dir.resolve("test-loss-contributions.csv"));
        for (int r = 0; r < 6; r++) {
            double mean = (Synthetic.VALUES[r][0] + Synthetic.VALUES[r][1]) / 2;
            assertEquals(mean, Double.parseDouble(rows.get(r).get("contribution")), 1e-15);
        }
        assertTrue(
                Files.readString(dir.resolve("summary.md"))
                        .contains("mean over the matrix columns"));
    }

    @Test
    void rejectsAWrongNumberOfTestLossValues() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                builder()
                                        .optTestLossContributions(
                                                new Contributions(
                                                        new double[] {1, 2}, new int[] {0, 1}))
                                        .build());
        assertTrue(e.getMessage().contains("2 values, 6 rows"), e.getMessage());
    }

    private static void assertMatrixCsv(Path file) throws Exception {
        List<CSVRecord> rows = records(file);
        assertEquals(6, rows.size());
        for (int r = 0; r < 6; r++) {
            assertEquals(
                    Synthetic.TRAIN_INDICES[r], Integer.parseInt(rows.get(r).get("train_index")));
            assertEquals(Synthetic.VALUES[r][0], Double.parseDouble(rows.get(r).get("test_2")), 0);
            assertEquals(Synthetic.VALUES[r][1], Double.parseDouble(rows.get(r).get("test_0")), 0);
        }
    }

    private static void assertNpz(Path file) throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                InputStream in = Files.newInputStream(file)) {
            NDList arrays = NDList.decode(manager, in);
            double[] flat = arrays.get("contributions").toDoubleArray();
            for (int r = 0; r < 6; r++) {
                assertArrayEquals(
                        Synthetic.VALUES[r], new double[] {flat[2 * r], flat[2 * r + 1]}, 0);
            }
            assertArrayEquals(Synthetic.TRAIN_INDICES, arrays.get("train_indices").toIntArray());
        }
    }

    private static List<CSVRecord> records(Path file) throws Exception {
        try (Reader reader = Files.newBufferedReader(file)) {
            return CSVFormat.DEFAULT
                    .builder()
                    .setHeader()
                    .setSkipHeaderRecord(true)
                    .build()
                    .parse(reader)
                    .getRecords();
        }
    }
}
