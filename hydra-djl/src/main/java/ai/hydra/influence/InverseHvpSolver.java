package ai.hydra.influence;

import ai.djl.ndarray.NDArray;

/**
 * Solves {@code H x = v} for the damped, regularized training Hessian {@code H} of an {@link
 * InfluenceHessian}, for several right-hand sides at once.
 *
 * <p>Implementations: {@link LissaSolver} (stochastic, scales to any model), {@link
 * ConjugateGradientSolver} (deterministic, needs a positive-definite {@code H}) and {@link
 * ExactSolver} (explicit Hessian and a dense solve, tiny models only).
 */
public interface InverseHvpSolver {

    /**
     * Returns a short name for reports, e.g. {@code lissa}.
     *
     * @return the name
     */
    String name();

    /**
     * Computes {@code H^-1 v} for each row {@code v} of {@code rhs}.
     *
     * @param hessian the operator {@code H}
     * @param rhs right-hand sides, shape (k, |w|); their manager receives the result
     * @param progress receives progress reports
     * @return the solutions, shape (k, |w|), in the Hessian's data type
     */
    NDArray solve(InfluenceHessian hessian, NDArray rhs, SolverProgress progress);

    /**
     * Computes {@code H^-1 v} without progress reports.
     *
     * @param hessian the operator {@code H}
     * @param rhs right-hand sides, shape (k, |w|)
     * @return the solutions, shape (k, |w|)
     */
    default NDArray solve(InfluenceHessian hessian, NDArray rhs) {
        return solve(hessian, rhs, SolverProgress.NONE);
    }
}
