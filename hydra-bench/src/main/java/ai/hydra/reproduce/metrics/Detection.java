package ai.hydra.reproduce.metrics;

import java.util.Arrays;
import org.apache.commons.math3.stat.ranking.NaNStrategy;
import org.apache.commons.math3.stat.ranking.NaturalRanking;
import org.apache.commons.math3.stat.ranking.TiesStrategy;

/**
 * How well a score finds flagged samples (e.g. training samples whose labels were flipped).
 *
 * <p>Both metrics treat ties fairly: tied samples are inspected in random order, and the metrics
 * return the expectation over that order (so a constant score gives an AUC of exactly 0.5, and a
 * method cannot gain by the order in which it lists tied samples).
 *
 * <pre>{@code
 * double auc = Detection.rocAuc(contributions, flipped, Direction.LOWEST_FIRST);
 * double found10 = Detection.fractionFound(contributions, flipped, Direction.LOWEST_FIRST, 0.10);
 * }</pre>
 */
public final class Detection {

    private Detection() {}

    /**
     * Returns the area under the ROC curve of finding the flagged samples by inspecting them in the
     * given direction: the probability that a random flagged sample is more suspicious than a
     * random unflagged one, ties counting one half (the Mann-Whitney statistic, computed from
     * average ranks).
     *
     * @param scores one score per sample
     * @param flagged which samples are to be found
     * @param direction which end of the ranking is inspected first
     * @return the AUC in [0, 1]: 1 = every flagged sample ranks first, 0.5 = chance
     * @throws IllegalArgumentException if the lengths differ, a score is not finite, or no sample
     *     (or every sample) is flagged
     */
    public static double rocAuc(double[] scores, boolean[] flagged, Direction direction) {
        int n = Inputs.sameLength("rocAuc", scores.length, flagged.length);
        Inputs.finite("rocAuc scores", scores);
        long positives = requireBothClasses("rocAuc", flagged);
        long negatives = n - positives;
        double[] suspicion = new double[n];
        for (int i = 0; i < n; i++) {
            suspicion[i] = direction.suspicion(scores[i]);
        }
        double[] ranks =
                new NaturalRanking(NaNStrategy.FAILED, TiesStrategy.AVERAGE).rank(suspicion);
        double rankSum = 0;
        for (int i = 0; i < n; i++) {
            if (flagged[i]) {
                rankSum += ranks[i];
            }
        }
        double u = rankSum - positives * (positives + 1) / 2.0;
        return u / ((double) positives * negatives);
    }

    /**
     * Returns the fraction of the flagged samples found by inspecting the most suspicious {@code
     * inspectedFraction} of all samples: {@code m = round(inspectedFraction * n)} samples are
     * inspected. When the m-th place falls inside a group of tied scores, the group's flagged
     * samples count in proportion to the places left (the expectation over a random order).
     *
     * @param scores one score per sample
     * @param flagged which samples are to be found
     * @param direction which end of the ranking is inspected first
     * @param inspectedFraction the share of all samples inspected, in [0, 1]
     * @return the found share of the flagged samples, in [0, 1]
     * @throws IllegalArgumentException if the lengths differ, a score is not finite, no sample is
     *     flagged, or the fraction is outside [0, 1]
     */
    public static double fractionFound(
            double[] scores, boolean[] flagged, Direction direction, double inspectedFraction) {
        int n = Inputs.sameLength("fractionFound", scores.length, flagged.length);
        Inputs.finite("fractionFound scores", scores);
        if (!(inspectedFraction >= 0 && inspectedFraction <= 1)) {
            throw new IllegalArgumentException(
                    "fractionFound: the inspected fraction must be in [0, 1], got "
                            + inspectedFraction);
        }
        int positives = Inputs.count(flagged);
        if (positives == 0) {
            throw new IllegalArgumentException(
                    "fractionFound: no sample is flagged, so there is nothing to find");
        }
        int inspected = (int) Math.round(inspectedFraction * n);
        if (inspected == 0) {
            return 0;
        }
        double[] suspicion = Arrays.stream(scores).map(direction::suspicion).toArray();
        double[] ascending = suspicion.clone();
        Arrays.sort(ascending);
        double cut = ascending[n - inspected]; // the least suspicious of the inspected
        int above = 0;
        int foundAbove = 0;
        int tied = 0;
        int foundTied = 0;
        for (int i = 0; i < n; i++) {
            if (suspicion[i] > cut) {
                above++;
                foundAbove += flagged[i] ? 1 : 0;
            } else if (suspicion[i] == cut) {
                tied++;
                foundTied += flagged[i] ? 1 : 0;
            }
        }
        double found = foundAbove + (double) (inspected - above) * foundTied / tied;
        return found / positives;
    }

    private static long requireBothClasses(String what, boolean[] flagged) {
        int positives = Inputs.count(flagged);
        if (positives == 0 || positives == flagged.length) {
            throw new IllegalArgumentException(
                    what
                            + ": needs flagged and unflagged samples, got "
                            + positives
                            + " flagged of "
                            + flagged.length);
        }
        return positives;
    }
}
