package ai.hydra.train;

import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.FactorTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Preconditions;

/**
 * Learning-rate schedules as DJL {@link Tracker}s, counted in optimizer updates (1-based).
 *
 * <p>Every schedule here is a pure function of the update count. DJL's {@code MultiFactorTracker}
 * keeps state that only moves forward, which is unsafe when the value of an update is asked for
 * more than once (the hypergradient recurrence asks before the optimizer does), so step schedules
 * are implemented here instead.
 */
public final class LearningRates {

    private LearningRates() {}

    /**
     * A constant learning rate.
     *
     * @param value the learning rate
     * @return the tracker
     */
    public static Tracker constant(float value) {
        return Tracker.fixed(value);
    }

    /**
     * Multiplies the learning rate by {@code factor} after every {@code everyUpdates} updates, up
     * to {@code totalUpdates}.
     *
     * @param base the initial learning rate
     * @param factor the decay factor
     * @param everyUpdates updates between decays (e.g. steps per epoch)
     * @param totalUpdates the length of training in updates
     * @return the tracker
     */
    public static Tracker step(float base, float factor, int everyUpdates, int totalUpdates) {
        Preconditions.checkArgument(everyUpdates > 0, "step schedule needs everyUpdates > 0");
        int count = Math.max(0, (totalUpdates - 1) / everyUpdates);
        int[] milestones = new int[count];
        for (int i = 0; i < count; i++) {
            milestones[i] = (i + 1) * everyUpdates;
        }
        return multiStep(base, factor, milestones);
    }

    /**
     * Multiplies the learning rate by {@code factor} once the update count passes each milestone:
     * update {@code milestones[0] + 1} is the first with the decayed rate.
     *
     * @param base the initial learning rate
     * @param factor the decay factor
     * @param milestones increasing update counts
     * @return the tracker
     */
    public static Tracker multiStep(float base, float factor, int... milestones) {
        for (int i = 1; i < milestones.length; i++) {
            if (milestones[i] <= milestones[i - 1]) {
                throw new IllegalArgumentException("milestones must increase");
            }
        }
        int[] copy = milestones.clone();
        return numUpdate -> {
            int passed = 0;
            while (passed < copy.length && numUpdate > copy[passed]) {
                passed++;
            }
            return (float) (base * Math.pow(factor, passed));
        };
    }

    /**
     * Cosine decay from {@code base} to {@code finalValue} over {@code totalUpdates}.
     *
     * @param base the initial learning rate
     * @param finalValue the final learning rate
     * @param totalUpdates the number of updates
     * @return the tracker
     */
    public static Tracker cosine(float base, float finalValue, int totalUpdates) {
        return CosineTracker.builder()
                .setBaseValue(base)
                .optFinalValue(finalValue)
                .setMaxUpdates(totalUpdates)
                .build();
    }

    /**
     * Exponential decay by {@code factor} every update (DJL's {@code FactorTracker}).
     *
     * @param base the initial learning rate
     * @param factor the per-update factor
     * @return the tracker
     */
    public static Tracker exponential(float base, float factor) {
        return FactorTracker.builder().setBaseValue(base).setFactor(factor).build();
    }
}
