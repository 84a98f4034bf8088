package ai.hydra.cli;

import io.micronaut.configuration.picocli.PicocliRunner;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code hydra} command: training-data attribution for Deep Java Library.
 *
 * <p>Each task is a subcommand class; to add one, write a {@link HydraSubcommand} and list it in
 * {@code subcommands} below.
 */
@Command(
        name = "hydra",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "HYDRA training-data attribution (hypergradient data relevance) for Deep Java Library.",
            ""
        },
        subcommands = {
            DemoCommand.class,
            AttributeCommand.class,
            TrainCommand.class,
            ModelInfoCommand.class,
            CommandLine.HelpCommand.class
        },
        footer = {
            "",
            "Examples:",
            "  hydra demo",
            "  hydra train --config configs/lenet5-fashion-bundled.yaml --set train.epochs=1",
            "  hydra model-info --model densenet-bc-40",
            "",
            "Exit codes: 0 success, 1 runtime failure, 2 invalid usage or configuration."
        })
public class HydraCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(
            names = "--debug",
            scope = ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean debug;

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the command-line arguments
     */
    public static void main(String[] args) {
        System.exit(PicocliRunner.execute(HydraCommand.class, args));
    }

    /** Without a subcommand, prints the usage and fails with the usage exit code. */
    @Override
    public Integer call() {
        CommandLine commandLine = spec.commandLine();
        commandLine.getErr().println("error: missing command; choose one of the commands below");
        commandLine.usage(commandLine.getErr());
        return CommandLine.ExitCode.USAGE;
    }

    /**
     * Returns true if {@code --debug} was given.
     *
     * @return whether to print stack traces
     */
    public boolean isDebug() {
        return debug;
    }
}
