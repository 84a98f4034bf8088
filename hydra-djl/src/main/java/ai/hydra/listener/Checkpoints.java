package ai.hydra.listener;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/** File helpers of {@link HydraListener#saveCheckpoint} and {@link HydraListener#resume}. */
final class Checkpoints {

    private Checkpoints() {}

    /**
     * Stable names of a block's parameters: their paths in the block (ids are unique per model
     * instance).
     */
    static Map<String, String> namesById(Block block) {
        Map<String, String> names = new HashMap<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            names.put(pair.getValue().getId(), pair.getKey());
        }
        return names;
    }

    static Map<String, String> idsByName(Block block) {
        Map<String, String> ids = new HashMap<>();
        namesById(block).forEach((id, name) -> ids.put(name, id));
        return ids;
    }

    /** Every parameter of the block, running statistics included, named by its path. */
    static void saveParameters(Block block, Path file) throws IOException {
        NDList arrays = new NDList();
        try {
            for (Pair<String, Parameter> pair : block.getParameters()) {
                NDArray copy = pair.getValue().getArray().duplicate();
                copy.setName(pair.getKey());
                arrays.add(copy);
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                arrays.encode(out);
            }
        } finally {
            arrays.close();
        }
    }

    /** Copies saved values into the block's (initialized) parameter arrays, in place. */
    static void loadParameters(Block block, Path file, NDManager manager) throws IOException {
        try (NDManager scope = manager.newSubManager();
                InputStream in = Files.newInputStream(file)) {
            Map<String, NDArray> saved = new HashMap<>();
            for (NDArray array : NDList.decode(scope, in)) {
                saved.put(array.getName(), array);
            }
            for (Pair<String, Parameter> pair : block.getParameters()) {
                NDArray target = pair.getValue().getArray();
                NDArray value = saved.get(pair.getKey());
                if (value == null || !value.getShape().equals(target.getShape())) {
                    throw new IllegalStateException(
                            "The checkpoint has no parameter "
                                    + pair.getKey()
                                    + " of shape "
                                    + target.getShape()
                                    + ": it was written for another model.");
                }
                target.set(value.toType(target.getDataType(), false).toByteBuffer());
            }
        }
    }

    static void writeProperties(Path file, Map<String, String> values) throws IOException {
        Properties properties = new Properties();
        properties.putAll(values);
        try (Writer writer = Files.newBufferedWriter(file)) {
            properties.store(writer, "hydra-djl checkpoint");
        }
    }

    static Map<String, String> readProperties(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "No hydra-djl checkpoint in "
                            + file.getParent()
                            + " (missing "
                            + file.getFileName()
                            + ")");
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        }
        Map<String, String> out = new LinkedHashMap<>();
        properties.forEach((key, value) -> out.put(key.toString(), value.toString()));
        return out;
    }

    /** Moves a finished checkpoint into place, dropping the previous one. */
    static void replace(Path finished, Path target) throws IOException {
        Path old = target.resolveSibling(target.getFileName() + ".old");
        deleteRecursively(old);
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(finished, target, StandardCopyOption.ATOMIC_MOVE);
        deleteRecursively(old);
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
