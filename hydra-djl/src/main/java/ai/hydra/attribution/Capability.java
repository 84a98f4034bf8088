package ai.hydra.attribution;

/** What an {@link Attributor} can compute; ask with {@link Attributor#supports}. */
public enum Capability {
    /**
     * Contributions of training samples to test losses: C(i) for the mean test loss, C(i, j) for
     * single test samples, and sums over groups of test samples ({@link Attributor#contributions}).
     */
    TEST_CONTRIBUTIONS("contributions to test losses"),

    /**
     * One value per training sample without test data ({@link Attributor#selfAttribution}): C(i,
     * i), a sample's contribution to its own loss, or a method's own per-sample score.
     */
    SELF_ATTRIBUTION("self-attribution");

    private final String description;

    Capability(String description) {
        this.description = description;
    }

    /**
     * Describes the capability for messages.
     *
     * @return e.g. "contributions to test losses"
     */
    public String description() {
        return description;
    }
}
