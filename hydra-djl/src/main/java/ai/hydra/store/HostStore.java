package ai.hydra.store;

import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A store in direct (off-heap) host memory. Java caps direct memory at {@code
 * -XX:MaxDirectMemorySize} (by default the heap size): {@link StorePlanner} checks the cap.
 */
public final class HostStore extends BufferStore {

    /**
     * Allocates a zero matrix in host memory.
     *
     * @param rows the row count
     * @param columns the column count
     * @param dataType FLOAT32 or FLOAT64
     */
    public HostStore(int rows, long columns, DataType dataType) {
        super(rows, columns, dataType);
        List<ByteBuffer> chunks = new ArrayList<>();
        for (long size : chunkSizes()) {
            chunks.add(ByteBuffer.allocateDirect((int) size).order(ByteOrder.nativeOrder()));
        }
        setChunks(chunks);
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return "host memory (" + rows() + " x " + columns() + ", " + dataType() + ")";
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        setChunks(List.of()); // direct buffers are freed by the garbage collector
    }
}
