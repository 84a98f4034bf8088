package ai.hydra.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Preconditions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DJL's {@link Sgd}, built by hydra-djl so that the hypergradient recurrence knows exactly the
 * hyperparameters the optimizer uses.
 *
 * <p>DJL's {@code Trainer} and {@code Sgd} expose neither learning rate, momentum nor weight decay;
 * HYDRA must differentiate the update the optimizer really performs, so the library owns them. The
 * update is DJL's own (this class only adds bookkeeping): on the PyTorch engine it is
 *
 * <pre>
 *   v &lt;- p*v + eta_t*(rescaleGrad*g + weightDecay*w);   w &lt;- w - v
 * </pre>
 *
 * with {@code eta_t = tracker.getNewValue(parameterId, numUpdate)}. Every learning rate the
 * optimizer asks for is recorded in an {@link UpdateLog}, so a listener can check that the values
 * it assumed are the ones used. Gradient clipping is deliberately not offered: its derivative is
 * not defined where it clips.
 */
public final class HydraSgd extends Sgd {

    private final Tracker learningRateTracker;
    private final float momentum;
    private final float weightDecay;
    private final float rescaleGrad;
    private final UpdateLog updateLog;

    private HydraSgd(Builder builder, UpdateLog log) {
        super(
                Optimizer.sgd()
                        .setLearningRateTracker(log)
                        .optMomentum(builder.momentum)
                        .optWeightDecays(builder.weightDecay)
                        .setRescaleGrad(builder.rescaleGrad));
        this.learningRateTracker = builder.learningRateTracker;
        this.momentum = builder.momentum;
        this.weightDecay = builder.weightDecay;
        this.rescaleGrad = builder.rescaleGrad;
        this.updateLog = log;
    }

    /**
     * Creates a builder for {@link HydraSgd}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the learning rate this optimizer will use for a parameter at an update count, by
     * asking the same tracker the optimizer asks (DJL's trackers are functions of the count).
     *
     * @param parameterId the parameter id
     * @param numUpdate the 1-based update count
     * @return the learning rate as the float the native update receives
     */
    public float learningRate(String parameterId, int numUpdate) {
        return learningRateTracker.getNewValue(parameterId, numUpdate);
    }

    /**
     * Returns the momentum {@code p}.
     *
     * @return the momentum (0 for plain SGD)
     */
    public float getMomentum() {
        return momentum;
    }

    /**
     * Returns the weight decay {@code lambda} (added to the gradient as {@code lambda*w}).
     *
     * @return the weight decay
     */
    @Override
    public float getWeightDecay() {
        return weightDecay;
    }

    /**
     * Returns the gradient rescale factor.
     *
     * @return the rescale factor applied to gradients before weight decay
     */
    public float getRescaleGrad() {
        return rescaleGrad;
    }

    /**
     * Returns the log of learning rates this optimizer has used.
     *
     * @return the update log
     */
    public UpdateLog getUpdateLog() {
        return updateLog;
    }

    /**
     * Applies this optimizer's update to arrays outside any trainer, with DJL's own native update
     * ({@code NDArrayEx.sgdUpdate}, as {@link Sgd#update} calls it): {@code v <- p v + eta (r g +
     * lambda w); w <- w - v}, in place. On the same device and data the result is bit-identical to
     * the trainer's update, which is what lets a recorded training be replayed exactly.
     *
     * @param weight the weights, updated in place
     * @param gradient the gradient of the batch-mean loss at {@code weight}
     * @param momentumBuffer the momentum buffer {@code v}, updated in place (ignored when the
     *     momentum is 0)
     * @param learningRate the learning rate {@code eta} of this update
     */
    public void applyUpdate(
            NDArray weight, NDArray gradient, NDArray momentumBuffer, float learningRate) {
        NDList inputs =
                momentum != 0f
                        ? new NDList(weight, gradient, momentumBuffer)
                        : new NDList(weight, gradient);
        weight.getNDArrayInternal()
                .sgdUpdate(
                        inputs,
                        new NDList(weight),
                        learningRate,
                        weightDecay,
                        rescaleGrad,
                        clipGrad,
                        momentum,
                        true);
    }

