package ai.hydra.reproduce.metrics;

import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

/**
 * Agreement of estimated contributions with a gold standard (the paper's Figs. 4-5, after Koh et
 * al. 2019): Spearman's rank correlation and the sign-error rate.
 */
public final class Agreement {

    private Agreement() {}

    /**
     * Returns Spearman's rank correlation: Pearson's correlation of the average ranks (tied values
     * share the mean of their ranks), computed by Apache Commons Math.
     *
     * @param estimate one value per sample
     * @param gold the gold standard, one value per sample
     * @return the correlation in [-1, 1], or NaN if either input is constant (no ranking)
     * @throws IllegalArgumentException if the lengths differ, there are fewer than 2 samples, or a
     *     value is not finite
     */
    public static double spearman(double[] estimate, double[] gold) {
        int n = Inputs.sameLength("spearman", estimate.length, gold.length);
        if (n < 2) {
            throw new IllegalArgumentException("spearman: needs at least 2 samples, got " + n);
        }
        Inputs.finite("spearman estimate", estimate);
        Inputs.finite("spearman gold standard", gold);
        NaturalRanking ranking = new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE);
        return new SpearmansCorrelation(ranking).correlation(estimate, gold);
    }

    /**
     * Compares the signs of an estimate with those of a gold standard.
     *
     * <p>Exact zeros: a sample whose gold-standard value is exactly 0 has no sign to get right and
     * is left out (counted in {@link SignComparison#zeroGold()}); a sample whose estimate is
     * exactly 0 while the gold standard is not counts as an error (the estimate failed to give the
     * sign).
     *
     * @param estimate one value per sample
     * @param gold the gold standard, one value per sample
     * @return the counts; {@link SignComparison#rate()} is the paper's sign-error rate
     * @throws IllegalArgumentException if the lengths differ or a value is not finite
     */
    public static SignComparison compareSigns(double[] estimate, double[] gold) {
        int n = Inputs.sameLength("compareSigns", estimate.length, gold.length);
        Inputs.finite("compareSigns estimate", estimate);
        Inputs.finite("compareSigns gold standard", gold);
        int compared = 0;
        int errors = 0;
        for (int i = 0; i < n; i++) {
            if (gold[i] == 0) {
                continue;
            }
            compared++;
            if (Math.signum(estimate[i]) != Math.signum(gold[i])) {
                errors++;
            }
        }
        return new SignComparison(compared, errors, n - compared);
    }

    /**
     * Returns the sign-error rate: the fraction of samples (with a non-zero gold standard) whose
     * estimated sign differs from the gold standard's; see {@link #compareSigns} for zeros.
     *
     * @param estimate one value per sample
     * @param gold the gold standard, one value per sample
     * @return the rate in [0, 1]
     * @throws IllegalArgumentException as {@link #compareSigns}
     * @throws IllegalStateException if every gold-standard value is exactly zero
     */
    public static double signErrorRate(double[] estimate, double[] gold) {
        return compareSigns(estimate, gold).rate();
    }

    /**
     * Counts of a sign comparison.
     *
     * @param compared samples with a non-zero gold-standard value
     * @param errors of those, samples whose estimate has another sign (or is zero)
     * @param zeroGold samples left out because their gold-standard value is exactly zero
     */
    public record SignComparison(int compared, int errors, int zeroGold) {

        /**
         * Returns {@code errors / compared}.
         *
         * @return the sign-error rate in [0, 1]
         * @throws IllegalStateException if no sample had a non-zero gold-standard value
         */
        public double rate() {
            if (compared == 0) {
                throw new IllegalStateException(
                        "sign-error rate undefined: all "
                                + zeroGold
                                + " gold-standard values are exactly zero");
            }
            return (double) errors / compared;
        }
    }
}
