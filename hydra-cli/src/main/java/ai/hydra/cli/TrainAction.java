package ai.hydra.cli;

import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.TrainingResult;
import ai.hydra.experiment.TrainingRun;
import ai.hydra.io.AtomicFiles;
import ai.hydra.io.FolderLock;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** Runs a training configuration for a command and reports the result. */
final class TrainAction {

    private TrainAction() {}

    static int run(HydraSubcommand command, ExperimentConfig config, TrainOptions options)
            throws Exception {
        Path outDir = options.out;
        try (FolderLock claim = outDir == null ? null : OutputFolder.claim(outDir)) {
            return train(command, config, options, outDir);
        }
    }

    private static int train(
            HydraSubcommand command, ExperimentConfig config, TrainOptions options, Path outDir)
            throws Exception {
        PrintWriter out = command.out();
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

    /** Writes the summary and the parameters, each file replaced atomically. */
    private static void write(Path dir, TrainingResult result) throws IOException {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("hydraVersion", VersionProvider.version());
        summary.put("config", result.config().toMap());
        summary.put("result", result.toMap());
        Path staging = Files.createTempDirectory(dir, ".parameters-");
        try {
            result.model().save(staging, result.config().name());
            try (Stream<Path> files = Files.list(staging)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    AtomicFiles.moveIntoPlace(file, dir.resolve(file.getFileName()));
                }
            }
        } finally {
            try (Stream<Path> left = Files.list(staging)) {
                for (Path file : (Iterable<Path>) left::iterator) {
                    Files.delete(file);
                }
            }
            Files.delete(staging);
        }
        AtomicFiles.writeString(dir.resolve("summary.yaml"), ExperimentConfig.toYaml(summary));
    }
}
