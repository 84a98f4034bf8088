package ai.hydra.experiment;

/**
 * Thrown when an experiment configuration cannot be read or holds an invalid value.
 *
 * <p>The message always names the offending key, where it came from (the YAML file or a {@code
 * --set} override) and what would be accepted instead, so that it can be shown to a user as is.
 */
public class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a user-facing message.
     *
     * @param message what is wrong and how to fix it
     */
    public ConfigException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a user-facing message and the underlying cause.
     *
     * @param message what is wrong and how to fix it
     * @param cause the underlying error
     */
    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
