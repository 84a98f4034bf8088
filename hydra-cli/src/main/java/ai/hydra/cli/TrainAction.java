package ai.hydra.cli;

import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.TrainingResult;
import ai.hydra.experiment.TrainingRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Runs a training configuration for a command and reports the result. */
final class TrainAction {

    private TrainAction() {}

    static int run(HydraSubcommand command, ExperimentConfig config, TrainOptions options)
            throws Exception {
        PrintWriter out = command.out();
        Path outDir = prepareOutDir(options.out);
        out.printf(
                Locale.ROOT,
                "%s: %s on %s, %d epoch(s), batch %d, %s, engine %s%n",
                config.name(),
                config.model(),
                config.data().dataset(),
                config.train().epochs(),
                config.train().batchSize(),
                ConfigNames.precision(config),
                command.engine());
        out.flush();
        boolean bar = options.progress && ConsoleProgress.interactive();
        ConsoleProgress progress = new ConsoleProgress(out, command.err(), bar);
        try (TrainingResult result =
                TrainingRun.builder().setConfig(config).optProgress(progress).build().run()) {
            out.printf(
                    Locale.ROOT,
                    "test accuracy: %.4f (%d test samples; %d training samples, "
                            + "%,d parameters, %s on %s, %.1f s)%n",
                    result.testAccuracy(),
                    result.testSamples(),
                    result.trainSamples(),
                    result.parameters(),
                    result.engine(),
                    result.device(),
                    result.totalSeconds());
            if (outDir != null) {
                write(outDir, result);
                out.println("wrote " + outDir.resolve("summary.yaml"));
            }
            out.flush();
        }
        return 0;
    }

    private static Path prepareOutDir(Path dir) {
        if (dir == null) {
            return null;
        }
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UsageException(
                    "cannot create output folder "
                            + dir
                            + " ("
                            + e
                            + "); give a writable --out DIR");
        }
    }

    private static void write(Path dir, TrainingResult result) throws IOException {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("hydraVersion", VersionProvider.version());
        summary.put("config", result.config().toMap());
        summary.put("result", result.toMap());
        Files.writeString(dir.resolve("summary.yaml"), ExperimentConfig.toYaml(summary));
        result.model().save(dir, result.config().name());
    }
}
