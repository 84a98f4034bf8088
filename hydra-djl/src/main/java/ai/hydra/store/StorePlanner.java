package ai.hydra.store;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses where hypergradient state lives from memory budgets: on the trainer's device when it
 * fits, else in host memory, else in memory-mapped files; a clear error when nothing fits.
 */
public final class StorePlanner {

    private static final Logger logger = LoggerFactory.getLogger(StorePlanner.class);

    /** Where a store may be placed. */
    public enum Placement {
        /** The first of DEVICE, HOST, DISK whose budget fits. */
        AUTO,
        /** One array on the trainer's device. */
        DEVICE,
        /** Direct host memory. */
        HOST,
        /** Memory-mapped files. */
        DISK
    }

    private final Placement placement;
    private final long deviceBudget;
    private final long hostBudget;
    private final Path directory;

    private StorePlanner(Builder builder) {
        placement = builder.placement;
        deviceBudget = builder.deviceBudget;
        hostBudget = builder.hostBudget;
        directory = builder.directory;
    }

    /**
     * Creates a builder with automatic budgets.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the folder of memory-mapped (disk) stores.
     *
     * @return the folder
     */
    public Path directory() {
        return directory;
    }

    /**
     * Chooses a placement for {@code matrices} matrices of {@code rows x columns}.
     *
     * @param rows tracked samples
     * @param columns parameter-space dimension
     * @param dataType element type
     * @param matrices how many such matrices the run keeps (d and m, per mode)
     * @param device the trainer's device
     * @return the plan
     * @throws IllegalStateException if no placement fits, naming the sizes, where each budget comes
     *     from, and the remedies
     */
    public Plan plan(int rows, long columns, DataType dataType, int matrices, Device device) {
        long bytes = (long) rows * columns * dataType.getNumOfBytes() * matrices;
        String size =
                String.format(
                        Locale.ROOT,
                        "%s (%d x %d x %d bytes x %d: tracked samples x parameters x bytes per"
                                + " value x state vectors)",
                        human(bytes),
                        rows,
                        columns,
                        dataType.getNumOfBytes(),
                        matrices);
        Budget deviceLimit = deviceBudget(device);
        if (placement == Placement.DEVICE) {
            return checked(new Plan(Placement.DEVICE, bytes, device), size, deviceLimit);
        }
        if (placement == Placement.AUTO && bytes <= deviceLimit.bytes) {
            return new Plan(Placement.DEVICE, bytes, device);
        }
        Budget hostLimit = hostBudget();
        if (placement == Placement.HOST) {
            return checked(new Plan(Placement.HOST, bytes, device), size, hostLimit);
        }
        if (placement == Placement.AUTO && bytes <= hostLimit.bytes) {
            logger.info(
                    "Hypergradient state needs {} and does not fit the device budget, {}: it"
                            + " lives in host memory (copied to the device for every update).",
                    size,
                    deviceLimit.describe("device"));
            return new Plan(Placement.HOST, bytes, device);
        }
        Budget diskLimit = diskBudget();
        if (placement == Placement.DISK) {
            return checked(new Plan(Placement.DISK, bytes, device), size, diskLimit);
        }
        if (placement == Placement.AUTO && bytes <= diskLimit.bytes) {
            logger.warn(
                    "Hypergradient state needs {} and fits neither the device budget, {}, nor the"
                            + " host budget, {}: it lives in memory-mapped files in {}, which is"
                            + " slower. Raise a budget or track fewer samples to avoid this.",
                    size,
                    deviceLimit.describe("device"),
                    hostLimit.describe("host"),
                    directory);
            return new Plan(Placement.DISK, bytes, device);
        }
        throw new IllegalStateException(
                "Hypergradient state needs "
                        + size
                        + " but the "
                        + deviceLimit.describe("device")
                        + ", the "
                        + hostLimit.describe("host")
                        + " and the "
                        + diskLimit.describe("disk")
                        + ". Track fewer samples, use the Hessian-free mode alone, or point the"
                        + " store directory at a larger disk (hydra.storeDir,"
                        + " StorePlanner.Builder.optDirectory).");
    }

    /**
     * Returns the largest state this planner can place for a trainer on a device: the budget of its
     * fixed placement, or for {@link Placement#AUTO} the largest of the device, host and disk
     * budgets. Lets a caller say what fits before training starts.
     *
     * @param device the trainer's device
     * @return bytes
     */
    public long capacity(Device device) {
        return switch (placement) {
            case DEVICE -> deviceBudget(device).bytes;
            case HOST -> hostBudget().bytes;
            case DISK -> diskBudget().bytes;
            case AUTO ->
                    Math.max(
                            deviceBudget(device).bytes,
                            Math.max(hostBudget().bytes, diskBudget().bytes));
        };
    }

    private Plan checked(Plan plan, String size, Budget budget) {
        if (plan.bytes > budget.bytes) {
            throw new IllegalStateException(
                    "Hypergradient state needs "
                            + size
                            + " but the "
                            + budget.describe(plan.placement.name().toLowerCase(Locale.ROOT))
                            + ". Track fewer samples, or let hydra-djl choose the placement"
                            + " (hydra.store: auto; StorePlanner.Placement.AUTO).");
        }
        return plan;
    }

    /**
     * On a GPU half of its free memory; on the CPU the device store is one engine array in native
     * memory (outside the Java heap, so -Xmx does not limit it): half of the available memory.
     */
    private Budget deviceBudget(Device device) {
        if (deviceBudget >= 0) {
            return new Budget(deviceBudget, "as set with StorePlanner.Builder.optDeviceBudget");
        }
        if (device.isGpu()) {
            MemoryUsage usage = CudaUtils.getGpuMemory(device);
            long free = usage.getMax() - usage.getUsed();
            return new Budget(
                    free / 2,
                    "half of the "
                            + human(free)
                            + " free on "
                            + device
                            + "; change it with StorePlanner.Builder.optDeviceBudget");
        }
        return halfOfAvailable(
                "the CPU device store is native memory, not Java heap; change it with"
                        + " StorePlanner.Builder.optDeviceBudget");
    }

