package ai.hydra.replay;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.hydra.store.StorePlanner;
import ai.hydra.train.HydraSgd;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A training run recorded for replay: every step's batch and learning rate, checkpoints of the
 * weights and momentum buffers every K steps, and the final weights.
 *
 * <p>Checkpoints are taken before step {@code t+1} whenever {@code t} (the steps done) is a
 * multiple of K; step records cost a few bytes per sample and step. With a fixed interval K the
 * checkpoints grow with the run; with a memory budget instead, K starts at 1 (every step stored,
 * nothing to recompute) and doubles, dropping every other checkpoint, whenever the next one would
 * exceed the budget, so that the checkpoints stay within it and K ends between {@code T c / budget}
 * and twice that ({@code c} the bytes of one checkpoint): a sweep then holds at most K weight
 * vectors besides. Filled by a recorder ({@code ai.hydra.listener.TrajectoryRecorder}); read by
 * {@link TrajectoryReplay} and {@link ReverseSweep}.
 */
public final class Trajectory implements AutoCloseable {

    private final HydraSgd optimizer;
    private final long trainingSetSize;
    private final TrajectoryStore store;
    private final long budget;
    private final List<StepRecord> steps = new ArrayList<>();
    private int interval;
    private NDArray finalWeights;

    /**
     * Starts an empty recording.
     *
     * @param optimizer the optimizer the training uses (its update is replayed)
     * @param trainingSetSize N, the size of the training set
     * @param store where checkpoints go
     * @param interval the fixed checkpoint interval K, or 0 to adapt K to the budget
     * @param budget the bytes checkpoints may take when {@code interval} is 0
     */
    public Trajectory(
            HydraSgd optimizer,
            long trainingSetSize,
            TrajectoryStore store,
            int interval,
            long budget) {
        if (interval < 0) {
            throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + interval);
        }
        if (interval == 0 && budget <= 0) {
            throw new IllegalArgumentException(
                    "a memory budget for checkpoints must be positive, got " + budget);
        }
        this.optimizer = optimizer;
        this.trainingSetSize = trainingSetSize;
        this.store = store;
        this.interval = interval == 0 ? 1 : interval;
        this.budget = interval == 0 ? budget : Long.MAX_VALUE;
    }

    /**
     * Whether the recorder must store a checkpoint before the next step.
     *
     * @return true if the steps done are a multiple of the current interval
     */
    public boolean wantsCheckpoint() {
        return finalWeights == null && steps.size() % interval == 0;
    }

    /**
     * Stores the checkpoint before the next step, thinning older ones if the budget requires.
     *
     * @param weights the flat weights now
     * @param momentum the flat momentum buffers now, or null without momentum
     * @throws IllegalStateException if a single checkpoint exceeds the budget
     */
    public void checkpoint(NDArray weights, NDArray momentum) {
        requireRecording();
        long size =
                weights.size() * weights.getDataType().getNumOfBytes() * (momentum == null ? 1 : 2);
        if (size > budget) {
            throw new IllegalStateException(
                    "One checkpoint of the trajectory takes "
                            + StorePlanner.human(size)
                            + " but the memory budget for checkpoints is "
                            + StorePlanner.human(budget)
                            + ": raise the budget (a few dozen checkpoints are needed) or store"
                            + " them on disk.");
        }
        // thin until it fits, or until this step is no longer on the (doubled) interval
        while (store.bytes() + size > budget && steps.size() % interval == 0) {
            thin();
        }
        if (steps.size() % interval == 0) {
            store.put(steps.size(), weights, momentum);
        }
    }

    /** Doubles the interval and drops the checkpoints that are no longer on it. */
    private void thin() {
        interval *= 2;
        for (int step : store.steps()) {
            if (step % interval != 0) {
                store.remove(step);
            }
        }
    }

    /**
     * Records a step that is about to run.
     *
     * @param step what the step uses
     */
    public void addStep(StepRecord step) {
        requireRecording();
        if (step.indices().length == 0) {
            throw new IllegalArgumentException("A training step with an empty batch");
        }
        for (int index : step.indices()) {
            if (index < 0 || index >= trainingSetSize) {
                throw new IllegalArgumentException(
                        "A batch holds dataset index "
                                + index
                                + " outside the training set [0, "
                                + trainingSetSize
                                + ")");
            }
        }
        if (steps.isEmpty() && !store.hasStep(0)) {
            throw new IllegalStateException("The first step needs a checkpoint before it");
        }
        steps.add(step);
    }

    /**
     * Ends the recording with the weights after the last step.
     *
     * @param weights the final flat weights {@code w_T} (copied)
     * @param manager a manager on the training device that lives as long as this trajectory
     */
    public void finish(NDArray weights, NDManager manager) {
        requireRecording();
        if (steps.isEmpty()) {
            throw new IllegalStateException("No training step was recorded");
        }
        finalWeights = weights.duplicate();
        finalWeights.attach(manager);
    }

    private void requireRecording() {
        if (finalWeights != null) {
            throw new IllegalStateException("The trajectory is complete; nothing can be added");
        }
    }

    /**
     * Whether the recording has ended ({@link #finish}).
     *
     * @return true once the final weights are stored
     */
    public boolean isComplete() {
        return finalWeights != null;
    }

    /**
     * Returns T, the number of recorded steps.
     *
     * @return the step count
     */
    public int size() {
        return steps.size();
    }

    /**
     * Returns the record of a step.
     *
     * @param step the 1-based step number t (it runs from {@code w_{t-1}} to {@code w_t})
     * @return its batch and learning rate
     */
    public StepRecord step(int step) {
        return steps.get(step - 1);
    }

    /**
     * Returns every step record, in order.
     *
     * @return an unmodifiable list; element t-1 is step t
     */
    public List<StepRecord> steps() {
        return Collections.unmodifiableList(steps);
    }

    /**
     * Returns the steps at which checkpoints are stored, ascending (0 first).
     *
     * @return the checkpoint steps
     */
    public int[] checkpointSteps() {
        return store.steps();
    }

    /**
     * Whether a checkpoint is stored after a step.
     *
     * @param step the number of steps done
     * @return true if stored
     */
    public boolean hasCheckpoint(int step) {
        return store.hasStep(step);
    }

    /**
     * Reads a checkpoint.
     *
     * @param manager the manager of the result
     * @param step a stored checkpoint step
     * @return the flat weights, then the flat momentum buffers if the optimizer has momentum
     */
    public NDList checkpointAt(NDManager manager, int step) {
        return store.get(manager, step);
    }

    /**
     * Returns the weights after the last step.
     *
     * @return {@code w_T}, in the training data type
     * @throws IllegalStateException if the recording has not ended
     */
    public NDArray finalWeights() {
        if (finalWeights == null) {
            throw new IllegalStateException(
                    "The trajectory is still being recorded: finish the training first");
        }
        return finalWeights;
    }

    /**
     * Returns the data type the training ran in.
     *
     * @return the type of the weights
     */
    public DataType dataType() {
        return finalWeights().getDataType();
    }

    /**
     * Returns the optimizer whose update is replayed.
     *
     * @return the optimizer
     */
    public HydraSgd optimizer() {
        return optimizer;
    }

    /**
     * Returns N, the training-set size.
     *
     * @return N
     */
    public long trainingSetSize() {
        return trainingSetSize;
    }

    /**
     * Returns the checkpoint interval K reached (with a budget it may have doubled during the run).
     *
     * @return K
     */
    public int interval() {
        return interval;
    }

    /**
     * Describes what was stored, how much and where, for the run's output.
     *
     * @return e.g. "30,000 batch indices (128.2 KiB); checkpoints every 1 step: 471 checkpoints,
     *     221.7 MiB, on device cpu()"
     */
    public String describe() {
        long indices = steps.stream().mapToLong(s -> s.indices().length).sum();
        return String.format(
                Locale.ROOT,
                "%,d batch indices (%s); checkpoints every %d step%s: %s",
                indices,
                StorePlanner.human(indices * Integer.BYTES + steps.size() * 24L),
                interval,
                interval == 1 ? "" : "s",
                store.describe());
    }

    /** Frees the checkpoints and the final weights. */
    @Override
    public void close() {
        store.close();
        if (finalWeights != null) {
            finalWeights.close();
        }
    }
}
