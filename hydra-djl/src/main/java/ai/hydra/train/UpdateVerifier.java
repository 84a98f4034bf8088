package ai.hydra.train;

import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.hydra.io.Sha256;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Plans the learning rate of each optimizer step before it runs and checks afterwards that the
 * optimizer ran it with that rate: a recurrence that differentiates DJL's update must assume
 * exactly the update that happened.
 *
 * <p>Steps are counted from 1 since {@link #start()}; step t is the optimizer's update {@code
 * firstNumUpdate + t}.
 */
public final class UpdateVerifier {

    private final HydraSgd optimizer;
    private final List<String> parameterIds;
    private final String user;
    private int firstNumUpdate;
    private float plannedRate = Float.NaN;

    /**
     * Creates a verifier.
     *
     * @param optimizer the optimizer the trainer uses
     * @param parameterIds the ids of the parameters it updates
     * @param user the listener that relies on the checks, named in messages (e.g. HydraListener)
     */
    public UpdateVerifier(HydraSgd optimizer, List<String> parameterIds, String user) {
        this.optimizer = optimizer;
        this.parameterIds = List.copyOf(parameterIds);
        this.user = user;
    }

    /**
     * Refuses, when training starts, a trainer on several devices or one that updates its
     * parameters with another optimizer than the one a listener was given.
     *
     * @param trainer the trainer
     * @param optimizer the optimizer the listener was built with
     * @param user the listener, named in messages
     * @throws IllegalStateException if the trainer cannot be followed
     */
    public static void requireTrainer(Trainer trainer, HydraSgd optimizer, String user) {
        if (trainer.getDevices().length != 1) {
            throw new IllegalStateException(
                    "HYDRA supports training on one device; this trainer uses "
                            + Arrays.toString(trainer.getDevices())
                            + ". Pass a single device to DefaultTrainingConfig.optDevices(...).");
        }
        Optimizer used =
                DjlInternals.optimizerOf(trainer)
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "HYDRA cannot see which optimizer the "
                                                        + trainer.getManager()
                                                                .getEngine()
                                                                .getEngineName()
                                                        + " engine's parameter server updates"
                                                        + " with, so it cannot check that it"
                                                        + " differentiates the update that runs:"
                                                        + " hydra-djl supports DJL's PyTorch and"
                                                        + " MXNet engines."));
        if (used != optimizer) {
            throw new IllegalStateException(
                    "The trainer uses "
                            + used
                            + ", not the HydraSgd given to "
                            + user
                            + ". HYDRA differentiates DJL's Sgd update: build it with"
                            + " HydraSgd.builder() (other optimizers such as Adam, and gradient"
                            + " clipping, are not supported) and pass the same instance to"
                            + " DefaultTrainingConfig.optOptimizer(...).");
        }
    }

    /** Counts steps from the optimizer's current update count. */
    public void start() {
        firstNumUpdate = optimizer.getUpdateLog().getLatestNumUpdate();
    }

    /**
     * Returns the optimizer's update count when counting started.
     *
     * @return the update count before step 1
     */
    public int firstNumUpdate() {
        return firstNumUpdate;
    }

    /**
     * Continues counting from a checkpoint.
     *
     * @param firstNumUpdate the update count before step 1 of the checkpointed run
     * @param steps the steps the checkpointed run had taken
     * @throws IllegalStateException if the optimizer is not at update {@code firstNumUpdate +
     *     steps}
     */
    public void restore(int firstNumUpdate, int steps) {
        this.firstNumUpdate = firstNumUpdate;
        int latest = optimizer.getUpdateLog().getLatestNumUpdate();
        if (latest != firstNumUpdate + steps) {
            throw new IllegalStateException(
                    "The restored optimizer is at update "
                            + latest
                            + " but its hypergradient state is at step "
                            + steps
                            + " after update "
                            + firstNumUpdate
                            + ": the checkpoint's files do not belong together");
        }
    }

    /**
     * Returns the learning rate step {@code step} will use, which must be the same for every
     * parameter, and remembers it for {@link #verify}.
     *
     * @param step the 1-based step
     * @return the learning rate
     * @throws IllegalStateException if parameters get different rates
     */
    public float plan(int step) {
        int numUpdate = firstNumUpdate + step;
        float rate = Float.NaN;
        for (String id : parameterIds) {
            float value = optimizer.learningRate(id, numUpdate);
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

    /**
     * Checks that the optimizer has run exactly {@code steps} updates since {@link #start()}, the
     * last one with the rate {@link #plan} gave.
     *
     * @param steps the steps seen so far (0: nothing to check)
     * @throws IllegalStateException if the optimizer did not run, ran more or fewer updates, or
     *     used another learning rate
     */
    public void verify(int steps) {
        if (steps == 0) {
            return;
        }
        UpdateLog log = optimizer.getUpdateLog();
        int expected = firstNumUpdate + steps;
        if (log.getLatestNumUpdate() == firstNumUpdate) {
            throw new IllegalStateException(
                    "The optimizer given to "
                            + user
                            + " did not run: pass the same HydraSgd to"
                            + " DefaultTrainingConfig.optOptimizer(...), and call trainer.step()"
                            + " after every EasyTrain.trainBatch(...).");
        }
        if (log.getLatestNumUpdate() != expected) {
            throw new IllegalStateException(
                    "The optimizer is at update "
                            + log.getLatestNumUpdate()
                            + " but "
                            + user
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
                                + user
                                + " assumed "
                                + plannedRate
                                + ": the learning-rate tracker must be a function of the update"
                                + " count.");
            }
        }
    }

    /**
     * Fingerprints the learning rates of a range of steps, so that a run resumed from a checkpoint
     * can check that its schedule gave the steps already taken the same rates.
     *
     * @param first the optimizer's update count before step 1
     * @param steps the steps taken
     * @return the SHA-256 (hex) of the rates of updates {@code first + 1 .. first + steps}
     */
    public String rateHistory(int first, int steps) {
        MessageDigest digest = Sha256.digest();
        ByteBuffer rate = ByteBuffer.allocate(Float.BYTES);
        for (int step = 1; step <= steps; step++) {
            rate.clear();
            rate.putFloat(optimizer.learningRate(parameterIds.get(0), first + step));
            digest.update(rate.array());
        }
        return Sha256.hex(digest);
    }
}
