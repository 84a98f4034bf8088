package ai.hydra.train;

import ai.djl.training.tracker.Tracker;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A learning-rate tracker that forwards to the user's schedule and records what the optimizer asked
 * for, so that the hypergradient recurrence can verify it used the same learning rates, the same
 * update counts, and that the trainer really runs the optimizer it was given.
 */
public final class UpdateLog implements Tracker {

    private final Tracker schedule;
    private final Map<String, Float> latestRates = new LinkedHashMap<>();
    private int latestNumUpdate;

    UpdateLog(Tracker schedule) {
        this.schedule = schedule;
    }

    /** {@inheritDoc} */
    @Override
    public float getNewValue(int numUpdate) {
        return getNewValue("", numUpdate);
    }

    /** {@inheritDoc} */
    @Override
    public synchronized float getNewValue(String parameterId, int numUpdate) {
        float value = schedule.getNewValue(parameterId, numUpdate);
        if (numUpdate != latestNumUpdate) {
            latestRates.clear();
            latestNumUpdate = numUpdate;
        }
        latestRates.put(parameterId, value);
        return value;
    }

    /**
     * Sets the update count reached, when an optimizer's state is restored from a checkpoint.
     *
     * @param numUpdate the update count of the last update before the checkpoint
     */
    synchronized void restore(int numUpdate) {
        latestRates.clear();
        latestNumUpdate = numUpdate;
    }

    /**
     * Returns the update count of the most recent optimizer call (0 before any).
     *
     * @return the latest update count
     */
    public synchronized int getLatestNumUpdate() {
        return latestNumUpdate;
    }

    /**
     * Returns the learning rate used for each parameter at the latest update count.
     *
     * @return a copy of parameter id to learning rate
     */
    public synchronized Map<String, Float> getLatestRates() {
        return new LinkedHashMap<>(latestRates);
    }
}
