package ai.hydra.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.SequenceSampler;
import ai.djl.translate.TranslateException;
import ai.djl.util.Preconditions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Samples held as arrays: inputs and labels (batch axis first, one row per sample) and the index of
 * each sample in its dataset. The one data type every attribution method takes, for training and
 * test samples alike; results name samples by these indices.
 *
 * <p>Make one from an {@link ImageData} split ({@link ImageData#toSampleSet}, with the same [0, 1]
 * scaling as training) or from any DJL {@link RandomAccessDataset} ({@link #of(NDManager,
 * RandomAccessDataset)}). A sample set does not own its arrays: they live in the manager they were
 * created in.
 */
public final class SampleSet {

    private static final int READ_BATCH = 1024;

    private final NDList inputs;
    private final NDList labels;
    private final int[] indices;

    private SampleSet(NDList inputs, NDList labels, int[] indices) {
        this.inputs = inputs;
        this.labels = labels;
        this.indices = indices;
    }

    /**
     * Wraps arrays whose rows are samples.
     *
     * @param inputs the inputs, batch axis first
     * @param labels the labels, batch axis first
     * @param indices the dataset index of each row
     * @return the sample set
     * @throws IllegalArgumentException if an array does not have one row per index
     */
    public static SampleSet of(NDList inputs, NDList labels, int[] indices) {
        Preconditions.checkArgument(
                !inputs.isEmpty() && !labels.isEmpty(), "A sample set needs inputs and labels");
        for (NDList list : List.of(inputs, labels)) {
            for (NDArray array : list) {
                Preconditions.checkArgument(
                        array.getShape().dimension() > 0
                                && array.getShape().get(0) == indices.length,
                        "Every input and label array needs one row per sample: "
                                + indices.length
                                + " indices but an array of shape "
                                + array.getShape());
            }
        }
        return new SampleSet(inputs, labels, indices.clone());
    }

    /**
     * Wraps arrays holding a whole dataset in order: row k is dataset index k.
     *
     * @param inputs the inputs, batch axis first
     * @param labels the labels, batch axis first
     * @return the sample set
     */
    public static SampleSet of(NDList inputs, NDList labels) {
        int rows = Math.toIntExact(inputs.head().getShape().get(0));
        return of(inputs, labels, IntStream.range(0, rows).toArray());
    }

    /**
     * Reads every record of a DJL dataset, in index order, through the dataset's own pipelines and
     * batchifiers (its sampler is not used, so a shuffling dataset is read in order too).
     *
     * @param manager the manager of the arrays
     * @param dataset the dataset
     * @return the samples, row k = dataset index k
     * @throws IOException if the dataset cannot be read
     * @throws TranslateException if a record cannot be processed
     */
    public static SampleSet of(NDManager manager, RandomAccessDataset dataset)
            throws IOException, TranslateException {
        List<NDList> inputParts = new ArrayList<>();
        List<NDList> labelParts = new ArrayList<>();
        List<Integer> indices = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            BatchSampler inOrder = new BatchSampler(new SequenceSampler(), READ_BATCH, false);
            for (Batch batch : dataset.getData(scope, inOrder)) {
                try (batch) {
                    NDList data = batch.getData();
                    NDList label = batch.getLabels();
                    data.attach(scope); // outlive the batch until concatenated
                    label.attach(scope);
                    inputParts.add(data);
                    labelParts.add(label);
                    for (Object index : batch.getIndices()) {
                        indices.add(((Number) index).intValue());
                    }
                }
            }
            Preconditions.checkArgument(!indices.isEmpty(), "The dataset is empty");
            NDList inputs = concat(inputParts);
            NDList labels = concat(labelParts);
            inputs.attach(manager);
            labels.attach(manager);
            return of(inputs, labels, indices.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    private static NDList concat(List<NDList> parts) {
        NDList out = new NDList();
        for (int k = 0; k < parts.get(0).size(); k++) {
            NDList column = new NDList(parts.size());
            for (NDList part : parts) {
                column.add(part.get(k));
            }
            out.add(column.size() == 1 ? column.head() : NDArrays.concat(column));
        }
        return out;
    }

    /**
     * Returns the number of samples.
     *
     * @return the row count
     */
    public int size() {
        return indices.length;
    }

    /**
     * Returns the inputs, one row per sample.
     *
     * @return the input arrays
     */
    public NDList inputs() {
        return inputs;
    }

    /**
     * Returns the labels, one row per sample.
     *
     * @return the label arrays
     */
    public NDList labels() {
        return labels;
    }

    /**
     * Returns the dataset index of every row.
     *
     * @return a copy
     */
    public int[] indices() {
        return indices.clone();
    }

    /**
     * Returns the dataset index of one row.
     *
     * @param row the row
     * @return its dataset index
     */
    public int index(int row) {
        return indices[row];
    }

    /**
     * Returns the rows {@code [start, end)} as a sample set.
     *
     * @param manager the manager of the sliced arrays
     * @param start the first row
     * @param end one past the last row
     * @return the rows, with their dataset indices
     */
    public SampleSet rows(NDManager manager, int start, int end) {
        Preconditions.checkArgument(
                0 <= start && start <= end && end <= size(),
                "rows [" + start + ", " + end + ") are outside [0, " + size() + ")");
        NDIndex range = new NDIndex("{}:{}", start, end);
        return new SampleSet(
                slice(manager, inputs, range),
                slice(manager, labels, range),
                Arrays.copyOfRange(indices, start, end));
    }

    /**
     * Returns some rows, in the given order, as a sample set.
     *
     * @param manager the manager of the gathered arrays
     * @param rows row numbers in [0, size())
     * @return the rows, with their dataset indices
     */
    public SampleSet select(NDManager manager, int... rows) {
        int[] picked = new int[rows.length];
        for (int k = 0; k < rows.length; k++) {
            Preconditions.checkArgument(
                    rows[k] >= 0 && rows[k] < size(),
                    "row " + rows[k] + " is outside [0, " + size() + ")");
            picked[k] = indices[rows[k]];
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray index =
                    scope.create(Arrays.stream(rows).asLongStream().toArray())
                            .toDevice(inputs.head().getDevice(), false);
            NDIndex gather = new NDIndex("{}", index);
            return new SampleSet(
                    slice(manager, inputs, gather), slice(manager, labels, gather), picked);
        }
    }

    /** Indexes every array inside a scope of {@code manager}, so nothing lands elsewhere. */
    private static NDList slice(NDManager manager, NDList arrays, NDIndex index) {
        NDList out = new NDList(arrays.size());
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(arrays);
            for (NDArray array : arrays) {
                NDArray part = array.get(index);
                part.attach(manager);
                out.add(part);
            }
        }
        return out;
    }
}
