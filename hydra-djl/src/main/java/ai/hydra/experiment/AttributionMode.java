package ai.hydra.experiment;

import ai.hydra.recurrence.HydraMode;
import java.util.Optional;

/**
 * How {@code hydra attribute} computes contributions ({@code hydra.mode}): with the listener's
 * recurrences, forwards during training, or exactly for every training sample by reverse-mode
 * replay of the recorded training.
 */
public enum AttributionMode {
    /** The paper's fast approximation (the listener's Hessian-free recurrence). */
    HESSIAN_FREE(HydraMode.HESSIAN_FREE),
    /** The exact forward recurrence, one Hessian product per tracked sample and step. */
    HESSIAN_AWARE(HydraMode.HESSIAN_AWARE),
    /** Both recurrences, one report each. */
    BOTH(HydraMode.BOTH),
    /**
     * Exact contributions of every training sample by reverse-mode replay: the training is
     * recorded, then swept backwards once (one Hessian product per step and test functional).
     */
    EXACT(null);

    private final HydraMode listenerMode;

    AttributionMode(HydraMode listenerMode) {
        this.listenerMode = listenerMode;
    }

    /**
     * Returns the listener mode that computes this mode's hypergradients during training.
     *
     * @return the mode, or empty for {@link #EXACT} (no listener: a recorder and a replay)
     */
    public Optional<HydraMode> listenerMode() {
        return Optional.ofNullable(listenerMode);
    }
}
