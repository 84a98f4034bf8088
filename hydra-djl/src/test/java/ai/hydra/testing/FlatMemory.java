package ai.hydra.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.hydra.store.HostMemory;
import org.junit.jupiter.api.Assumptions;

/**
 * Checks that repeating an operation keeps the resident memory flat. The JVM heap and the native
 * allocator grow to their working size in the first calls and then fluctuate; a native leak grows
 * linearly, so the smallest resident size over the last tenth of the calls is compared with that
 * over the fifth tenth. Skipped where the resident size cannot be read (no /proc).
 */
public final class FlatMemory {

    private FlatMemory() {}

    /**
     * Runs {@code call} {@code calls} times and asserts that the resident size grew by less than
     * {@code slackMb}.
     *
     * @param name what is measured, for the message
     * @param calls how many calls
     * @param slackMb the growth allowed, in MB
     * @param call the operation; it receives the call's number
     */
    public static void assertFlat(String name, int calls, long slackMb, CallNumber call) {
        Assumptions.assumeTrue(
                HostMemory.resident().isPresent(),
                "no /proc/self/status here: the resident set size cannot be measured");
        long middle = Long.MAX_VALUE;
        long end = Long.MAX_VALUE;
        int sample = Math.max(1, calls / 50);
        for (int i = 0; i < calls; i++) {
            call.run(i);
            if (i % sample == 0 && i >= 4 * calls / 10) {
                System.gc();
                long rss = HostMemory.resident().orElseThrow() >> 20;
                if (i < calls / 2) {
                    middle = Math.min(middle, rss);
                } else if (i >= 9 * calls / 10) {
                    end = Math.min(end, rss);
                }
            }
        }
        System.out.printf(
                "%s: RSS after %,d calls %d MB, after %,d %d MB%n",
                name, calls / 2, middle, calls, end);
        assertTrue(end - middle < slackMb, name + ": RSS grew by " + (end - middle) + " MB");
    }

    /** One call of the measured operation. */
    @FunctionalInterface
    public interface CallNumber {

        /**
         * Runs the operation once.
         *
         * @param number the call's number, from 0
         */
        void run(int number);
    }
}
