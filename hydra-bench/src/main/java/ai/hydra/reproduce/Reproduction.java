package ai.hydra.reproduce;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.hydra.experiment.ConfigException;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionConfig.Experiment;
import ai.hydra.experiment.TrainingProgress;
import ai.hydra.io.AtomicFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Reproduces the HYDRA paper's experiments (and the mislabeled-sample benchmark) from their
 * definitions in {@code configs/reproduce/}: {@code hydra reproduce EXPERIMENT} on the command
 * line.
 *
 * <p>Before training, it checks that the datasets are at hand, prints the preset's plan with the
 * estimated time and memory of every run (from {@code configs/reproduce/rates.yaml}), and refuses a
 * preset whose hypergradient state cannot fit this machine, saying what fits. The {@code paper}
 * presets are meant for a GPU: without one they print the plan and stop unless forced. Then every
 * run is trained once per seed (results cached in {@code OUT/runs/} for {@code --resume}) and the
 * report is written to {@code OUT/summary.md} with raw values and plots.
 *
 * <pre>{@code
 * Reproduction.builder().optPreset("quick").setOutput(Path.of("reports/table3")).build()
 *         .run("table3");
 * }</pre>
 */
public final class Reproduction {

    /** The name that runs every experiment. */
    public static final String ALL = "all";

    /** The preset meant for a GPU. */
    public static final String PAPER = "paper";

    private final String preset;
    private final List<String> overrides;
    private final Path output;
    private final boolean resume;
    private final boolean force;
    private final boolean planOnly;
    private final TrainingProgress progress;
    private final PrintWriter out;
    private final String command;

    private Reproduction(Builder builder) {
        preset = builder.preset;
        overrides = List.copyOf(builder.overrides);
        output = builder.output;
        resume = builder.resume;
        force = builder.force;
        planOnly = builder.planOnly;
        progress = builder.progress;
        out = builder.out;
        command = builder.command;
    }