    /**
     * Host stores are direct buffers, capped by the JVM's direct-memory limit; half of it leaves
     * room for the buffers rows are read through. No more than half the available memory.
     */
    private Budget hostBudget() {
        if (hostBudget >= 0) {
            return new Budget(hostBudget, "as set with StorePlanner.Builder.optHostBudget");
        }
        HostMemory.Reading direct = HostMemory.directMemoryLimit();
        Budget byDirect =
                new Budget(
                        direct.bytes() / 2,
                        "half of the JVM's direct-memory limit of "
                                + human(direct.bytes())
                                + " ("
                                + direct.source()
                                + "); raise it with JAVA_OPTS=-XX:MaxDirectMemorySize=SIZE or"
                                + " StorePlanner.Builder.optHostBudget");
        Budget byMemory = halfOfAvailable("change it with StorePlanner.Builder.optHostBudget");
        return byMemory.bytes < byDirect.bytes ? byMemory : byDirect;
    }

    private static Budget halfOfAvailable(String remedy) {
        return HostMemory.available()
                .map(
                        available ->
                                new Budget(
                                        available.bytes() / 2,
                                        "half of the "
                                                + human(available.bytes())
                                                + " of available memory ("
                                                + available.source()
                                                + "); "
                                                + remedy))
                .orElse(
                        new Budget(
                                Long.MAX_VALUE,
                                "unlimited, as the available memory is unknown; " + remedy));
    }

    private Budget diskBudget() {
        try {
            Files.createDirectories(directory);
            StoreFolders.removeStale(directory); // stores of killed runs are not used space
            long usable = Files.getFileStore(directory).getUsableSpace();
            return new Budget(
                    (long) (usable * 0.9),
                    "90% of the "
                            + human(usable)
                            + " usable in "
                            + directory
                            + "; change the folder with hydra.storeDir or"
                            + " StorePlanner.Builder.optDirectory");
        } catch (IOException e) {
            return new Budget(0, "none: " + directory + " cannot be used (" + e.getMessage() + ")");
        }
    }

    /** A memory budget and where its number comes from. */
    private record Budget(long bytes, String source) {

        String describe(String placement) {
            String amount = bytes == Long.MAX_VALUE ? "unlimited" : human(bytes);
            return placement + " budget is " + amount + " (" + source + ")";
        }
    }

    /**
     * Formats a byte count for messages and reports, e.g. "6.6 MiB".
     *
     * @param bytes the count
     * @return the text
     */
    public static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }

    /** A chosen placement that creates the stores. */
    public final class Plan {

        private final Placement placement;
        private final long bytes;
        private final Device device;

        Plan(Placement placement, long bytes, Device device) {
            this.placement = placement;
            this.bytes = bytes;
            this.device = device;
        }

        /**
         * Returns the chosen placement.
         *
         * @return DEVICE, HOST or DISK
         */
        public Placement placement() {
            return placement;
        }

        /**
         * Returns the total bytes of all matrices.
         *
         * @return the size
         */
        public long bytes() {
            return bytes;
        }

        /**
         * Creates one zero matrix.
         *
         * @param parent the manager device stores allocate under
         * @param name a name for files
         * @param rows the row count
         * @param columns the column count
         * @param dataType the element type
         * @return the store
         */
        public HypergradientStore create(
                NDManager parent, String name, int rows, long columns, DataType dataType) {
            switch (placement) {
                case DEVICE:
                    return new DeviceStore(parent, device, rows, columns, dataType);
                case HOST:
                    return new HostStore(rows, columns, dataType);
                default:
                    return new MappedFileStore(directory, name, rows, columns, dataType);
            }
        }
    }

    /** Builds a {@link StorePlanner}. */
    public static final class Builder {

        private Placement placement = Placement.AUTO;
        private long deviceBudget = -1;
        private long hostBudget = -1;
        private Path directory = Path.of(System.getProperty("java.io.tmpdir"), "hydra-store");

        Builder() {}

        /**
         * Forces a placement; defaults to AUTO.
         *
         * @param placement the placement
         * @return this builder
         */
        public Builder optPlacement(Placement placement) {
            this.placement = placement;
            return this;
        }

        /**
         * Caps the device memory used; defaults to half the free GPU memory, on the CPU half of the
         * available physical memory (a CPU device store is native memory, which {@code -Xmx} does
         * not limit).
         *
         * @param bytes the budget
         * @return this builder
         */
        public Builder optDeviceBudget(long bytes) {
            this.deviceBudget = bytes;
            return this;
        }

        /**
         * Caps the host memory used; defaults to half of the JVM's direct-memory limit ({@code
         * -XX:MaxDirectMemorySize}, by default the maximum heap), and no more than half of the
         * available physical memory.
         *
         * @param bytes the budget
         * @return this builder
         */
        public Builder optHostBudget(long bytes) {
            this.hostBudget = bytes;
            return this;
        }

        /**
         * Sets the directory of memory-mapped stores; defaults to {@code
         * java.io.tmpdir/hydra-store}.
         *
         * @param directory the directory
         * @return this builder
         */
        public Builder optDirectory(Path directory) {
            this.directory = directory;
            return this;
        }

        /**
         * Builds the planner.
         *
         * @return the planner
         */
        public StorePlanner build() {
            return new StorePlanner(this);
        }
    }
}
