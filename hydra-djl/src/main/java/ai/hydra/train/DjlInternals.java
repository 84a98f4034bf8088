package ai.hydra.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.LocalParameterServer;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.Sgd;
import ai.djl.util.Pair;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Every access hydra-djl makes to DJL's private state, and every difference between DJL's engines
 * it depends on, in one place. DJL exposes neither the optimizer a trainer uses nor the optimizer's
 * state, nor the arguments its block factories capture ({@link #capturedArguments}), and its
 * first-step gradient check only handles float32. Written against DJL {@value #DJL_VERSION}; an
 * upgrade that renames or retypes one of these fields fails here, with an exception naming the
 * field and both versions, and in {@code DjlInternalsTest} (run on each engine).
 *
 * <p>The library's math uses only DJL's engine-neutral API. These are the differences between DJL's
 * PyTorch and MXNet engines that would otherwise give silently wrong results:
 *
 * <ul>
 *   <li>The parameter server. PyTorch's trainers use DJL's {@link LocalParameterServer}, which
 *       updates the model's own arrays. MXNet's ({@code MxParameterServer}, an MXNet KVStore) keeps
 *       its own copy of every parameter, taken when the trainer is initialized, updates the copy
 *       and copies it back into the model's arrays after each step: values written into the model's
 *       arrays afterwards (a restored checkpoint) would be overwritten by the old copy at the next
 *       step. {@link #syncParameterServer} hands the written values to the server.
 *   <li>Where the optimizer sits: a field of {@link LocalParameterServer}; in the KVStore's updater
 *       callback on MXNet ({@link #optimizerOf} reads both).
 *   <li>Recording a gradient. PyTorch takes the mode (training or prediction) from each forward
 *       call. MXNet's gradient collector switches the whole engine to training mode, in which its
 *       batch norm refuses a prediction-mode forward; DJL runs MXNet's backward pass in training
 *       mode, in which batch norm differentiates batch statistics the forward pass did not use; and
 *       MKL-DNN's max pooling differentiates wrongly after a prediction-mode forward. {@link
 *       #recording} and {@link #newGradientCollector} choose a mode and data type that are exact;
 *       {@link #forwardMode} runs training-mode passes that record nothing.
 *   <li>The sign of {@code Sgd}'s momentum buffer: PyTorch's update keeps {@code v} ({@code w <- w
 *       - v}), MXNet's {@code sgd_mom_update} keeps {@code -v} ({@code w <- w + v'}); the map of
 *       the weights is the same. Checkpoints record their engine and resume only on it.
 * </ul>
 *
 * <p>MXNet's classes are reached by name, so that the library neither needs MXNet on its class path
 * nor fails without it.
 */
public final class DjlInternals {

    /** The DJL version these fields were read from. */
    public static final String DJL_VERSION = "0.35.1";

    private static final String MXNET = "MXNet";

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
    private static final FieldRef LAMBDA = new FieldRef(LambdaBlock.class, "lambda");
    private static final FieldRef PARALLEL_JOIN = new FieldRef(ParallelBlock.class, "function");
    private static final FieldRef BATCH_NORM_AXIS = new FieldRef(BatchNorm.class, "axis");
    private static final FieldRef BATCH_NORM_EPSILON = new FieldRef(BatchNorm.class, "epsilon");

    private static final String MXNET_PARAMETER_SERVER = "ai.djl.mxnet.engine.MxParameterServer";
    private static final String MXNET_GRADIENT_COLLECTOR =
            "ai.djl.mxnet.engine.MxGradientCollector";
    // MXNet's, by class name: checked only where MXNet is on the class path
    private static final FieldRef MXNET_UPDATER = new FieldRef(MXNET_PARAMETER_SERVER, "callback");
    private static final FieldRef MXNET_UPDATER_OPTIMIZER =
            new FieldRef(MXNET_PARAMETER_SERVER + "$OptimizerCallback", "optimizer");
    private static final FieldRef MXNET_LIBRARY = new FieldRef("ai.djl.mxnet.jna.JnaUtils", "LIB");

    private static final List<FieldRef> ALL =
            List.of(
                    GRADIENTS_CHECKED,
                    PARAMETER_STORE,
                    PARAMETER_SERVER,
                    SERVER_OPTIMIZER,
                    MOMENTUM_STATES,
                    UPDATE_COUNTS,
                    NUM_UPDATE,
                    LAMBDA,
                    BATCH_NORM_AXIS,
                    BATCH_NORM_EPSILON,
                    PARALLEL_JOIN,
                    MXNET_UPDATER,
                    MXNET_UPDATER_OPTIMIZER,
                    MXNET_LIBRARY);

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
     * parameter server (DJL's {@link LocalParameterServer}, or MXNet's KVStore updater).
     *
     * @param trainer the trainer
     * @return the optimizer; empty for the parameter server of an engine other than PyTorch and
     *     MXNet
     */
    public static Optional<Optimizer> optimizerOf(Trainer trainer) {
        ParameterServer server = parameterServer(trainer);
        Object optimizer = null;
        if (server instanceof LocalParameterServer) {
            optimizer = SERVER_OPTIMIZER.get(server);
        } else if (isMxnet(server)) {
            optimizer = MXNET_UPDATER_OPTIMIZER.get(MXNET_UPDATER.get(server));
        }
        return optimizer instanceof Optimizer
                ? Optional.of((Optimizer) optimizer)
                : Optional.empty();
    }

    /**
     * Makes a trainer continue from the values now in its model's parameter arrays: call it after
     * writing into them once the trainer is initialized (a restored checkpoint, a custom
     * initialization). Nothing to do for DJL's local parameter server (PyTorch). MXNet's keeps its
     * own copy and cannot be re-initialized ("duplicate init of key"), so it is replaced by a fresh
     * one initialized from the model's arrays, with the same optimizer.
     *
     * @param trainer an initialized trainer
     * @throws IllegalStateException for the parameter server of an engine other than PyTorch and
     *     MXNet, or parameters not initialized
     */
    public static void syncParameterServer(Trainer trainer) {
        ParameterServer server = parameterServer(trainer);
        if (server == null || server instanceof LocalParameterServer) {
            return;
        }
        if (!isMxnet(server)) {
            throw new IllegalStateException(
                    "The trainer's parameter server ("
                            + server.getClass().getName()
                            + ") may keep its own copy of the parameters, so values written into"
                            + " the model cannot be handed to it: hydra-djl supports DJL's"
                            + " PyTorch and MXNet engines.");
        }
        Optimizer optimizer = (Optimizer) MXNET_UPDATER_OPTIMIZER.get(MXNET_UPDATER.get(server));
        ParameterServer fresh = trainer.getManager().getEngine().newParameterServer(optimizer);
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter parameter = pair.getValue();
            if (!parameter.isInitialized()) {
                fresh.close();
                throw new IllegalStateException(
                        "Parameter "
                                + pair.getKey()
                                + " is not initialized: initialize the trainer first");
            }
            fresh.init(parameter.getId(), new NDArray[] {parameter.getArray()});
        }
        ((ParameterStore) PARAMETER_STORE.get(trainer))
                .setParameterServer(fresh, trainer.getDevices());
        server.close();
    }

    private static ParameterServer parameterServer(Trainer trainer) {
        return (ParameterServer) PARAMETER_SERVER.get(PARAMETER_STORE.get(trainer));
    }

    private static boolean isMxnet(ParameterServer server) {
        return server != null && MXNET_PARAMETER_SERVER.equals(server.getClass().getName());
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
     * Returns the values the function of a {@link LambdaBlock} captured, in capture order: the
     * arguments of DJL's block factories ({@code Pool.maxPool2dBlock(kernel, stride, padding,
     * ceilMode)}, {@code Activation.leakyReluBlock(alpha)}, ...), which DJL does not expose. The
     * function is {@code LambdaBlock}'s private field {@code lambda}; a block made by {@code
     * LambdaBlock.singleton(function, name)} wraps the factory's function in a lambda of its own,
     * which is unwrapped. The captured values are the JDK's synthetic fields {@code arg$1, arg$2,
     * ...} of the lambda's class.
     *
     * <p>What is read here is never trusted alone: the mirror ({@code ai.hydra.gradient.mirror})
     * recomputes a block's function from the arguments on a probe input and compares it with the
     * block's own output, so a DJL whose lambdas capture differently makes a block "unknown", never
     * silently wrong.
     *
     * @param block the block
     * @return the captured values (an empty list for a non-capturing lambda or method reference);
     *     empty if the function is not a lambda (a class of the user's) or its class is laid out
     *     unlike the JDK's lambda classes
     * @throws IllegalStateException if DJL's {@code LambdaBlock} has no field {@code lambda}
     */
    public static Optional<List<Object>> capturedArguments(LambdaBlock block) {
        Object lambda = LAMBDA.get(block);
        try {
            List<Object> captured = captured(lambda);
            if (isSingletonWrapper(lambda, captured)) {
                captured = captured(captured.get(0));
            }
            return Optional.of(captured);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code LambdaBlock.singleton}'s lambda, defined in LambdaBlock, captures only the function.
     */
    private static boolean isSingletonWrapper(Object lambda, List<Object> captured) {
        return lambda.getClass().getName().startsWith(LambdaBlock.class.getName() + "$$Lambda")
                && captured.size() == 1
                && captured.get(0) instanceof Function;
    }

    private static List<Object> captured(Object lambda) throws ReflectiveOperationException {
        if (!lambda.getClass().isSynthetic() && !lambda.getClass().getName().contains("$$Lambda")) {
            throw new IllegalArgumentException("not a lambda: " + lambda.getClass());
        }
        List<Field> fields = new ArrayList<>();
        for (Field field : lambda.getClass().getDeclaredFields()) {
            if (!Modifier.isStatic(field.getModifiers())) {
                fields.add(field);
            }
        }
        fields.sort(Comparator.comparingInt(DjlInternals::argumentNumber));
        List<Object> values = new ArrayList<>(fields.size());
        for (Field field : fields) {
            field.setAccessible(true);
            values.add(field.get(lambda));
        }
        return values;
    }

    /** The n of a lambda class's field {@code arg$n}. */
    private static int argumentNumber(Field field) {
        String name = field.getName();
        if (!name.startsWith("arg$")) {
            throw new IllegalArgumentException("unexpected lambda field " + name);
        }
        return Integer.parseInt(name.substring("arg$".length()));
    }

    /**
     * Decides how to record the gradient of a forward pass: the engine's mode while recording, and
     * the data type to compute in. On PyTorch, as asked. On MXNet a prediction-mode pass is
     * recorded in training mode unless the block has batch norm (nothing else the library's models
     * use depends on the mode); with batch norm it is recorded in prediction mode, and in float64:
     * MXNet's MKL-DNN kernels (float32) differentiate max pooling wrongly after a prediction-mode
     * forward (measured: 50% off, {@code ShadowModelTest}).
     *
     * @param engine the engine of the arrays
     * @param training the mode of the forward pass
     * @param batchNorm whether the block has batch normalization
     * @param dataType the data type of the weights
     * @return how to record
     */
    public static Recording recording(
            Engine engine, boolean training, boolean batchNorm, DataType dataType) {
        if (training || !MXNET.equals(engine.getEngineName())) {
            return new Recording(training, dataType);
        }
        if (!batchNorm) {
            return new Recording(true, dataType);
        }
        return new Recording(false, dataType == DataType.FLOAT64 ? dataType : DataType.FLOAT64);
    }

    /**
     * Opens a scope in which forward passes that record no gradient run in a mode. PyTorch takes
     * the mode from each forward call; MXNet's batch norm follows the engine's mode, which only a
     * gradient collector switches to training, and refuses a training-mode pass outside one.
     *
     * @param engine the engine of the arrays
     * @param training the mode of the forward passes
     * @return the scope; close it after the passes
     */
    public static ForwardMode forwardMode(Engine engine, boolean training) {
        if (!training || !MXNET.equals(engine.getEngineName())) {
            return () -> {};
        }
        return engine.newGradientCollector()::close;
    }

    /** A scope of forward passes in one mode (see {@link #forwardMode}). */
    public interface ForwardMode extends AutoCloseable {

        /** Ends the scope. */
        @Override
        void close();
    }

    /**
     * Opens a gradient collector in a recording mode (see {@link #recording}).
     *
     * @param engine the engine of the arrays
     * @param training true to record in training mode, false in prediction mode
     * @return the collector; close it after the backward pass
     */
    public static GradientCollector newGradientCollector(Engine engine, boolean training) {
        GradientCollector collector = engine.newGradientCollector();
        if (training || !MXNET_GRADIENT_COLLECTOR.equals(collector.getClass().getName())) {
            return collector;
        }
        try {
            return new MxnetPredictionCollector(collector);
        } catch (ReflectiveOperationException | RuntimeException e) {
            collector.close();
            throw new IllegalStateException(
                    "Cannot record an MXNet gradient in prediction mode with this DJL version"
                            + " (MxGradientCollector.setTraining, JnaUtils.LIB): use DJL 0.35.1",
                    e);
        }
    }

    /**
     * How to record a gradient.
     *
     * @param training the engine's mode while recording
     * @param dataType the data type to compute in
     */
    public record Recording(boolean training, DataType dataType) {}

    /**
     * Returns a batch normalization's channel axis and epsilon, which DJL's {@link BatchNorm} does
     * not expose (its private fields {@code axis} and {@code epsilon}). Users recompute the block's
     * function from them; tests compare that with the block's own output.
     *
     * @param block the block
     * @return its settings
     * @throws IllegalStateException if DJL's {@code BatchNorm} lacks the fields
     */
    public static BatchNormSettings batchNormSettings(BatchNorm block) {
        return new BatchNormSettings(
                (Integer) BATCH_NORM_AXIS.get(block), (Float) BATCH_NORM_EPSILON.get(block));
    }

    /**
     * Returns the function that joins a {@link ParallelBlock}'s branch outputs (its private field
     * {@code function}), which DJL does not expose.
     *
     * @param block the block
     * @return the join
     * @throws IllegalStateException if DJL's {@code ParallelBlock} lacks the field
     */
    @SuppressWarnings("unchecked")
    public static Function<List<NDList>, NDList> parallelJoin(ParallelBlock block) {
        return (Function<List<NDList>, NDList>) PARALLEL_JOIN.get(block);
    }

    /**
     * A batch normalization's settings.
     *
     * @param axis the channel axis
     * @param epsilon added to the variance
     */
    public record BatchNormSettings(int axis, float epsilon) {}

    /**
     * Lists the fields this class needs that the DJL on the class path lacks (those of MXNet's
     * engine only when it is on the class path).
     *
     * @return "Class.field (reason)" for each missing field; empty when all are there
     */
    public static List<String> missingFields() {
        List<String> missing = new ArrayList<>();
        for (FieldRef ref : ALL) {
            if (!ref.ownerPresent()) {
                continue; // an engine that is not on the class path
            }
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

        private final String ownerName;
        private final String name;
        private Class<?> owner;
        private Field field;

        FieldRef(Class<?> owner, String name) {
            this(owner.getName(), name);
            this.owner = owner;
        }

        /** A field of a class that may be absent (another engine's), by the class's name. */
        FieldRef(String ownerName, String name) {
            this.ownerName = ownerName;
            this.name = name;
        }

        synchronized boolean ownerPresent() {
            try {
                owner();
                return true;
            } catch (ClassNotFoundException e) {
                return false;
            }
        }

        private Class<?> owner() throws ClassNotFoundException {
            if (owner == null) {
                // not initialized: looking at MXNet's classes must not load its native library
                owner = Class.forName(ownerName, false, DjlInternals.class.getClassLoader());
            }
            return owner;
        }

        synchronized Field field() {
            if (field == null) {
                try {
                    Field found = owner().getDeclaredField(name);
                    found.setAccessible(true);
                    field = found;
                } catch (ReflectiveOperationException | RuntimeException e) {
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
            return ownerName.substring(ownerName.lastIndexOf('.') + 1) + "." + name;
        }
    }

    /**
     * MXNet's collector, switched to prediction mode for the forward passes (as Python's {@code
     * autograd.record(train_mode=False)}) and for the backward pass (as {@code
     * loss.backward(train_mode=False)}): DJL runs MXNet's backward pass in training mode, in which
     * batch norm differentiates batch statistics the forward pass did not use (measured: input
     * gradients 30% off, {@code ShadowModelTest}). DJL's {@code JnaUtils} offers no backward call
     * that both sets the mode and passes no head gradient, so MXNet's C function is called.
     */
    private static final class MxnetPredictionCollector implements GradientCollector {

        private final GradientCollector collector;
        private final Object library;
        private final Method backwardEx;
        private final Method lastError;
        private final Method pointers;
        private final Class<?> pointer;

        MxnetPredictionCollector(GradientCollector collector) throws ReflectiveOperationException {
            this.collector = collector;
            ClassLoader loader = collector.getClass().getClassLoader();
            library = MXNET_LIBRARY.get(null);
            Class<?> api = Class.forName("ai.djl.mxnet.jna.MxnetLibrary", true, loader);
            backwardEx = method(api, "MXAutogradBackwardEx");
            lastError = method(api, "MXGetLastError");
            pointer = Class.forName("com.sun.jna.Pointer", true, loader);
            Class<?> pointerArray = Class.forName("ai.djl.mxnet.jna.PointerArray", true, loader);
            pointers = pointerArray.getMethod("of", pointer.arrayType());
            pointers.setAccessible(true); // PointerArray is package-private
            collector.getClass().getMethod("setTraining", boolean.class).invoke(null, false);
        }

        @Override
        public void backward(NDArray target) {
            try {
                Object handles = Array.newInstance(pointer, 1);
                Array.set(handles, 0, target.getClass().getMethod("getHandle").invoke(target));
                Object outputs = pointers.invoke(null, handles);
                // one output, head gradient null (ones), no explicit variables, no retained or
                // higher-order graph, is_train = 0; gradients go to the arrays' own buffers
                int status =
                        (Integer)
                                backwardEx.invoke(
                                        library, 1, outputs, null, 0, null, 0, 0, 0, null, null);
                if (status != 0) {
                    throw new IllegalStateException(
                            "MXNet's backward pass failed: " + lastError.invoke(library));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("MXNet's backward pass failed", e);
            }
        }

        @Override
        public void zeroGradients() {
            collector.zeroGradients();
        }

        @Override
        public void close() {
            collector.close();
        }

        private static Method method(Class<?> type, String name) throws NoSuchMethodException {
            for (Method method : type.getMethods()) {
                if (method.getName().equals(name)) {
                    return method;
                }
            }
            throw new NoSuchMethodException(type.getName() + "." + name);
        }
    }
}
