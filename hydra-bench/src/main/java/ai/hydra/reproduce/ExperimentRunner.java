package ai.hydra.reproduce;

import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionSettings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One experiment of the reproduction: trains each run of the preset once per seed ({@link #runOne},
 * whose results are cached in the output folder so that {@code --resume} continues), then writes
 * the report ({@link #report}) under a common header (preset, data sizes, seeds, hardware, run
 * times).
 *
 * @param <R> the per-run result, a record serialized as JSON
 * @param <S> the experiment's settings
 */
public abstract class ExperimentRunner<R, S extends ReproductionSettings> {

    private final Class<R> resultType;
    private final Class<S> settingsType;
    private final int version;

    /**
     * Creates the runner.
     *
     * @param resultType the per-run result record
     * @param settingsType the experiment's settings record
     * @param version the version of the per-run computation: raise it when a change makes cached
     *     results of older code invalid (a resume then refuses them)
     */
    protected ExperimentRunner(Class<R> resultType, Class<S> settingsType, int version) {
        this.resultType = resultType;
        this.settingsType = settingsType;
        this.version = version;
    }

    /**
     * Returns a preset's settings.
     *
     * @param config the preset
     * @return its settings
     */
    protected final S settings(ReproductionConfig config) {
        return settingsType.cast(config.settings());
    }

    /**
     * One run of a preset for one seed.
     *
     * @param run the run
     * @param config the run's training config for this seed
     * @param seed the seed
     */
    public record RunSpec(ReproductionConfig.Run run, ExperimentConfig config, long seed) {

        /**
         * Names the run and seed in progress messages.
         *
         * @return e.g. {@code mnist seed 1}
         */
        public String label() {
            return run.name() + " seed " + seed;
        }
    }

    /**
     * Trains and measures one run for one seed.
     *
     * @param context the experiment's context
     * @param spec the run and seed
     * @return the result
     * @throws Exception if the run fails
     */
    protected abstract R runOne(ExperimentContext context, RunSpec spec) throws Exception;

    /**
     * Writes the experiment's tables, raw values and plots.
     *
     * @param context the experiment's context
     * @param results the results by run name, one per seed in seed order
     * @param report the report being written
     * @return the headline lines for the overall summary of {@code hydra reproduce all}
     * @throws IOException if writing fails
     */
    protected abstract List<String> report(
            ExperimentContext context, Map<String, List<R>> results, ReportWriter report)
            throws IOException;

    /**
     * Estimates the cost of each run of a preset, per seed.
     *
     * @param config the preset
     * @param rates the measured rates
     * @return one estimate per run
     */
    public abstract List<Estimate> estimate(ReproductionConfig config, Rates rates);

    /**
     * Runs every run and seed (reusing cached results when resuming) and writes the report.
     *
     * @param context the experiment's context
     * @return the outcome
     * @throws Exception if a run or the report fails
     */
    public final Outcome run(ExperimentContext context) throws Exception {
        ReproductionConfig config = context.config();
        long start = System.nanoTime();
        Map<String, List<R>> results = new LinkedHashMap<>();
        List<List<Object>> timings = new ArrayList<>();
        String settings = RunCache.GSON.toJson(config.settings());
        for (ReproductionConfig.Run run : config.runs()) {
            List<R> perSeed = new ArrayList<>();
            for (long seed : config.seeds()) {
                ExperimentConfig training = run.forSeed(seed);
                String key = run.name() + "-seed" + seed;
                String fingerprint =
                        RunCache.fingerprint(
                                config.experiment().configName(),
                                String.valueOf(version),
                                training.toYaml(),
                                settings);
                RunCache.Entry<R> entry =
                        context.cache().load(key, fingerprint, resultType).orElse(null);
                if (entry != null) {
                    context.stage(
                            run.name() + " seed " + seed + ": cached result reused (--resume)");
                } else {
                    context.stage(run.name() + " seed " + seed + ": starting");
                    double loadAtStart = loadAverage();
                    long runStart = System.nanoTime();
                    R result = runOne(context, new RunSpec(run, training, seed));
                    entry =
                            new RunCache.Entry<>(
                                    result,
                                    (System.nanoTime() - runStart) / 1e9,
                                    loadAtStart,
                                    loadAverage());
                    context.cache().save(key, fingerprint, entry);
                    context.stage(
                            String.format(
                                    Locale.ROOT,
                                    "%s seed %d: done in %s",
                                    run.name(),
                                    seed,
                                    Estimate.duration(entry.seconds())));
                }
                perSeed.add(entry.result());
                timings.add(
                        List.of(
                                run.name(),
                                seed,
                                round(entry.seconds()),
                                round(entry.loadAtStart()),
                                round(entry.loadAtEnd())));
            }
            results.put(run.name(), perSeed);
        }
        ReportWriter report = new ReportWriter(context.outDir(), config);
        header(context, report, timings);
        List<String> headline = report(context, results, report);
        double seconds = (System.nanoTime() - start) / 1e9;
        report.heading("Run times")
                .paragraph(
                        "Wall time of this invocation: "
                                + Estimate.duration(seconds)
                                + " (cached runs, reused with --resume, cost nothing here)."
                                + " Per run and seed, with the 1-minute load average at its start"
                                + " and end (the machine was shared; timings above the core"
                                + " count are upper bounds):")
                .table(
                        List.of("run", "seed", "seconds", "load at start", "load at end"),
                        timings.stream()
                                .map(row -> row.stream().map(String::valueOf).toList())
                                .toList());
        report.csv(
                "timings.csv",
                List.of("run", "seed", "seconds", "load_at_start", "load_at_end"),
                timings);
        report.json("results.json", results);
        return new Outcome(report.writeSummary(), headline, seconds);
    }

    private void header(
            ExperimentContext context, ReportWriter report, List<List<Object>> timings) {
        ReproductionConfig config = context.config();
        List<String> settings = new ArrayList<>();
        settings.add("**command**: `" + context.command() + "`");
        settings.add(
                "**preset**: "
                        + config.preset()
                        + " ("
                        + config.source()
                        + "): "
                        + config.description().strip());
        settings.add("**seeds**: " + config.seeds());
        settings.add("**hardware**: " + context.hardware().finished().describe());
        report.bullets(settings);
        List<List<String>> rows = new ArrayList<>();
        for (ReproductionConfig.Run run : config.runs()) {
            ExperimentConfig c = run.config();
            rows.add(
                    List.of(
                            run.name(),
                            c.model(),
                            c.data().dataset(),
                            c.data().trainLimit() == null
                                    ? "all"
                                    : String.valueOf(c.data().trainLimit()),
                            c.data().testLimit() == null
                                    ? "all"
                                    : String.valueOf(c.data().testLimit()),
                            c.data().labelNoise().isActive()
                                    ? c.data().labelNoise().mode().name().toLowerCase(Locale.ROOT)
                                            + " "
                                            + c.data().labelNoise().fraction()
                                    : "none",
                            String.valueOf(c.train().epochs()),
                            String.valueOf(c.train().batchSize()),
                            describeOptimizer(c)));
        }
        report.heading("Runs")
                .table(
                        List.of(
                                "run",
                                "model",
                                "dataset",
                                "training images",
                                "test images",
                                "label noise",
                                "epochs",
                                "batch",
                                "optimizer"),
                        rows);
    }

    private static String describeOptimizer(ExperimentConfig c) {
        return String.format(
                Locale.ROOT,
                "SGD lr %s, momentum %s, weight decay %s, %s schedule",
                c.train().optimizer().learningRate(),
                c.train().optimizer().momentum(),
                c.train().optimizer().weightDecay(),
                c.train().schedule().type().name().toLowerCase(Locale.ROOT));
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /**
     * What an experiment produced.
     *
     * @param summary its {@code summary.md}
     * @param headline the lines for the overall summary
     * @param seconds the wall time of this invocation
     */
    public record Outcome(java.nio.file.Path summary, List<String> headline, double seconds) {}
}
