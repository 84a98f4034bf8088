package ai.hydra.attribution;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.recurrence.Hypergradients;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * HYDRA's contributions from stored hypergradients (Hessian-free or Hessian-aware, whichever
 * recurrence produced them): {@code C(i, J) = -(1/N) grad J(w_T) . d_T(i)} for test losses, and
 * {@code C(i, i) = -(1/N) grad l_i(w_T) . d_T(i)} for a tracked sample's own loss.
 *
 * <pre>{@code
 * Attributor hydra = HydraAttributor.builder(listener.getHypergradients(HydraMode.HESSIAN_FREE))
 *         .build();
 * Contributions c = hydra.testLossContributions(manager, testSet);
 * }</pre>
 *
 * <p>Rows are the tracked training samples, in the order of {@link
 * Hypergradients#trackedIndices()}. Gradients are taken in prediction mode (batch normalization
 * uses its running statistics), as the model is used at test time. The stored hypergradients are
 * read one chunk at a time.
 */
public final class HydraAttributor implements Attributor {

    private final Hypergradients hypergradients;
    private final int chunkSize;
    private final int batchSize;

    private HydraAttributor(Builder builder) {
        hypergradients = builder.hypergradients;
        chunkSize = builder.chunkSize;
        batchSize = builder.batchSize;
    }

    /**
     * Creates a builder.
     *
     * @param hypergradients the result of a HYDRA run ({@code HydraListener.getHypergradients})
     * @return the builder
     */
    public static Builder builder(Hypergradients hypergradients) {
        return new Builder(hypergradients);
    }

    /**
     * Returns the hypergradients this method reads.
     *
     * @return the hypergradients
     */
    public Hypergradients hypergradients() {
        return hypergradients;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "hydra-" + hypergradients.mode().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** {@inheritDoc} */
    @Override
    public boolean supports(Capability capability) {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public ContributionMatrix contributions(NDManager manager, TestFunctionals functionals) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray gradients =
                    LossGradients.of(
                            hypergradients.model(), weights(scope), functionals, batchSize);
            double[][] values =
                    RowProducts.multiply(
                            scope,
                            hypergradients.size(),
                            chunkSize,
                            (chunk, start, end) ->
                                    hypergradients.read(
                                            chunk, IntStream.range(start, end).toArray()),
                            gradients,
                            -1.0 / hypergradients.trainingSetSize(),
                            done -> {});
            return new ContributionMatrix(
                    values, hypergradients.trackedIndices(), functionals.columnIds());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The samples must be tracked ones: {@code C(i, i) = -(1/N) grad l_i(w_T) . d_T(i)}.
     */
    @Override
    public Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        int[] rows = new int[trainSamples.size()];
        for (int k = 0; k < rows.length; k++) {
            rows[k] = hypergradients.tracked().rowOf(trainSamples.index(k));
            Preconditions.checkArgument(
                    rows[k] >= 0,
                    "Training sample "
                            + trainSamples.index(k)
                            + " was not tracked, so it has no hypergradient: self-attribute"
                            + " tracked samples only (Hypergradients.trackedIndices())");
        }
        double factor = -1.0 / hypergradients.trainingSetSize();
        double[] values = new double[rows.length];
        try (NDManager scope = manager.newSubManager()) {
            NDArray w = weights(scope);
            for (int start = 0; start < rows.length; start += chunkSize) {
                int end = Math.min(rows.length, start + chunkSize);
                try (NDManager chunk = scope.newSubManager()) {
                    chunk.tempAttachAll(w);
                    NDArray g =
                            LossGradients.perSample(
                                    hypergradients.model(),
                                    w,
                                    trainSamples.rows(chunk, start, end));
                    NDArray d = hypergradients.read(chunk, Arrays.copyOfRange(rows, start, end));
                    double[] dots =
                            d.mul(g.toType(d.getDataType(), false))
                                    .sum(new int[] {1})
                                    .mul(factor)
                                    .toType(DataType.FLOAT64, false)
                                    .toDoubleArray();
                    System.arraycopy(dots, 0, values, start, dots.length);
                }
            }
        }
        return new Contributions(values, trainSamples.indices());
    }

    private NDArray weights(NDManager scope) {
        ShadowModel model = hypergradients.model();
        return model.space()
                .values(scope, model.space().trainable().get(0).getArray().getDataType());
    }

    /** Builds a {@link HydraAttributor}. */
    public static final class Builder {

        private final Hypergradients hypergradients;
        private int chunkSize = 512;
        private int batchSize = 64;

        Builder(Hypergradients hypergradients) {
            this.hypergradients = hypergradients;
        }

        /**
         * Sets how many stored hypergradients are read at once (bounds memory); default 512.
         *
         * @param chunkSize rows per read
         * @return this builder
         */
        public Builder optChunkSize(int chunkSize) {
            Preconditions.checkArgument(
                    chunkSize > 0, "chunk size must be positive, got " + chunkSize);
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Sets how many test samples one gradient pass takes; default 64. It changes the result
         * only by rounding (the mean test loss is summed batch by batch).
         *
         * @param batchSize samples per pass
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            Preconditions.checkArgument(
                    batchSize > 0, "batch size must be positive, got " + batchSize);
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Builds the attributor.
         *
         * @return the attributor
         */
        public HydraAttributor build() {
            return new HydraAttributor(this);
        }
    }
}
