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
        ImageData train = report.trainImages();
        md.append("| rank | helpful index | class | score | harmful index | class | score |\n");
        md.append("|---:|---:|---|---:|---:|---|---:|\n");
        txt.append(
                String.format(
                        Locale.ROOT,
                        "%4s  %-32s  %-32s%n",
                        "rank",
                        "most helpful",
                        "most harmful"));
        for (int r = 0; r < helpfulRows.length; r++) {
            int good = indices[helpfulRows[r]];
            int bad = indices[harmfulRows[r]];
            String goodScore = Drawing.score(scores.get(helpfulRows[r]));
            String badScore = Drawing.score(scores.get(harmfulRows[r]));
            md.append(
                    String.format(
                            Locale.ROOT,
                            "| %d | %d | %s | %s | %d | %s | %s |%n",
                            r + 1,
                            good,
                            className(train, good),
                            goodScore,
                            bad,
                            className(train, bad),
                            badScore));
            txt.append(
                    String.format(
                            Locale.ROOT,
                            "%4d  %-32s  %-32s%n",
                            r + 1,
                            entry(good, className(train, good), goodScore),
                            entry(bad, className(train, bad), badScore)));
        }
        md.append('\n');
        txt.append('\n');
    }

    private static String entry(int index, String name, String score) {
        return String.format(Locale.ROOT, "#%-6d %-14s %s", index, name, score);
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
