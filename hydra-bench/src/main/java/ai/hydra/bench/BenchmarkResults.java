package ai.hydra.bench;

import ai.hydra.io.AtomicFiles;
import ai.hydra.store.HostMemory;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The named results of one benchmark run, printed as a table and written as JSON, with what the
 * machine was doing meanwhile (load average, peak memory).
 */
final class BenchmarkResults {

    private final Map<String, Object> values = new LinkedHashMap<>();

    /**
     * Records a value (numbers, double arrays and text).
     *
     * @param key the name
     * @param value the value
     */
    void put(String key, Object value) {
        values.put(key, value);
    }

    /**
     * Returns a recorded number.
     *
     * @param key the name
     * @return the value
     */
    double number(String key) {
        return ((Number) values.get(key)).doubleValue();
    }

    /**
     * The one-minute system load average: other processes sharing the cores distort the timings, so
     * the result records it.
     *
     * @return the load average
     */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /**
     * Peak resident set size of this process, or -1 where it cannot be read.
     *
     * @return MiB
     */
    static long peakRssMib() {
        return HostMemory.peakResident().orElse(-1L << 20) >> 20;
    }

    /**
     * Prints the values as a two-column table under a title.
     *
     * @param title the title
     */
    void printTable(String title) {
        System.out.println();
        System.out.println(title);
        System.out.println("-".repeat(78));
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            System.out.printf(Locale.ROOT, "%-34s %s%n", entry.getKey(), format(entry.getValue()));
        }
        System.out.println("-".repeat(78));
    }

    private static String format(Object value) {
        if (value instanceof Double d) {
            return String.format(Locale.ROOT, "%.4g", d);
        }
        if (value instanceof double[] a) {
            List<String> parts = new ArrayList<>();
            for (double d : a) {
                parts.add(String.format(Locale.ROOT, "%.4g", d));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        return String.valueOf(value);
    }

    /**
     * Writes the values as a JSON object.
     *
     * @param directory the folder (created if missing)
     * @param name the file name
     * @throws IOException if writing fails
     */
    void writeJson(Path directory, String name) throws IOException {
        Files.createDirectories(directory);
        Map<String, Object> json = new LinkedHashMap<>();
        values.forEach((key, value) -> json.put(key, jsonValue(value)));
        Path file = directory.resolve(name);
        AtomicFiles.writeString(
                file,
                new GsonBuilder()
                        .setPrettyPrinting()
                        .serializeNulls()
                        .disableHtmlEscaping()
                        .create()
                        .toJson(json));
        System.out.println("Wrote " + file.toAbsolutePath());
    }

    /** JSON has no NaN: unmeasured figures become null. */
    private static Object jsonValue(Object value) {
        if (value instanceof Double d && d.isNaN()) {
            return null;
        }
        if (value instanceof double[] a) {
            return Arrays.stream(a).mapToObj(d -> Double.isNaN(d) ? null : d).toList();
        }
        return value;
    }
}
