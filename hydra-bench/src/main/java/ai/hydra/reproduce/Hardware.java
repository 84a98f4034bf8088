package ai.hydra.reproduce;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The machine a reproduction ran on, as its reports state it: CPU model and cores, engine and
 * device, PyTorch's thread setting, memory, and the 1-minute load average at start and end (other
 * processes share the cores, which makes timings noisy).
 *
 * @param cpu the CPU model, from {@code /proc/cpuinfo} where available
 * @param cores the processors the JVM sees
 * @param engine the deep learning engine and its version
 * @param gpus the GPUs the engine sees
 * @param threads PyTorch's intra-op thread setting ({@code ai.djl.pytorch.num_threads}), or
 *     "default"
 * @param maxHeapMib the JVM's maximum heap
 * @param loadAtStart the 1-minute load average when the reproduction started
 * @param loadAtEnd the 1-minute load average when it ended (NaN until then)
 */
public record Hardware(
        String cpu,
        int cores,
        String engine,
        int gpus,
        String threads,
        long maxHeapMib,
        double loadAtStart,
        double loadAtEnd) {

    /**
     * Describes this machine now.
     *
     * @return the description, with the load average at start
     */
    public static Hardware current() {
        Engine engine = Engine.getInstance();
        return new Hardware(
                cpuModel().orElse(System.getProperty("os.arch")),
                Runtime.getRuntime().availableProcessors(),
                engine.getEngineName() + " " + engine.getVersion(),
                engine.getGpuCount(),
                System.getProperty("ai.djl.pytorch.num_threads", "default"),
                Runtime.getRuntime().maxMemory() >> 20,
                loadAverage(),
                Double.NaN);
    }

    /**
     * Returns this description with the current load average as the end value.
     *
     * @return a copy
     */
    public Hardware finished() {
        return new Hardware(
                cpu, cores, engine, gpus, threads, maxHeapMib, loadAtStart, loadAverage());
    }

    /**
     * Whether the engine sees a GPU.
     *
     * @return true with at least one GPU
     */
    public boolean hasGpu() {
        return gpus > 0;
    }

    /**
     * Describes the machine in one line for reports.
     *
     * @return e.g. {@code 2 cores (Intel Xeon ...), PyTorch 2.7.1, no GPU, 1 PyTorch thread, load
     *     1.2 -> 2.3}
     */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%d cores (%s), %s, %s, PyTorch threads %s, max heap %d MiB, 1-minute load"
                        + " average %.2f at start, %.2f at end",
                cores,
                cpu,
                engine,
                gpus == 0 ? "no GPU" : gpus + " GPU(s)",
                threads,
                maxHeapMib,
                loadAtStart,
                loadAtEnd);
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static Optional<String> cpuModel() {
        Path info = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(info)) {
            return Optional.empty();
        }
        try {
            return Files.readAllLines(info).stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
