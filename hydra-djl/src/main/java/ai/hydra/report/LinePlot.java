package ai.hydra.report;

import java.awt.BasicStroke;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A line plot of one or more measured series over a common axis (e.g. epochs), with horizontal
 * reference levels drawn in (e.g. the paper's published value), as the paper's Figs. 3-5; drawn
 * with XChart.
 *
 * <pre>{@code
 * LinePlot.builder()
 *         .setTitle("Sign-error rate vs Hessian-aware")
 *         .optAxisTitles("epoch", "sign-error rate")
 *         .addSeries("HYDRA (Hessian-free)", epochs, hydraRates)
 *         .addSeries("influence functions", ifEpochs, ifRates)
 *         .addReferenceLevel("paper: HYDRA 0.014", 0.014)
 *         .build()
 *         .writePng(out.resolve("fig4.png"));
 * }</pre>
 */
public final class LinePlot implements XChartFigure {

    private final Builder builder;

    private LinePlot(Builder builder) {
        this.builder = builder;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds the XChart chart: the measured series with markers, then each reference level as a
     * dashed grey line across the x range of the measured series.
     *
     * @return a new chart
     */
    @Override
    public XYChart toChart() {
        XYChart chart =
                new XYChartBuilder()
                        .width(builder.width)
                        .height(builder.height)
                        .title(builder.title)
                        .xAxisTitle(builder.xTitle)
                        .yAxisTitle(builder.yTitle)
                        .build();
        Charts.style(chart.getStyler());
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < builder.series.size(); i++) {
            Series series = builder.series.get(i);
            XYSeries drawn = chart.addSeries(series.name, series.x, series.y);
            drawn.setLineColor(Palette.color(i));
            drawn.setMarkerColor(Palette.color(i));
            drawn.setMarker(SeriesMarkers.CIRCLE);
            for (double x : series.x) {
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
        }
        for (Series level : builder.levels) {
            XYSeries drawn =
                    chart.addSeries(
                            level.name,
                            new double[] {min, max},
                            new double[] {level.y[0], level.y[0]});
            drawn.setLineColor(Palette.REFERENCE);
            drawn.setLineStyle(
                    new BasicStroke(
                            1.5f,
                            BasicStroke.CAP_BUTT,
                            BasicStroke.JOIN_MITER,
                            10f,
                            new float[] {6f, 4f},
                            0f));
            drawn.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    private record Series(String name, double[] x, double[] y) {}

    /** Builds {@link LinePlot}s. */
    public static final class Builder {

        private String title = "";
        private String xTitle = "epoch";
        private String yTitle = "";
        private int width = 800;
        private int height = 500;
        private final List<Series> series = new ArrayList<>();
        private final List<Series> levels = new ArrayList<>();

        Builder() {}

        /**
         * Sets the title.
         *
         * @param title the title
         * @return this builder
         */
        public Builder setTitle(String title) {
            this.title = Objects.requireNonNull(title, "title");
            return this;
        }

        /**
         * Sets the axis titles (default "epoch" and none).
         *
         * @param x the x axis title
         * @param y the y axis title
         * @return this builder
         */
        public Builder optAxisTitles(String x, String y) {
            this.xTitle = Objects.requireNonNull(x, "x");
            this.yTitle = Objects.requireNonNull(y, "y");
            return this;
        }

        /**
         * Sets the image size in pixels (default 800 x 500).
         *
         * @param width at least 200
         * @param height at least 150
         * @return this builder
         */
        public Builder optSize(int width, int height) {
            this.width = Charts.checkSize("width", width, 200);
            this.height = Charts.checkSize("height", height, 150);
            return this;
        }

        /**
         * Adds a measured series.
         *
         * @param name the legend entry, unique within the plot
         * @param x the x values (e.g. epochs)
         * @param y the y values, finite, as many as x values
         * @return this builder
         * @throws IllegalArgumentException if the name is taken, the lengths differ or are zero, or
         *     a value is not finite
         */
        public Builder addSeries(String name, double[] x, double[] y) {
            checkName(name);
            if (x.length != y.length || x.length == 0) {
                throw new IllegalArgumentException(
                        "series '"
                                + name
                                + "' has "
                                + x.length
                                + " x values and "
                                + y.length
                                + " y values; give the same, non-zero number");
            }
            Charts.checkFinite(name, x);
            Charts.checkFinite(name, y);
            series.add(new Series(name, x.clone(), y.clone()));
            return this;
        }

        /**
         * Adds a horizontal reference level, drawn dashed across the measured series' x range.
         *
         * @param name the legend entry, e.g. {@code "paper: 0.74"}
         * @param y the level
         * @return this builder
         */
        public Builder addReferenceLevel(String name, double y) {
            checkName(name);
            Charts.checkFinite(name, new double[] {y});
            levels.add(new Series(name, new double[0], new double[] {y}));
            return this;
        }

        /**
         * Builds the plot.
         *
         * @return the plot
         * @throws IllegalStateException if no measured series was added
         */
        public LinePlot build() {
            if (series.isEmpty()) {
                throw new IllegalStateException("a line plot needs at least one measured series");
            }
            return new LinePlot(this);
        }

        private void checkName(String name) {
            Objects.requireNonNull(name, "name");
            boolean taken =
                    series.stream().anyMatch(s -> s.name.equals(name))
                            || levels.stream().anyMatch(s -> s.name.equals(name));
            if (taken) {
                throw new IllegalArgumentException("a series named '" + name + "' exists already");
            }
        }
    }
}
