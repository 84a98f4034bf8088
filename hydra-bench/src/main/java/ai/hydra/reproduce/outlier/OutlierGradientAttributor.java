package ai.hydra.reproduce.outlier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.util.Preconditions;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Capability;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.LossGradients;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.gradient.ShadowModel;
import java.util.List;

/**
 * Outlier Gradient Analysis (Chhabra et al. 2024): detrimental training samples are outliers in
 * gradient space, so an isolation forest on per-sample gradients of the last layer (at the trained
 * weights, prediction mode) scores them; its authors flag a contamination of 5%. A method of the
 * library's {@link Attributor} interface that only scores samples: {@link #selfAttribution} returns
 * each sample's anomaly score (higher = more anomalous, i.e. more likely detrimental); it gives no
 * contributions to test losses.
 *
 * <p>It lives in hydra-bench, not in the library, because its isolation forest comes from Smile,
 * which is GPL-3.0 ({@link IsolationForestScorer}).
 *
 * <p>The last layer is the last trainable parameter with two or more axes (the final linear layer's
 * weight) and every trainable parameter after it (its bias).
 */
public final class OutlierGradientAttributor implements Attributor {

    private final ShadowModel model;
    private final IsolationForestScorer forest;
    private final double contamination;
    private final int chunkSize;

    private OutlierGradientAttributor(Builder builder) {
        model = builder.model;
        forest =
                IsolationForestScorer.builder()
                        .optTrees(builder.trees)
                        .optSampleSize(builder.sampleSize)
                        .optSeed(builder.seed)
                        .build();
        contamination = builder.contamination;
        chunkSize = builder.chunkSize;
    }

    /**
     * Creates a builder.
     *
     * @param model the trained block and its loss (the gradients are taken at its weights)
     * @return the builder
     */
    public static Builder builder(ShadowModel model) {
        return new Builder(model);
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "outlier-gradient";
    }

    /** {@inheritDoc} */
    @Override
    public boolean supports(Capability capability) {
        return capability == Capability.SELF_ATTRIBUTION;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The isolation forest's anomaly score of each sample's last-layer gradient, fitted on the
     * given samples (pass the whole training set).
     */
    @Override
    public Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        return new Contributions(
                forest.scores(lastLayerGradients(manager, trainSamples)), trainSamples.indices());
    }

    /**
     * Flags the outliers among scored samples, at this method's contamination.
     *
     * @param scores the result of {@link #selfAttribution}
     * @return a flag per sample: the most anomalous {@code contamination} share
     */
    public boolean[] outliers(Contributions scores) {
        return IsolationForestScorer.flagHighest(scores.values(), contamination);
    }

    /**
     * Computes the per-sample gradients of the last layer at the model's weights (prediction mode).
     *
     * @param manager a manager for temporaries
     * @param samples the samples
     * @return one row of last-layer gradient coordinates per sample
     */
    double[][] lastLayerGradients(NDManager manager, SampleSet samples) {
        ParameterSpace space = model.space();
        long first = space.offset(lastLayerStart(space.trainable()));
        int width = Math.toIntExact(space.size() - first);
        double[][] rows = new double[samples.size()][];
        try (NDManager scope = manager.newSubManager()) {
            NDArray w = space.values(scope, space.trainable().get(0).getArray().getDataType());
            for (int start = 0; start < samples.size(); start += chunkSize) {
                int end = Math.min(samples.size(), start + chunkSize);
                try (NDManager chunk = scope.newSubManager()) {
                    chunk.tempAttachAll(w);
                    double[] flat =
                            LossGradients.perSample(model, w, samples.rows(chunk, start, end))
                                    .get(new NDIndex(":, {}:", first))
                                    .toType(DataType.FLOAT64, false)
                                    .toDoubleArray();
                    for (int k = 0; k < end - start; k++) {
                        rows[start + k] =
                                java.util.Arrays.copyOfRange(flat, k * width, (k + 1) * width);
                    }
                }
            }
        }
        return rows;
    }

    /** The index of the last trainable parameter with two or more axes. */
    private static int lastLayerStart(List<Parameter> trainable) {
        for (int k = trainable.size() - 1; k >= 0; k--) {
            if (trainable.get(k).getArray().getShape().dimension() >= 2) {
                return k;
            }
        }
        throw new IllegalArgumentException(
                "the model has no trainable weight matrix, so it has no last layer to analyse");
    }

    /** Builds an {@link OutlierGradientAttributor}. */
    public static final class Builder {

        private final ShadowModel model;
        private int trees = 100;
        private int sampleSize = 256;
        private double contamination = 0.05;
        private long seed;
        private int chunkSize = 256;

        Builder(ShadowModel model) {
            this.model = model;
        }

        /**
         * Sets the isolation forest's trees (default 100).
         *
         * @param trees at least 1
         * @return this builder
         */
        public Builder optTrees(int trees) {
            this.trees = trees;
            return this;
        }

        /**
         * Sets the isolation forest's subsample size (default 256).
         *
         * @param sampleSize at least 2
         * @return this builder
         */
        public Builder optSampleSize(int sampleSize) {
            this.sampleSize = sampleSize;
            return this;
        }

        /**
         * Sets the share of samples {@link #outliers} flags (default 0.05, the authors').
         *
         * @param contamination in [0, 0.5]
         * @return this builder
         */
        public Builder optContamination(double contamination) {
            Preconditions.checkArgument(
                    contamination >= 0 && contamination <= 0.5,
                    "contamination must be in [0, 0.5], got " + contamination);
            this.contamination = contamination;
            return this;
        }

        /**
         * Sets the isolation forest's seed (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how many per-sample gradients are computed at once (default 256).
         *
         * @param chunkSize samples per chunk
         * @return this builder
         */
        public Builder optChunkSize(int chunkSize) {
            Preconditions.checkArgument(chunkSize > 0, "chunk size must be positive");
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Builds the method.
         *
         * @return the method
         */
        public OutlierGradientAttributor build() {
            return new OutlierGradientAttributor(this);
        }
    }
}
