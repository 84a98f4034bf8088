package ai.hydra.listener;

import ai.djl.training.dataset.Batch;
import java.util.List;

/** The dataset indices of a training batch, which every HYDRA listener needs. */
final class BatchIndices {

    private BatchIndices() {}

    /**
     * Returns the dataset index of each row of a batch.
     *
     * @param batch the training batch
     * @param trainingSetSize N, the size of the training set the listener was built for
     * @param listener the listener's name, for messages
     * @return one index per batch row, in [0, N)
     * @throws IllegalStateException if the batch carries no indices, or one outside the set
     */
    static int[] of(Batch batch, long trainingSetSize, String listener) {
        List<?> indices = batch.getIndices();
        if (indices == null || indices.size() != batch.getSize()) {
            throw new IllegalStateException(
                    "Training batches carry no dataset indices, which "
                            + listener
                            + " needs to know which samples each batch holds. Train on a"
                            + " RandomAccessDataset (for example DJL's ArrayDataset), whose"
                            + " batches record them.");
        }
        int[] out = new int[indices.size()];
        for (int k = 0; k < out.length; k++) {
            long index = ((Number) indices.get(k)).longValue();
            if (index < 0 || index >= trainingSetSize) {
                throw new IllegalStateException(
                        "A batch holds dataset index "
                                + index
                                + " but "
                                + listener
                                + " was built for a training set of "
                                + trainingSetSize
                                + " samples: pass the size of the dataset the trainer iterates.");
            }
            out[k] = (int) index;
        }
        return out;
    }
}
