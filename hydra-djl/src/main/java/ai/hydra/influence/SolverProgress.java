package ai.hydra.influence;

/**
 * Receives progress reports from long inverse-Hessian-vector solves, so that callers can show
 * progress or log it; the library itself stays free of any user interface.
 */
@FunctionalInterface
public interface SolverProgress {

    /** A listener that ignores every report. */
    SolverProgress NONE = (stage, done, total, metric) -> {};

    /**
     * Reports that {@code done} of {@code total} units of work are finished.
     *
     * @param stage what is running, e.g. {@code "lissa repeat 3/10"} or {@code "cg"}
     * @param done units finished (iterations, Hessian columns, gradient rows)
     * @param total units planned (an upper bound for iterative solvers that may stop early)
     * @param metric a stage-specific figure: the estimate's norm for LiSSA, the worst relative
     *     residual for conjugate gradient, NaN where none applies
     */
    void update(String stage, long done, long total, double metric);
}
