package ai.hydra.report;

import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.data.ImageData;
import java.util.Locale;
import java.util.Map;

/** Renders a report's summary as Markdown and as plain text. */
final class ReportSummary {

    private final ContributionReport report;
    private final StringBuilder md = new StringBuilder();
    private final StringBuilder txt = new StringBuilder();

    ReportSummary(ContributionReport report) {
        this.report = report;
    }

    /** Returns {Markdown, plain text}. */
    String[] render() {
        ContributionMatrix matrix = report.contributions();
        md.append("# HYDRA contribution report\n\n");
        txt.append("HYDRA contribution report\n=========================\n\n");
        section("Settings");
        for (Map.Entry<String, String> setting : report.settings().entrySet()) {
            line(setting.getKey(), setting.getValue());
        }
        line("tracked training samples", String.valueOf(matrix.rows()));
        line("test samples in the matrix", String.valueOf(matrix.columns()));
        line("top-k", String.valueOf(report.topK()));
        if (report.nonFiniteCount() > 0) {
            line(
                    "non-finite values",
                    report.nonFiniteCount()
                            + " contributions are NaN or infinite (written because non-finite"
                            + " values were allowed): the run diverged");
        }
        line(
                "test-loss C(i)",
                report.testLossGiven() ? "given (whole test set)" : "mean over the matrix columns");
        md.append('\n');
        txt.append('\n');
        testLossSection();
        for (int column : report.shownColumns()) {
            testSampleSection(matrix, column);
        }
        md.append(
                "Sign convention: positive = helpful (removing the sample would raise the test"
                        + " loss).\n");
        txt.append(
                "Sign convention: positive = helpful (removing the sample would raise the test"
                        + " loss).\n");
        return new String[] {md.toString(), txt.toString()};
    }

    private void testLossSection() {
        section("Test loss: most helpful and most harmful training samples");
        table(report.testLoss(), report.topK());
    }

    private void testSampleSection(ContributionMatrix matrix, int column) {
        int testIndex = matrix.testIndices()[column];
        ImageData test = report.testImages();
        section(
                String.format(
                        Locale.ROOT,
                        "Test sample #%d (%s)",
                        testIndex,
                        className(test, testIndex)));
        table(matrix.column(column), report.topK());
    }

    private void table(Contributions scores, int k) {
        int[] helpfulRows = scores.mostHelpful(k);
        int[] harmfulRows = scores.mostHarmful(k);
        int[] indices = scores.trainIndices();
        md.append("| rank | helpful index | class | score | harmful index | class | score |\n");
        md.append("|---:|---:|---|---:|---:|---|---:|\n");
        txt.append(
                String.format(
                        Locale.ROOT,
                        "%4s  %-32s  %-32s%n",
                        "rank",
                        "most helpful",
                        "most harmful"));
        // only samples that helped (harmed) are listed: a column may be shorter than k
        for (int r = 0; r < Math.max(helpfulRows.length, harmfulRows.length); r++) {
            String[] good = cells(scores, indices, helpfulRows, r);
            String[] bad = cells(scores, indices, harmfulRows, r);
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %d | %s | %s | %s | %s | %s | %s |%n",
                            r + 1,
                            good[0],
                            good[1],
                            good[2],
                            bad[0],
                            bad[1],
                            bad[2]));
            txt.append(
                    String.format(
                            Locale.ROOT,
                            "%4d  %-32s  %-32s%n",
                            r + 1,
                            good[0].isEmpty() ? "-" : entry(good),
                            bad[0].isEmpty() ? "-" : entry(bad)));
        }
        md.append('\n');
        txt.append('\n');
    }

    /** {index, class, score} of the r-th listed row, or three empty strings past the list. */
    private String[] cells(Contributions scores, int[] indices, int[] rows, int r) {
        if (r >= rows.length) {
            return new String[] {"", "", ""};
        }
        int index = indices[rows[r]];
        return new String[] {
            String.valueOf(index),
            className(report.trainImages(), index),
            Drawing.score(scores.get(rows[r]))
        };
    }

    private static String entry(String[] cells) {
        return String.format(Locale.ROOT, "#%-6s %-14s %s", cells[0], cells[1], cells[2]);
    }

    private void section(String title) {
        md.append("## ").append(title).append("\n\n");
        txt.append(title).append('\n').append("-".repeat(title.length())).append('\n');
    }

    private void line(String name, String value) {
        md.append("- **").append(name).append("**: ").append(value).append('\n');
        txt.append(String.format(Locale.ROOT, "%-28s %s%n", name + ":", value));
    }

    private static String className(ImageData data, int index) {
        return data.classNames().get(data.label(index));
    }
}
