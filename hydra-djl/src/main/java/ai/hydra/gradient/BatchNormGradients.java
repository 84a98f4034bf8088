package ai.hydra.gradient;

/**
 * How per-sample gradients treat batch normalization in training mode, where a sample's loss
 * depends on the whole batch through the batch statistics.
 */
public enum BatchNormGradients {
    /**
     * The gradient of each sample's loss in the context of its batch, the statistics
     * differentiated: exact, one pass of the whole batch per sample.
     */
    EXACT,
    /**
     * The gradient with the batch's statistics taken as constants (each sample normalized by the
     * batch's mean and variance, which are not differentiated): samples decouple, and the whole
     * batch takes one batched pass. An approximation; see docs/benchmarks.md for how far it is from
     * {@link #EXACT} on DenseNet-BC-40.
     */
    CONSTANT_STATISTICS
}
