package ai.hydra.attribution;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Preconditions;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ShadowModel;

/**
 * The simplest mislabeled-sample score: each training sample's own loss under the trained model
 * (prediction mode). A sample the model cannot fit, such as one with a wrong label, has a high
 * loss. It only scores samples ({@link #selfAttribution}); it gives no contributions to test
 * losses.
 */
public final class SelfLossAttributor implements Attributor {

    private final ShadowModel model;
    private final int batchSize;

    /**
     * Creates the method.
     *
     * @param model the trained block and its loss (the losses are taken at its current weights)
     * @param batchSize samples per forward pass
     */
    public SelfLossAttributor(ShadowModel model, int batchSize) {
        Preconditions.checkArgument(batchSize > 0, "batch size must be positive, got " + batchSize);
        this.model = model;
        this.batchSize = batchSize;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "self-loss";
    }

    /** {@inheritDoc} */
    @Override
    public boolean supports(Capability capability) {
        return capability == Capability.SELF_ATTRIBUTION;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Each sample's loss at the model's current weights.
     */
    @Override
    public Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        double[] values = new double[trainSamples.size()];
        try (NDManager scope = manager.newSubManager()) {
            NDArray w =
                    model.space()
                            .values(
                                    scope,
                                    model.space().trainable().get(0).getArray().getDataType());
            for (int start = 0; start < values.length; start += batchSize) {
                int end = Math.min(values.length, start + batchSize);
                try (NDManager batch = scope.newSubManager()) {
                    batch.tempAttachAll(w);
                    SampleSet rows = trainSamples.rows(batch, start, end);
                    double[] losses = model.sampleLosses(w, rows.inputs(), rows.labels(), false);
                    System.arraycopy(losses, 0, values, start, losses.length);
                }
            }
        }
        return new Contributions(values, trainSamples.indices());
    }
}
