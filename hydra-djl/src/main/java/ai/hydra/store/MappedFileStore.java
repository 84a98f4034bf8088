package ai.hydra.store;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A store in memory-mapped files, one file per chunk of at most 2 GiB. The operating system pages
 * rows in and out, so the matrix may exceed physical memory.
 *
 * <p>Nothing is left behind and a full disk is a clear error:
 *
 * <ul>
 *   <li>the files live in this process's folder of the store directory ({@link StoreFolders}):
 *       folders of processes that are gone are removed by the next store or {@link StorePlanner},
 *       and a shutdown hook removes this process's on exit, SIGTERM and Ctrl-C;
 *   <li>each file is deleted as soon as it is mapped where the system allows it (Linux, macOS): the
 *       mapping keeps the data, and the space returns when the process ends, even after {@code kill
 *       -9}; elsewhere the files are deleted on {@link #close()};
 *   <li>each file is filled with zeros when created, so that the disk blocks are allocated then: a
 *       disk without the room fails with an {@link UncheckedIOException} here (after a check of the
 *       free space), instead of crashing the JVM at a later write into the mapping (a {@code
 *       SIGBUS}, "a fault occurred in an unsafe memory access"). Copy-on-write file systems (btrfs,
 *       ZFS) can still run out later; such a failure is reported as an error naming the folder.
 * </ul>
 */
public final class MappedFileStore extends BufferStore {

    private static final int ZEROS = 1 << 20;

    private final List<Path> files = new ArrayList<>();
    private final Path directory;

    /**
     * Creates zero-filled mapped files.
     *
     * @param directory the store directory (created if missing)
     * @param name a prefix for the file names
     * @param rows the row count
     * @param columns the column count
     * @param dataType FLOAT32 or FLOAT64
     * @throws UncheckedIOException if the files cannot be created, e.g. the disk is too small
     */
    public MappedFileStore(Path directory, String name, int rows, long columns, DataType dataType) {
        super(rows, columns, dataType);
        this.directory = directory;
        List<ByteBuffer> chunks = new ArrayList<>();
        try {
            Path folder = StoreFolders.ofThisProcess(directory);
            long[] sizes = chunkSizes();
            requireSpace(folder, sizes);
            for (int c = 0; c < sizes.length; c++) {
                Path file = Files.createTempFile(folder, name + "-" + c + "-", ".bin");
                files.add(file);
                chunks.add(map(file, sizes[c]));
                try {
                    Files.delete(file); // the mapping keeps the data; the space returns at exit
                    files.remove(file);
                } catch (IOException e) {
                    // a system that cannot delete a mapped file (Windows): deleted on close
                }
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(
                    "Cannot create the hypergradient store in "
                            + directory
                            + ": "
                            + e.getMessage()
                            + ". Choose a writable folder with enough free space (hydra.storeDir,"
                            + " StorePlanner.Builder.optDirectory).",
                    e);
        }
        setChunks(chunks);
    }

    private void requireSpace(Path folder, long[] sizes) throws IOException {
        long needed = 0;
        for (long size : sizes) {
            needed += size;
        }
        long usable = Files.getFileStore(folder).getUsableSpace();
        if (needed > usable) {
            throw new IOException(
                    "the store needs "
                            + StorePlanner.human(needed)
                            + " but only "
                            + StorePlanner.human(usable)
                            + " are free there");
        }
    }

    /** Creates a file of real zero blocks (not a sparse one) and maps it. */
    private static ByteBuffer map(Path file, long size) throws IOException {
        try (FileChannel channel =
                FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            fillWithZeros(channel, size);
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, size)
                    .order(ByteOrder.nativeOrder());
        }
    }

    /**
     * Writes {@code size} zero bytes from the channel's position, so that the file system allocates
     * every block now: a full disk fails here with an {@link IOException} ("No space left on
     * device").
     *
     * @param channel the channel
     * @param size the bytes
     * @throws IOException if the blocks cannot be written
     */
    static void fillWithZeros(FileChannel channel, long size) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(ZEROS, Math.max(1, size)));
        for (long written = 0; written < size; ) {
            zeros.clear();
            zeros.limit((int) Math.min(zeros.capacity(), size - written));
            written += channel.write(zeros);
        }
        channel.force(false);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray read(NDManager manager, int[] rowNumbers) {
        try {
            return super.read(manager, rowNumbers);
        } catch (InternalError e) {
            throw failure(e);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void write(int[] rowNumbers, NDArray values) {
        try {
            super.write(rowNumbers, values);
        } catch (InternalError e) {
            throw failure(e);
        }
    }

    /** A fault in the mapping: the file system could not back a page (full, or failing). */
    private UncheckedIOException failure(InternalError e) {
        return new UncheckedIOException(
                new IOException(
                        "The file system of the disk store in "
                                + directory
                                + " failed to back its memory-mapped files (full, or an I/O"
                                + " error): free space there or choose another hydra.storeDir",
                        e));
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return "memory-mapped files in "
                + directory
                + " ("
                + rows()
                + " x "
                + columns()
                + ", "
                + dataType()
                + ")";
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        setChunks(List.of());
        for (Path file : files) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // best effort: a mapped file may stay open until its buffer is collected; the
                // process folder goes at exit or with the next run
            }
        }
        files.clear();
    }
}
