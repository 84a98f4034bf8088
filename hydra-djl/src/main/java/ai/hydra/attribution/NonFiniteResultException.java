package ai.hydra.attribution;

/**
 * Thrown instead of writing or reporting contributions that hold NaN or infinite values: they mean
 * the training or the hypergradients diverged, and a file of them would look like a result.
 */
public final class NonFiniteResultException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final long count;

    /**
     * Creates the exception.
     *
     * @param message what holds how many non-finite values, and what to do
     * @param count the number of NaN or infinite values
     */
    public NonFiniteResultException(String message, long count) {
        super(message);
        this.count = count;
    }

    /**
     * Returns how many values are NaN or infinite.
     *
     * @return the count
     */
    public long count() {
        return count;
    }
}
