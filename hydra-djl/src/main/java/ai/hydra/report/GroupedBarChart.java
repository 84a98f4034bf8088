package ai.hydra.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;

/**
 * A grouped bar chart of methods over categories (e.g. datasets), each measured bar (mean, with the
 * standard deviation over seeds as an error bar) followed by the published value in a lighter tint
 * of the same colour, as for the paper's Tables 3-4; drawn with XChart. Missing values (NaN) leave
 * a gap.
 *
 * <pre>{@code
 * GroupedBarChart.builder()
 *         .setTitle("Table 3: accuracy after removing the least useful 80%")
 *         .setCategories(List.of("MNIST", "Fashion-MNIST"))
 *         .optYAxisTitle("test accuracy (%)")
 *         .addMethod("HYDRA", new double[] {97.2, 84.0}, new double[] {0.4, 1.1},
 *                 new double[] {98.31, 86.72})
 *         .addMethod("random removal", new double[] {70.1, 75.3}, new double[] {2.0, 1.5}, null)
 *         .build()
 *         .writePng(out.resolve("table3.png"));
 * }</pre>
 */
public final class GroupedBarChart implements XChartFigure {

    /** Suffix of the legend entry of a method's published values. */
    public static final String PUBLISHED_SUFFIX = " (paper)";

    private final Builder builder;

    private GroupedBarChart(Builder builder) {
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
     * Builds the XChart chart: per method a series named after it (error bars = std) and, where
     * published values were given, a series named {@code method + }{@value #PUBLISHED_SUFFIX}.
     * Missing values are null entries.
     *
     * @return a new chart
     */
    @Override
    public CategoryChart toChart() {
        CategoryChart chart =
                new CategoryChartBuilder()
                        .width(builder.width)
                        .height(builder.height)
                        .title(builder.title)
                        .xAxisTitle(builder.xTitle)
                        .yAxisTitle(builder.yTitle)
                        .build();
        Charts.style(chart.getStyler());
        chart.getStyler().setErrorBarsColorSeriesColor(false);
        chart.getStyler().setErrorBarsColor(Drawing.TEXT);
        chart.getStyler().setOverlapped(false);
        for (int i = 0; i < builder.methods.size(); i++) {
            Method method = builder.methods.get(i);
            Color color = Palette.color(i);
            CategorySeries measured =
                    chart.addSeries(
                            method.name,
                            builder.categories,
                            numbers(method.mean),
                            method.std == null || hasNaN(method.mean) ? null : numbers(method.std));
            measured.setFillColor(color);
            if (method.published != null) {
                CategorySeries published =
                        chart.addSeries(
                                method.name + PUBLISHED_SUFFIX,
                                builder.categories,
                                numbers(method.published));
                published.setFillColor(Palette.tint(color, 0.55));
            }
        }
        return chart;
    }

    private static boolean hasNaN(double[] values) {
        return Arrays.stream(values).anyMatch(Double::isNaN);
    }

    /** NaN becomes null, which XChart draws as a gap. */
    private static List<Double> numbers(double[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double value : values) {
            list.add(Double.isNaN(value) ? null : value);
        }
        return list;
    }

    private record Method(String name, double[] mean, double[] std, double[] published) {}

    /** Builds {@link GroupedBarChart}s. */
    public static final class Builder {

        private String title = "";
        private String xTitle = "";
        private String yTitle = "";
        private int width = 900;
        private int height = 500;
        private List<String> categories;
        private final List<Method> methods = new ArrayList<>();

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
         * Sets the categories along the x axis (e.g. datasets), before adding methods.
         *
         * @param categories distinct names, at least one
         * @return this builder
         * @throws IllegalArgumentException if the list is empty or has duplicates
         */
        public Builder setCategories(List<String> categories) {
            if (categories.isEmpty()
                    || categories.stream().distinct().count() != categories.size()) {
                throw new IllegalArgumentException(
                        "categories must be distinct and at least one, got " + categories);
            }
            this.categories = List.copyOf(categories);
            return this;
        }

        /**
         * Sets the x axis title (default none).
         *
         * @param title the title
         * @return this builder
         */
        public Builder optXAxisTitle(String title) {
            this.xTitle = Objects.requireNonNull(title, "title");
            return this;
        }

        /**
         * Sets the y axis title (default none).
         *
         * @param title the title
         * @return this builder
         */
        public Builder optYAxisTitle(String title) {
            this.yTitle = Objects.requireNonNull(title, "title");
            return this;
        }

        /**
         * Sets the image size in pixels (default 900 x 500).
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
         * Adds a method: its measured values and, beside them, its published ones.
         *
         * @param name the legend entry, unique
         * @param mean the measured value per category (NaN: not measured)
         * @param std the standard deviation per category, drawn as error bars (NaN: none), or null
         *     for no error bars
         * @param published the published value per category (NaN: none), or null if the method has
         *     no published values
         * @return this builder
         * @throws IllegalArgumentException if the categories are not set, the name is taken, an
         *     array's length differs from the number of categories, or a value is infinite
         */
        public Builder addMethod(String name, double[] mean, double[] std, double[] published) {
            Objects.requireNonNull(name, "name");
            if (categories == null) {
                throw new IllegalStateException("set the categories before adding methods");
            }
            if (methods.stream().anyMatch(m -> m.name.equals(name))) {
                throw new IllegalArgumentException("a method named '" + name + "' exists already");
            }
            double[] deviation = std == null ? null : noErrorForNaN(check(name, "std", std));
            methods.add(
                    new Method(
                            name,
                            check(name, "mean", mean),
                            deviation,
                            published == null ? null : check(name, "published", published)));
            return this;
        }

        /**
         * Builds the chart.
         *
         * @return the chart
         * @throws IllegalStateException if no method was added
         */
        public GroupedBarChart build() {
            if (methods.isEmpty()) {
                throw new IllegalStateException("a bar chart needs at least one method");
            }
            return new GroupedBarChart(this);
        }

        private double[] check(String name, String what, double[] values) {
            if (values.length != categories.size()) {
                throw new IllegalArgumentException(
                        "method '"
                                + name
                                + "': "
                                + what
                                + " has "
                                + values.length
                                + " values for "
                                + categories.size()
                                + " categories");
            }
            for (double value : values) {
                if (Double.isInfinite(value)) {
                    throw new IllegalArgumentException(
                            "method '" + name + "': " + what + " holds an infinite value");
                }
            }
            return values.clone();
        }

        /** XChart wants a number per bar: a missing deviation is drawn as none. */
        private static double[] noErrorForNaN(double[] std) {
            for (int i = 0; i < std.length; i++) {
                std[i] = Double.isNaN(std[i]) ? 0 : std[i];
            }
            return std;
        }
    }
}
