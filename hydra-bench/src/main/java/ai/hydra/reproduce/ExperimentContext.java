package ai.hydra.reproduce;

import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.TrainingProgress;
import ai.hydra.influence.SolverProgress;
import ai.hydra.reproduce.run.TrainedRun;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a running experiment can use: its preset, output folder, result cache, the machine's
 * description and the progress channel (standard error on the command line).
 *
 * @param config the preset
 * @param outDir the report folder
 * @param cache the per-run results
 * @param hardware the machine
 * @param progress the progress receiver
 * @param command the command line that reproduces the report
 */
public record ExperimentContext(
        ReproductionConfig config,
        Path outDir,
        RunCache cache,
        Hardware hardware,
        TrainingProgress progress,
        String command) {

    /**
     * Reports a stage, prefixed with the experiment's name.
     *
     * @param message what starts
     */
    public void stage(String message) {
        progress.onStage("[" + config.experiment().configName() + "] " + message);
    }

    /**
     * Starts a training run that reports its progress here.
     *
     * @param config the training config
     * @return the run's builder
     */
    public TrainedRun.Builder newRun(ExperimentConfig config) {
        return TrainedRun.builder(config).optProgress(progress);
    }

    /**
     * Returns a solver-progress receiver that reports at most every 15 seconds.
     *
     * @param what the computation, e.g. {@code influence functions}
     * @return the receiver
     */
    public SolverProgress solverProgress(String what) {
        long[] last = {System.nanoTime()};
        return (stage, done, total, metric) -> {
            long now = System.nanoTime();
            if (now - last[0] > 15_000_000_000L || done == total) {
                last[0] = now;
                stage(
                        String.format(
                                Locale.ROOT,
                                "%s: %s %d/%d%s",
                                what,
                                stage,
                                done,
                                total,
                                Double.isNaN(metric) ? "" : String.format(" (%.3g)", metric)));
            }
        };
    }
}
