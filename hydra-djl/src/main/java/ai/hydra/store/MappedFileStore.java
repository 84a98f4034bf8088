package ai.hydra.store;

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
 * A store in memory-mapped files under a directory, one file per chunk of at most 2 GiB. The
 * operating system pages rows in and out, so the matrix may exceed physical memory. Files are
 * sparse until written and deleted on {@link #close()}.
 */
public final class MappedFileStore extends BufferStore {

    private final List<Path> files = new ArrayList<>();
    private Path directory;

    /**
     * Creates zero-filled mapped files.
     *
     * @param directory the directory (created if missing)
     * @param name a prefix for the file names
     * @param rows the row count
     * @param columns the column count
     * @param dataType FLOAT32 or FLOAT64
     */
    public MappedFileStore(Path directory, String name, int rows, long columns, DataType dataType) {
        super(rows, columns, dataType);
        List<ByteBuffer> chunks = new ArrayList<>();
        try {
            Files.createDirectories(directory);
            // a folder of its own: concurrent runs sharing the store directory must not share files
            this.directory = Files.createTempDirectory(directory, name + "-");
            long[] sizes = chunkSizes();
            for (int c = 0; c < sizes.length; c++) {
                Path file = this.directory.resolve(name + "-" + c + ".bin");
                files.add(file);
                try (FileChannel channel =
                        FileChannel.open(
                                file,
                                StandardOpenOption.CREATE_NEW,
                                StandardOpenOption.READ,
                                StandardOpenOption.WRITE)) {
                    chunks.add(
                            channel.map(FileChannel.MapMode.READ_WRITE, 0, sizes[c])
                                    .order(ByteOrder.nativeOrder()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "Cannot create the hypergradient store in "
                            + directory
                            + ": "
                            + e.getMessage()
                            + ". Choose a writable directory with enough free space.",
                    e);
        }
        setChunks(chunks);
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
        files.add(directory);
        for (Path file : files) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // best effort: a mapped file may stay open until its buffer is collected
            }
        }
    }
}
