package ai.hydra.data;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Seeded label corruption for mislabel-detection experiments. Both methods choose {@code
 * round(fraction * N)} samples uniformly without replacement with a {@link Random} seeded by {@code
 * seed}, so the same arguments always give the same result.
 */
public final class LabelNoise {

    private LabelNoise() {}

    /**
     * Randomly permutes the labels of the chosen samples among themselves (the HYDRA paper's Table
     * 3 setting). The label multiset is preserved; a chosen sample may draw its own label back, so
     * {@code changedIndices} can be smaller than {@code chosenIndices}.
     *
     * @param labels the clean labels
     * @param fraction the fraction of samples to choose, in [0, 1]
     * @param seed the random seed
     * @return the noisy labels and the chosen and changed indices
     */
    public static NoisyLabels permute(int[] labels, double fraction, long seed) {
        Random random = new Random(seed);
        int[] chosen = choose(labels.length, fraction, random);
        int[] values = new int[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            values[i] = labels[chosen[i]];
        }
        shuffle(values, random);
        int[] noisy = labels.clone();
        for (int i = 0; i < chosen.length; i++) {
            noisy[chosen[i]] = values[i];
        }
        return result(labels, noisy, chosen);
    }

    /**
     * Gives each chosen sample a label drawn uniformly from the {@code numClasses - 1} wrong
     * classes, so every chosen sample is changed.
     *
     * @param labels the clean labels, each in [0, numClasses)
     * @param fraction the fraction of samples to corrupt, in [0, 1]
     * @param numClasses the number of classes, at least 2
     * @param seed the random seed
     * @return the noisy labels; chosen and changed indices are equal
     */
    public static NoisyLabels wrongLabels(
            int[] labels, double fraction, int numClasses, long seed) {
        if (numClasses < 2) {
            throw new IllegalArgumentException(
                    "wrongLabels needs at least 2 classes, got " + numClasses);
        }
        ImageData.checkLabels(labels, numClasses);
        Random random = new Random(seed);
        int[] chosen = choose(labels.length, fraction, random);
        int[] noisy = labels.clone();
        for (int index : chosen) {
            // an offset in 1..numClasses-1 never maps back to the true class
            noisy[index] = (labels[index] + 1 + random.nextInt(numClasses - 1)) % numClasses;
        }
        return result(labels, noisy, chosen);
    }

    /** Chooses round(fraction * n) distinct indices, returned ascending. */
    private static int[] choose(int n, double fraction, Random random) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in [0, 1], got " + fraction);
        }
        int count = (int) Math.round(fraction * n);
        int[] order = IntStream.range(0, n).toArray();
        shuffle(order, random);
        int[] chosen = Arrays.copyOf(order, count);
        Arrays.sort(chosen);
        return chosen;
    }

    private static void shuffle(int[] values, Random random) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = values[i];
            values[i] = values[j];
            values[j] = tmp;
        }
    }

    private static NoisyLabels result(int[] original, int[] noisy, int[] chosen) {
        int[] changed =
                IntStream.range(0, original.length).filter(i -> noisy[i] != original[i]).toArray();
        return new NoisyLabels(noisy, chosen, changed, original);
    }
}
