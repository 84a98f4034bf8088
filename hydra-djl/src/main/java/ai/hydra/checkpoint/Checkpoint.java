package ai.hydra.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.PendingSteps;
import ai.hydra.recurrence.Recurrence;
import ai.hydra.store.HypergradientStore;
import ai.hydra.train.DjlInternals;
import ai.hydra.train.HydraSgd;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The checkpoint of a HYDRA training run, and the one owner of its format. A checkpoint is a
 * folder:
 *
 * <ul>
 *   <li>{@value #PROPERTIES}: the {@link CheckpointInfo} (run shape and progress);
 *   <li>{@value #PARAMETERS}: every parameter of the block, running statistics included, named by
 *       its path in the block (ids differ between model instances);
 *   <li>{@value #OPTIMIZER} and {@value #COUNTS}: the optimizer's momentum buffers and update
 *       counts, named by parameter path (DJL's own checkpoints omit both);
 *   <li>{@code <free|aware>-<d|m>.bin}: each recurrence's stores, rows in order, native byte order;
 *   <li>{@code free-steps.bin}: the Hessian-free recurrence's pending step maps.
 * </ul>
 *
 * <p>Every write goes to a sibling {@code .partial} folder that then replaces the previous
 * checkpoint ({@link #replace}), so an interrupted write keeps the previous one. Where later
 * additions belong: checksums of every file are written last in {@link #save} and verified first in
 * {@link #restore}; a run fingerprint (effective config, data) is one more field of {@link
 * CheckpointInfo}, compared in {@link CheckpointInfo#requireSameShape}; a crash-safe replace
 * changes {@link #replace} alone. A checkpoint resumes only on the engine that wrote it (see {@link
 * CheckpointInfo#engine}); restored parameters are handed to the trainer's parameter server, which
 * on MXNet keeps its own copy of the weights.
 */
public final class Checkpoint {

    static final String PROPERTIES = "hydra.properties";
    static final String PARAMETERS = "parameters.ndlist";
    static final String OPTIMIZER = "optimizer.ndlist";
    static final String COUNTS = "optimizer.ndlist.counts";
    private static final int CHUNK_ROWS = 256;

    private Checkpoint() {}

    /**
     * Writes a checkpoint, replacing the folder's previous one atomically.
     *
     * @param directory the checkpoint folder
     * @param state the training state, between two steps
     * @param info what to record about the run
     * @throws IOException if writing fails
     */
    public static void save(Path directory, TrainingState state, CheckpointInfo info)
            throws IOException {
        Path target = directory.toAbsolutePath();
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        deleteRecursively(partial);
        Files.createDirectories(partial);
        Block block = state.model().getBlock();
        saveParameters(block, partial.resolve(PARAMETERS));
        saveOptimizer(state.optimizer(), namesById(block), partial);
        for (Map.Entry<HydraMode, Recurrence> entry : state.recurrences().entrySet()) {
            saveRecurrence(entry.getValue(), prefix(entry.getKey()), state.scratch(), partial);
        }
        writeProperties(partial.resolve(PROPERTIES), info.toProperties());
        replace(partial, target);
    }

    /**
     * Reads what a checkpoint recorded about its run, e.g. how many epochs a resumed run skips.
     *
     * @param directory the checkpoint folder
     * @return the recorded info
     * @throws IOException if there is no checkpoint or it cannot be read
     */
    public static CheckpointInfo read(Path directory) throws IOException {
        return CheckpointInfo.fromProperties(
                readProperties(directory.resolve(PROPERTIES)), directory);
    }

    /**
     * Restores a checkpoint into the state of a fresh, identically configured run (trainer
     * initialized, no step taken).
     *
     * @param directory the checkpoint folder
     * @param state the fresh run's state
     * @param expected the fresh run's info (its shape is compared with the checkpoint's)
     * @return what the checkpoint recorded, progress included
     * @throws IOException if reading fails
     * @throws IllegalStateException if the checkpoint belongs to a run of another shape
     */
    public static CheckpointInfo restore(
            Path directory, TrainingState state, CheckpointInfo expected) throws IOException {
        CheckpointInfo saved = read(directory);
        expected.requireSameShape(saved, directory);
        Block block = state.model().getBlock();
        loadParameters(block, directory.resolve(PARAMETERS), state.scratch());
        DjlInternals.syncParameterServer(state.trainer()); // MXNet's server keeps its own copy
        loadOptimizer(state.optimizer(), idsByName(block), state.model().getNDManager(), directory);
        for (Map.Entry<HydraMode, Recurrence> entry : state.recurrences().entrySet()) {
            loadRecurrence(entry.getValue(), prefix(entry.getKey()), state.scratch(), directory);
        }
        return saved;
    }

    private static String prefix(HydraMode mode) {
        return mode == HydraMode.HESSIAN_FREE ? "free" : "aware";
    }

    // ---- parameters

    /** Every parameter of the block, running statistics included, named by its path. */
    private static void saveParameters(Block block, Path file) throws IOException {
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
    private static void loadParameters(Block block, Path file, NDManager manager)
            throws IOException {
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

    /** Parameter id to path (ids are unique per model instance, paths are stable). */
    private static Map<String, String> namesById(Block block) {
        Map<String, String> names = new HashMap<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            names.put(pair.getValue().getId(), pair.getKey());
        }
        return names;
    }

    private static Map<String, String> idsByName(Block block) {
        Map<String, String> ids = new HashMap<>();
        namesById(block).forEach((id, name) -> ids.put(name, id));
        return ids;
    }

    // ---- optimizer

    private static void saveOptimizer(HydraSgd optimizer, Map<String, String> names, Path dir)
            throws IOException {
        NDList arrays = new NDList();
        try {
            for (Map.Entry<String, NDArray> entry : optimizer.momentumBuffers().entrySet()) {
                NDArray copy = entry.getValue().duplicate();
                copy.setName(names.get(entry.getKey()));
                arrays.add(copy);
            }
            try (OutputStream out = Files.newOutputStream(dir.resolve(OPTIMIZER))) {
                arrays.encode(out);
            }
        } finally {
            arrays.close();
        }
        StringBuilder counts = new StringBuilder();
        optimizer
                .updateCounts()
                .forEach(
                        (id, count) ->
                                counts.append(names.get(id))
                                        .append('\t')
                                        .append(count)
                                        .append('\n'));
        Files.writeString(dir.resolve(COUNTS), counts);
    }

    private static void loadOptimizer(
            HydraSgd optimizer, Map<String, String> ids, NDManager owner, Path dir)
            throws IOException {
        Map<String, NDArray> momentum = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(dir.resolve(OPTIMIZER))) {
            for (NDArray array : NDList.decode(owner, in)) {
                array.attach(owner); // lives as long as the model
                momentum.put(idOf(ids, array.getName()), array);
            }
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String line : Files.readString(dir.resolve(COUNTS)).split("\n")) {
            if (!line.isBlank()) {
                int tab = line.lastIndexOf('\t');
                counts.put(
                        idOf(ids, line.substring(0, tab)),
                        Integer.parseInt(line.substring(tab + 1).trim()));
            }
        }
        optimizer.restoreState(momentum, counts);
    }

    private static String idOf(Map<String, String> ids, String name) {
        String id = ids.get(name);
        if (id == null) {
            throw new IllegalStateException(
                    "The optimizer state names parameter " + name + ", which this model lacks");
        }
        return id;
    }

    // ---- recurrences

    private static void saveRecurrence(
            Recurrence recurrence, String prefix, NDManager scratch, Path dir) throws IOException {
        for (Map.Entry<String, HypergradientStore> store : recurrence.stores().entrySet()) {
            saveStore(store.getValue(), scratch, storeFile(dir, prefix, store.getKey()));
        }
        if (recurrence.pendingSteps().isPresent()) {
            savePendingSteps(recurrence.pendingSteps().get(), stepsFile(dir, prefix));
        }
    }

    private static void loadRecurrence(
            Recurrence recurrence, String prefix, NDManager scratch, Path dir) throws IOException {
        for (Map.Entry<String, HypergradientStore> store : recurrence.stores().entrySet()) {
            loadStore(store.getValue(), scratch, storeFile(dir, prefix, store.getKey()));
        }
        if (recurrence.pendingSteps().isPresent()) {
            recurrence.restorePendingSteps(loadPendingSteps(stepsFile(dir, prefix)));
        }
    }

    private static Path storeFile(Path dir, String prefix, String store) {
        return dir.resolve(prefix + "-" + store + ".bin");
    }

    private static Path stepsFile(Path dir, String prefix) {
        return dir.resolve(prefix + "-steps.bin");
    }

    /** Every row of a store, in order, whatever its placement. */
    private static void saveStore(HypergradientStore store, NDManager manager, Path file)
            throws IOException {
        try (FileChannel channel =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE)) {
            for (int start = 0; start < store.rows(); start += CHUNK_ROWS) {
                try (NDManager scope = manager.newSubManager()) {
                    ByteBuffer bytes = store.read(scope, rows(start, store.rows())).toByteBuffer();
                    while (bytes.hasRemaining()) {
                        channel.write(bytes);
                    }
                }
            }
        }
    }

    private static void loadStore(HypergradientStore store, NDManager manager, Path file)
            throws IOException {
        DataType dataType = store.dataType();
        long rowBytes = store.columns() * dataType.getNumOfBytes();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            if (channel.size() != rowBytes * store.rows()) {
                throw new IOException(
                        "Checkpoint file "
                                + file
                                + " holds "
                                + channel.size()
                                + " bytes, expected "
                                + rowBytes * store.rows()
                                + " ("
                                + store.rows()
                                + " rows of "
                                + store.columns()
                                + " "
                                + dataType
                                + ")");
            }
            for (int start = 0; start < store.rows(); start += CHUNK_ROWS) {
                int[] rows = rows(start, store.rows());
                ByteBuffer bytes =
                        ByteBuffer.allocateDirect(Math.toIntExact(rows.length * rowBytes))
                                .order(ByteOrder.nativeOrder());
                while (bytes.hasRemaining()) {
                    if (channel.read(bytes) < 0) {
                        throw new IOException("Checkpoint file " + file + " ended early");
                    }
                }
                bytes.rewind();
                try (NDManager scope = manager.newSubManager()) {
                    NDArray values =
                            scope.create(bytes, new Shape(rows.length, store.columns()), dataType);
                    store.write(rows, values);
                }
            }
        }
    }

    private static int[] rows(int start, int total) {
        return IntStream.range(start, Math.min(total, start + CHUNK_ROWS)).toArray();
    }

    private static void savePendingSteps(PendingSteps steps, Path file) throws IOException {
        try (DataOutputStream out =
                new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(steps.maps().length);
            for (double[] map : steps.maps()) {
                for (double c : map) {
                    out.writeDouble(c);
                }
            }
            out.writeInt(steps.lastStep().length);
            for (int step : steps.lastStep()) {
                out.writeInt(step);
            }
        }
    }

    private static PendingSteps loadPendingSteps(Path file) throws IOException {
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            double[][] maps = new double[in.readInt()][4];
            for (double[] map : maps) {
                for (int j = 0; j < 4; j++) {
                    map[j] = in.readDouble();
                }
            }
            int[] lastStep = new int[in.readInt()];
            for (int r = 0; r < lastStep.length; r++) {
                lastStep[r] = in.readInt();
            }
            return new PendingSteps(maps, lastStep);
        }
    }

    // ---- properties and the folder

    private static void writeProperties(Path file, Map<String, String> values) throws IOException {
        Properties properties = new Properties();
        properties.putAll(values);
        try (Writer writer = Files.newBufferedWriter(file)) {
            properties.store(writer, "hydra-djl checkpoint");
        }
    }

    private static Map<String, String> readProperties(Path file) throws IOException {
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
    private static void replace(Path finished, Path target) throws IOException {
        Path old = target.resolveSibling(target.getFileName() + ".old");
        deleteRecursively(old);
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(finished, target, StandardCopyOption.ATOMIC_MOVE);
        deleteRecursively(old);
    }

    private static void deleteRecursively(Path path) throws IOException {
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
