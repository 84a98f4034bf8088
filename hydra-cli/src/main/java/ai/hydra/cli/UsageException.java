package ai.hydra.cli;

/** An error in how a command was called; reported with the usage exit code 2. */
public class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a user-facing message.
     *
     * @param message what is wrong and what to do instead
     */
    public UsageException(String message) {
        super(message);
    }
}