    /**
     * Creates a builder.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Lists the experiment names accepted by {@link #run}.
     *
     * @return the experiments and {@value #ALL}
     */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        for (Experiment experiment : Experiment.values()) {
            names.add(experiment.configName());
        }
        names.add(ALL);
        return names;
    }

    /**
     * Runs one experiment, or all of them.
     *
     * @param name an experiment's name (e.g. {@code table3}) or {@value #ALL}
     * @return the summary files written (none when only the plan was printed)
     * @throws ConfigException if the experiment is unknown, a dataset is missing, a value is
     *     invalid or the preset cannot fit this machine
     * @throws Exception if a run fails
     */
    public List<Path> run(String name) throws Exception {
        if (ALL.equalsIgnoreCase(name.trim())) {
            return runAll();
        }
        Experiment experiment = Experiment.of(name);
        Path dir = output != null ? output : defaultOutput(experiment);
        ExperimentRunner.Outcome outcome = runOne(experiment, dir);
        return outcome == null ? List.of() : List.of(outcome.summary());
    }

    private List<Path> runAll() throws Exception {
        Path root = output != null ? output : Path.of("reports", "reproduce", ALL + "-" + preset);
        // load and check every preset first: a missing dataset fails before hours of training
        List<ReproductionConfig> configs = new ArrayList<>();
        for (Experiment experiment : Experiment.values()) {
            ReproductionConfig config = ReproductionConfigs.load(experiment, preset, overrides);
            if (!planOnly && (!PAPER.equals(preset) || force)) {
                ReproductionConfigs.requireData(config);
            }
            configs.add(config);
        }
        List<Path> summaries = new ArrayList<>();
        StringBuilder md = new StringBuilder("# HYDRA reproduction: every experiment, preset ");
        md.append(preset).append("\n\n- **command**: `").append(command).append("`\n");
        md.append("- **hardware**: ").append(Hardware.current().describe()).append("\n\n");
        double total = 0;
        for (ReproductionConfig config : configs) {
            Experiment experiment = config.experiment();
            ExperimentRunner.Outcome outcome =
                    runOne(experiment, root.resolve(experiment.configName()));
            if (outcome == null) {
                continue;
            }
            summaries.add(outcome.summary());
            total += outcome.seconds();
            md.append("## [")
                    .append(config.title())
                    .append("](")
                    .append(experiment.configName())
                    .append("/summary.md)\n\n");
            for (String line : outcome.headline()) {
                md.append("- ").append(line).append('\n');
            }
            md.append("- run time: ").append(Estimate.duration(outcome.seconds())).append("\n\n");
        }
        if (summaries.isEmpty()) {
            return summaries;
        }
        md.append("Total run time: ").append(Estimate.duration(total)).append(".\n");
        Files.createDirectories(root);
        Path summary = root.resolve("summary.md");
        AtomicFiles.writeString(summary, md);
        out.println("summary of all experiments: " + summary.toAbsolutePath().normalize());
        out.flush();
        summaries.add(summary);
        return summaries;
    }

    private Path defaultOutput(Experiment experiment) {
        return Path.of("reports", "reproduce", experiment.configName() + "-" + preset);
    }

    /** Plans, checks and runs one experiment; null when only the plan was printed. */
    private ExperimentRunner.Outcome runOne(Experiment experiment, Path dir) throws Exception {
        ReproductionConfig config = ReproductionConfigs.load(experiment, preset, overrides);
        ExperimentRunner<?, ?> runner = Runners.of(experiment);
        Hardware hardware = Hardware.current();
        printPlan(config, runner.estimate(config, Rates.load()));
        if (planOnly) {
            return null;
        }
        if (PAPER.equals(preset) && !hardware.hasGpu() && !force) {
            out.println(
                    "The paper preset is meant for a GPU and this machine has none: the plan above"
                            + " is what it would take here. Run it anyway with --force, or try"
                            + " --preset quick.");
            out.flush();
            return null;
        }
        ReproductionConfigs.requireData(config);
        ExperimentContext context =
                new ExperimentContext(
                        config, dir, new RunCache(dir, resume), hardware, progress, command);
        ExperimentRunner.Outcome outcome = runner.run(context);
        out.println(config.title() + ":");
        for (String line : outcome.headline()) {
            out.println("  " + line);
        }
        out.println("report: " + outcome.summary().toAbsolutePath().normalize());
        out.flush();
        return outcome;
    }

    private void printPlan(ReproductionConfig config, List<Estimate> estimates) {
        Device device = Engine.getInstance().defaultDevice();
        Rates rates = Rates.load();
        out.printf(
                Locale.ROOT,
                "%s, preset %s (%s): %d run(s) x %d seed(s) %s%n",
                config.title(),
                config.preset(),
                config.source(),
                config.runs().size(),
                config.seeds().size(),
                config.seeds());
        double total = 0;
        for (Estimate estimate : estimates) {
            ReproductionConfig.Run run = config.run(estimate.run());
            long capacity = run.config().hydra().planner().capacity(device);
            out.printf(
                    Locale.ROOT,
                    "  %-28s about %s per seed, hypergradient state %s (%s)%n",
                    estimate.run(),
                    Estimate.duration(estimate.seconds()),
                    Estimate.size(estimate.storeBytes()),
                    estimate.detail());
            total += estimate.seconds() * config.seeds().size();
            requireFits(config.preset(), estimate, capacity, device.toString());
        }
        out.printf(
                Locale.ROOT,
                "  total: about %s (rates measured on %s; %s)%n",
                Estimate.duration(total),
                rates.machine(),
                rates.source());
        out.flush();
    }

    /**
     * Refuses a run whose hypergradient state exceeds what the machine can hold, saying what fits.
     *
     * @param preset the preset's name
     * @param estimate the run's estimate
     * @param capacity the largest state the store planner can place
     * @param device the device, for the message
     * @throws ConfigException if it does not fit
     */
    static void requireFits(String preset, Estimate estimate, long capacity, String device) {
        if (estimate.storeBytes() <= capacity) {
            return;
        }
        throw new ConfigException(
                String.format(
                        Locale.ROOT,
                        "run '%s' of preset %s needs %s of hypergradient state, but this machine"
                                + " can hold at most %s (%s; the largest of the device,"
                                + " host-memory and disk budgets of"
                                + " ai.hydra.store.StorePlanner): about %.0f%% of the tracked"
                                + " samples fit. Track fewer samples (--set"
                                + " perRun.%s.hydra.trackLimit=N or data.trainLimit=N), point"
                                + " hydra.storeDir at a larger disk, or run on a machine with"
                                + " more memory.",
                        estimate.run(),
                        preset,
                        Estimate.size(estimate.storeBytes()),
                        Estimate.size(capacity),
                        device,
                        100.0 * capacity / estimate.storeBytes(),
                        estimate.run()));
    }

    /** Builds a {@link Reproduction}. */
    public static final class Builder {

        private String preset = "quick";
        private List<String> overrides = List.of();
        private Path output;
        private boolean resume;
        private boolean force;
        private boolean planOnly;
        private TrainingProgress progress = TrainingProgress.NONE;
        private PrintWriter out = new PrintWriter(System.out, true);
        private String command = "hydra reproduce";

        Builder() {}

        /**
         * Sets the preset (default {@code quick}).
         *
         * @param preset e.g. {@code quick} or {@code paper}
         * @return this builder
         */
        public Builder optPreset(String preset) {
            this.preset = Objects.requireNonNull(preset, "preset");
            return this;
        }

        /**
         * Sets {@code key=value} overrides (see {@link ReproductionConfig}).
         *
         * @param overrides the overrides
         * @return this builder
         */
        public Builder optOverrides(List<String> overrides) {
            this.overrides = List.copyOf(overrides);
            return this;
        }

        /**
         * Sets the report folder (default {@code reports/reproduce/<experiment>-<preset>}).
         *
         * @param output the folder
         * @return this builder
         */
        public Builder optOutput(Path output) {
            this.output = output;
            return this;
        }

        /**
         * Reuses the per-run results of an earlier, interrupted invocation in the same folder.
         *
         * @param resume true to resume
         * @return this builder
         */
        public Builder optResume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Runs the paper preset even without a GPU.
         *
         * @param force true to run it
         * @return this builder
         */
        public Builder optForce(boolean force) {
            this.force = force;
            return this;
        }

        /**
         * Only prints the plan and its estimates.
         *
         * @param planOnly true to stop after the plan
         * @return this builder
         */
        public Builder optPlanOnly(boolean planOnly) {
            this.planOnly = planOnly;
            return this;
        }

        /**
         * Sets the receiver of progress (standard error on the command line).
         *
         * @param progress the receiver
         * @return this builder
         */
        public Builder optProgress(TrainingProgress progress) {
            this.progress = Objects.requireNonNull(progress, "progress");
            return this;
        }

        /**
         * Sets where the plan and the results are printed (default standard output).
         *
         * @param out the writer
         * @return this builder
         */
        public Builder optOut(PrintWriter out) {
            this.out = Objects.requireNonNull(out, "out");
            return this;
        }

        /**
         * Sets the command line the reports quote.
         *
         * @param command the command
         * @return this builder
         */
        public Builder optCommand(String command) {
            this.command = command;
            return this;
        }

        /**
         * Builds the reproduction.
         *
         * @return the reproduction
         */
        public Reproduction build() {
            return new Reproduction(this);
        }
    }
}
