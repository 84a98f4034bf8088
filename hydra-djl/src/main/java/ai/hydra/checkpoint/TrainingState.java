package ai.hydra.checkpoint;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.training.Trainer;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Recurrence;
import ai.hydra.train.DjlInternals;
import ai.hydra.train.HydraSgd;
import java.util.Map;

/**
 * The live state of a HYDRA training that a checkpoint saves and restores into.
 *
 * @param trainer the trainer: its model's parameters (handed to the trainer's parameter server
 *     after a restore, see {@link DjlInternals#syncParameterServer}), and the model's manager,
 *     which owns restored optimizer buffers
 * @param optimizer the optimizer, whose momentum buffers and update counts DJL's own checkpoints
 *     omit
 * @param recurrences the hypergradient recurrences, by mode
 * @param scratch a manager on the training device for temporaries
 */
public record TrainingState(
        Trainer trainer,
        HydraSgd optimizer,
        Map<HydraMode, Recurrence> recurrences,
        NDManager scratch) {

    /**
     * Returns the trainer's model.
     *
     * @return the model
     */
    public Model model() {
        return trainer.getModel();
    }
}
