package ai.hydra.replay;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.train.HydraSgd;
import java.util.Locale;

/**
 * Re-creates the weights of a recorded training between two checkpoints: from the checkpoint's
 * weights and momentum buffers, every step's batch is rebuilt from the training data and its
 * recorded indices, its gradient taken in a training-mode shadow pass and DJL's own update applied
 * ({@link HydraSgd#applyUpdate}) parameter by parameter, as the trainer did.
 *
 * <p>On CPU the result must be bit-identical to the recording: the weights reached at the next
 * checkpoint (or the final weights) are compared, and any difference is an error naming the step (a
 * layer that draws random numbers, such as dropout, random data augmentation, or training data
 * other than the recorded run's). On a GPU, whose kernels are not bit-deterministic, the largest
 * difference is reported by {@link #maxDrift()} instead, and the replay continues from the stored
 * checkpoint.
 */
public final class TrajectoryReplay {

    private final Trajectory trajectory;
    private final ShadowModel model;
    private final SampleSet trainSamples;
    private final int[] rowOfIndex;
    private double maxDrift;
    private int checks;

    /**
     * Creates a replay.
     *
     * @param trajectory the recording
     * @param model the trained block and its loss, as a shadow model
     * @param trainSamples the whole training set the run trained on, on the training device (any
     *     row order: rows are found by their dataset indices)
     * @throws IllegalArgumentException if the samples are not the run's training set
     */
    public TrajectoryReplay(Trajectory trajectory, ShadowModel model, SampleSet trainSamples) {
        long n = trajectory.trainingSetSize();
        if (trainSamples.size() != n) {
            throw new IllegalArgumentException(
                    "The training samples given to the replay are "
                            + trainSamples.size()
                            + " but the recorded run trained on "
                            + n
                            + ": give the whole training set (e.g. SampleSet.of(manager,"
                            + " trainSet)).");
        }
        rowOfIndex = new int[(int) n];
        java.util.Arrays.fill(rowOfIndex, -1);
        for (int row = 0; row < trainSamples.size(); row++) {
            int index = trainSamples.index(row);
            if (index < 0 || index >= n || rowOfIndex[index] >= 0) {
                throw new IllegalArgumentException(
                        "The training samples must hold every dataset index 0.."
                                + (n - 1)
                                + " once; index "
                                + index
                                + " is "
                                + (index < 0 || index >= n ? "outside that range" : "repeated"));
            }
            rowOfIndex[index] = row;
        }
        this.trajectory = trajectory;
        this.model = model;
        this.trainSamples = trainSamples;
    }

    /**
     * Returns the weights {@code w_from ... w_{to-1}}, replaying from the checkpoint at {@code
     * from}; when {@code to} is a checkpoint or the last step, the replay continues through step
     * {@code to} and checks the weights reached against the recording (except for a single stored
     * step before a checkpoint, which needs no replay).
     *
     * @param manager the manager of the result
     * @param from a checkpoint step
     * @param to a later step, at most the next checkpoint
     * @return {@code to - from} flat weight vectors, in the training data type
     * @throws IllegalStateException on CPU, if the replay does not reproduce the recording
     */
    public NDList segment(NDManager manager, int from, int to) {
        boolean checkable = to == trajectory.size() || trajectory.hasCheckpoint(to);
        boolean check = checkable && !(to - from == 1 && to < trajectory.size());
        NDList out = new NDList(to - from);
        try (NDManager scope = manager.newSubManager()) {
            NDList checkpoint = trajectory.checkpointAt(scope, from);
            ParameterSpace space = model.space();
            NDList parameters = copies(space.unflatten(checkpoint.get(0)), scope);
            NDList momentum =
                    checkpoint.size() > 1
                            ? copies(space.unflatten(checkpoint.get(1)), scope)
                            : null;
            NDArray current = checkpoint.get(0);
            int last = check ? to : to - 1;
            for (int t = from + 1; t <= last; t++) {
                out.add(current);
                current.attach(manager);
                current = step(scope, t, current, parameters, momentum);
            }
            if (check) {
                check(scope, from, to, current);
            } else {
                out.add(current);
                current.attach(manager);
            }
        }
        return out;
    }

