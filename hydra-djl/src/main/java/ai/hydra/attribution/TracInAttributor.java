package ai.hydra.attribution;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.train.WeightSnapshot;
import java.util.List;

/**
 * TracIn-CP (Pruthi et al. 2020): the loss decrease a training sample caused, summed over
 * checkpoints as step weight times gradient dot products,
 *
 * <pre>
 *   C(i, J) = sum_c s_c grad J(w_c) . grad l_i(w_c)        C(i, i) = sum_c s_c |grad l_i(w_c)|^2
 * </pre>
 *
 * with {@code w_c} the weights at the end of epoch c and {@code s_c} its step weight ({@link
 * WeightSnapshot#stepWeight()}: learning rate x rescale / batch size / (1 - momentum)).
 *
 * <p><b>Scale.</b> This is HYDRA's scale and sign ({@code C = -(1/N) dJ/deps_i}, positive =
 * helpful): one SGD step moves the weights by {@code -(eta/|B|) grad l_i} for sample i of the
 * batch, which lowers J by {@code (eta/|B|) grad J . grad l_i} to first order, and momentum {@code
 * p} stretches that displacement by {@code 1/(1-p)} over the following steps. Each sample is
 * visited once per epoch, so with one snapshot per epoch the sum is HYDRA's Hessian-free
 * contribution {@code -(1/N) grad J(w_T) . d_T(i)} with every gradient and the test gradient frozen
 * at the epoch's end and weight decay left out. Without momentum and with a batch size of 1, {@code
 * s_c} is the learning rate of the original TracIn-CP.
 *
 * <p>Gradients are taken in prediction mode at the snapshot weights; one snapshot's test gradients
 * are computed once and multiplied with chunks of per-sample training gradients.
 */
public final class TracInAttributor implements Attributor {

    private final ShadowModel model;
    private final List<WeightSnapshot> snapshots;
    private final SampleSet trainSet;
    private final int chunkSize;
    private final int batchSize;

    private TracInAttributor(Builder builder) {
        model = builder.model;
        snapshots = builder.snapshots;
        trainSet = builder.trainSet;
        chunkSize = builder.chunkSize;
        batchSize = builder.batchSize;
    }

    /**
     * Creates a builder.
     *
     * @param model the trained block and its loss
     * @param snapshots the checkpoints, e.g. {@code SnapshotRecorder.snapshots()}
     * @param trainSet the training samples to score (rows of the results, named by their dataset
     *     indices)
     * @return the builder
     */
    public static Builder builder(
            ShadowModel model, List<WeightSnapshot> snapshots, SampleSet trainSet) {
        return new Builder(model, snapshots, trainSet);
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "tracin-cp";
    }

    /** {@inheritDoc} */
    @Override
    public boolean supports(Capability capability) {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public ContributionMatrix contributions(NDManager manager, TestFunctionals functionals) {
        double[][] sum = new double[trainSet.size()][functionals.columns()];
        try (NDManager scope = manager.newSubManager()) {
            for (WeightSnapshot snapshot : snapshots) {
                try (NDManager step = scope.newSubManager()) {
                    NDArray w = borrow(step, snapshot);
                    NDArray testGradients = LossGradients.of(model, w, functionals, batchSize);
                    double[][] part =
                            RowProducts.multiply(
                                    step,
                                    trainSet.size(),
                                    chunkSize,
                                    (chunk, start, end) -> {
                                        chunk.tempAttachAll(w);
                                        return LossGradients.perSample(
                                                model, w, trainSet.rows(chunk, start, end));
                                    },
                                    testGradients,
                                    snapshot.stepWeight(),
                                    done -> {});
                    for (int i = 0; i < sum.length; i++) {
                        for (int j = 0; j < sum[i].length; j++) {
                            sum[i][j] += part[i][j];
                        }
                    }
                }
            }
        }
        return new ContributionMatrix(sum, trainSet.indices(), functionals.columnIds());
    }

    /**
     * {@inheritDoc}
     *
     * <p>The self-influence {@code sum_c s_c |grad l_i(w_c)|^2} of the given samples.
     */
    @Override
    public Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        double[] values = new double[trainSamples.size()];
        try (NDManager scope = manager.newSubManager()) {
            for (WeightSnapshot snapshot : snapshots) {
                for (int start = 0; start < values.length; start += chunkSize) {
                    int end = Math.min(values.length, start + chunkSize);
                    try (NDManager chunk = scope.newSubManager()) {
                        NDArray w = borrow(chunk, snapshot);
                        NDArray g =
                                LossGradients.perSample(
                                        model, w, trainSamples.rows(chunk, start, end));
                        double[] squares =
                                g.square()
                                        .sum(new int[] {1})
                                        .toType(DataType.FLOAT64, false)
                                        .toDoubleArray();
                        for (int k = 0; k < squares.length; k++) {
                            values[start + k] += snapshot.stepWeight() * squares[k];
                        }
                    }
                }
            }
        }
        return new Contributions(values, trainSamples.indices());
    }

    /** The snapshot's weights, lent to a scope so that results attach there. */
    private static NDArray borrow(NDManager scope, WeightSnapshot snapshot) {
        scope.tempAttachAll(snapshot.weights());
        return snapshot.weights();
    }

    /** Builds a {@link TracInAttributor}. */
    public static final class Builder {

        private final ShadowModel model;
        private final List<WeightSnapshot> snapshots;
        private final SampleSet trainSet;
        private int chunkSize = 256;
        private int batchSize = 64;

        Builder(ShadowModel model, List<WeightSnapshot> snapshots, SampleSet trainSet) {
            Preconditions.checkArgument(
                    !snapshots.isEmpty(),
                    "TracIn-CP needs at least one checkpoint: attach a SnapshotRecorder while"
                            + " training");
            for (WeightSnapshot snapshot : snapshots) {
                Preconditions.checkArgument(
                        snapshot.weights().size() == model.space().size(),
                        "a snapshot has "
                                + snapshot.weights().size()
                                + " weights but the model has "
                                + model.space().size()
                                + ": snapshots of another model?");
            }
            this.model = model;
            this.snapshots = List.copyOf(snapshots);
            this.trainSet = trainSet;
        }

        /**
         * Sets how many per-sample training gradients are held at once (default 256).
         *
         * @param chunkSize samples per chunk
         * @return this builder
         */
        public Builder optChunkSize(int chunkSize) {
            Preconditions.checkArgument(
                    chunkSize > 0, "chunk size must be positive, got " + chunkSize);
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Sets how many test samples one gradient pass takes (default 64).
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
        public TracInAttributor build() {
            return new TracInAttributor(this);
        }
    }
}
