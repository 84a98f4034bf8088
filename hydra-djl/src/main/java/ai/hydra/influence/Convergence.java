package ai.hydra.influence;

/**
 * How far an iterative solve of {@code H x = v} got.
 *
 * @param iterations the iterations run
 * @param residual the worst right-hand side's relative residual {@code |v - H x| / |v|}
 * @param tolerance the residual the solver aimed for
 */
public record Convergence(int iterations, double residual, double tolerance) {

    /**
     * Tells whether every right-hand side reached the tolerance.
     *
     * @return true if the solve converged
     */
    public boolean converged() {
        return residual < tolerance;
    }
}
