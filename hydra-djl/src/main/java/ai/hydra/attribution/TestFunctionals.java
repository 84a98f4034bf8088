package ai.hydra.attribution;

import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;
import ai.hydra.data.SampleSet;
import java.util.stream.IntStream;

/**
 * The test losses an attribution is taken of: a set of test samples and, for each column j of the
 * result, the functional {@code J_j}, the sum (or the mean) of the losses of the samples assigned
 * to column j. The mean test loss is one column holding every sample; per-test-sample contributions
 * give each sample its own column; the inter-class matrix sums each class.
 */
public final class TestFunctionals {

    private final SampleSet samples;
    private final int[] columnOfSample;
    private final int[] columnIds;
    private final boolean mean;
    private final boolean singletons;

    private TestFunctionals(
            SampleSet samples,
            int[] columnOfSample,
            int[] columnIds,
            boolean mean,
            boolean singletons) {
        Preconditions.checkArgument(samples.size() > 0, "The test set is empty");
        this.samples = samples;
        this.columnOfSample = columnOfSample;
        this.columnIds = columnIds;
        this.mean = mean;
        this.singletons = singletons;
    }

    /**
     * One functional: the mean loss over all samples (column id 0).
     *
     * @param samples the test samples
     * @return the functional
     */
    public static TestFunctionals meanLoss(SampleSet samples) {
        return new TestFunctionals(samples, new int[samples.size()], new int[] {0}, true, false);
    }

    /**
     * One functional per sample: its own loss (column ids = the samples' dataset indices).
     *
     * @param samples the test samples
     * @return the functionals
     */
    public static TestFunctionals eachSample(SampleSet samples) {
        int[] columns = IntStream.range(0, samples.size()).toArray();
        return new TestFunctionals(samples, columns, samples.indices(), false, true);
    }

    /**
     * One functional per class: the summed loss of the samples labelled with it (column id = the
     * class). The first label array must hold class indices.
     *
     * @param samples the test samples
     * @param numClasses the number of classes
     * @return the functionals
     * @throws IllegalArgumentException if a label is outside [0, numClasses)
     */
    public static TestFunctionals classSums(SampleSet samples, int numClasses) {
        int[] classes = samples.labels().head().toType(DataType.INT32, false).toIntArray();
        for (int c : classes) {
            Preconditions.checkArgument(
                    c >= 0 && c < numClasses,
                    "A test label is " + c + ", outside [0, " + numClasses + ")");
        }
        return groupSums(samples, classes, numClasses);
    }

    /**
     * One functional per group: the summed loss of the samples assigned to it (column id = the
     * group).
     *
     * @param samples the test samples
     * @param groupOfSample the group of each sample, in [0, groups)
     * @param groups the number of groups
     * @return the functionals
     */
    public static TestFunctionals groupSums(SampleSet samples, int[] groupOfSample, int groups) {
        Preconditions.checkArgument(
                groupOfSample.length == samples.size(), "one group per test sample is needed");
        for (int g : groupOfSample) {
            Preconditions.checkArgument(
                    g >= 0 && g < groups, "group " + g + " is outside [0, " + groups + ")");
        }
        return new TestFunctionals(
                samples, groupOfSample.clone(), IntStream.range(0, groups).toArray(), false, false);
    }

    /**
     * Returns the test samples.
     *
     * @return the samples
     */
    public SampleSet samples() {
        return samples;
    }

    /**
     * Returns the number of functionals (result columns).
     *
     * @return the column count
     */
    public int columns() {
        return columnIds.length;
    }

    /**
     * Returns the id of each column: test dataset indices, class numbers or 0 for the mean loss.
     *
     * @return a copy
     */
    public int[] columnIds() {
        return columnIds.clone();
    }

    /**
     * Returns the column a sample's loss belongs to.
     *
     * @param row the sample's row in {@link #samples()}
     * @return its column
     */
    public int columnOf(int row) {
        return columnOfSample[row];
    }

    /**
     * Whether each functional is the mean of its samples' losses rather than their sum.
     *
     * @return true for {@link #meanLoss}
     */
    public boolean isMean() {
        return mean;
    }

    /**
     * Whether every functional is a single sample's loss (column k = sample k).
     *
     * @return true for {@link #eachSample}
     */
    public boolean isPerSample() {
        return singletons;
    }
}
