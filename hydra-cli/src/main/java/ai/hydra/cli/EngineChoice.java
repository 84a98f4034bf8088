package ai.hydra.cli;

import ai.djl.engine.Engine;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses the DJL engine a command runs on: {@code --engine}, else DJL's own {@code
 * ai.djl.default_engine} property or {@code DJL_DEFAULT_ENGINE} variable, else PyTorch. (DJL itself
 * would prefer MXNet whenever both are on the class path.)
 */
final class EngineChoice {

    /** DJL's property naming the default engine. */
    static final String PROPERTY = "ai.djl.default_engine";

    /** The engines hydra supports, by DJL name, and what puts each on the class path. */
    private static final Map<String, String> SUPPORTED = new LinkedHashMap<>();

    static {
        SUPPORTED.put(
                "PyTorch",
                "ai.djl.pytorch:pytorch-engine and a PyTorch native library (see README, Running"
                        + " on a GPU)");
        SUPPORTED.put(
                "MXNet",
                "ai.djl.mxnet:mxnet-engine:0.35.1 and"
                        + " ai.djl.mxnet:mxnet-native-mkl:1.9.1:linux-x86_64 (see README,"
                        + " Engines)");
    }

    private EngineChoice() {}

    /**
     * Makes an engine DJL's default for this process.
     *
     * @param requested the {@code --engine} value (any case), or null
     * @return the engine's DJL name
     * @throws UsageException if the engine is unknown or not on the class path
     */
    static String select(String requested) {
        String name = requested;
        if (name == null) {
            name = System.getProperty(PROPERTY, System.getenv("DJL_DEFAULT_ENGINE"));
        }
        if (name == null || name.isBlank()) {
            name = "PyTorch";
        }
        String wanted = name.trim();
        String engine =
                SUPPORTED.keySet().stream()
                        .filter(known -> known.equalsIgnoreCase(wanted))
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        new UsageException(
                                                "unknown engine '"
                                                        + wanted
                                                        + "'; choose "
                                                        + String.join(
                                                                " or ", lowerCase(SUPPORTED))));
        if (!Engine.hasEngine(engine)) {
            throw new UsageException(
                    "the "
                            + engine
                            + " engine is not on hydra's class path; add "
                            + SUPPORTED.get(engine));
        }
        System.setProperty(PROPERTY, engine);
        return engine;
    }

    private static String[] lowerCase(Map<String, String> names) {
        return names.keySet().stream().map(n -> n.toLowerCase(Locale.ROOT)).toArray(String[]::new);
    }
}
