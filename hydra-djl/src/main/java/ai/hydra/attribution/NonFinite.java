package ai.hydra.attribution;

import java.util.Locale;

/** Counts NaN and infinite values of a result and refuses them with one message style. */
final class NonFinite {

    private NonFinite() {}

    /** The number of NaN or infinite values. */
    static long count(double[] values) {
        long count = 0;
        for (double value : values) {
            if (!Double.isFinite(value)) {
                count++;
            }
        }
        return count;
    }

    /**
     * Throws unless every value is finite.
     *
     * @param count the non-finite values
     * @param total all values
     * @param what the result, e.g. "contributions"
     * @param first where the first one is, e.g. "train index 3, test 19"
     */
    static void require(long count, long total, String what, String first) {
        if (count > 0) {
            throw new NonFiniteResultException(
                    String.format(
                            Locale.ROOT,
                            "%d of %d %s are NaN or infinite (the first at %s): the training or"
                                    + " the hypergradients diverged, so they are not written."
                                    + " Lower the learning rate, or allow non-finite values"
                                    + " explicitly to write them anyway (writeCsv(file, true),"
                                    + " ContributionReport.Builder.optAllowNonFinite, hydra"
                                    + " attribute --allow-non-finite)",
                            count,
                            total,
                            what,
                            first),
                    count);
        }
    }
}
