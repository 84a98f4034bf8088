package ai.hydra.store;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.IntStream;

/**
 * Copies a {@link HypergradientStore} to and from a raw file (rows in order, native byte order),
 * chunk by chunk, whatever the store's placement: the hypergradient part of a checkpoint.
 */
public final class StoreFiles {

    private static final int CHUNK_ROWS = 256;

    private StoreFiles() {}

    /**
     * Writes every row of a store to a file.
     *
     * @param store the store
     * @param manager a manager for temporaries
     * @param file the file (replaced)
     * @throws IOException if writing fails
     */
    public static void save(HypergradientStore store, NDManager manager, Path file)
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

    /**
     * Fills a store from a file written by {@link #save}.
     *
     * @param store the store, of the same shape
     * @param manager a manager on the store's device, for temporaries
     * @param file the file
     * @throws IOException if reading fails or the file has the wrong size
     */
    public static void load(HypergradientStore store, NDManager manager, Path file)
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
}
