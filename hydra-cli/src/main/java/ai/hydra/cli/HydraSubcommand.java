package ai.hydra.cli;

import ai.hydra.experiment.ConfigException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Base class of the {@code hydra} subcommands: turns exceptions into {@code error: <message>} lines
 * with exit code 2 (usage or configuration) or 1 (runtime failure); {@code --debug} adds the stack
 * trace.
 */
@Command
public abstract class HydraSubcommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @ParentCommand HydraCommand hydra;

    private String engine;

    /** {@inheritDoc} */
    @Override
    public final Integer call() {
        try {
            engine = hydra != null ? hydra.selectEngine() : EngineChoice.select(null);
            return execute();
        } catch (UsageException | ConfigException e) {
            return fail(e, CommandLine.ExitCode.USAGE);
        } catch (Exception e) {
            return fail(e, CommandLine.ExitCode.SOFTWARE);
        }
    }

    /**
     * Does the command's work.
     *
     * @return the exit code, normally 0
     * @throws Exception on failure; the message is shown to the user
     */
    protected abstract int execute() throws Exception;

    /**
     * Returns the deep learning engine this command runs on.
     *
     * @return the engine's DJL name, e.g. "PyTorch"
     */
    protected String engine() {
        return engine;
    }

    /**
     * Returns the writer for results (standard output unless redirected, e.g. in tests).
     *
     * @return the output writer
     */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /**
     * Returns the writer for messages and errors.
     *
     * @return the error writer
     */
    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    private int fail(Exception e, int exitCode) {
        PrintWriter err = err();
        err.println("error: " + describe(e));
        boolean debug = hydra != null && hydra.isDebug();
        if (debug) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            err.print(trace);
        } else if (exitCode == CommandLine.ExitCode.SOFTWARE) {
            err.println("(run with --debug for the stack trace)");
        }
        err.flush();
        return exitCode;
    }

    /**
     * The message of {@code e}; for exceptions that only wrap another (no message of their own, or
     * the cause's {@code toString()}), the message of the cause.
     */
    static String describe(Throwable e) {
        Throwable shown = e;
        while (shown.getCause() != null
                && (shown.getMessage() == null
                        || shown.getMessage().equals(shown.getCause().toString()))) {
            shown = shown.getCause();
        }
        return message(shown);
    }

    private static String message(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
