package ai.hydra.influence;

/**
 * Thrown when an iterative solver reaches its iteration cap without reaching its tolerance: its
 * answer is not a solution (conjugate gradient on LeNet-5 was seen to stop at a relative residual
 * of 0.53), so it is refused unless the caller allowed unconverged answers.
 */
public final class SolverNotConvergedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final transient Convergence convergence;

    /**
     * Creates the exception.
     *
     * @param message what did not converge and what to do
     * @param convergence where the solver stopped
     */
    public SolverNotConvergedException(String message, Convergence convergence) {
        super(message);
        this.convergence = convergence;
    }

    /**
     * Returns where the solver stopped.
     *
     * @return the iterations and the residual reached
     */
    public Convergence convergence() {
        return convergence;
    }
}
