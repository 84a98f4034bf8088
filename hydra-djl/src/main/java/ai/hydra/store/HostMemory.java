package ai.hydra.store;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads the host's and this process's memory: what is available for new allocations (store
 * budgets), the JVM's direct-memory limit, and the resident set size (memory tests and benchmarks).
 * Linux's {@code /proc} is read where present; elsewhere the JVM's own figures are used, or nothing
 * is known.
 */
public final class HostMemory {

    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path STATUS = Path.of("/proc/self/status");

    private HostMemory() {}

    /**
     * An amount of memory and where it was read.
     *
     * @param bytes the amount
     * @param source where it comes from, for messages
     */
    public record Reading(long bytes, String source) {}

    /**
     * Returns the memory available for new allocations without swapping: Linux's estimate ({@code
     * MemAvailable} in /proc/meminfo, which counts reclaimable caches), else the free memory the
     * JVM reports (container-aware, but without caches).
     *
     * @return the reading, or empty where neither is known
     */
    public static Optional<Reading> available() {
        OptionalLong memAvailable = procField(MEMINFO, "MemAvailable:");
        if (memAvailable.isPresent()) {
            return Optional.of(
                    new Reading(memAvailable.getAsLong(), "MemAvailable in /proc/meminfo"));
        }
        try {
            if (ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.OperatingSystemMXBean os) {
                return Optional.of(
                        new Reading(os.getFreeMemorySize(), "free memory reported by the JVM"));
            }
        } catch (LinkageError e) {
            // a minimal Java runtime without jdk.management
        }
        return Optional.empty();
    }

    /**
     * Returns the JVM's limit on direct (off-heap) buffers: {@code -XX:MaxDirectMemorySize} when
     * given, else the maximum heap ({@code -Xmx}), Java's default.
     *
     * @return the limit and which of the two it is
     */
    public static Reading directMemoryLimit() {
        List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (int i = arguments.size() - 1; i >= 0; i--) {
            String argument = arguments.get(i);
            if (argument.startsWith("-XX:MaxDirectMemorySize=")) {
                long bytes = parseSize(argument.substring(argument.indexOf('=') + 1));
                if (bytes > 0) {
                    return new Reading(bytes, "-XX:MaxDirectMemorySize");
                }
            }
        }
        return new Reading(
                Runtime.getRuntime().maxMemory(), "= the maximum heap -Xmx, Java's default");
    }

    /**
     * Returns this process's resident set size ({@code VmRSS}).
     *
     * @return the size in bytes, or empty where /proc/self/status is not available
     */
    public static OptionalLong resident() {
        return procField(STATUS, "VmRSS:");
    }

    /**
     * Returns this process's peak resident set size ({@code VmHWM}).
     *
     * @return the size in bytes, or empty where /proc/self/status is not available
     */
    public static OptionalLong peakResident() {
        return procField(STATUS, "VmHWM:");
    }

    /** A "Name: 123 kB" line of a /proc file, in bytes. */
    private static OptionalLong procField(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unreadable /proc: unknown
        }
        return OptionalLong.empty();
    }

    /** A HotSpot size such as 512m or 4g. */
    private static long parseSize(String text) {
        String value = text.trim().toLowerCase(java.util.Locale.ROOT);
        long factor = 1;
        char unit = value.isEmpty() ? ' ' : value.charAt(value.length() - 1);
        switch (unit) {
            case 'k' -> factor = 1L << 10;
            case 'm' -> factor = 1L << 20;
            case 'g' -> factor = 1L << 30;
            case 't' -> factor = 1L << 40;
            default -> factor = 1;
        }
        try {
            return Long.parseLong(factor == 1 ? value : value.substring(0, value.length() - 1))
                    * factor;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
