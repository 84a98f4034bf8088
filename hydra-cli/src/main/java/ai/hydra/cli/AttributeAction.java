package ai.hydra.cli;

import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.data.ImageData;
import ai.hydra.experiment.AttributionMode;
import ai.hydra.experiment.AttributionResult;
import ai.hydra.experiment.AttributionRun;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.io.FolderLock;
import ai.hydra.report.ContributionReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains with the HYDRA listener (or, with {@code hydra.mode: exact}, records the training and
 * computes every sample's exact contributions by a backward sweep), prints the most helpful and
 * most harmful training samples of a few test samples, and writes the report folder (contributions
 * CSV/NPZ, image grid, heatmap); with {@code hydra.mode: both}, one section and one report
 * subfolder per mode.
 */
final class AttributeAction {

    /** How many test samples are printed (the report covers all of {@code hydra.testSamples}). */
    private static final int PRINTED = 3;

    private AttributeAction() {}

    static int run(
            HydraSubcommand command,
            ExperimentConfig config,
            TrainOptions options,
            AttributionOptions attribution)
            throws Exception {
        Path outDir = options.out != null ? options.out : Path.of("reports", config.name());
        // checked and claimed before training: a full run is not lost to an unwritable --out
        try (FolderLock claim = OutputFolder.claim(outDir)) {
            return attribute(command, config, options, attribution, outDir);
        }
    }

    private static int attribute(
            HydraSubcommand command,
            ExperimentConfig config,
            TrainOptions options,
            AttributionOptions attribution,
            Path outDir)
            throws Exception {
        PrintWriter out = command.out();
        out.printf(
                Locale.ROOT,
                "%s: %s on %s, %d epoch(s), batch %d, %s, HYDRA %s, engine %s%n",
                config.name(),
                config.model(),
                config.data().dataset(),
                config.train().epochs(),
                config.train().batchSize(),
                ConfigNames.precision(config),
                config.hydra().mode().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                command.engine());
        out.flush();
        ConsoleProgress progress =
                new ConsoleProgress(
                        out, command.err(), options.progress && ConsoleProgress.interactive());
        try (AttributionResult result =
                AttributionRun.builder()
                        .setConfig(config)
                        .optProgress(progress)
                        .optResume(attribution.resume)
                        .optOverwrite(attribution.overwrite)
                        .build()
                        .run()) {
            List<ContributionReport> reports = new ArrayList<>();
            for (AttributionResult.MethodResult method : result.methods()) {
                ContributionReport report =
                        report(result, method, config, attribution.allowNonFinite);
                report.requireFiniteUnlessAllowed(); // before anything is printed or written
                reports.add(report);
            }
            out.printf(
                    Locale.ROOT,
                    "test accuracy: %.4f; %s of %,d training samples over %,d steps (%s)%n",
                    result.training().testAccuracy(),
                    config.hydra().mode() == AttributionMode.EXACT
                            ? "exact contributions"
                            : "hypergradients",
                    result.first().testLoss().size(),
                    result.steps(),
                    result.stored());
            boolean several = result.methods().size() > 1;
            for (int m = 0; m < reports.size(); m++) {
                AttributionResult.MethodResult method = result.methods().get(m);
                // one method: the report folder itself; several: one subfolder each
                Path dir = several ? outDir.resolve(method.name()) : outDir;
                if (several) {
                    out.printf(Locale.ROOT, "%n%s:%n", method.name());
                }
                printTopSamples(out, result, method, config.hydra().topK());
                List<Path> written =
                        reports.get(m).write(result.training().model().getNDManager(), dir);
                out.println(
                        "report: "
                                + dir.toAbsolutePath().normalize()
                                + " ("
                                + written.size()
                                + " files: "
                                + names(written)
                                + ")");
            }
            out.flush();
        }
        return 0;
    }

    private static ContributionReport report(
            AttributionResult result,
            AttributionResult.MethodResult method,
            ExperimentConfig config,
            boolean allowNonFinite) {
        return ContributionReport.builder()
                .optAllowNonFinite(allowNonFinite)
                .setContributions(method.perTestSample())
                .setTrainImages(result.data().train())
                .setTestImages(result.data().test())
                .optTestLossContributions(method.testLoss())
                .optInterClass(method.interClass())
                .optTopK(config.hydra().topK())
                .optSetting("experiment", config.name())
                .optSetting("model", config.model())
                .optSetting("dataset", config.data().dataset())
                .optSetting("epochs", config.train().epochs())
                .optSetting(
                        "engine",
                        result.training().engine() + " (" + result.training().device() + ")")
                .optSetting("hydra mode", config.hydra().mode())
                .optSetting("method", method.name())
                .optSetting(
                        "test accuracy",
                        String.format(Locale.ROOT, "%.4f", result.training().testAccuracy()))
                .build();
    }

    private static void printTopSamples(
            PrintWriter out,
            AttributionResult result,
            AttributionResult.MethodResult method,
            int topK) {
        ContributionMatrix c = method.perTestSample();
        ImageData train = result.data().train();
        ImageData test = result.data().test();
        List<String> names = test.classNames();
        for (int j = 0; j < Math.min(PRINTED, c.columns()); j++) {
            int testIndex = c.testIndices()[j];
            out.printf(
                    Locale.ROOT,
                    "%ntest sample %d (%s):%n",
                    testIndex,
                    names.get(test.label(testIndex)));
            out.println("  most helpful:  " + describe(c, c.mostHelpful(j, topK), j, train, names));
            out.println("  most harmful:  " + describe(c, c.mostHarmful(j, topK), j, train, names));
        }
        out.println();
    }

    private static String describe(
            ContributionMatrix c, int[] rows, int column, ImageData train, List<String> names) {
        StringBuilder text = new StringBuilder();
        for (int row : rows) {
            int index = c.trainIndices()[row];
            if (text.length() > 0) {
                text.append(", ");
            }
            text.append(
                    String.format(
                            Locale.ROOT,
                            "#%d %s %+.2e",
                            index,
                            names.get(train.label(index)),
                            c.get(row, column)));
        }
        return text.toString();
    }

    private static String names(List<Path> files) {
        StringBuilder text = new StringBuilder();
        for (Path file : files) {
            text.append(text.length() == 0 ? "" : ", ").append(file.getFileName());
        }
        return text.toString();
    }
}
