package ai.hydra.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.training.LocalParameterServer;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import java.lang.reflect.Field;
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
 *   <li>The sign of {@code Sgd}'s momentum buffer: PyTorch's update keeps {@code v} ({@code w <- w
 *       - v}), MXNet's {@code sgd_mom_update} keeps {@code -v} ({@code w <- w + v'}); the map of
 *       the weights is the same. Checkpoints record their engine and resume only on it.
 * </ul>
 *
 * <p>The private fields are read by name, and MXNet's classes by their names, so that the library
 * neither needs MXNet on its class path nor fails without it.
 */
final class EngineQuirks {

    private static final String MXNET_PARAMETER_SERVER = "ai.djl.mxnet.engine.MxParameterServer";

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
}
