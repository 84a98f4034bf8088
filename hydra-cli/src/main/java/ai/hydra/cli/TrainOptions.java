package ai.hydra.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by the commands that train a model ({@code train}, {@code demo}). */
public class TrainOptions {

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description =
                    "Override a config value with a dotted key, e.g. --set train.epochs=2 "
                            + "--set data.trainLimit=500. Repeatable.")
    List<String> overrides = new ArrayList<>();

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Output folder. train: summary.yaml (effective config and results) "
                            + "and the trained parameters; demo/attribute: the report "
                            + "(default reports/<experiment name>).")
    Path out;

    @Option(
            names = "--progress",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "Show a progress bar on standard error when it is a terminal "
                            + "(--no-progress to hide it).")
    boolean progress;
}