    /**
     * Returns the momentum buffers, live, by parameter id (empty before the first update and
     * without momentum). With DJL's update counts ({@link #updateCounts()}) they are the whole
     * state of the optimizer, which DJL's own checkpoints omit.
     *
     * @return parameter id to momentum buffer
     */
    public Map<String, NDArray> momentumBuffers() {
        Map<String, NDArray> buffers = new LinkedHashMap<>();
        DjlInternals.momentumStates(this)
                .forEach((id, perDevice) -> buffers.put(id, perDevice.values().iterator().next()));
        return buffers;
    }

    /**
     * Returns how many updates each parameter has received.
     *
     * @return a copy, parameter id to update count
     */
    public Map<String, Integer> updateCounts() {
        return new LinkedHashMap<>(DjlInternals.updateCounts(this));
    }

    /**
     * Restores the state {@link #momentumBuffers()} and {@link #updateCounts()} returned, into this
     * fresh optimizer, so that training continues exactly.
     *
     * @param momentum parameter id to momentum buffer, each attached to a manager that lives as
     *     long as the training (e.g. the model's): the optimizer keeps them
     * @param counts parameter id to update count
     */
    public void restoreState(Map<String, NDArray> momentum, Map<String, Integer> counts) {
        Map<String, Map<Device, NDArray>> states = DjlInternals.momentumStates(this);
        momentum.forEach(
                (id, buffer) -> {
                    Map<Device, NDArray> perDevice = new ConcurrentHashMap<>();
                    perDevice.put(buffer.getDevice(), buffer);
                    states.put(id, perDevice);
                });
        DjlInternals.updateCounts(this).putAll(counts);
        int latest = counts.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        DjlInternals.setNumUpdate(this, latest);
        updateLog.restore(latest);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(
                "HydraSgd(momentum=%s, weightDecay=%s, rescaleGrad=%s)",
                momentum, weightDecay, rescaleGrad);
    }

    /** Builds a {@link HydraSgd}; mirrors {@code Optimizer.sgd()} without gradient clipping. */
    public static final class Builder {

        private Tracker learningRateTracker;
        private float momentum;
        private float weightDecay;
        private float rescaleGrad = 1f;

        Builder() {}

        /**
         * Sets the learning-rate schedule (see {@link LearningRates}).
         *
         * @param tracker the tracker
         * @return this builder
         */
        public Builder setLearningRateTracker(Tracker tracker) {
            this.learningRateTracker = tracker;
            return this;
        }

        /**
         * Sets the momentum; defaults to 0.
         *
         * @param momentum the momentum in [0, 1)
         * @return this builder
         */
        public Builder optMomentum(float momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Sets the weight decay; defaults to 0.
         *
         * @param weightDecay the weight decay, at least 0
         * @return this builder
         */
        public Builder optWeightDecay(float weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Sets the factor the gradient is multiplied by; defaults to 1.
         *
         * @param rescaleGrad the factor
         * @return this builder
         */
        public Builder optRescaleGrad(float rescaleGrad) {
            this.rescaleGrad = rescaleGrad;
            return this;
        }

        /**
         * Builds the optimizer.
         *
         * @return the optimizer
         * @throws IllegalArgumentException if a setting is out of range
         */
        public HydraSgd build() {
            Objects.requireNonNull(
                    learningRateTracker,
                    "HydraSgd needs a learning rate: call setLearningRateTracker(...)");
            Preconditions.checkArgument(
                    momentum >= 0f && momentum < 1f, "momentum must be in [0, 1), got " + momentum);
            Preconditions.checkArgument(
                    weightDecay >= 0f, "weight decay must be >= 0, got " + weightDecay);
            Preconditions.checkArgument(
                    Float.isFinite(rescaleGrad) && rescaleGrad != 0f,
                    "rescaleGrad must be finite and non-zero, got " + rescaleGrad);
            return new HydraSgd(this, new UpdateLog(learningRateTracker));
        }
    }
}
