package ai.hydra.checkpoint;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Recurrence;
import ai.hydra.train.HydraSgd;
import java.util.Map;

/**
 * The live state of a HYDRA training that a checkpoint saves and restores into.
 *
 * @param model the model: its block's parameters, and its manager, which owns restored optimizer
 *     buffers
 * @param optimizer the optimizer, whose momentum buffers and update counts DJL's own checkpoints
 *     omit
 * @param recurrences the hypergradient recurrences, by mode
 * @param scratch a manager on the training device for temporaries
 */
public record TrainingState(
        Model model,
        HydraSgd optimizer,
        Map<HydraMode, Recurrence> recurrences,
        NDManager scratch) {}
