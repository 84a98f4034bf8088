package ai.hydra.reproduce;

import ai.hydra.experiment.PublishedValue;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.io.AtomicFiles;
import ai.hydra.io.CsvFiles;
import ai.hydra.reproduce.metrics.MeanStd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Writes an experiment's report folder: {@code summary.md} (settings, hardware, tables of measured
 * values beside the published ones, notes, plots), raw values as CSV and JSON, and the plots.
 */
public final class ReportWriter {

    private final Path dir;
    private final ReproductionConfig config;
    private final StringBuilder md = new StringBuilder();
    private final List<Path> written = new ArrayList<>();

    /**
     * Starts a report.
     *
     * @param dir the output folder (created if missing)
     * @param config the preset reported on
     * @throws IOException if the folder cannot be created
     */
    public ReportWriter(Path dir, ReproductionConfig config) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.config = config;
        md.append("# ").append(config.title()).append("\n\n");
    }

    /**
     * Returns the output folder.
     *
     * @return the folder
     */
    public Path dir() {
        return dir;
    }

    /**
     * Returns the path of a file in the output folder, remembering it as written.
     *
     * @param name the file name
     * @return the path
     */
    public Path file(String name) {
        Path file = dir.resolve(name);
        written.add(file);
        return file;
    }

    /**
     * Adds a section heading.
     *
     * @param title the heading
     * @return this writer
     */
    public ReportWriter heading(String title) {
        md.append("## ").append(title).append("\n\n");
        return this;
    }

    /**
     * Adds a paragraph.
     *
     * @param text Markdown text
     * @return this writer
     */
    public ReportWriter paragraph(String text) {
        md.append(text.strip()).append("\n\n");
        return this;
    }

    /**
     * Adds a bullet list.
     *
     * @param items Markdown items
     * @return this writer
     */
    public ReportWriter bullets(List<String> items) {
        for (String item : items) {
            md.append("- ").append(item).append('\n');
        }
        md.append('\n');
        return this;
    }

    /**
     * Adds a table.
     *
     * @param header the column titles
     * @param rows the cells
     * @return this writer
     */
    public ReportWriter table(List<String> header, List<List<String>> rows) {
        md.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) {
            md.append(i == 0 ? "---|" : "---:|");
        }
        md.append('\n');
        for (List<String> row : rows) {
            md.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        md.append('\n');
        return this;
    }

    /**
     * Adds an image already written into the folder.
     *
     * @param name its file name
     * @param caption the alternative text
     * @return this writer
     */
    public ReportWriter image(String name, String caption) {
        md.append("![").append(caption).append("](").append(name).append(")\n\n");
        return this;
    }

    /**
     * Writes raw values as CSV.
     *
     * @param name the file name
     * @param header the column names
     * @param rows the records
     * @throws IOException if writing fails
     */
    public void csv(String name, List<String> header, List<List<Object>> rows) throws IOException {
        CsvFiles.write(
                file(name),
                header.toArray(new String[0]),
                csv -> {
                    for (List<Object> row : rows) {
                        csv.printRecord(row);
                    }
                });
    }

    /**
     * Writes a value as JSON.
     *
     * @param name the file name
     * @param value records, lists and maps
     * @throws IOException if writing fails
     */
    public void json(String name, Object value) throws IOException {
        AtomicFiles.writeString(file(name), RunCache.GSON.toJson(value));
    }

    /**
     * Writes {@code summary.md} atomically.
     *
     * @return its path
     * @throws IOException if writing fails
     */
    public Path writeSummary() throws IOException {
        Path summary = dir.resolve("summary.md");
        AtomicFiles.writeString(summary, md);
        return summary;
    }

    /**
     * Formats the published value of a metric, or a dash.
     *
     * @param metric the metric
     * @param dataset the dataset (run name)
     * @param method the method
     * @param decimals digits after the point
     * @return e.g. {@code 98.31}
     */
    public String published(String metric, String dataset, String method, int decimals) {
        Optional<PublishedValue> value = config.publishedValue(metric, dataset, method);
        return value.map(v -> number(v.value(), decimals)).orElse("–");
    }

    /**
     * Formats the published value of a metric in scientific notation, or a dash.
     *
     * @param metric the metric
     * @param dataset the dataset (run name)
     * @param method the method
     * @return e.g. {@code -3.17e-09}
     */
    public String publishedScientific(String metric, String dataset, String method) {
        Optional<PublishedValue> value = config.publishedValue(metric, dataset, method);
        return value.map(v -> String.format(Locale.ROOT, "%.3g", v.value())).orElse("–");
    }

    /**
     * Returns a published value, or NaN.
     *
     * @param metric the metric
     * @param dataset the dataset (run name)
     * @param method the method
     * @return the value
     */
    public double publishedValue(String metric, String dataset, String method) {
        return config.publishedValue(metric, dataset, method)
                .map(PublishedValue::value)
                .orElse(Double.NaN);
    }

    /**
     * Formats a number, or a dash for NaN.
     *
     * @param value the value
     * @param decimals digits after the point
     * @return the text
     */
    public static String number(double value, int decimals) {
        return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /**
     * Formats values over seeds as {@code mean +- std}, or a dash when there are none.
     *
     * @param values one per seed (NaN entries are left out)
     * @param decimals digits after the point
     * @return the text
     */
    public static String meanStd(double[] values, int decimals) {
        double[] finite = java.util.Arrays.stream(values).filter(Double::isFinite).toArray();
        if (finite.length == 0) {
            return "–";
        }
        MeanStd summary = MeanStd.of(finite);
        return Double.isNaN(summary.std())
                ? number(summary.mean(), decimals)
                : number(summary.mean(), decimals) + " ± " + number(summary.std(), decimals);
    }

    /**
     * Formats values over seeds in scientific notation as {@code mean +- std}.
     *
     * @param values one per seed
     * @return the text
     */
    public static String meanStdScientific(double[] values) {
        double[] finite = java.util.Arrays.stream(values).filter(Double::isFinite).toArray();
        if (finite.length == 0) {
            return "–";
        }
        MeanStd summary = MeanStd.of(finite);
        String mean = String.format(Locale.ROOT, "%.3g", summary.mean());
        return Double.isNaN(summary.std())
                ? mean
                : mean + " ± " + String.format(Locale.ROOT, "%.2g", summary.std());
    }

    /**
     * Returns the files written so far.
     *
     * @return their paths
     */
    public List<Path> written() {
        return List.copyOf(written);
    }
}
