package ai.hydra.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.training.tracker.Tracker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * Returns the momentum buffer {@code v} the optimizer keeps for a parameter (DJL's own array,
     * not a copy: copy it before the next update), or null before the parameter's first update or
     * when the momentum is 0. Read by reflection from DJL's {@code Sgd}.
     *
     * @param parameterId the parameter id
     * @return the buffer, or null
     */
    public NDArray momentumBuffer(String parameterId) {
        Map<Device, NDArray> perDevice = momentumStates().get(parameterId);
        return perDevice == null || perDevice.isEmpty()
                ? null
                : perDevice.values().iterator().next();
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
     * Saves the optimizer's state (momentum buffers and update counts) so that an interrupted
     * training can continue exactly: DJL's checkpoints save parameters, not optimizer state. The
     * state lives in private fields of DJL's {@code Sgd} and {@code Optimizer}; it is read by
     * reflection.
     *
     * @param file the file to write (NDList encoding)
     * @param names a stable name for each parameter id (ids are unique per model instance, so a
     *     restored model has other ids): e.g. the block's parameter paths
     * @throws IOException if writing fails
     */
    public void saveState(Path file, Map<String, String> names) throws IOException {
        NDList arrays = new NDList();
        for (Map.Entry<String, Map<Device, NDArray>> entry : momentumStates().entrySet()) {
            NDArray state = entry.getValue().values().iterator().next();
            NDArray copy = state.duplicate();
            copy.setName(names.get(entry.getKey()));
            arrays.add(copy);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            arrays.encode(out);
        } finally {
            arrays.close();
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        updateCounts().forEach((id, count) -> counts.put(names.get(id), count));
        Files.writeString(
                file.resolveSibling(file.getFileName() + ".counts"), encodeCounts(counts));
    }

    /**
     * Restores state written by {@link #saveState} into this (fresh) optimizer.
     *
     * @param file the file
     * @param manager a manager on the training device that lives as long as the training (e.g. a
     *     sub-manager of the model's): it owns the momentum buffers
     * @param ids the parameter id of each name used when saving
     * @throws IOException if reading fails
     */
    public void loadState(Path file, NDManager manager, Map<String, String> ids)
            throws IOException {
        Map<String, Map<Device, NDArray>> states = momentumStates();
        try (InputStream in = Files.newInputStream(file)) {
            for (NDArray array : NDList.decode(manager, in)) {
                array.attach(manager); // freed with the caller's manager (the model's, usually)
                Map<Device, NDArray> perDevice = new ConcurrentHashMap<>();
                perDevice.put(array.getDevice(), array);
                states.put(idOf(ids, array.getName()), perDevice);
            }
        }
        String counts = Files.readString(file.resolveSibling(file.getFileName() + ".counts"));
        Map<String, Integer> target = updateCounts();
        int max = 0;
        for (String line : counts.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int tab = line.lastIndexOf('\t');
            int count = Integer.parseInt(line.substring(tab + 1).trim());
            target.put(idOf(ids, line.substring(0, tab)), count);
            max = Math.max(max, count);
        }
        setField(Optimizer.class, "numUpdate", max);
        updateLog.restore(max);
    }

    private static String idOf(Map<String, String> ids, String name) {
        String id = ids.get(name);
        if (id == null) {
            throw new IllegalStateException(
                    "The optimizer state names parameter " + name + ", which this model lacks");
        }
        return id;
    }

    private static String encodeCounts(Map<String, Integer> counts) {
        StringBuilder text = new StringBuilder();
        counts.forEach((id, count) -> text.append(id).append('\t').append(count).append('\n'));
        return text.toString();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Map<Device, NDArray>> momentumStates() {
        return (Map<String, Map<Device, NDArray>>) getField(Sgd.class, "momentumStates");
    }

    @SuppressWarnings("unchecked")
    private Map<String, Integer> updateCounts() {
        return (Map<String, Integer>) getField(Optimizer.class, "updateCounts");
    }

    private Object getField(Class<?> type, String name) {
        try {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            return field.get(this);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "This DJL version keeps its optimizer state differently; saving it is not"
                            + " supported",
                    e);
        }
    }

    private void setField(Class<?> type, String name, Object value) {
        try {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            field.set(this, value);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "This DJL version keeps its optimizer state differently; restoring it is not"
                            + " supported",
                    e);
        }
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
            check(momentum >= 0f && momentum < 1f, "momentum must be in [0, 1), got " + momentum);
            check(weightDecay >= 0f, "weight decay must be >= 0, got " + weightDecay);
            check(
                    Float.isFinite(rescaleGrad) && rescaleGrad != 0f,
                    "rescaleGrad must be finite and non-zero, got " + rescaleGrad);
            return new HydraSgd(this, new UpdateLog(learningRateTracker));
        }

        private static void check(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
