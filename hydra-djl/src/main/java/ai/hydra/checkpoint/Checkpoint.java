package ai.hydra.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import ai.hydra.io.AtomicFiles;
import ai.hydra.io.FolderLock;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.PendingSteps;
import ai.hydra.recurrence.Recurrence;
import ai.hydra.store.HypergradientStore;
import ai.hydra.train.DjlInternals;
import ai.hydra.train.HydraSgd;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint of a HYDRA training run, and the one owner of its format. A checkpoint is a
 * folder:
 *
 * <ul>
 *   <li>{@value #PROPERTIES}: the {@link CheckpointInfo} (run shape, run description, progress);
 *   <li>{@value #PARAMETERS}: every parameter of the block, running statistics included, named by
 *       its path in the block (ids differ between model instances);
 *   <li>{@value #OPTIMIZER} and {@value #COUNTS}: the optimizer's momentum buffers and update
 *       counts, named by parameter path (DJL's own checkpoints omit both);
 *   <li>{@code <free|aware>-<d|m>.bin}: each recurrence's stores, rows in order, native byte order;
 *   <li>{@code free-steps.bin}: the Hessian-free recurrence's pending step maps;
 *   <li>{@code checksums.sha256}: the SHA-256 of every other file, written last ({@link
 *       Checksums}): a folder is a complete checkpoint exactly when it holds it.
 * </ul>
 *
 * <p>Every write goes to a sibling {@code .partial} folder that then replaces the previous
 * checkpoint ({@link #replace}), so an interrupted write keeps the previous one; a kill between the
 * replace's two renames is finished by {@link #recover} on the next read, resume or save. {@link
 * #restore} verifies every checksum first, then compares the shape ({@link
 * CheckpointInfo#requireSameShape}) and the run description ({@link CheckpointInfo#requireSameRun},
 * every difference named). A checkpoint resumes only on the engine that wrote it (see {@link
 * CheckpointInfo#engine}); restored parameters are handed to the trainer's parameter server, which
 * on MXNet keeps its own copy of the weights. {@link #lock} claims a checkpoint folder for one run.
 */
public final class Checkpoint {

    static final String PROPERTIES = "hydra.properties";
    static final String PARAMETERS = "parameters.ndlist";
    static final String OPTIMIZER = "optimizer.ndlist";
    static final String COUNTS = "optimizer.ndlist.counts";
    private static final String PARTIAL = ".partial";
    private static final String OLD = ".old";
    private static final String LOCK = ".lock";
    private static final Logger logger = LoggerFactory.getLogger(Checkpoint.class);
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
        recover(target); // never delete the only complete copy a killed replace left behind
        Path partial = sibling(target, PARTIAL);
        deleteRecursively(partial);
        Files.createDirectories(partial);
        Checksums files = new Checksums(partial);
        Block block = state.model().getBlock();
        saveParameters(block, files);
        saveOptimizer(state.optimizer(), namesById(block), files);
        for (Map.Entry<HydraMode, Recurrence> entry : state.recurrences().entrySet()) {
            saveRecurrence(entry.getValue(), prefix(entry.getKey()), state.scratch(), files);
        }
        writeProperties(files, info.toProperties());
        files.finish(); // last: the folder is now a complete checkpoint
        AtomicFiles.syncFolder(partial);
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
        Path folder = directory.toAbsolutePath();
        recover(folder);
        requireCheckpoint(folder);
        Checksums.verify(folder, PROPERTIES);
        return CheckpointInfo.fromProperties(readProperties(folder.resolve(PROPERTIES)), folder);
    }

    /**
     * Tells whether a folder holds a checkpoint (also one that a kill between the two renames of a
     * replace left as {@code .old} and {@code .partial} siblings, which this puts back in place).
     *
     * @param directory the checkpoint folder
     * @return true if there is a checkpoint to resume from
     * @throws IOException if an interrupted replace cannot be finished
     */
    public static boolean exists(Path directory) throws IOException {
        Path folder = directory.toAbsolutePath();
        recover(folder);
        return Files.exists(folder.resolve(PROPERTIES)) || Checksums.complete(folder);
    }

    /**
     * Claims a checkpoint folder for one run: the lock file is a sibling ({@code <folder>.lock}),
     * as the folder itself is replaced at every save.
     *
     * @param directory the checkpoint folder
     * @return the held lock; close it when the run ends
     * @throws ai.hydra.io.FolderInUseException if another run holds it
     * @throws IOException if the lock file cannot be created
     */
    public static FolderLock lock(Path directory) throws IOException {
        Path folder = directory.toAbsolutePath();
        return FolderLock.acquire(sibling(folder, LOCK), "checkpoint folder " + folder);
    }

    /**
     * Restores a checkpoint into the state of a fresh, identically configured run (trainer
     * initialized, no step taken). Every file is checked against its recorded checksum first.
     *
     * @param directory the checkpoint folder
     * @param state the fresh run's state
     * @param expected the fresh run's info (its shape and run description are compared with the
     *     checkpoint's)
     * @return what the checkpoint recorded, progress included
     * @throws IOException if reading fails or a file is damaged (the message names it)
     * @throws IllegalStateException if the checkpoint belongs to a run of another shape or
     *     configuration (the message names every difference)
     */
    public static CheckpointInfo restore(
            Path directory, TrainingState state, CheckpointInfo expected) throws IOException {
        Path folder = directory.toAbsolutePath();
        CheckpointInfo saved = read(folder);
        expected.requireSameShape(saved, folder);
        expected.requireSameRun(saved, folder);
        Checksums.verify(folder, null);
        Block block = state.model().getBlock();
        loadParameters(block, folder.resolve(PARAMETERS), state.scratch());
        DjlInternals.syncParameterServer(state.trainer()); // MXNet's server keeps its own copy
        loadOptimizer(state.optimizer(), idsByName(block), state.model().getNDManager(), folder);
        for (Map.Entry<HydraMode, Recurrence> entry : state.recurrences().entrySet()) {
            loadRecurrence(entry.getValue(), prefix(entry.getKey()), state.scratch(), folder);
        }
        return saved;
    }

    private static String prefix(HydraMode mode) {
        return mode == HydraMode.HESSIAN_FREE ? "free" : "aware";
    }

    // ---- parameters

    /** Every parameter of the block, running statistics included, named by its path. */
    private static void saveParameters(Block block, Checksums files) throws IOException {
        NDList arrays = new NDList();
        try {
            for (Pair<String, Parameter> pair : block.getParameters()) {
                NDArray copy = pair.getValue().getArray().duplicate();
                copy.setName(pair.getKey());
                arrays.add(copy);
            }
            try (OutputStream out = files.create(PARAMETERS)) {
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

    private static void saveOptimizer(
            HydraSgd optimizer, Map<String, String> names, Checksums files) throws IOException {
        NDList arrays = new NDList();
        try {
            for (Map.Entry<String, NDArray> entry : optimizer.momentumBuffers().entrySet()) {
                NDArray copy = entry.getValue().duplicate();
                copy.setName(names.get(entry.getKey()));
                arrays.add(copy);
            }
            try (OutputStream out = files.create(OPTIMIZER)) {
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
        try (OutputStream out = files.create(COUNTS)) {
            out.write(counts.toString().getBytes(StandardCharsets.UTF_8));
        }
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
            Recurrence recurrence, String prefix, NDManager scratch, Checksums files)
            throws IOException {
        for (Map.Entry<String, HypergradientStore> store : recurrence.stores().entrySet()) {
            try (OutputStream out = files.create(storeFile(prefix, store.getKey()))) {
                saveStore(store.getValue(), scratch, out);
            }
        }
        if (recurrence.pendingSteps().isPresent()) {
            try (OutputStream out = files.create(stepsFile(prefix))) {
                savePendingSteps(recurrence.pendingSteps().get(), out);
            }
        }
    }

    private static void loadRecurrence(
            Recurrence recurrence, String prefix, NDManager scratch, Path dir) throws IOException {
        for (Map.Entry<String, HypergradientStore> store : recurrence.stores().entrySet()) {
            loadStore(store.getValue(), scratch, dir.resolve(storeFile(prefix, store.getKey())));
        }
        if (recurrence.pendingSteps().isPresent()) {
            recurrence.restorePendingSteps(loadPendingSteps(dir.resolve(stepsFile(prefix))));
        }
    }

    private static String storeFile(String prefix, String store) {
        return prefix + "-" + store + ".bin";
    }

    private static String stepsFile(String prefix) {
        return prefix + "-steps.bin";
    }

    /** Every row of a store, in order, whatever its placement. */
    private static void saveStore(HypergradientStore store, NDManager manager, OutputStream out)
            throws IOException {
        WritableByteChannel channel = Channels.newChannel(out);
        for (int start = 0; start < store.rows(); start += CHUNK_ROWS) {
            try (NDManager scope = manager.newSubManager()) {
                ByteBuffer bytes = store.read(scope, rows(start, store.rows())).toByteBuffer();
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
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

    private static void savePendingSteps(PendingSteps steps, OutputStream stream)
            throws IOException {
        DataOutputStream out = new DataOutputStream(stream);
        {
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
            out.flush();
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

    private static void writeProperties(Checksums files, Map<String, String> values)
            throws IOException {
        Properties properties = new Properties();
        properties.putAll(values);
        try (OutputStream out = files.create(PROPERTIES)) {
            Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            properties.store(writer, "hydra-djl checkpoint");
            writer.flush();
        }
    }

    private static Map<String, String> readProperties(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> out = new LinkedHashMap<>();
        properties.forEach((key, value) -> out.put(key.toString(), value.toString()));
        return out;
    }

    /**
     * Moves a finished checkpoint into place, dropping the previous one. A kill between the two
     * renames leaves no checkpoint under the folder's name but two complete ones beside it ({@code
     * .old} and {@code .partial}): {@link #recover} puts the newer one in place.
     */
    private static void replace(Path finished, Path target) throws IOException {
        Path old = sibling(target, OLD);
        deleteRecursively(old);
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(finished, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.syncFolder(target.getParent());
        deleteRecursively(old);
    }

    /**
     * Finishes a replace that a kill interrupted between its two renames: when the folder is
     * missing, the complete {@code .partial} sibling (the newer checkpoint, fully written) or else
     * the complete {@code .old} one takes its place.
     */
    private static void recover(Path target) throws IOException {
        if (Files.exists(target)) {
            return;
        }
        Path partial = sibling(target, PARTIAL);
        Path old = sibling(target, OLD);
        Path found = Checksums.complete(partial) ? partial : Checksums.complete(old) ? old : null;
        if (found == null) {
            return;
        }
        Files.move(found, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.syncFolder(target.getParent());
        deleteRecursively(old);
        logger.info(
                "Finished the replace of checkpoint {} that an interrupted run left: {} is back in"
                        + " place",
                target,
                found.getFileName());
    }

    private static void requireCheckpoint(Path folder) throws IOException {
        if (!Files.isRegularFile(folder.resolve(PROPERTIES))) {
            throw new IOException(
                    "No hydra-djl checkpoint in "
                            + folder
                            + " (missing "
                            + PROPERTIES
                            + (Files.exists(sibling(folder, PARTIAL))
                                    ? "; "
                                            + sibling(folder, PARTIAL).getFileName()
                                            + " is an unfinished write"
                                    : "")
                            + ")");
        }
    }

    private static Path sibling(Path folder, String suffix) {
        return folder.resolveSibling(folder.getFileName() + suffix);
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
