package ai.hydra.replay;

/**
 * What one optimizer step of a recorded training used: the dataset indices of its batch (their
 * order is the batch's row order) and its learning rate, as the float the native update received.
 *
 * @param indices the batch's dataset indices; the batch size is their count
 * @param learningRate the learning rate {@code eta_t}
 */
public record StepRecord(int[] indices, float learningRate) {

    /**
     * Returns the batch size {@code B_t} (the last batch of an epoch may be smaller).
     *
     * @return the number of samples in the batch
     */
    public int batchSize() {
        return indices.length;
    }
}
