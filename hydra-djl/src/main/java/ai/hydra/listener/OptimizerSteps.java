package ai.hydra.listener;

import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.Trainers;
import ai.hydra.train.UpdateLog;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Checks that a trainer runs the {@link HydraSgd} a listener was given, once per batch, with the
 * learning rate the listener assumed: what every listener that differentiates or replays DJL's
 * update relies on.
 */
final class OptimizerSteps {

    private final HydraSgd optimizer;
    private final String listener;
    private int firstNumUpdate = -1;
    private int steps;
    private float plannedRate;

    /**
     * Creates the check.
     *
     * @param optimizer the optimizer the listener was built with
     * @param listener the listener's name, for messages
     */
    OptimizerSteps(HydraSgd optimizer, String listener) {
        this.optimizer = optimizer;
        this.listener = listener;
    }

    /**
     * Refuses a trainer on several devices or with another optimizer than the listener's.
     *
     * @param trainer the trainer
     */
    void requireTrainer(Trainer trainer) {
        if (trainer.getDevices().length != 1) {
            throw new IllegalStateException(
                    "HYDRA supports training on one device; this trainer uses "
                            + Arrays.toString(trainer.getDevices())
                            + ". Pass a single device to DefaultTrainingConfig.optDevices(...).");
        }
        Trainers.optimizerOf(trainer)
                .filter(used -> used != optimizer)
                .ifPresent(
                        used -> {
                            throw new IllegalStateException(
                                    "The trainer uses "
                                            + used
                                            + ", not the HydraSgd given to "
                                            + listener
                                            + ". HYDRA differentiates DJL's Sgd update: build it"
                                            + " with HydraSgd.builder() (other optimizers such as"
                                            + " Adam, and gradient clipping, are not supported)"
                                            + " and pass the same instance to"
                                            + " DefaultTrainingConfig.optOptimizer(...).");
                        });
    }

    /**
     * Verifies the previous step, then returns the learning rate of the step about to run.
     *
     * @param parameters the trainable parameters
     * @return the learning rate every parameter gets at the next update
     */
    float nextStep(List<Parameter> parameters) {
        if (firstNumUpdate < 0) {
            firstNumUpdate = optimizer.getUpdateLog().getLatestNumUpdate();
        }
        verifyPreviousStep();
        steps++;
        int numUpdate = firstNumUpdate + steps;
        float rate = Float.NaN;
        for (Parameter parameter : parameters) {
            float value = optimizer.learningRate(parameter.getId(), numUpdate);
            if (!Float.isNaN(rate) && value != rate) {
                throw new IllegalStateException(
                        "The learning-rate tracker gives different rates to different parameters"
                                + " (update "
                                + numUpdate
                                + "): HYDRA supports one learning rate per step.");
            }
            rate = value;
        }
        plannedRate = rate;
        return rate;
    }

    /** Checks that the optimizer ran the previous step once, with the learning rate assumed. */
    void verifyPreviousStep() {
        if (steps == 0) {
            return;
        }
        UpdateLog log = optimizer.getUpdateLog();
        int expected = firstNumUpdate + steps;
        if (log.getLatestNumUpdate() == firstNumUpdate) {
            throw new IllegalStateException(
                    "The optimizer given to "
                            + listener
                            + " did not run: pass the same HydraSgd to"
                            + " DefaultTrainingConfig.optOptimizer(...), and call trainer.step()"
                            + " after every EasyTrain.trainBatch(...).");
        }
        if (log.getLatestNumUpdate() != expected) {
            throw new IllegalStateException(
                    "The optimizer is at update "
                            + log.getLatestNumUpdate()
                            + " but "
                            + listener
                            + " saw "
                            + steps
                            + " training batches since update "
                            + firstNumUpdate
                            + ": call trainer.step() exactly once after every"
                            + " EasyTrain.trainBatch(...).");
        }
        for (Map.Entry<String, Float> used : log.getLatestRates().entrySet()) {
            if (used.getValue() != plannedRate) {
                throw new IllegalStateException(
                        "The optimizer used learning rate "
                                + used.getValue()
                                + " for "
                                + used.getKey()
                                + " at update "
                                + expected
                                + ", "
                                + listener
                                + " assumed "
                                + plannedRate
                                + ": the learning-rate tracker must be a function of the update"
                                + " count.");
            }
        }
    }
}
