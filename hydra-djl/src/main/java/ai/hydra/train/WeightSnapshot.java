package ai.hydra.train;

import ai.djl.ndarray.NDArray;

/**
 * A point of a training trajectory kept for checkpoint-based attribution (TracIn-CP): the flat
 * trainable weights at the end of an epoch and the step weight of that epoch.
 *
 * @param epoch the epoch that ended at this snapshot, from 1
 * @param weights the flat trainable weights ({@code ParameterSpace} layout) after the epoch
 * @param stepWeight the mean over the epoch's steps of {@code eta_t r / ((1 - p) |B_t|)}: the
 *     learning rate times the gradient rescale factor, divided by the batch size (a sample's loss
 *     enters the batch mean with weight {@code 1/|B_t|}) and by {@code 1 - p} (the total
 *     displacement momentum {@code p} makes of one gradient)
 * @param steps the number of optimizer steps of the epoch
 */
public record WeightSnapshot(int epoch, NDArray weights, double stepWeight, int steps) {}
