package ai.hydra.report;

import ai.djl.ndarray.NDManager;
import ai.djl.util.Preconditions;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.InterClassMatrix;
import ai.hydra.attribution.NonFiniteResultException;
import ai.hydra.data.ImageData;
import ai.hydra.io.AtomicFiles;
import ai.hydra.io.CsvFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a HYDRA report folder:
 *
 * <ul>
 *   <li>{@value #CONTRIBUTIONS_CSV} and {@value #CONTRIBUTIONS_NPZ}: the matrix C(i, j);
 *   <li>{@value #TEST_LOSS_CSV}: C(i) for the test loss, one line per tracked training sample
 *       ({@code train_index,label,class,contribution,rank}; rank 1 = most helpful);
 *   <li>{@value #GRID_PNG}: an {@link ImageGrid}; {@value #HEATMAP_PNG}: a {@link Heatmap};
 *   <li>{@value #SUMMARY_MD} and {@value #SUMMARY_TXT}: the settings and, per test sample, the top
 *       helpful and harmful training samples.
 * </ul>
 *
 * <pre>{@code
 * ContributionReport.builder().setContributions(matrix).setTrainImages(train)
 *         .setTestImages(test).optTestLossContributions(method.testLossContributions(m, testSet))
 *         .optSetting("epochs", 3).build().write(manager, Paths.get("report"));
 * }</pre>
 */
public final class ContributionReport {

    private static final Logger logger = LoggerFactory.getLogger(ContributionReport.class);

    /** The contribution matrix as CSV. */
    public static final String CONTRIBUTIONS_CSV = "contributions.csv";

    /** The contribution matrix as NumPy npz. */
    public static final String CONTRIBUTIONS_NPZ = "contributions.npz";

    /** C(i) of the test loss. */
    public static final String TEST_LOSS_CSV = "test-loss-contributions.csv";

    /** The image grid. */
    public static final String GRID_PNG = "top-samples.png";

    /** The inter-class heatmap. */
    public static final String HEATMAP_PNG = "interclass-heatmap.png";

    /** The Markdown summary. */
    public static final String SUMMARY_MD = "summary.md";

    /** The plain-text summary. */
    public static final String SUMMARY_TXT = "summary.txt";

    private final ContributionMatrix contributions;
    private final ImageData trainImages;
    private final ImageData testImages;
    private final Contributions testLoss;
    private final boolean testLossGiven;
    private final Map<String, String> settings;
    private final int topK;
    private final int[] testColumns;
    private final InterClassMatrix interClass;
    private final boolean allowNonFinite;

    private ContributionReport(Builder builder) {
        contributions = builder.contributions;
        trainImages = builder.trainImages;
        testImages = builder.testImages;
        testLossGiven = builder.testLoss != null;
        testLoss = testLossGiven ? builder.testLoss : contributions.meanOverColumns();
        settings = builder.settings;
        topK = Math.min(builder.topK, contributions.rows());
        testColumns = builder.testColumns;
        interClass = builder.interClass;
        allowNonFinite = builder.allowNonFinite;
    }

    /**
     * Creates a builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Writes every file of the report, each replaced atomically ({@link AtomicFiles}). Nothing is
     * written when a contribution is NaN or infinite, unless {@link Builder#optAllowNonFinite}
     * allowed it: then a warning is logged and the summary gives the count.
     *
     * @param manager a manager for the temporary arrays of the npz export
     * @param directory the folder; created if missing
     * @return the files written
     * @throws IOException if writing fails
     * @throws NonFiniteResultException if a value is NaN or infinite and that is not allowed
     */
    public List<Path> write(NDManager manager, Path directory) throws IOException {
        requireFiniteUnlessAllowed();
        Files.createDirectories(directory);
        List<Path> files = new ArrayList<>();
        contributions.writeCsv(add(files, directory, CONTRIBUTIONS_CSV), allowNonFinite);
        contributions.writeNpz(manager, add(files, directory, CONTRIBUTIONS_NPZ), allowNonFinite);
        writeTestLossCsv(add(files, directory, TEST_LOSS_CSV));
        grid().writePng(add(files, directory, GRID_PNG));
        heatmap().writePng(add(files, directory, HEATMAP_PNG));
        String[] summary = new ReportSummary(this).render();
        AtomicFiles.writeString(add(files, directory, SUMMARY_MD), summary[0]);
        AtomicFiles.writeString(add(files, directory, SUMMARY_TXT), summary[1]);
        return files;
    }

    /**
     * Returns how many of the report's values (the matrix, C(i) of the test loss, the inter-class
     * sums) are NaN or infinite.
     *
     * @return the count, 0 for a sound run
     */
    public long nonFiniteCount() {
        long count = contributions.nonFiniteCount();
        if (testLossGiven) {
            count += testLoss.nonFiniteCount();
        }
        if (interClass != null) {
            count += interClass.nonFiniteCount();
        }
        return count;
    }

    /**
     * Checks, before anything is printed or written, that every value is finite, unless non-finite
     * values were allowed; if they were and some are not finite, logs a warning.
     *
     * @throws NonFiniteResultException if a value is NaN or infinite and that is not allowed
     */
    public void requireFiniteUnlessAllowed() {
        long count = nonFiniteCount();
        if (count == 0) {
            return;
        }
        if (!allowNonFinite) {
            contributions.requireFinite();
            if (testLossGiven) {
                testLoss.requireFinite();
            }
            throw new NonFiniteResultException(
                    count
                            + " inter-class sums are NaN or infinite: the training or the"
                            + " hypergradients diverged, so the report is not written. Lower the"
                            + " learning rate, or allow non-finite values explicitly"
                            + " (ContributionReport.Builder.optAllowNonFinite, hydra attribute"
                            + " --allow-non-finite)",
                    count);
        }
        logger.warn(
                "{} values of the report ({}) are NaN or infinite: the run diverged. They are"
                        + " written because non-finite values were allowed; summary.md gives the"
                        + " count.",
                count,
                settings.getOrDefault("method", "contributions"));
    }

    /**
     * Returns the image grid of the report.
     *
     * @return the grid
     */
    public ImageGrid grid() {
        ImageGrid.Builder builder =
                ImageGrid.builder()
                        .setTrainImages(trainImages)
                        .setTestImages(testImages)
                        .setContributions(contributions)
                        .optTopK(topK);
        return testColumns == null ? builder.build() : builder.optTestColumns(testColumns).build();
    }

    /**
     * Returns the inter-class heatmap of the report (normalized matrix).
     *
     * @return the heatmap
     */
    public Heatmap heatmap() {
        InterClassMatrix matrix = interClass;
        if (matrix == null) {
            int[] trainLabels = labels(trainImages, contributions.trainIndices());
            int[] testLabels = labels(testImages, contributions.testIndices());
            matrix = contributions.interClass(trainLabels, testLabels, trainImages.numClasses());
        }
        return Heatmap.builder().setMatrix(matrix).setClassNames(trainImages.classNames()).build();
    }

    ContributionMatrix contributions() {
        return contributions;
    }

    ImageData trainImages() {
        return trainImages;
    }

    ImageData testImages() {
        return testImages;
    }

    Map<String, String> settings() {
        return settings;
    }

    int topK() {
        return topK;
    }

    int[] shownColumns() {
        return grid().testColumns();
    }

    Contributions testLoss() {
        return testLoss;
    }

    boolean testLossGiven() {
        return testLossGiven;
    }

    private void writeTestLossCsv(Path file) throws IOException {
        int[] indices = contributions.trainIndices();
        int[] ranks = testLoss.ranks();
        CsvFiles.write(
                file,
                new String[] {"train_index", "label", "class", "contribution", "rank"},
                csv -> {
                    for (int row = 0; row < indices.length; row++) {
                        int label = trainImages.label(indices[row]);
                        csv.printRecord(
                                indices[row],
                                label,
                                trainImages.classNames().get(label),
                                testLoss.get(row),
                                ranks[row]);
                    }
                });
    }

    private static Path add(List<Path> files, Path directory, String name) {
        Path file = directory.resolve(name);
        files.add(file);
        return file;
    }

    private static int[] labels(ImageData images, int[] indices) {
        return Arrays.stream(indices).map(images::label).toArray();
    }

    /** Builds a {@link ContributionReport}. */
    public static final class Builder {

        private ContributionMatrix contributions;
        private ImageData trainImages;
        private ImageData testImages;
        private Contributions testLoss;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private int topK = 5;
        private int[] testColumns;
        private InterClassMatrix interClass;
        private boolean allowNonFinite;

        Builder() {}

        /**
         * Writes the report even when contributions are NaN or infinite (a diverged run), with a
         * logged warning and the count in the summary; by default such a report is refused with a
         * {@link NonFiniteResultException}.
         *
         * @param allow true to write non-finite values
         * @return this builder
         */
        public Builder optAllowNonFinite(boolean allow) {
            this.allowNonFinite = allow;
            return this;
        }

        /**
         * Sets the inter-class matrix of the heatmap (e.g. over a whole test set, from {@code
         * Attributor.interClass}); by default it is computed from the contribution matrix's columns
         * alone.
         *
         * @param matrix the matrix
         * @return this builder
         */
        public Builder optInterClass(InterClassMatrix matrix) {
            this.interClass = matrix;
            return this;
        }

        /**
         * Sets the contribution matrix; its row indices point into the training images and its test
         * ids into the test images.
         *
         * @param contributions the matrix
         * @return this builder
         */
        public Builder setContributions(ContributionMatrix contributions) {
            this.contributions = contributions;
            return this;
        }

        /**
         * Sets the training images.
         *
         * @param trainImages the training split
         * @return this builder
         */
        public Builder setTrainImages(ImageData trainImages) {
            this.trainImages = trainImages;
            return this;
        }

        /**
         * Sets the test images.
         *
         * @param testImages the test split
         * @return this builder
         */
        public Builder setTestImages(ImageData testImages) {
            this.testImages = testImages;
            return this;
        }

        /**
         * Sets C(i) of the test loss (e.g. {@code Attributor.testLossContributions}), for the
         * matrix's rows in the same order. Without it the report uses the mean over the matrix's
         * columns, which is C(i) of the mean loss over those test samples, and says so.
         *
         * @param contributions one value per matrix row
         * @return this builder
         */
        public Builder optTestLossContributions(Contributions contributions) {
            this.testLoss = contributions;
            return this;
        }

        /**
         * Adds a line to the settings listed in the summary (kept in insertion order).
         *
         * @param name the setting
         * @param value its value
         * @return this builder
         */
        public Builder optSetting(String name, Object value) {
            settings.put(name, String.valueOf(value));
            return this;
        }

        /**
         * Sets how many helpful and harmful samples the grid and the summary list.
         *
         * @param topK k; defaults to 5
         * @return this builder
         */
        public Builder optTopK(int topK) {
            Preconditions.checkArgument(topK > 0, "topK must be positive, got " + topK);
            this.topK = topK;
            return this;
        }

        /**
         * Sets which matrix columns the grid and the summary show.
         *
         * @param columns column numbers; defaults to the grid's default (the first four)
         * @return this builder
         */
        public Builder optTestColumns(int... columns) {
            this.testColumns = columns.clone();
            return this;
        }

        /**
         * Builds the report.
         *
         * @return the report
         * @throws IllegalArgumentException if an input is missing or inconsistent
         */
        public ContributionReport build() {
            if (contributions == null || trainImages == null || testImages == null) {
                throw new IllegalArgumentException(
                        "ContributionReport needs setContributions, setTrainImages and"
                                + " setTestImages");
            }
            if (testLoss != null
                    && !Arrays.equals(testLoss.trainIndices(), contributions.trainIndices())) {
                throw new IllegalArgumentException(
                        String.format(
                                Locale.ROOT,
                                "optTestLossContributions needs one value per matrix row, for the"
                                        + " same training samples: %d values, %d rows",
                                testLoss.size(),
                                contributions.rows()));
            }
            ContributionReport report = new ContributionReport(this);
            report.grid(); // validates indices and columns now rather than while writing
            return report;
        }
    }
}
