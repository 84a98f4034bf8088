package ai.hydra.cli;

import ai.hydra.reproduce.Reproduction;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hydra reproduce}: runs one of the HYDRA paper's experiments (or the mislabeled-sample
 * benchmark) from its definition in {@code configs/reproduce/}; the work is done by {@link
 * Reproduction} in hydra-bench.
 */
@Command(
        name = "reproduce",
        mixinStandardHelpOptions = true,
        description = {
            "Reproduce an experiment of the HYDRA paper from configs/reproduce/:",
            "  fig2     inter-class heatmaps (MNIST, Fashion-MNIST, CIFAR-10)",
            "  fig3-5   approximation error, sign errors, Spearman vs Hessian-aware",
            "  table3   clean 80%% permuted labels, retrain, accuracy",
            "  table4   cluster contribution vectors, Jaccard (50%% wrong labels)",
            "  speedup  Hessian-aware vs Hessian-free wall time",
            "  noisy    mislabeled-sample detection vs today's methods",
            "  all      every experiment, one summary",
            "Prints the plan with estimated time and memory, trains every run once",
            "per seed (progress on standard error), and writes summary.md, raw",
            "values (CSV/JSON) and plots to --out. See docs/reproduction.md."
        },
        footer = {
            "",
            "Examples:",
            "  hydra reproduce table3",
            "  hydra reproduce noisy --set runs=[mnist-mlp] --set seeds=[1]",
            "  hydra reproduce fig3-5 --preset paper --plan"
        })
public class ReproduceCommand extends HydraSubcommand {

    @Parameters(
            index = "0",
            paramLabel = "EXPERIMENT",
            description = "fig2, fig3-5, table3, table4, speedup, noisy or all")
    String experiment;

    @Option(
            names = "--preset",
            paramLabel = "NAME",
            defaultValue = "quick",
            description =
                    "quick (default: at most about 20 minutes on 2 CPU cores), paper (the paper's"
                            + " scale, meant for a GPU) or another preset of the file.")
    String preset;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description = "Report folder (default reports/reproduce/<experiment>-<preset>).")
    Path out;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description =
                    "Override a value: seeds=[1], runs=[mnist], settings.heldOut=500,"
                            + " train.epochs=2 (every run), perRun.mnist.train.epochs=2."
                            + " Repeatable.")
    List<String> overrides = new ArrayList<>();

    @Option(
            names = "--resume",
            description =
                    "Continue an interrupted reproduction in the same --out folder: runs whose"
                            + " results are there are not trained again.")
    boolean resume;

    @Option(names = "--plan", description = "Only print the plan and its estimates.")
    boolean plan;

    @Option(
            names = "--force",
            description = "Run the paper preset even on a machine without a GPU.")
    boolean force;

    @Option(
            names = "--progress",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Show progress bars on standard error when it is a terminal (--no-progress"
                            + " to hide them).")
    boolean progress;

    @Override
    protected int execute() throws Exception {
        String name = experiment.trim().toLowerCase(Locale.ROOT);
        if (!Reproduction.names().contains(name)) {
            throw new UsageException(
                    "unknown experiment '"
                            + experiment
                            + "'; choose one of "
                            + String.join(", ", Reproduction.names()));
        }
        Reproduction.builder()
                .optPreset(preset)
                .optOverrides(overrides)
                .optOutput(out)
                .optResume(resume)
                .optPlanOnly(plan)
                .optForce(force)
                .optProgress(
                        new ConsoleProgress(
                                err(), err(), progress && ConsoleProgress.interactive()))
                .optOut(out())
                .optCommand(commandLine())
                .build()
                .run(name);
        return 0;
    }

    private String commandLine() {
        StringBuilder text = new StringBuilder("hydra reproduce ").append(experiment);
        if (!"quick".equals(preset)) {
            text.append(" --preset ").append(preset);
        }
        for (String override : overrides) {
            text.append(" --set ").append(override);
        }
        return text.toString();
    }
}
