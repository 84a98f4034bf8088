package ai.hydra.data;

import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Sampler;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Random;

/**
 * A {@link Sampler.SubSampler} that visits a dataset in a new random order each epoch, drawn from
 * its own {@link Random} rather than DJL's global {@code RandomUtils}. Each call of {@link #sample}
 * (one per {@code getData}, i.e. per epoch) draws the next permutation, so for a dataset of fixed
 * size the order of epoch k depends only on (seed, k) - see {@link #permutation}.
 */
public final class SeededRandomSampler implements Sampler.SubSampler {

    private final long seed;
    private final Random random;
    private int epoch;
    private int skip;

    /**
     * Creates a sampler.
     *
     * @param seed the seed of the sampler's own random generator
     */
    public SeededRandomSampler(long seed) {
        this(seed, 0);
    }

    /**
     * Creates a sampler that starts at a later epoch, giving the orders a fresh sampler would give
     * from that epoch on: to continue an interrupted training.
     *
     * @param seed the seed of the sampler's own random generator
     * @param firstEpoch the epoch to start at, counting from 0
     */
    public SeededRandomSampler(long seed, int firstEpoch) {
        if (firstEpoch < 0) {
            throw new IllegalArgumentException("firstEpoch must be >= 0, got " + firstEpoch);
        }
        this.seed = seed;
        this.random = new Random(seed);
        this.skip = firstEpoch;
    }

    /**
     * Returns the seed.
     *
     * @return the seed
     */
    public long getSeed() {
        return seed;
    }

    /**
     * Returns how many epochs (calls of {@link #sample}) this sampler has served.
     *
     * @return the number of the next epoch, counting from 0
     */
    public synchronized int getEpoch() {
        return epoch;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized Iterator<Long> sample(RandomAccessDataset dataset) {
        int size = Math.toIntExact(dataset.size());
        for (; skip > 0; skip--) { // the draws of the epochs already trained
            nextPermutation(random, size);
            epoch++;
        }
        int[] order = nextPermutation(random, size);
        epoch++;
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < order.length;
            }

            @Override
            public Long next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return (long) order[next++];
            }
        };
    }

    /**
     * Returns the order in which a fresh sampler with this seed visits a dataset of the given size
     * in the given epoch (a pure function, for reproducing or checking an epoch).
     *
     * @param seed the sampler's seed
     * @param epoch the epoch, counting from 0
     * @param size the dataset size
     * @return a permutation of 0..size-1
     */
    public static int[] permutation(long seed, int epoch, int size) {
        Random random = new Random(seed);
        int[] order = null;
        for (int e = 0; e <= epoch; e++) {
            order = nextPermutation(random, size);
        }
        return order;
    }

    /** Fisher-Yates shuffle of 0..size-1. */
    private static int[] nextPermutation(Random random, int size) {
        int[] order = new int[size];
        Arrays.setAll(order, i -> i);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        return order;
    }
}
