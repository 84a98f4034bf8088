package ai.hydra.attribution;

import ai.djl.ndarray.NDManager;
import ai.hydra.data.SampleSet;
import java.util.SplittableRandom;

/**
 * The chance level: every training sample gets a random score, uniform in [-1, 1), fixed by the
 * seed, the sample's dataset index and the column (so the same sample scores the same in any order
 * or subset). Used as the control of cleaning and detection benchmarks (random removal, random
 * inspection order).
 */
public final class RandomAttributor implements Attributor {

    private final long seed;
    private final int[] trainIndices;

    /**
     * Creates the method.
     *
     * @param seed the seed
     * @param trainIndices the dataset indices of the training samples it scores against test losses
     *     (the rows of {@link #contributions})
     */
    public RandomAttributor(long seed, int[] trainIndices) {
        this.seed = seed;
        this.trainIndices = trainIndices.clone();
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "random";
    }

    /** {@inheritDoc} */
    @Override
    public boolean supports(Capability capability) {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public ContributionMatrix contributions(NDManager manager, TestFunctionals functionals) {
        int[] columns = functionals.columnIds();
        double[][] values = new double[trainIndices.length][columns.length];
        for (int i = 0; i < trainIndices.length; i++) {
            for (int j = 0; j < columns.length; j++) {
                values[i][j] = score(trainIndices[i], j + 1);
            }
        }
        return new ContributionMatrix(values, trainIndices, columns);
    }

    /** {@inheritDoc} */
    @Override
    public Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        double[] values = new double[trainSamples.size()];
        for (int k = 0; k < values.length; k++) {
            values[k] = score(trainSamples.index(k), 0);
        }
        return new Contributions(values, trainSamples.indices());
    }

    /** A uniform draw in [-1, 1) determined by the seed, the sample and the column. */
    private double score(int trainIndex, int column) {
        long key = seed * 0x9E3779B97F4A7C15L + ((long) trainIndex << 20) + column;
        return 2 * new SplittableRandom(key).nextDouble() - 1;
    }
}
