package ai.hydra.report;

import ai.djl.util.Preconditions;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.data.ImageData;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Point;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The HYDRA paper's Table 2 as a PNG: one row per test sample, showing the test image, then its
 * top-k most helpful training images (green frames, best first) and its top-k most harmful ones
 * (red frames, worst first). Every cell carries the class name, the dataset index and, for training
 * images, the contribution C(i, j).
 *
 * <pre>{@code
 * ImageGrid.builder()
 *         .setTrainImages(train).setTestImages(test).setContributions(matrix)
 *         .optTopK(5).optTestColumns(0, 1, 2)
 *         .build()
 *         .writePng(Paths.get("top-samples.png"));
 * }</pre>
 *
 * <p>The rows of the contribution matrix must be indices into the training images and its test ids
 * indices into the test images. Layout, in output pixels, with {@code s} the scale:
 *
 * <ul>
 *   <li>a cell is {@code W*s + 2*FRAME} wide and {@code H*s + 2*FRAME + CAPTION} high, the image
 *       nearest-neighbour upscaled inside a {@link #FRAME}-pixel coloured frame;
 *   <li>width = {@code 2*MARGIN + (1+2k) * cellWidth + 2*(k-1)*GAP + 2*GROUP_GAP};
 *   <li>height = {@code 2*MARGIN + TITLE + HEADER + rows * cellHeight + (rows-1)*ROW_GAP}.
 * </ul>
 */
public final class ImageGrid {

    /** Outer margin. */
    public static final int MARGIN = 16;

    /** Height of the title band. */
    public static final int TITLE = 34;

    /** Height of the column-group headers. */
    public static final int HEADER = 24;

    /** Width of a cell's coloured frame. */
    public static final int FRAME = 4;

    /** Height of the three caption lines below an image. */
    public static final int CAPTION = 50;

    /** Space between cells of one group. */
    public static final int GAP = 6;

    /** Space between the test column and the helpful group, and between helpful and harmful. */
    public static final int GROUP_GAP = 26;

    /** Space between rows. */
    public static final int ROW_GAP = 12;

    /** Frame of the test image. */
    public static final Color TEST_COLOR = new Color(0x1F, 0x4E, 0x9E);

    /** Frame of helpful training images. */
    public static final Color HELPFUL_COLOR = new Color(0x1A, 0x9E, 0x3A);

    /** Frame of harmful training images. */
    public static final Color HARMFUL_COLOR = new Color(0xD6, 0x27, 0x28);

    private static final int LINE = 15;

    private final ImageData trainImages;
    private final ImageData testImages;
    private final ContributionMatrix contributions;
    private final int topK;
    private final int[] testColumns;
    private final int scale;
    private final String title;

    private ImageGrid(Builder builder) {
        trainImages = builder.trainImages;
        testImages = builder.testImages;
        contributions = builder.contributions;
        topK = Math.min(builder.topK, contributions.rows());
        testColumns = builder.testColumns;
        scale = builder.scale;
        title = builder.title;
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
     * Returns the number of helpful (and of harmful) images per row: the requested k, at most the
     * number of training rows.
     *
     * @return k
     */
    public int topK() {
        return topK;
    }

    /**
     * Returns the matrix columns shown, one per row of the grid.
     *
     * @return a copy
     */
    public int[] testColumns() {
        return testColumns.clone();
    }

    /**
     * Returns the width of a cell (image and frame).
     *
     * @return pixels
     */
    public int cellWidth() {
        return trainImages.width() * scale + 2 * FRAME;
    }

    /**
     * Returns the height of a cell (image, frame and caption).
     *
     * @return pixels
     */
    public int cellHeight() {
        return trainImages.height() * scale + 2 * FRAME + CAPTION;
    }

    /**
     * Returns the width of the PNG.
     *
     * @return pixels
     */
    public int width() {
        return 2 * MARGIN + (1 + 2 * topK) * cellWidth() + 2 * (topK - 1) * GAP + 2 * GROUP_GAP;
    }

    /**
     * Returns the height of the PNG.
     *
     * @return pixels
     */
    public int height() {
        int rows = testColumns.length;
        return 2 * MARGIN + TITLE + HEADER + rows * cellHeight() + (rows - 1) * ROW_GAP;
    }

    /**
     * Returns the top-left corner of a cell's frame.
     *
     * @param row the grid row (index into {@link #testColumns()})
     * @param cell 0 for the test image, 1..k for the helpful images, k+1..2k for the harmful ones
     * @return the corner, in PNG pixels
     */
    public Point cellOrigin(int row, int cell) {
        if (row < 0 || row >= testColumns.length || cell < 0 || cell > 2 * topK) {
            throw new IndexOutOfBoundsException(
                    "Cell ("
                            + row
                            + ", "
                            + cell
                            + ") is outside "
                            + testColumns.length
                            + " rows x "
                            + (2 * topK + 1)
                            + " cells");
        }
        int x = MARGIN + cell * cellWidth();
        if (cell >= 1) {
            x += GROUP_GAP + (cell - 1) * GAP;
        }
        if (cell >= topK + 1) {
            x += GROUP_GAP - GAP;
        }
        int y = MARGIN + TITLE + HEADER + row * (cellHeight() + ROW_GAP);
        return new Point(x, y);
    }

    /**
     * Returns the training rows of a grid row's cells 1..2k (helpful, then harmful); a cell stays
     * empty (-1) when fewer than k samples helped (positive contribution) or harmed (negative).
     *
     * @param row the grid row
     * @return matrix rows, -1 for an empty cell
     */
    public int[] shownRows(int row) {
        int column = testColumns[row];
        int[] helpful = contributions.mostHelpful(column, topK);
        int[] harmful = contributions.mostHarmful(column, topK);
        int[] out = new int[2 * topK];
        Arrays.fill(out, -1);
        System.arraycopy(helpful, 0, out, 0, helpful.length);
        System.arraycopy(harmful, 0, out, topK, harmful.length);
        return out;
    }

    /**
     * Renders the grid.
     *
     * @return an RGB image of {@link #width()} x {@link #height()}
     */
    public BufferedImage render() {
        BufferedImage image = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Drawing.canvas(image);
        try {
            drawTitle(g);
            drawHeaders(g);
            for (int row = 0; row < testColumns.length; row++) {
                drawRow(g, image, row);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Renders the grid into a PNG file.
     *
     * @param file the file; missing parent folders are created
     * @throws IOException if writing fails
     */
    public void writePng(Path file) throws IOException {
        Drawing.writePng(render(), file);
    }

    private void drawTitle(Graphics2D g) {
        g.setColor(Drawing.TEXT);
        g.setFont(Drawing.font(Font.BOLD, 17));
        Drawing.centered(g, Drawing.fit(g, title, width() - 2 * MARGIN), width() / 2, MARGIN + 22);
    }

    private void drawHeaders(Graphics2D g) {
        g.setFont(Drawing.font(Font.BOLD, 13));
        int baseline = MARGIN + TITLE + HEADER - 8;
        header(g, "Test sample", TEST_COLOR, 0, 0, baseline);
        header(g, "Most helpful (top " + topK + ")", HELPFUL_COLOR, 1, topK, baseline);
        header(g, "Most harmful (top " + topK + ")", HARMFUL_COLOR, topK + 1, 2 * topK, baseline);
    }

    private void header(Graphics2D g, String text, Color color, int first, int last, int baseline) {
        int left = cellOrigin(0, first).x;
        int right = cellOrigin(0, last).x + cellWidth();
        g.setColor(color);
        Drawing.centered(g, Drawing.fit(g, text, right - left), (left + right) / 2, baseline);
        g.fillRect(left, baseline + 4, right - left, 2);
    }

    private void drawRow(Graphics2D g, BufferedImage image, int row) {
        int column = testColumns[row];
        int testIndex = contributions.testIndices()[column];
        drawCell(
                g,
                image,
                cellOrigin(row, 0),
                testImages,
                testIndex,
                TEST_COLOR,
                "test #" + testIndex,
                "");
        int[] rows = shownRows(row);
        int[] trainIndices = contributions.trainIndices();
        for (int c = 0; c < rows.length; c++) {
            if (rows[c] < 0) {
                continue; // fewer samples helped (or harmed) than there are cells
            }
            int index = trainIndices[rows[c]];
            Color frame = c < topK ? HELPFUL_COLOR : HARMFUL_COLOR;
            String score = Drawing.score(contributions.get(rows[c], column));
            drawCell(
                    g,
                    image,
                    cellOrigin(row, c + 1),
                    trainImages,
                    index,
                    frame,
                    "train #" + index,
                    score);
        }
    }

    private void drawCell(
            Graphics2D g,
            BufferedImage image,
            Point origin,
            ImageData data,
            int index,
            Color frame,
            String id,
            String score) {
        int imageWidth = data.width() * scale;
        int imageHeight = data.height() * scale;
        g.setColor(frame);
        g.fillRect(origin.x, origin.y, imageWidth + 2 * FRAME, imageHeight + 2 * FRAME);
        paintPixels(image, data, index, origin.x + FRAME, origin.y + FRAME);
        int center = origin.x + FRAME + imageWidth / 2;
        int baseline = origin.y + imageHeight + 2 * FRAME + LINE;
        int maxWidth = imageWidth + 2 * FRAME;
        g.setColor(Drawing.TEXT);
        g.setFont(Drawing.font(Font.BOLD, 12));
        Drawing.centered(g, Drawing.fit(g, className(data, index), maxWidth), center, baseline);
        g.setFont(Drawing.font(Font.PLAIN, 11));
        g.setColor(Color.DARK_GRAY);
        Drawing.centered(g, Drawing.fit(g, id, maxWidth), center, baseline + LINE);
        g.setFont(Drawing.font(Font.BOLD, 12));
        g.setColor(frame);
        Drawing.centered(g, score, center, baseline + 2 * LINE);
    }

    private static String className(ImageData data, int index) {
        return data.classNames().get(data.label(index));
    }

    /** Copies one image into the canvas, each pixel as a scale x scale block. */
    private void paintPixels(BufferedImage image, ImageData data, int index, int left, int top) {
        for (int y = 0; y < data.height(); y++) {
            for (int x = 0; x < data.width(); x++) {
                int rgb = rgb(data, index, y, x);
                for (int dy = 0; dy < scale; dy++) {
                    for (int dx = 0; dx < scale; dx++) {
                        image.setRGB(left + x * scale + dx, top + y * scale + dy, rgb);
                    }
                }
            }
        }
    }

    private static int rgb(ImageData data, int index, int y, int x) {
        if (data.channels() == 1) {
            int v = data.pixel(index, 0, y, x);
            return v << 16 | v << 8 | v;
        }
        return data.pixel(index, 0, y, x) << 16
                | data.pixel(index, 1, y, x) << 8
                | data.pixel(index, 2, y, x);
    }

    /** Builds an {@link ImageGrid}. */
    public static final class Builder {

        private ImageData trainImages;
        private ImageData testImages;
        private ContributionMatrix contributions;
        private int topK = 5;
        private int[] testColumns;
        private int scale = 4;
        private String title = "Most helpful and most harmful training samples (HYDRA)";

        Builder() {}

        /**
         * Sets the training images; the matrix rows' indices point into them.
         *
         * @param trainImages 1-channel (gray) or 3-channel (RGB) images
         * @return this builder
         */
        public Builder setTrainImages(ImageData trainImages) {
            this.trainImages = trainImages;
            return this;
        }

        /**
         * Sets the test images; the matrix's test ids point into them.
         *
         * @param testImages images of the same shape as the training images
         * @return this builder
         */
        public Builder setTestImages(ImageData testImages) {
            this.testImages = testImages;
            return this;
        }

        /**
         * Sets the contributions to rank.
         *
         * @param contributions the matrix
         * @return this builder
         */
        public Builder setContributions(ContributionMatrix contributions) {
            this.contributions = contributions;
            return this;
        }

        /**
         * Sets how many helpful and how many harmful images each row shows.
         *
         * @param topK k; defaults to 5 (fewer if the matrix has fewer rows)
         * @return this builder
         */
        public Builder optTopK(int topK) {
            Preconditions.checkArgument(topK > 0, "topK must be positive, got " + topK);
            this.topK = topK;
            return this;
        }

        /**
         * Sets which matrix columns (test samples) become rows.
         *
         * @param columns column numbers; defaults to the first min(4, columns)
         * @return this builder
         */
        public Builder optTestColumns(int... columns) {
            this.testColumns = columns.clone();
            return this;
        }

        /**
         * Sets the integer upscaling factor (nearest neighbour).
         *
         * @param scale the factor; defaults to 4
         * @return this builder
         */
        public Builder optScale(int scale) {
            Preconditions.checkArgument(scale > 0, "scale must be positive, got " + scale);
            this.scale = scale;
            return this;
        }

        /**
         * Sets the title.
         *
         * @param title the title
         * @return this builder
         */
        public Builder optTitle(String title) {
            this.title = title;
            return this;
        }

        /**
         * Builds the grid.
         *
         * @return the grid
         * @throws IllegalArgumentException if an input is missing or inconsistent
         */
        public ImageGrid build() {
            if (trainImages == null || testImages == null || contributions == null) {
                throw new IllegalArgumentException(
                        "ImageGrid needs setTrainImages, setTestImages and setContributions");
            }
            checkImages();
            if (testColumns == null) {
                testColumns = new int[Math.min(4, contributions.columns())];
                Arrays.setAll(testColumns, j -> j);
            }
            checkIndices();
            return new ImageGrid(this);
        }

        private void checkImages() {
            int channels = trainImages.channels();
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException(
                        "ImageGrid draws 1-channel (gray) or 3-channel (RGB) images, got "
                                + channels);
            }
            if (testImages.channels() != channels
                    || testImages.height() != trainImages.height()
                    || testImages.width() != trainImages.width()) {
                throw new IllegalArgumentException(
                        "Training and test images differ in shape: "
                                + trainImages
                                + " vs "
                                + testImages);
            }
            if (contributions.rows() == 0 || contributions.columns() == 0) {
                throw new IllegalArgumentException("The contribution matrix is empty");
            }
        }

        private void checkIndices() {
            Preconditions.checkArgument(
                    testColumns.length != 0, "At least one test column is needed");
            for (int column : testColumns) {
                if (column < 0 || column >= contributions.columns()) {
                    throw new IllegalArgumentException(
                            "Test column "
                                    + column
                                    + " is outside 0.."
                                    + (contributions.columns() - 1));
                }
            }
            checkRange(contributions.trainIndices(), trainImages.size(), "training");
            checkRange(contributions.testIndices(), testImages.size(), "test");
        }

        private static void checkRange(int[] indices, int size, String what) {
            for (int index : indices) {
                if (index < 0 || index >= size) {
                    throw new IllegalArgumentException(
                            "The matrix names "
                                    + what
                                    + " index "
                                    + index
                                    + " but there are only "
                                    + size
                                    + " "
                                    + what
                                    + " images: pass the images the indices"
                                    + " refer to");
                }
            }
        }
    }
}
