package ai.hydra.store;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A store that keeps the whole matrix as one array on a device (the trainer's, usually). */
public final class DeviceStore implements HypergradientStore {

    private static final Logger logger = LoggerFactory.getLogger(DeviceStore.class);

    private final NDManager manager;
    private final NDArray matrix;

    /** Engines whose indexer cannot set rows by an index array (MXNet): logged once. */
    private static final Set<String> ROW_BY_ROW = ConcurrentHashMap.newKeySet();

    /**
     * Allocates a zero matrix on a device.
     *
     * @param parent the manager to allocate under
     * @param device the device
     * @param rows the row count
     * @param columns the column count
     * @param dataType the element type
     */
    public DeviceStore(NDManager parent, Device device, int rows, long columns, DataType dataType) {
        manager = parent.newSubManager(device);
        matrix = manager.zeros(new Shape(rows, columns), dataType);
    }

    /** {@inheritDoc} */
    @Override
    public int rows() {
        return (int) matrix.getShape().get(0);
    }

    /** {@inheritDoc} */
    @Override
    public long columns() {
        return matrix.getShape().get(1);
    }

    /** {@inheritDoc} */
    @Override
    public DataType dataType() {
        return matrix.getDataType();
    }

    /** {@inheritDoc} */
    @Override
    public NDArray read(NDManager target, int[] rows) {
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(matrix); // the gathered copy must not land in the store's manager
            NDArray index = scope.create(toLong(rows));
            NDArray picked = matrix.get(index).toDevice(target.getDevice(), false);
            picked.attach(target);
            return picked;
        }
    }

    /** {@inheritDoc} */
    @Override
    public void write(int[] rows, NDArray values) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray local = values.toDevice(matrix.getDevice(), false);
            local = local.toType(matrix.getDataType(), false);
            if (local != values) {
                local.attach(scope); // a converted copy; the caller's array stays the caller's
            }
            String engine = manager.getEngine().getEngineName();
            if (!ROW_BY_ROW.contains(engine)) {
                try {
                    matrix.set(new NDIndex("{}", scope.create(toLong(rows))), local);
                    return;
                } catch (UnsupportedOperationException e) {
                    // MXNet's indexer sets fixed indices and slices only
                    if (ROW_BY_ROW.add(engine)) {
                        logger.info(
                                "{} cannot scatter rows by an index array: the hypergradient"
                                        + " store writes row by row",
                                engine);
                    }
                }
            }
            for (int k = 0; k < rows.length; k++) {
                matrix.set(new NDIndex(rows[k]), local.get(k));
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public String describe() {
        return "device "
                + matrix.getDevice()
                + " ("
                + matrix.getShape()
                + ", "
                + matrix.getDataType()
                + ")";
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        manager.close();
    }

    private static long[] toLong(int[] rows) {
        long[] out = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i];
        }
        return out;
    }
}
