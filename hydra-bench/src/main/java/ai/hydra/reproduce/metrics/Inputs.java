package ai.hydra.reproduce.metrics;

/** Argument checks shared by the metrics: clear messages instead of silently wrong numbers. */
final class Inputs {

    private Inputs() {}

    /** Fails unless both arrays exist and have the same, non-zero length. */
    static int sameLength(String what, int first, int second) {
        if (first != second) {
            throw new IllegalArgumentException(
                    what + ": the two inputs differ in length (" + first + " vs " + second + ")");
        }
        if (first == 0) {
            throw new IllegalArgumentException(what + ": the inputs are empty");
        }
        return first;
    }

    /** Fails on the first NaN or infinite value, naming its index. */
    static void finite(String what, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(
                        what + ": value " + values[i] + " at index " + i + " is not finite");
            }
        }
    }

    /** Counts the true entries. */
    static int count(boolean[] flags) {
        int count = 0;
        for (boolean flag : flags) {
            if (flag) {
                count++;
            }
        }
        return count;
    }
}
