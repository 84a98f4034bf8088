package ai.hydra.store;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A store whose rows live in byte buffers outside the engine: direct host memory ({@link
 * HostStore}) or memory-mapped files ({@link MappedFileStore}). Rows are packed into chunks of at
 * most 2 GiB, the limit of one Java buffer. Reads and writes copy between the buffers and the
 * engine, so these stores trade speed for capacity.
 */
public abstract class BufferStore implements HypergradientStore {

    /** The largest chunk one buffer may hold. */
    protected static final long MAX_CHUNK_BYTES = Integer.MAX_VALUE - 8L;

    private final int rows;
    private final long columns;
    private final DataType dataType;
    private final int rowBytes;
    private final int rowsPerChunk;
    private List<ByteBuffer> chunks;

    /**
     * Creates the layout of a store.
     *
     * @param rows the row count
     * @param columns the column count
     * @param dataType FLOAT32 or FLOAT64
     */
    protected BufferStore(int rows, long columns, DataType dataType) {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException("stores hold float32 or float64, not " + dataType);
        }
        long bytes = columns * dataType.getNumOfBytes();
        Preconditions.checkArgument(
                bytes <= MAX_CHUNK_BYTES,
                "one hypergradient row needs " + bytes + " bytes, more than a buffer can hold");
        this.rows = rows;
        this.columns = columns;
        this.dataType = dataType;
        this.rowBytes = (int) bytes;
        this.rowsPerChunk = (int) Math.max(1, MAX_CHUNK_BYTES / rowBytes);
    }

    /**
     * Allocates the chunks; called once by subclasses after construction.
     *
     * @param chunkList the zero-filled chunks, {@link #chunkSizes()} bytes each
     */
    protected final void setChunks(List<ByteBuffer> chunkList) {
        this.chunks = chunkList;
    }

    /**
     * Returns the byte size of each chunk the store needs.
     *
     * @return the chunk sizes in order
     */
    protected final long[] chunkSizes() {
        int count = (rows + rowsPerChunk - 1) / rowsPerChunk;
        long[] sizes = new long[count];
        for (int c = 0; c < count; c++) {
            int inChunk = Math.min(rowsPerChunk, rows - c * rowsPerChunk);
            sizes[c] = (long) inChunk * rowBytes;
        }
        return sizes;
    }

    /** {@inheritDoc} */
    @Override
    public int rows() {
        return rows;
    }

    /** {@inheritDoc} */
    @Override
    public long columns() {
        return columns;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray read(NDManager manager, int[] rowNumbers) {
        long bytes = (long) rowNumbers.length * rowBytes;
        if (bytes > MAX_CHUNK_BYTES) { // not checkArgument: the message is built only on failure
            throw new IllegalArgumentException(
                    "Reading "
                            + rowNumbers.length
                            + " rows needs "
                            + bytes
                            + " bytes, more than one buffer holds: read fewer rows at once"
                            + " (at most "
                            + MAX_CHUNK_BYTES / rowBytes
                            + ")");
        }
        ByteBuffer packed = ByteBuffer.allocateDirect((int) bytes);
        packed.order(ByteOrder.nativeOrder());
        for (int row : rowNumbers) {
            packed.put(row(row));
        }
        packed.rewind();
        return manager.create(packed, new Shape(rowNumbers.length, columns), dataType);
    }

    /** {@inheritDoc} */
    @Override
    public void write(int[] rowNumbers, NDArray values) {
        ByteBuffer source;
        if (values.getDataType() == dataType) {
            source = values.toByteBuffer();
        } else {
            try (NDArray cast = values.toType(dataType, true)) {
                source = cast.toByteBuffer();
            }
        }
        for (int k = 0; k < rowNumbers.length; k++) {
            ByteBuffer slice = source.duplicate();
            slice.position(k * rowBytes).limit((k + 1) * rowBytes);
            ByteBuffer target = row(rowNumbers[k]);
            target.put(slice);
        }
    }

    private ByteBuffer row(int row) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("row " + row + " of " + rows);
        }
        ByteBuffer chunk = chunks.get(row / rowsPerChunk).duplicate();
        int start = (row % rowsPerChunk) * rowBytes;
        chunk.position(start).limit(start + rowBytes);
        return chunk.slice();
    }

    /** {@inheritDoc} */
    @Override
    public DataType dataType() {
        return dataType;
    }
}
