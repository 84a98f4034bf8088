package ai.hydra.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.LocalParameterServer;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Optional;

/**
 * What differs between DJL's engines where hydra-djl depends on it, in one place. The library's
 * math uses only DJL's engine-neutral API; these are the differences found on DJL's PyTorch and
 * MXNet engines (DJL 0.35.1) that would otherwise give silently wrong results:
 *
 * <ul>
 *   <li>Parameter server. PyTorch's trainers use DJL's {@link LocalParameterServer}, which updates
 *       the model's own arrays. MXNet's ({@code MxParameterServer}, an MXNet KVStore) keeps its own
 *       copy of every parameter, taken when the trainer is initialized, updates the copy and copies
 *       it back into the model's arrays after each step: values written into the model's arrays
 *       afterwards (a loaded checkpoint) would be overwritten by the old copy at the next step.
 *       {@link #syncParameterServer} hands the written values to the server.
 *   <li>Where the optimizer sits: a field of {@link LocalParameterServer}; inside the KVStore's
 *       updater callback on MXNet.
 *   <li>Recording a gradient: PyTorch takes the mode (training or prediction) from each forward
 *       call. MXNet's gradient collector switches the whole engine to training mode, in which its
 *       batch norm refuses a prediction-mode forward; DJL runs MXNet's backward pass in training
 *       mode, in which batch norm differentiates batch statistics the forward pass did not use; and
 *       MKL-DNN's max pooling differentiates wrongly after a prediction-mode forward. {@link
 *       #recording} and {@link #newGradientCollector} choose a mode and data type that are exact.
 *   <li>The sign of {@code Sgd}'s momentum buffer: PyTorch's update keeps {@code v} ({@code w <- w
 *       - v}), MXNet's {@code sgd_mom_update} keeps {@code -v} ({@code w <- w + v'}); the map of
 *       the weights is the same. Checkpoints record their engine and resume only on it.
 * </ul>
 *
 * <p>The private fields are read by name, and MXNet's classes by their names, so that the library
 * neither needs MXNet on its class path nor fails without it.
 */
public final class EngineQuirks {

    private static final String MXNET_PARAMETER_SERVER = "ai.djl.mxnet.engine.MxParameterServer";
    private static final String MXNET_GRADIENT_COLLECTOR =
            "ai.djl.mxnet.engine.MxGradientCollector";

    private EngineQuirks() {}

    /**
     * Returns the trainer's parameter server.
     *
     * @param trainer the trainer
     * @return the server, null if the trainer has none
     */
    static ParameterServer parameterServer(Trainer trainer) {
        ParameterStore store = (ParameterStore) read(Trainer.class, "parameterStore", trainer);
        return (ParameterServer) read(ParameterStore.class, "parameterServer", store);
    }

    /**
     * Returns the optimizer a parameter server updates with.
     *
     * @param server the server
     * @return the optimizer; empty for a server of an engine this class does not know
     */
    static Optional<Optimizer> optimizerOf(ParameterServer server) {
        Object optimizer = null;
        if (server instanceof LocalParameterServer) {
            optimizer = read(LocalParameterServer.class, "optimizer", server);
        } else if (isMxnet(server)) {
            Object callback = read(server.getClass(), "callback", server);
            optimizer = read(callback.getClass(), "optimizer", callback);
        }
        return optimizer instanceof Optimizer
                ? Optional.of((Optimizer) optimizer)
                : Optional.empty();
    }

    /**
     * Makes a trainer's parameter server continue from the values now in the model's parameter
     * arrays. Nothing to do for DJL's local server; MXNet's KVStore cannot be re-initialized
     * ("duplicate init of key"), so it is replaced by a fresh one initialized from the model's
     * arrays, with the same optimizer.
     *
     * @param trainer an initialized trainer
     * @throws IllegalStateException for a parameter server this class does not know
     */
    static void syncParameterServer(Trainer trainer) {
        ParameterServer server = parameterServer(trainer);
        if (server == null || server instanceof LocalParameterServer) {
            return;
        }
        if (!isMxnet(server)) {
            throw new IllegalStateException(
                    "The trainer's parameter server ("
                            + server.getClass().getName()
                            + ") may keep its own copy of the parameters, so values written into"
                            + " the model cannot be handed to it: hydra-djl knows PyTorch's and"
                            + " MXNet's. Train on PyTorch or MXNet.");
        }
        Optimizer optimizer =
                optimizerOf(server)
                        .orElseThrow(
                                () ->
                                        new IllegalStateException(
                                                "MXNet's parameter server holds no optimizer"));
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
        ParameterStore store = (ParameterStore) read(Trainer.class, "parameterStore", trainer);
        store.setParameterServer(fresh, trainer.getDevices());
        server.close();
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
        if (training || !"MXNet".equals(engine.getEngineName())) {
            return new Recording(training, dataType);
        }
        if (!batchNorm) {
            return new Recording(true, dataType);
        }
        return new Recording(false, dataType == DataType.FLOAT64 ? dataType : DataType.FLOAT64);
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

    private static boolean isMxnet(ParameterServer server) {
        return MXNET_PARAMETER_SERVER.equals(server.getClass().getName());
    }

    private static Object read(Class<?> owner, String name, Object target) {
        try {
            Field field = owner.getDeclaredField(name);
            field.setAccessible(true);
            return field.get(target);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "hydra-djl cannot read DJL's private field "
                            + owner.getSimpleName()
                            + "."
                            + name
                            + ": it was written for DJL 0.35.1. Use that version.",
                    e);
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
            Class<?> jna = Class.forName("ai.djl.mxnet.jna.JnaUtils", true, loader);
            Field field = jna.getDeclaredField("LIB");
            field.setAccessible(true);
            library = field.get(null);
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
