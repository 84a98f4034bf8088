package ai.hydra.reproduce.metrics;

/**
 * Which end of a score ranking an inspector looks at first, i.e. where flagged samples are
 * expected.
 *
 * <p>Every detection metric takes the direction explicitly, so that a method whose suspicious
 * samples score low (HYDRA's {@code C(i)} against clean held-out data: a mislabeled sample raises
 * the clean loss, its contribution is negative) and one whose suspicious samples score high
 * (self-influence, an isolation forest's anomaly score, the training loss) are scored alike.
 */
public enum Direction {
    /** The lowest scores are the most suspicious (e.g. contributions to a clean loss). */
    LOWEST_FIRST,
    /** The highest scores are the most suspicious (e.g. self-influence, anomaly scores). */
    HIGHEST_FIRST;

    /**
     * Maps a score to a suspicion level: the higher, the earlier it is inspected.
     *
     * @param score the score
     * @return {@code score} for {@link #HIGHEST_FIRST}, {@code -score} for {@link #LOWEST_FIRST}
     *     (never {@code -0.0}, so that 0 and -0 tie)
     */
    public double suspicion(double score) {
        return (this == LOWEST_FIRST ? -score : score) + 0.0;
    }
}
