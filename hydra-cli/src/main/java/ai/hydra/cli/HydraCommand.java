package ai.hydra.cli;

import io.micronaut.configuration.picocli.MicronautFactory;
import io.micronaut.context.ApplicationContext;
import io.micronaut.context.env.Environment;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

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
            ReproduceCommand.class,
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
            "  hydra reproduce table3",
            "  hydra --engine mxnet demo",
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

    @Option(
            names = "--engine",
            scope = ScopeType.INHERIT,
            paramLabel = "NAME",
            description = {
                "Deep learning engine: pytorch (default)",
                "or mxnet (CPU only; README, Engines)."
            })
    String engine;

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the command-line arguments
     */
    public static void main(String[] args) {
        int exitCode;
        try (ApplicationContext context =
                        ApplicationContext.builder(HydraCommand.class, Environment.CLI).start();
                MicronautFactory factory = new MicronautFactory(context)) {
            exitCode = commandLine(factory).execute(args);
        }
        System.exit(exitCode);
    }

    /**
     * Creates the {@code hydra} command line, with command-line errors reported as one {@code
     * error:} line and the usage exit code.
     *
     * @param factory creates the command objects (Micronaut's, or picocli's default)
     * @return the command line, ready to {@code execute}
     */
    public static CommandLine commandLine(CommandLine.IFactory factory) {
        return new CommandLine(HydraCommand.class, factory)
                .setParameterExceptionHandler(HydraCommand::reportInvalidInput);
    }

    /** Prints a wrong command line (unknown command or option, missing value) as one line. */
    private static int reportInvalidInput(ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        CommandSpec command = commandLine.getCommandSpec();
        String message = e.getMessage().replaceFirst("\\.$", "");
        if (e instanceof UnmatchedArgumentException unmatched) {
            if (!unmatched.isUnknownOption() && !unmatched.getUnmatched().isEmpty()) {
                message =
                        (command.subcommands().isEmpty()
                                        ? "unexpected argument '"
                                        : "unknown command '")
                                + unmatched.getUnmatched().get(0)
                                + "'";
            }
            if (!unmatched.getSuggestions().isEmpty()) {
                message += "; did you mean '" + unmatched.getSuggestions().get(0) + "'?";
            }
        }
        commandLine
                .getErr()
                .println(
                        "error: "
                                + Character.toLowerCase(message.charAt(0))
                                + message.substring(1)
                                + " (see "
                                + command.qualifiedName()
                                + " --help)");
        commandLine.getErr().flush();
        return command.exitCodeOnInvalidInput();
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
     * Makes the engine of {@code --engine} (or DJL's default property, else PyTorch) the one this
     * process runs on.
     *
     * @return the engine's DJL name
     * @throws UsageException if the engine is unknown or not on the class path
     */
    public String selectEngine() {
        return EngineChoice.select(engine);
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