    /**
     * Returns the weights after a step: stored, or replayed from the checkpoint before it.
     *
     * @param manager the manager of the result
     * @param step the number of steps done, in [0, T]
     * @return {@code w_step}, in the training data type
     */
    public NDArray weightsAfter(NDManager manager, int step) {
        if (step == trajectory.size()) {
            NDArray copy = trajectory.finalWeights().duplicate();
            copy.attach(manager);
            return copy;
        }
        int from = 0;
        for (int checkpoint : trajectory.checkpointSteps()) {
            if (checkpoint <= step) {
                from = checkpoint;
            }
        }
        try (NDManager scope = manager.newSubManager()) {
            NDList weights = segment(scope, from, step + 1);
            NDArray last = weights.get(weights.size() - 1);
            last.attach(manager);
            return last;
        }
    }

    /** Runs step t from flat weights {@code w}, updating the parameter copies in place. */
    private NDArray step(NDManager scope, int t, NDArray w, NDList parameters, NDList momentum) {
        StepRecord record = trajectory.step(t);
        HydraSgd optimizer = trajectory.optimizer();
        try (NDManager local = scope.newSubManager()) {
            SampleSet batch = batch(local, record.indices());
            local.tempAttachAll(w);
            NDArray gradient = model.gradient(w, batch.inputs(), batch.labels());
            NDList parts = model.space().unflatten(gradient);
            for (int p = 0; p < parameters.size(); p++) {
                optimizer.applyUpdate(
                        parameters.get(p),
                        parts.get(p),
                        momentum == null ? null : momentum.get(p),
                        record.learningRate());
            }
        }
        try (NDManager local = scope.newSubManager()) {
            local.tempAttachAll(parameters);
            NDArray next = model.space().flatten(parameters);
            next.attach(scope);
            return next;
        }
    }

    /** Compares the replayed weights after step {@code to} with the recorded ones. */
    private void check(NDManager scope, int from, int to, NDArray replayed) {
        NDArray recorded =
                to == trajectory.size()
                        ? trajectory.finalWeights()
                        : trajectory.checkpointAt(scope, to).get(0);
        double difference;
        double scale;
        try (NDManager local = scope.newSubManager()) {
            local.tempAttachAll(replayed, recorded);
            NDArray a = replayed.toType(DataType.FLOAT64, false);
            NDArray b = recorded.toType(DataType.FLOAT64, false);
            difference = a.sub(b).abs().max().getDouble();
            scale = b.abs().max().getDouble();
        }
        checks++;
        if (difference == 0 && !Double.isNaN(scale)) {
            return;
        }
        if (replayed.getDevice().isGpu()) {
            maxDrift = Math.max(maxDrift, difference / Math.max(scale, Double.MIN_NORMAL));
            return; // the next segment starts from its stored checkpoint
        }
        throw new IllegalStateException(
                String.format(
                        Locale.ROOT,
                        "Replaying the recorded training did not reproduce the weights after step"
                                + " %d (largest difference %.3e, weights up to %.3e; replayed"
                                + " from the checkpoint after step %d, so one of steps %d..%d"
                                + " differs): the training is not deterministic (dropout, random"
                                + " data augmentation, a nondeterministic kernel) or the training"
                                + " data given to the replay differs from the data the run"
                                + " trained on. Record with a checkpoint at every step"
                                + " (checkpoint interval 1) to find the step.",
                        to,
                        difference,
                        scale,
                        from,
                        from + 1,
                        to));
    }

    /**
     * Rebuilds a batch from dataset indices, in their order.
     *
     * @param manager the manager of the result
     * @param indices the dataset indices, in batch order
     * @return the batch's samples
     */
    public SampleSet batch(NDManager manager, int[] indices) {
        int[] rows = new int[indices.length];
        for (int k = 0; k < rows.length; k++) {
            rows[k] = rowOfIndex[indices[k]];
        }
        return trainSamples.select(manager, rows);
    }

    /**
     * Returns the largest relative difference between replayed and recorded weights seen so far (0
     * on CPU, where any difference is an error).
     *
     * @return max |replayed - recorded| / max |recorded| over the checks
     */
    public double maxDrift() {
        return maxDrift;
    }

    /**
     * Returns how many replayed segments were checked against the recording.
     *
     * @return the number of checks
     */
    public int checks() {
        return checks;
    }

    private static NDList copies(NDList views, NDManager scope) {
        NDList out = new NDList(views.size());
        for (NDArray view : views) {
            NDArray copy = view.duplicate(); // own contiguous arrays, like the model's parameters
            copy.attach(scope);
            out.add(copy);
        }
        return out;
    }
}
