package ai.hydra.recurrence;

import java.util.List;

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

    /**
     * Returns the recurrences this mode runs, Hessian-free first.
     *
     * @return HESSIAN_FREE and/or HESSIAN_AWARE
     */
    public List<HydraMode> modes() {
        return this == BOTH ? List.of(HESSIAN_FREE, HESSIAN_AWARE) : List.of(this);
    }
}
