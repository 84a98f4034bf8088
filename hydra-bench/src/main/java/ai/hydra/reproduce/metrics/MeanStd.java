package ai.hydra.reproduce.metrics;

import java.util.Locale;
import org.apache.commons.math3.stat.descriptive.moment.Mean;
import org.apache.commons.math3.stat.descriptive.moment.StandardDeviation;

/**
 * The mean and sample standard deviation of a metric over repetitions (seeds), reported as {@code
 * mean +- std (n=...)}.
 *
 * @param mean the arithmetic mean
 * @param std the sample standard deviation (divisor {@code n - 1}); NaN for a single value, whose
 *     spread is unknown
 * @param n the number of values
 */
public record MeanStd(double mean, double std, int n) {

    /**
     * Summarizes values.
     *
     * @param values one value per repetition, at least one, all finite
     * @return the summary
     * @throws IllegalArgumentException if there is no value or a value is not finite
     */
    public static MeanStd of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("MeanStd: no values given");
        }
        Inputs.finite("MeanStd", values);
        double std = values.length == 1 ? Double.NaN : new StandardDeviation(true).evaluate(values);
        return new MeanStd(new Mean().evaluate(values), std, values.length);
    }

    /**
     * Formats as {@code mean +- std (n=N)} with the given number of decimals, or {@code mean
     * (n=1)}.
     *
     * @param decimals digits after the decimal point
     * @return the text, e.g. {@code 0.981 +- 0.004 (n=3)}
     */
    public String format(int decimals) {
        String number = "%." + decimals + "f";
        if (Double.isNaN(std)) {
            return String.format(Locale.ROOT, number + " (n=%d)", mean, n);
        }
        return String.format(Locale.ROOT, number + " +- " + number + " (n=%d)", mean, std, n);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return format(4);
    }
}
