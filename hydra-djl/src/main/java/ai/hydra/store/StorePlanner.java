package ai.hydra.store;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.cuda.CudaUtils;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Chooses where hypergradient state lives from memory budgets: on the trainer's device when it
 * fits, else in host memory, else in memory-mapped files; a clear error when nothing fits.
 */
public final class StorePlanner {

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
     * Chooses a placement for {@code matrices} matrices of {@code rows x columns}.
     *
     * @param rows tracked samples
     * @param columns parameter-space dimension
     * @param dataType element type
     * @param matrices how many such matrices the run keeps (d and m, per mode)
     * @param device the trainer's device
     * @return the plan
     * @throws IllegalStateException if no placement fits, naming the sizes and the remedies
     */
    public Plan plan(int rows, long columns, DataType dataType, int matrices, Device device) {
        long bytes = (long) rows * columns * dataType.getNumOfBytes() * matrices;
        long deviceLimit = deviceBudget >= 0 ? deviceBudget : defaultDeviceBudget(device);
        long hostLimit = hostBudget >= 0 ? hostBudget : defaultHostBudget();
        long diskLimit = freeDisk();
        if (placement == Placement.DEVICE || placement == Placement.AUTO && bytes <= deviceLimit) {
            return checked(
                    new Plan(Placement.DEVICE, bytes, device),
                    deviceLimit,
                    rows,
                    columns,
                    dataType,
                    matrices);
        }
        if (placement == Placement.HOST || placement == Placement.AUTO && bytes <= hostLimit) {
            return checked(
                    new Plan(Placement.HOST, bytes, device),
                    hostLimit,
                    rows,
                    columns,
                    dataType,
                    matrices);
        }
        if (placement == Placement.DISK || placement == Placement.AUTO && bytes <= diskLimit) {
            return checked(
                    new Plan(Placement.DISK, bytes, device),
                    diskLimit,
                    rows,
                    columns,
                    dataType,
                    matrices);
        }
        throw new IllegalStateException(
                String.format(
                        Locale.ROOT,
                        "Hypergradient state needs %s (%d tracked samples x %d parameters x %d"
                                + " bytes x %d vectors) but the device budget is %s, host %s and"
                                + " disk %s free in %s. Track fewer samples, use the Hessian-free"
                                + " mode alone, or point the store directory at a larger disk.",
                        human(bytes),
                        rows,
                        columns,
                        dataType.getNumOfBytes(),
                        matrices,
                        human(deviceLimit),
                        human(hostLimit),
                        human(diskLimit),
                        directory));
    }

    private Plan checked(
            Plan plan, long limit, int rows, long columns, DataType type, int matrices) {
        if (plan.bytes > limit) {
            throw new IllegalStateException(
                    String.format(
                            Locale.ROOT,
                            "Hypergradient state needs %s (%d x %d x %d bytes x %d) but the %s"
                                    + " budget is %s. Track fewer samples, or let hydra-djl choose"
                                    + " the placement (AUTO).",
                            human(plan.bytes),
                            rows,
                            columns,
                            type.getNumOfBytes(),
                            matrices,
                            plan.placement.name().toLowerCase(Locale.ROOT),
                            human(limit)));
        }
        return plan;
    }

    private long freeDisk() {
        try {
            Files.createDirectories(directory);
            return (long) (Files.getFileStore(directory).getUsableSpace() * 0.9);
        } catch (IOException e) {
            return 0;
        }
    }

    private static long defaultDeviceBudget(Device device) {
        if (device.isGpu()) {
            MemoryUsage usage = CudaUtils.getGpuMemory(device);
            return (usage.getMax() - usage.getUsed()) / 2;
        }
        return defaultHostBudget();
    }

    /**
     * Half of the physical memory free now, and half of the JVM's direct-memory cap (by default the
     * maximum heap): host stores and their read buffers are direct memory.
     */
    private static long defaultHostBudget() {
        return Math.min(Runtime.getRuntime().maxMemory() / 2, freePhysicalMemory() / 2);
    }

    /** Free physical memory; a minimal Java runtime may lack the jdk.management module. */
    private static long freePhysicalMemory() {
        try {
            if (ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os) {
                return os.getFreeMemorySize();
            }
        } catch (LinkageError e) {
            // fall through to /proc
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: rely on the heap cap alone
        }
        return Long.MAX_VALUE;
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
         * Caps the device memory used; defaults to half the free GPU memory (on CPU, the host
         * budget).
         *
         * @param bytes the budget
         * @return this builder
         */
        public Builder optDeviceBudget(long bytes) {
            this.deviceBudget = bytes;
            return this;
        }

        /**
         * Caps the host memory used; defaults to half the free physical memory, and no more than
         * half the JVM's maximum heap (Java's default direct-memory cap).
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
