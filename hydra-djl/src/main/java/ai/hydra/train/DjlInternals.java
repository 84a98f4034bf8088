package ai.hydra.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.LocalParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every access hydra-djl makes to DJL's private state, in one place: DJL exposes neither the
 * optimizer a trainer uses nor the optimizer's state, and its first-step gradient check only
 * handles float32. Written against DJL {@value #DJL_VERSION}; an upgrade that renames or retypes
 * one of these fields fails here, with an exception naming the field and both versions, and in
 * {@code DjlInternalsTest}.
 *
 * <p>Engine-specific state belongs here too (for example MXNet's parameter server, which keeps its
 * own copy of the weights).
 */
public final class DjlInternals {

    /** The DJL version these fields were read from. */
    public static final String DJL_VERSION = "0.35.1";

    private static final FieldRef GRADIENTS_CHECKED =
            new FieldRef(Trainer.class, "gradientsChecked");
    private static final FieldRef PARAMETER_STORE = new FieldRef(Trainer.class, "parameterStore");
    private static final FieldRef PARAMETER_SERVER =
            new FieldRef(ParameterStore.class, "parameterServer");
    private static final FieldRef SERVER_OPTIMIZER =
            new FieldRef(LocalParameterServer.class, "optimizer");
    private static final FieldRef MOMENTUM_STATES = new FieldRef(Sgd.class, "momentumStates");
    private static final FieldRef UPDATE_COUNTS = new FieldRef(Optimizer.class, "updateCounts");
    private static final FieldRef NUM_UPDATE = new FieldRef(Optimizer.class, "numUpdate");

    private static final List<FieldRef> ALL =
            List.of(
                    GRADIENTS_CHECKED,
                    PARAMETER_STORE,
                    PARAMETER_SERVER,
                    SERVER_OPTIMIZER,
                    MOMENTUM_STATES,
                    UPDATE_COUNTS,
                    NUM_UPDATE);

    private DjlInternals() {}

    /**
     * Marks a trainer's first-step gradient check as done. DJL {@value #DJL_VERSION}'s {@code
     * Trainer.step()} checks on its first call that the gradients are not all zero by reading their
     * sum with {@code getFloat()}, which throws "DataType mismatch" for any type but float32. The
     * check guards only against a forgotten backward pass; nothing else depends on it.
     *
     * @param trainer the trainer
     */
    public static void markGradientsChecked(Trainer trainer) {
        GRADIENTS_CHECKED.set(trainer, true);
    }

    /**
     * Returns the optimizer a trainer updates its parameters with: it sits in the trainer's
     * parameter store, in DJL's {@link LocalParameterServer}.
     *
     * @param trainer the trainer
     * @return the optimizer; empty when the engine uses a parameter server of its own (e.g.
     *     MXNet's), which keeps the optimizer elsewhere
     */
    public static Optional<Optimizer> optimizerOf(Trainer trainer) {
        Object store = PARAMETER_STORE.get(trainer);
        Object server = PARAMETER_SERVER.get(store);
        if (!(server instanceof LocalParameterServer)) {
            return Optional.empty();
        }
        return Optional.of((Optimizer) SERVER_OPTIMIZER.get(server));
    }

    /**
     * Returns DJL's momentum buffers of an {@link Sgd}, live: parameter id to the buffer on each
     * device (empty before the first update, and without momentum).
     *
     * @param sgd the optimizer
     * @return the optimizer's own map
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Map<Device, NDArray>> momentumStates(Sgd sgd) {
        return (Map<String, Map<Device, NDArray>>) MOMENTUM_STATES.get(sgd);
    }

    /**
     * Returns an optimizer's update count per parameter id, live.
     *
     * @param optimizer the optimizer
     * @return the optimizer's own map
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Integer> updateCounts(Optimizer optimizer) {
        return (Map<String, Integer>) UPDATE_COUNTS.get(optimizer);
    }

    /**
     * Sets an optimizer's overall update count (the largest per-parameter count), as when restoring
     * its state.
     *
     * @param optimizer the optimizer
     * @param numUpdate the count
     */
    public static void setNumUpdate(Optimizer optimizer, int numUpdate) {
        NUM_UPDATE.set(optimizer, numUpdate);
    }

    /**
     * Lists the fields this class needs that the DJL on the class path lacks.
     *
     * @return "Class.field (reason)" for each missing field; empty when all are there
     */
    public static List<String> missingFields() {
        List<String> missing = new ArrayList<>();
        for (FieldRef ref : ALL) {
            try {
                ref.field();
            } catch (IllegalStateException e) {
                missing.add(ref + " (" + e.getCause() + ")");
            }
        }
        return missing;
    }

    /** A private field of a DJL class, resolved on first use. */
    private static final class FieldRef {

        private final Class<?> owner;
        private final String name;
        private Field field;

        FieldRef(Class<?> owner, String name) {
            this.owner = owner;
            this.name = name;
        }

        synchronized Field field() {
            if (field == null) {
                try {
                    Field found = owner.getDeclaredField(name);
                    found.setAccessible(true);
                    field = found;
                } catch (NoSuchFieldException | RuntimeException e) {
                    throw failure("cannot find", e);
                }
            }
            return field;
        }

        Object get(Object target) {
            try {
                return field().get(target);
            } catch (IllegalAccessException | IllegalArgumentException e) {
                throw failure("cannot read", e);
            }
        }

        void set(Object target, Object value) {
            try {
                field().set(target, value);
            } catch (IllegalAccessException | IllegalArgumentException e) {
                throw failure("cannot write", e);
            }
        }

        private IllegalStateException failure(String what, Exception cause) {
            return new IllegalStateException(
                    "hydra-djl "
                            + what
                            + " DJL's private field "
                            + this
                            + ": it was written for DJL "
                            + DJL_VERSION
                            + " and runs with DJL "
                            + Engine.getDjlVersion()
                            + ". Use DJL "
                            + DJL_VERSION
                            + ", or update ai.hydra.train.DjlInternals for this version.",
                    cause);
        }

        @Override
        public String toString() {
            return owner.getSimpleName() + "." + name;
        }
    }
}
