package ai.hydra.influence;

/** Thrown when a LiSSA recursion diverges: its configuration cannot invert the Hessian. */
public final class LissaDivergenceException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception.
     *
     * @param message what diverged and how to fix it
     */
    public LissaDivergenceException(String message) {
        super(message);
    }
}
