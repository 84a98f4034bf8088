package ai.hydra.data;

import java.util.Arrays;

/**
 * The result of corrupting labels with {@link LabelNoise}.
 *
 * @param labels the noisy labels, one per sample
 * @param chosenIndices the ascending indices selected for corruption
 * @param changedIndices the ascending indices whose label actually differs from the original (a
 *     subset of {@code chosenIndices}; with {@link LabelNoise#permute} a chosen sample can keep its
 *     label)
 * @param originalLabels the clean labels
 */
public record NoisyLabels(
        int[] labels, int[] chosenIndices, int[] changedIndices, int[] originalLabels) {

    /** Copies the arrays so the record stays immutable. */
    public NoisyLabels {
        labels = labels.clone();
        chosenIndices = chosenIndices.clone();
        changedIndices = changedIndices.clone();
        originalLabels = originalLabels.clone();
    }

    /**
     * Returns a copy of the noisy labels.
     *
     * @return the noisy labels
     */
    @Override
    public int[] labels() {
        return labels.clone();
    }

    /**
     * Returns a copy of the chosen indices.
     *
     * @return the ascending indices selected for corruption
     */
    @Override
    public int[] chosenIndices() {
        return chosenIndices.clone();
    }

    /**
     * Returns a copy of the changed indices.
     *
     * @return the ascending indices whose label differs from the original
     */
    @Override
    public int[] changedIndices() {
        return changedIndices.clone();
    }

    /**
     * Returns a copy of the original labels.
     *
     * @return the clean labels
     */
    @Override
    public int[] originalLabels() {
        return originalLabels.clone();
    }

    /**
     * Tells whether a sample's label differs from the original.
     *
     * @param index the sample index
     * @return true if the noisy label is wrong
     */
    public boolean isChanged(int index) {
        return labels[index] != originalLabels[index];
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof NoisyLabels other
                && Arrays.equals(labels, other.labels)
                && Arrays.equals(chosenIndices, other.chosenIndices)
                && Arrays.equals(changedIndices, other.changedIndices)
                && Arrays.equals(originalLabels, other.originalLabels);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31
                        * (31 * (31 * Arrays.hashCode(labels) + Arrays.hashCode(chosenIndices))
                                + Arrays.hashCode(changedIndices))
                + Arrays.hashCode(originalLabels);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "NoisyLabels[n="
                + labels.length
                + ", chosen="
                + chosenIndices.length
                + ", changed="
                + changedIndices.length
                + "]";
    }
}
