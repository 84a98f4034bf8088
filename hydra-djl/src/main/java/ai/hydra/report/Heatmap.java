package ai.hydra.report;

import ai.djl.util.Preconditions;
import ai.hydra.attribution.InterClassMatrix;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The HYDRA paper's Fig. 2: the inter-class contribution heatmap, training class on the y axis,
 * test class on the x axis, each cell annotated with its value, and a colour bar.
 *
 * <p>Drawn with Java2D rather than XChart's {@code HeatMapChart}, which has no diverging colour
 * scale centred on zero, no distinct colour for undefined (NaN) cells and no cell annotations.
 * Colours follow a red-white-blue scale symmetric around zero (red = helpful, blue = harmful)
 * spanning {@code [-m, m]}, {@code m} the largest finite magnitude, unless {@link
 * Builder#optRange(double)} sets m. NaN cells are {@link #NAN_COLOR grey}.
 *
 * <pre>{@code
 * Heatmap.builder().setMatrix(matrix.interClass(trainLabels, testLabels, 10))
 *         .setClassNames(train.classNames()).build().writePng(Paths.get("heatmap.png"));
 * }</pre>
 */
public final class Heatmap {

    /** Colour of cells without a value. */
    public static final Color NAN_COLOR = new Color(0xBD, 0xBD, 0xBD);

    /** The colour scale's stops, from -m to +m (ColorBrewer RdBu, reversed). */
    private static final Color[] STOPS = {
        new Color(0x21, 0x66, 0xAC),
        new Color(0x67, 0xA9, 0xCF),
        new Color(0xD1, 0xE5, 0xF0),
        new Color(0xF7, 0xF7, 0xF7),
        new Color(0xFD, 0xDB, 0xC7),
        new Color(0xEF, 0x8A, 0x62),
        new Color(0xB2, 0x18, 0x2B)
    };

    private static final int MARGIN = 16;
    private static final int TITLE = 40;
    private static final int AXIS_TITLE = 24;
    private static final int TICK_GAP = 6;
    private static final int BAR_GAP = 24;
    private static final int BAR_WIDTH = 18;
    private static final int BAR_LABELS = 70;

    private final double[][] values;
    private final List<String> classNames;
    private final String title;
    private final int cellSize;
    private final double range;
    private final int labelWidth;

    private Heatmap(Builder builder) {
        values = builder.values;
        classNames = builder.classNames;
        title = builder.title;
        cellSize = builder.cellSize;
        range = builder.range > 0 ? builder.range : largestMagnitude(values);
        labelWidth = widestLabel(classNames);
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
     * Returns the half-width m of the colour scale {@code [-m, m]}.
     *
     * @return m
     */
    public double range() {
        return range;
    }

    /**
     * Returns the colour of a value: NaN is grey, values beyond the range take the end colours.
     *
     * @param value the value
     * @return its colour
     */
    public Color colorOf(double value) {
        if (Double.isNaN(value)) {
            return NAN_COLOR;
        }
        double t = range == 0 ? 0.5 : (Math.max(-range, Math.min(range, value)) / range + 1) / 2;
        double position = t * (STOPS.length - 1);
        int low = Math.min((int) Math.floor(position), STOPS.length - 2);
        double f = position - low;
        return mix(STOPS[low], STOPS[low + 1], f);
    }

    /**
     * Returns the pixel area of a cell.
     *
     * @param trainClass the row (training class, y axis)
     * @param testClass the column (test class, x axis)
     * @return the cell's rectangle in PNG pixels
     */
    public Rectangle cellBounds(int trainClass, int testClass) {
        return new Rectangle(
                plotLeft() + testClass * cellSize,
                plotTop() + trainClass * cellSize,
                cellSize,
                cellSize);
    }

    /**
     * Returns the width of the PNG.
     *
     * @return pixels
     */
    public int width() {
        return plotLeft() + n() * cellSize + BAR_GAP + BAR_WIDTH + BAR_LABELS + MARGIN;
    }

    /**
     * Returns the height of the PNG.
     *
     * @return pixels
     */
    public int height() {
        return plotTop() + n() * cellSize + TICK_GAP + xLabelHeight() + AXIS_TITLE + MARGIN;
    }

    /**
     * Renders the heatmap.
     *
     * @return an RGB image of {@link #width()} x {@link #height()}
     */
    public BufferedImage render() {
        BufferedImage image = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Drawing.canvas(image);
        try {
            drawTitle(g);
            drawCells(g);
            drawYAxis(g);
            drawXAxis(g);
            drawColorBar(g);
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Renders the heatmap into a PNG file.
     *
     * @param file the file; missing parent folders are created
     * @throws IOException if writing fails
     */
    public void writePng(Path file) throws IOException {
        Drawing.writePng(render(), file);
    }

    private int n() {
        return values.length;
    }

    private int plotLeft() {
        return MARGIN + AXIS_TITLE + labelWidth + TICK_GAP;
    }

    private int plotTop() {
        return MARGIN + TITLE;
    }

    /** Rotated 45 degrees, a label of width w needs about 0.71 w vertically. */
    private int xLabelHeight() {
        return (int) Math.ceil(labelWidth * 0.71) + 14;
    }

    private void drawTitle(Graphics2D g) {
        g.setColor(Drawing.TEXT);
        g.setFont(Drawing.font(Font.BOLD, 16));
        int center = plotLeft() + n() * cellSize / 2;
        Drawing.centered(
                g,
                Drawing.fit(g, title, width() - 2 * MARGIN),
                Math.max(center, width() / 2 - 40),
                MARGIN + 22);
    }

    private void drawCells(Graphics2D g) {
        g.setFont(Drawing.font(Font.PLAIN, cellSize >= 48 ? 12 : 10));
        for (int a = 0; a < n(); a++) {
            for (int b = 0; b < n(); b++) {
                Rectangle cell = cellBounds(a, b);
                Color color = colorOf(values[a][b]);
                g.setColor(color);
                g.fillRect(cell.x, cell.y, cell.width, cell.height);
                g.setColor(luminance(color) < 0.5 ? Color.WHITE : Drawing.TEXT);
                String text =
                        Double.isNaN(values[a][b])
                                ? "n/a"
                                : String.format(Locale.ROOT, "%.2f", values[a][b]);
                Drawing.centered(g, text, cell.x + cell.width / 2, cell.y + cell.height / 2 + 4);
            }
        }
        g.setColor(Color.GRAY);
        g.drawRect(plotLeft(), plotTop(), n() * cellSize, n() * cellSize);
    }

    private void drawYAxis(Graphics2D g) {
        g.setColor(Drawing.TEXT);
        g.setFont(Drawing.font(Font.PLAIN, 12));
        FontMetrics metrics = g.getFontMetrics();
        for (int a = 0; a < n(); a++) {
            String label = classNames.get(a);
            Rectangle cell = cellBounds(a, 0);
            g.drawString(
                    label,
                    cell.x - TICK_GAP - metrics.stringWidth(label),
                    cell.y + cell.height / 2 + 4);
        }
        g.setFont(Drawing.font(Font.BOLD, 13));
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        Drawing.centered(g, "Training class", -(plotTop() + n() * cellSize / 2), MARGIN + 14);
        g.setTransform(saved);
    }

    private void drawXAxis(Graphics2D g) {
        g.setColor(Drawing.TEXT);
        g.setFont(Drawing.font(Font.PLAIN, 12));
        FontMetrics metrics = g.getFontMetrics();
        int top = plotTop() + n() * cellSize + TICK_GAP;
        for (int b = 0; b < n(); b++) {
            String label = classNames.get(b);
            Rectangle cell = cellBounds(0, b);
            AffineTransform saved = g.getTransform();
            g.translate(cell.x + cell.width / 2 + 4, top + 4);
            g.rotate(-Math.PI / 4);
            g.drawString(label, -metrics.stringWidth(label), 0);
            g.setTransform(saved);
        }
        g.setFont(Drawing.font(Font.BOLD, 13));
        Drawing.centered(
                g,
                "Test class",
                plotLeft() + n() * cellSize / 2,
                top + xLabelHeight() + AXIS_TITLE - 8);
    }

    private void drawColorBar(Graphics2D g) {
        int left = plotLeft() + n() * cellSize + BAR_GAP;
        int top = plotTop();
        int height = n() * cellSize;
        for (int y = 0; y < height; y++) {
            g.setColor(colorOf(range * (1 - 2.0 * y / (height - 1))));
            g.fillRect(left, top + y, BAR_WIDTH, 1);
        }
        g.setColor(Color.GRAY);
        g.drawRect(left, top, BAR_WIDTH, height);
        g.setFont(Drawing.font(Font.PLAIN, 11));
        for (int k = 0; k <= 4; k++) {
            double value = range * (1 - k / 2.0);
            int y = top + (int) Math.round(k * (height - 1) / 4.0);
            g.setColor(Drawing.TEXT);
            g.drawLine(left + BAR_WIDTH, y, left + BAR_WIDTH + 4, y);
            g.drawString(String.format(Locale.ROOT, "%+.2f", value), left + BAR_WIDTH + 7, y + 4);
        }
        g.setColor(NAN_COLOR);
        g.fillRect(left, top + height + 10, BAR_WIDTH, 12);
        g.setColor(Drawing.TEXT);
        g.drawString("n/a", left + BAR_WIDTH + 7, top + height + 20);
    }

    private static Color mix(Color a, Color b, double f) {
        return new Color(
                (int) Math.round(a.getRed() + f * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + f * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + f * (b.getBlue() - a.getBlue())));
    }

    private static double luminance(Color c) {
        return (0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue()) / 255;
    }

    private static double largestMagnitude(double[][] values) {
        double m = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    m = Math.max(m, Math.abs(v));
                }
            }
        }
        return m;
    }

    private static int widestLabel(List<String> names) {
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = scratch.createGraphics();
        try {
            g.setFont(Drawing.font(Font.PLAIN, 12));
            FontMetrics metrics = g.getFontMetrics();
            return names.stream().mapToInt(metrics::stringWidth).max().orElse(0);
        } finally {
            g.dispose();
        }
    }

    /** Builds a {@link Heatmap}. */
    public static final class Builder {

        private double[][] values;
        private List<String> classNames;
        private String title = "Inter-class contributions (normalized)";
        private int cellSize = 52;
        private double range;

        Builder() {}

        /**
         * Uses the normalized inter-class matrix (the paper's Fig. 2).
         *
         * @param matrix the matrix
         * @return this builder
         */
        public Builder setMatrix(InterClassMatrix matrix) {
            return setValues(matrix.normalized());
        }

        /**
         * Uses any square matrix, e.g. {@link InterClassMatrix#raw()}.
         *
         * @param values rows = training classes, columns = test classes; NaN = no value
         * @return this builder
         */
        public Builder setValues(double[][] values) {
            for (double[] row : values) {
                Preconditions.checkArgument(
                        row.length == values.length,
                        "The heatmap needs a square matrix, got a row of "
                                + row.length
                                + " in a matrix of "
                                + values.length
                                + " rows");
            }
            this.values = new double[values.length][];
            for (int i = 0; i < values.length; i++) {
                this.values[i] = values[i].clone();
            }
            return this;
        }

        /**
         * Sets the class names (axis labels), indexed by label.
         *
         * @param classNames one name per class
         * @return this builder
         */
        public Builder setClassNames(List<String> classNames) {
            this.classNames = List.copyOf(classNames);
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
         * Sets the side of a cell.
         *
         * @param cellSize pixels; defaults to 52
         * @return this builder
         */
        public Builder optCellSize(int cellSize) {
            Preconditions.checkArgument(
                    cellSize >= 8, "cellSize must be at least 8, got " + cellSize);
            this.cellSize = cellSize;
            return this;
        }

        /**
         * Fixes the colour scale to {@code [-m, m]} (e.g. to compare heatmaps).
         *
         * @param m a positive half-width; by default the largest finite magnitude
         * @return this builder
         */
        public Builder optRange(double m) {
            Preconditions.checkArgument(
                    m > 0 && !Double.isInfinite(m),
                    "The range must be positive and finite, got " + m);
            this.range = m;
            return this;
        }

        /**
         * Builds the heatmap.
         *
         * @return the heatmap
         * @throws IllegalArgumentException if the matrix or the class names are missing or differ
         *     in size
         */
        public Heatmap build() {
            if (values == null || classNames == null) {
                throw new IllegalArgumentException(
                        "Heatmap needs setMatrix (or setValues) and setClassNames");
            }
            if (values.length == 0 || classNames.size() != values.length) {
                throw new IllegalArgumentException(
                        "Heatmap needs one class name per row: "
                                + values.length
                                + " rows, "
                                + classNames.size()
                                + " names");
            }
            return new Heatmap(this);
        }
    }
}
