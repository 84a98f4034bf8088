package ai.hydra.checkpoint;

import ai.djl.ndarray.types.DataType;
import ai.hydra.recurrence.HydraMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a checkpoint records about its run ({@code hydra.properties}): the shape of the run, which a
 * resumed run must share, and where the run stood.
 *
 * @param engine the DJL engine that trained (engines keep optimizer state differently: MXNet's
 *     momentum buffer is PyTorch's negated), e.g. "PyTorch"
 * @param mode the HYDRA mode
 * @param trainingSetSize N
 * @param rows the tracked samples
 * @param columns the parameter-space dimension
 * @param dataType the model's data type
 * @param momentum the optimizer's momentum
 * @param step the optimizer steps HYDRA had seen
 * @param epochs the epochs completed
 * @param firstNumUpdate the optimizer's update count before HYDRA's first step
 * @param run what else determines the run, by name (settings, data fingerprint, learning rates of
 *     the steps taken): a resumed run must match every entry
 */
public record CheckpointInfo(
        String engine,
        HydraMode mode,
        long trainingSetSize,
        int rows,
        long columns,
        DataType dataType,
        float momentum,
        int step,
        int epochs,
        int firstNumUpdate,
        Map<String, String> run) {

    /** The format written; a reader refuses others (2: checksums and the run description). */
    static final String FORMAT = "hydra-djl checkpoint 2";

    /** The prefix of the run description's keys in the properties. */
    private static final String RUN = "run.";

    /**
     * Creates the info; the run description is copied and sorted by name.
     *
     * @throws NullPointerException if the run description is null
     */
    public CheckpointInfo {
        run = Collections.unmodifiableMap(new TreeMap<>(run));
    }

    /** The keys a resumed run must match (the run's shape, not its progress). */
    private static final List<String> SHAPE =
            List.of("engine", "mode", "trainingSetSize", "rows", "columns", "dataType", "momentum");

    /** The engine of checkpoints written before they named theirs. */
    private static final String FIRST_ENGINE = "PyTorch";

    Map<String, String> toProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("format", FORMAT);
        properties.put("engine", engine);
        properties.put("mode", mode.name());
        properties.put("trainingSetSize", Long.toString(trainingSetSize));
        properties.put("rows", Integer.toString(rows));
        properties.put("columns", Long.toString(columns));
        properties.put("dataType", dataType.name());
        properties.put("momentum", Float.toString(momentum));
        properties.put("step", Integer.toString(step));
        properties.put("epochs", Integer.toString(epochs));
        properties.put("firstNumUpdate", Integer.toString(firstNumUpdate));
        run.forEach((key, value) -> properties.put(RUN + key, value));
        return properties;
    }

    static CheckpointInfo fromProperties(Map<String, String> properties, Path directory) {
        if (!FORMAT.equals(properties.get("format"))) {
            throw new IllegalStateException(
                    "The checkpoint in "
                            + directory
                            + " has format "
                            + properties.get("format")
                            + ", this version reads "
                            + FORMAT);
        }
        Map<String, String> run = new TreeMap<>();
        properties.forEach(
                (key, value) -> {
                    if (key.startsWith(RUN)) {
                        run.put(key.substring(RUN.length()), value);
                    }
                });
        try {
            return new CheckpointInfo(
                    properties.getOrDefault("engine", FIRST_ENGINE),
                    HydraMode.valueOf(properties.get("mode")),
                    Long.parseLong(properties.get("trainingSetSize")),
                    Integer.parseInt(properties.get("rows")),
                    Long.parseLong(properties.get("columns")),
                    DataType.valueOf(properties.get("dataType")),
                    Float.parseFloat(properties.get("momentum")),
                    Integer.parseInt(properties.get("step")),
                    Integer.parseInt(properties.get("epochs")),
                    Integer.parseInt(properties.get("firstNumUpdate")),
                    run);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "The checkpoint description in " + directory + " is damaged: " + e, e);
        }
    }

    /**
     * Checks that a saved checkpoint belongs to a run of this shape (same engine, mode, data,
     * tracked samples, model and optimizer momentum).
     *
     * @param saved what the checkpoint recorded
     * @param directory the checkpoint folder, for the message
     * @throws IllegalStateException naming the first difference
     */
    void requireSameShape(CheckpointInfo saved, Path directory) {
        Map<String, String> expected = toProperties();
        Map<String, String> found = saved.toProperties();
        for (String key : SHAPE) {
            if (!expected.get(key).equals(found.get(key))) {
                throw new IllegalStateException(
                        "The checkpoint in "
                                + directory
                                + " was written with "
                                + key
                                + " = "
                                + found.get(key)
                                + ", this run has "
                                + expected.get(key)
                                + ": resume with the same engine, model, data, tracked samples and"
                                + " mode.");
            }
        }
    }

    /**
     * Checks that a saved checkpoint was written by a run with the same description, naming every
     * entry that differs.
     *
     * @param saved what the checkpoint recorded
     * @param directory the checkpoint folder, for the message
     * @throws IllegalStateException listing each difference as {@code key: checkpoint vs this run}
     */
    void requireSameRun(CheckpointInfo saved, Path directory) {
        Set<String> keys = new TreeSet<>(run.keySet());
        keys.addAll(saved.run().keySet());
        List<String> differences = new ArrayList<>();
        for (String key : keys) {
            String there = saved.run().get(key);
            String here = run.get(key);
            if (!Objects.equals(there, here)) {
                differences.add(
                        key + " is " + describe(there) + " there, " + describe(here) + " here");
            }
        }
        if (!differences.isEmpty()) {
            throw new IllegalStateException(
                    "The checkpoint in "
                            + directory
                            + " was written by a run with other settings: "
                            + String.join("; ", differences)
                            + ". Resume with the settings it was written with, or start afresh"
                            + " (without resuming) into another checkpoint folder.");
        }
    }

    private static String describe(String value) {
        if (value == null) {
            return "not recorded";
        }
        return value.length() > 40 ? value.substring(0, 12) + "..." : value; // e.g. a hash
    }
}
