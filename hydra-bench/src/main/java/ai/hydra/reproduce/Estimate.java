package ai.hydra.reproduce;

import java.util.Locale;

/**
 * The estimated cost of one training run of a preset (per seed), from measured rates.
 *
 * @param run the run's name
 * @param seconds the estimated wall time on the machine the rates were measured on
 * @param storeBytes the memory of the hypergradient state (tracked samples x parameters x bytes x
 *     state vectors), the dominant memory use
 * @param detail how the estimate is made up
 */
public record Estimate(String run, double seconds, long storeBytes, String detail) {

    /**
     * Formats a duration.
     *
     * @param seconds the duration
     * @return e.g. {@code 3.5 min}, {@code 12 h}
     */
    public static String duration(double seconds) {
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.0f s", seconds);
        }
        if (seconds < 7200) {
            return String.format(Locale.ROOT, "%.1f min", seconds / 60);
        }
        if (seconds < 3 * 86400) {
            return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
        }
        return String.format(Locale.ROOT, "%.1f days", seconds / 86400);
    }

    /**
     * Formats a size.
     *
     * @param bytes the size
     * @return e.g. {@code 2.3 GiB}
     */
    public static String size(long bytes) {
        if (bytes < 1L << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1L << 30) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
