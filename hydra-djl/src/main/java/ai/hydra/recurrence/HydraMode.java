package ai.hydra.recurrence;

/** Which hypergradient recurrence to run. */
public enum HydraMode {
    /** The paper's fast approximation: the Hessian term is dropped. */
    HESSIAN_FREE,
    /** The exact recurrence, with a Hessian-vector product per tracked sample per step. */
    HESSIAN_AWARE,
    /** Both at once, to measure the approximation. */
    BOTH;

    /**
     * Whether this mode runs the Hessian-free recurrence.
     *
     * @return true for HESSIAN_FREE and BOTH
     */
    public boolean runsHessianFree() {
        return this != HESSIAN_AWARE;
    }

    /**
     * Whether this mode runs the Hessian-aware recurrence.
     *
     * @return true for HESSIAN_AWARE and BOTH
     */
    public boolean runsHessianAware() {
        return this != HESSIAN_FREE;
    }
}
