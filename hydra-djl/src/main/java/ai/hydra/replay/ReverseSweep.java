package ai.hydra.replay;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.norm.Dropout;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.DirectionalDerivatives;
import ai.hydra.gradient.FiniteDifferenceDirectionalDerivatives;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.train.HydraSgd;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * The exact derivatives {@code dJ/deps_i} of test functionals J with respect to every training
 * sample's loss weight, by one backward sweep over a recorded training run.
 *
 * <p>The training objective weighs sample i's loss by {@code 1/N + eps_i}, so step t's batch loss
 * is {@code G_t = (1/B_t) sum_{j in B_t} (1 + N eps_j) l_j}, and DJL's update is {@code v_t = p
 * v_{t-1} + eta_t (r G_t'(w_{t-1}) + lambda w_{t-1})}, {@code w_t = w_{t-1} - v_t}. Its adjoint,
 * with {@code a_w = grad J(w_T)} and {@code a_v = 0} after the last step, runs from step T back to
 * 1:
 *
 * <pre>
 *   u    = a_v - a_w                                  (adjoint of v_t, through w_t = w_{t-1} - v_t)
 *   dJ/deps_i += eta_t r (N/B_t) grad l_i(w_{t-1}) . u     for each i in batch t
 *   a_w  = a_w + eta_t (r H_t u + lambda u)             (H_t: Hessian of G_t at w_{t-1})
 *   a_v  = p u
 * </pre>
 *
 * so each step needs one Hessian-vector product of the batch loss and the directional derivatives
 * of its samples' losses ({@link DirectionalDerivatives}), per functional. The weights {@code
 * w_{t-1}} are re-created segment by segment from the checkpoints ({@link TrajectoryReplay}): one
 * segment's weights are held while it is swept. It is the transpose of the Hessian-aware forward
 * recurrence ({@code d_t = d_{t-1} - m_t}, {@code m_t = p m_{t-1} + eta_t (r (H_t d_{t-1} + [i in
 * B_t] (N/B_t) grad l_i) + lambda d_{t-1})}, {@code dJ/deps_i = grad J . d_T(i)}), which needs one
 * Hessian product per tracked sample and step instead of one per functional and step.
 */
public final class ReverseSweep {

    private final Trajectory trajectory;
    private final TrajectoryReplay replay;
    private final DirectionalDerivatives derivatives;
    private final IntConsumer progress;
    private int divergedAfter;

    private ReverseSweep(Builder builder) {
        trajectory = builder.trajectory;
        replay = new TrajectoryReplay(builder.trajectory, builder.model, builder.trainSamples);
        derivatives =
                builder.derivatives != null
                        ? builder.derivatives
                        : new FiniteDifferenceDirectionalDerivatives(builder.model);
        progress = builder.progress;
    }

    /**
     * Creates a builder.
     *
     * @param trajectory a complete recording
     * @param model the trained block and its loss, as a shadow model
     * @param trainSamples the whole training set the run trained on, on the training device
     * @return the builder
     */
    public static Builder builder(
            Trajectory trajectory, ShadowModel model, SampleSet trainSamples) {
        return new Builder(trajectory, model, trainSamples);
    }

    /**
     * Runs the sweep over the whole run for a few functionals at once.
     *
     * @param manager a manager on the training device, for temporaries
     * @param adjoints {@code grad J_k(w_T)}, one row per functional, shape (k, |w|)
     * @return {@code dJ_k/deps_i}: k rows of N values, column i = dataset index i
     */
    public double[][] run(NDManager manager, NDArray adjoints) {
        return run(manager, adjoints, trajectory.size());
    }

    /**
     * Runs the sweep over the first {@code steps} steps: the derivatives of functionals of the
     * weights {@code w_steps} reached then (e.g. at the end of an earlier epoch, see {@link
     * #weightsAfter}).
     *
     * @param manager a manager on the training device, for temporaries
     * @param adjoints {@code grad J_k(w_steps)}, one row per functional, shape (k, |w|)
     * @param steps the number of steps the functionals' weights come after, in [1, T]
     * @return {@code dJ_k/deps_i}: k rows of N values, column i = dataset index i; NaN for the
     *     samples before a step where the adjoint became non-finite ({@link #divergedAfter})
     */
    public double[][] run(NDManager manager, NDArray adjoints, int steps) {
        if (steps < 1 || steps > trajectory.size()) {
            throw new IllegalArgumentException(
                    "The sweep can end after 1 to " + trajectory.size() + " steps, not " + steps);
        }
        int functionals = Math.toIntExact(adjoints.getShape().get(0));
        int n = Math.toIntExact(trajectory.trainingSetSize());
        double[][] result = new double[functionals][n];
        HydraSgd optimizer = trajectory.optimizer();
        double momentum = optimizer.getMomentum();
        double weightDecay = optimizer.getWeightDecay();
        double rescale = optimizer.getRescaleGrad();
        int[] boundaries = segmentBoundaries(steps);
        int done = 0;
        try (NDManager sweep = manager.newSubManager()) {
            NDArray aw = adjoints.toType(DataType.FLOAT64, true);
            aw.attach(sweep);
            NDArray av = aw.zerosLike();
            for (int s = boundaries.length - 2; s >= 0; s--) {
                int from = boundaries[s];
                int to = boundaries[s + 1];
                try (NDManager segment = sweep.newSubManager()) {
                    NDList weights = replay.segment(segment, from, to);
                    for (int t = to; t > from; t--) {
                        StepRecord step = trajectory.step(t);
                        double eta = step.learningRate();
                        NDArray[] next;
                        try (NDManager local = segment.newSubManager()) {
                            local.tempAttachAll(aw, av);
                            SampleSet batch = replay.batch(local, step.indices());
                            NDArray w = weights.get(t - 1 - from);
                            local.tempAttachAll(w);
                            NDArray u = av.sub(aw);
                            DirectionalDerivatives.Result d =
                                    derivatives.compute(w, batch.inputs(), batch.labels(), u);
                            double scale = eta * rescale * n / step.batchSize();
                            accumulate(result, step.indices(), d.sampleSlopes(), scale);
                            NDArray hu = d.hessianProducts().toType(DataType.FLOAT64, false);
                            next =
                                    new NDArray[] {
                                        aw.add(hu.mul(eta * rescale).add(u.mul(eta * weightDecay))),
                                        u.mul(momentum)
                                    };
                            for (NDArray array : next) {
                                array.attach(sweep);
                            }
                        }
                        aw.close();
                        av.close();
                        aw = next[0];
                        av = next[1];
                        done++;
                        progress.accept(done);
                        if (!Double.isFinite(aw.norm().getDouble())) {
                            diverged(result, t);
                            return result;
                        }
                    }
                }
            }
        }
        return result;
    }

