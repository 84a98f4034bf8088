package ai.hydra.bench;

import ai.djl.Device;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The named results of one benchmark run, printed as a table and written as JSON, with what the
 * machine was doing meanwhile (load average, peak memory), and the option parsing benchmarks share.
 */
final class BenchmarkResults {

    private final Map<String, Object> values = new LinkedHashMap<>();

    /** Records a value (numbers, double arrays and text). */
    void put(String key, Object value) {
        values.put(key, value);
    }

    /** Returns a recorded number. */
    double number(String key) {
        return ((Number) values.get(key)).doubleValue();
    }

    /**
     * The one-minute system load average: other processes sharing the cores distort the timings, so
     * the result records it.
     */
    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Peak resident set size of this process (VmHWM), or -1 where /proc is not available. */
    static long peakRssMib() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) >> 10;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Prints the values as a two-column table under a title. */
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

    /** Writes the values as a flat JSON object into {@code directory/name}. */
    void writeJson(Path directory, String name) throws IOException {
        Files.createDirectories(directory);
        StringBuilder json = new StringBuilder("{\n");
        int n = 0;
        for (Map.Entry<String, Object> entry : values.entrySet()) {
            json.append("  \"")
                    .append(entry.getKey())
                    .append("\": ")
                    .append(jsonValue(entry.getValue()));
            json.append(++n < values.size() ? ",\n" : "\n");
        }
        json.append("}\n");
        Path file = directory.resolve(name);
        Files.writeString(file, json);
        System.out.println("Wrote " + file.toAbsolutePath());
    }

    private static String jsonValue(Object value) {
        if (value instanceof Number || value instanceof double[]) {
            return format(value).replace("NaN", "null");
        }
        return "\"" + String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** Parses a count option: positive, or also 0 if allowed. */
    static int positive(String flag, String value, boolean zeroAllowed) {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs an integer, got " + value, e);
        }
        if (n < 0 || n == 0 && !zeroAllowed) {
            throw new IllegalArgumentException(flag + " must be positive, got " + value);
        }
        return n;
    }

    /** Parses a device option. */
    static Device device(String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                return Device.gpu();
            default:
                throw new IllegalArgumentException("--device must be cpu or gpu, got " + value);
        }
    }
}