    /** Adds {@code scale * slopes[k][j]} to {@code result[k][indices[j]]}. */
    private static void accumulate(double[][] result, int[] indices, NDArray slopes, double scale) {
        double[] values = slopes.toType(DataType.FLOAT64, false).toDoubleArray();
        int batch = indices.length;
        for (int k = 0; k < result.length; k++) {
            for (int j = 0; j < batch; j++) {
                result[k][indices[j]] += scale * values[k * batch + j];
            }
        }
    }

    /**
     * The adjoint became NaN or infinite after step {@code t} was swept (the training itself
     * diverged, or its loss is not twice differentiable there): every sample of steps 1 .. t-1
     * would get a non-finite derivative, so the sweep stops and marks them NaN, to be refused where
     * results are written (as every mode's non-finite values are) unless explicitly allowed.
     */
    private void diverged(double[][] result, int t) {
        divergedAfter = t;
        for (int step = 1; step < t; step++) {
            for (int i : trajectory.step(step).indices()) {
                for (double[] row : result) {
                    row[i] = Double.NaN;
                }
            }
        }
    }

    /**
     * Returns the step after whose sweep the adjoint became NaN or infinite, or 0 if it stayed
     * finite: the derivatives of the samples of the earlier steps are then NaN.
     *
     * @return the step, or 0
     */
    public int divergedAfter() {
        return divergedAfter;
    }

    /** Checkpoint steps before {@code steps}, then {@code steps}: pairs are the segments. */
    private int[] segmentBoundaries(int steps) {
        int[] before = Arrays.stream(trajectory.checkpointSteps()).filter(s -> s < steps).toArray();
        int[] boundaries = Arrays.copyOf(before, before.length + 1);
        boundaries[before.length] = steps;
        return boundaries;
    }

    /**
     * Returns the weights after a step, for the gradients of functionals a sweep over the first
     * steps starts from: stored, or replayed from the checkpoint before it.
     *
     * @param manager the manager of the result
     * @param steps the number of steps done, in [0, T]
     * @return {@code w_steps}, in the training data type
     */
    public NDArray weightsAfter(NDManager manager, int steps) {
        return replay.weightsAfter(manager, steps);
    }

    /**
     * Describes the replay for the run's output: what was stored and checked.
     *
     * @return a sentence
     */
    public String describe() {
        String check =
                replay.maxDrift() > 0
                        ? String.format(
                                Locale.ROOT,
                                "replayed weights drifted by up to %.2e relative (GPU)",
                                replay.maxDrift())
                        : "replayed weights bit-identical at " + replay.checks() + " checks";
        if (divergedAfter > 0) {
            check +=
                    "; the adjoint became NaN or infinite at step "
                            + divergedAfter
                            + ": the contributions of the samples of the steps before are NaN";
        }
        return trajectory.describe() + "; " + check;
    }

    /** Builds a {@link ReverseSweep}. */
    public static final class Builder {

        private final Trajectory trajectory;
        private final ShadowModel model;
        private final SampleSet trainSamples;
        private DirectionalDerivatives derivatives;
        private IntConsumer progress = done -> {};

        Builder(Trajectory trajectory, ShadowModel model, SampleSet trainSamples) {
            if (!trajectory.isComplete()) {
                throw new IllegalStateException(
                        "The trajectory is still being recorded: finish the training (close the"
                                + " trainer, or call the recorder's finish()) before the sweep");
            }
            if (model.containsBlock(Dropout.class)) {
                throw new IllegalArgumentException(
                        "The model contains dropout, which draws new random masks in every pass:"
                                + " its training cannot be replayed, nor its derivatives taken by"
                                + " finite differences. Remove the dropout layers to use exact"
                                + " attribution.");
            }
            this.trajectory = trajectory;
            this.model = model;
            this.trainSamples = trainSamples;
        }

        /**
         * Sets how the per-step derivatives are computed; defaults to central differences in
         * float64 ({@link FiniteDifferenceDirectionalDerivatives}).
         *
         * @param derivatives the implementation
         * @return this builder
         */
        public Builder optDerivatives(DirectionalDerivatives derivatives) {
            this.derivatives = derivatives;
            return this;
        }

        /**
         * Sets a callback told the number of steps swept after each step (T in all).
         *
         * @param progress the callback
         * @return this builder
         */
        public Builder optProgress(IntConsumer progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Builds the sweep.
         *
         * @return the sweep
         */
        public ReverseSweep build() {
            return new ReverseSweep(this);
        }
    }
}
