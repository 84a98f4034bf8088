package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Capability;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.LossGradients;
import ai.hydra.attribution.RowProducts;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.gradient.HessianVectorProduct;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.train.HydraSgd;

/**
 * Koh and Liang's influence functions, reported on HYDRA's scale and sign so that the two compare
 * cell by cell in a {@link ContributionMatrix}:
 *
 * <pre>
 *   IF(z_i, z_test) = -grad l(z_test, w)^T H^-1 grad l(z_i, w)   (= dL_test/deps_i)
 *   C_IF(i, test)   = -(1/N) IF = (1/N) grad l(z_test, w)^T H^-1 grad l(z_i, w)
 * </pre>
 *
 * <p>{@code eps_i} up-weights sample i's loss in the objective {@code (1/N) sum_j l_j + eps_i l_i +
 * (lambda/2)|w|^2}, the same parametrization as HYDRA's {@code d_T(i) = dw_T/deps_i}; removing the
 * sample is {@code eps_i = -1/N}, so {@code C_IF(i)} predicts the change of test loss on removal
 * and corresponds to HYDRA's {@code C(i) = -(1/N) grad L_test . d_T(i)} with {@code d_T(i)}
 * replaced by its stationary-point value {@code -H^-1 grad l_i}. Positive = removing sample i would
 * raise the test loss (it helped).
 *
 * <p>{@code H} is the {@link InfluenceHessian} at the given weights (the model's current ones by
 * default): training-loss Hessian plus weight decay plus optional damping. Gradients and the
 * default Hessian-vector products are both taken in prediction mode (batch normalization with its
 * running statistics, as the model is used after training), so that they describe one function of
 * the weights; the model is thus treated as having no batch-dependent layers (as in Koh and Liang).
 * Work is organized for speed: one solve {@code s_test = H^-1 grad l_test} for all test samples at
 * once (a multi-row right-hand side shares each Hessian-vector pass), then one matrix product of
 * s_test with chunks of per-sample training gradients.
 */
public final class InfluenceFunctions implements Attributor {

    private final ShadowModel model;
    private final NDManager manager;
    private final NDArray weights;
    private final SampleSet trainSet;
    private final InfluenceHessian hessian;
    private final InverseHvpSolver solver;
    private final SolverProgress progress;
    private final int[] trackedRows;
    private final int gradientChunkSize;
    private final int batchSize;

    private InfluenceFunctions(Builder builder) {
        model = builder.model;
        trainSet = builder.trainSet;
        manager = trainSet.inputs().head().getManager().newSubManager();
        weights = ownWeights(builder);
        HessianVectorProduct hvp =
                builder.hvp != null
                        ? builder.hvp
                        : new FiniteDifferenceHvp(model, FiniteDifferenceHvp.DEFAULT_STEP, false);
        hessian =
                InfluenceHessian.builder(hvp, weights, trainSet.inputs(), trainSet.labels())
                        .optRegularization(builder.weightDecay)
                        .optDamping(builder.damping)
                        .optChunkSize(builder.hessianChunkSize)
                        .build();
        solver = builder.solver;
        progress = builder.progress;
        trackedRows = rowsOf(trainSet, builder.tracked);
        gradientChunkSize = builder.gradientChunkSize;
        batchSize = builder.batchSize;
    }

    /**
     * Creates a builder.
     *
     * @param model the shadow model of the trained block and its training loss
     * @param trainSet the whole training set (every sample enters the Hessian); its dataset indices
     *     name the result rows
     * @return a new builder
     */
    public static Builder builder(ShadowModel model, SampleSet trainSet) {
        return new Builder(model, trainSet);
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "influence-" + solver.name();
    }

    /** {@inheritDoc} */
    @Override
    public boolean supports(Capability capability) {
        return true;
    }

    /**
     * Returns the Hessian inverted.
     *
     * @return the Hessian
     */
    public InfluenceHessian hessian() {
        return hessian;
    }

    /**
     * Returns the flat weights the influence is taken at.
     *
     * @return the weights (owned by this object)
     */
    public NDArray weights() {
        return weights;
    }

    /**
     * Returns the dataset indices of the training samples that get a contribution, in row order.
     *
     * @return a copy
     */
    public int[] trackedSamples() {
        return java.util.Arrays.stream(trackedRows).map(trainSet::index).toArray();
    }

    /**
     * Solves {@code s = H^-1 g} for each row {@code g} of {@code gradients}, all in one solve.
     *
     * @param gradients test gradients, shape (m, |w|); their manager receives the result
     * @return s_test, shape (m, |w|)
     */
    public NDArray inverseHvp(NDArray gradients) {
        return solver.solve(hessian, gradients, progress);
    }

    /**
     * Computes {@code s_test = H^-1 grad J} for test functionals (prediction mode).
     *
     * @param manager receives the result
     * @param functionals the test losses
     * @return shape (functionals.columns(), |w|)
     */
    public NDArray sTest(NDManager manager, TestFunctionals functionals) {
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(weights);
            NDArray s = inverseHvp(LossGradients.of(model, weights, functionals, batchSize));
            s.attach(manager);
            return s;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One solve {@code S = H^-1 G^T} for all functionals at once, then per-sample training
     * gradients chunk by chunk, each chunk multiplied with all of S: {@code C(i, J) = (1/N) grad
     * l_i^T H^-1 grad J}.
     */
    @Override
    public ContributionMatrix contributions(NDManager manager, TestFunctionals functionals) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray s = sTest(scope, functionals);
            double[][] values =
                    RowProducts.multiply(
                            scope,
                            trackedRows.length,
                            gradientChunkSize,
                            this::trainingGradients,
                            s,
                            1.0 / hessian.trainingSetSize(),
                            done ->
                                    progress.update(
                                            "training gradients",
                                            done,
                                            trackedRows.length,
                                            Double.NaN));
            return new ContributionMatrix(values, trackedSamples(), functionals.columnIds());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>The self-influence {@code C(i, i) = (1/N) grad l_i^T H^-1 grad l_i}: one solve per chunk
     * of training samples (all right-hand sides of a chunk at once), so it costs about as many
     * solves as there are chunks.
     */
    @Override
    public Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        double factor = 1.0 / hessian.trainingSetSize();
        double[] values = new double[trainSamples.size()];
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(weights);
            for (int start = 0; start < values.length; start += gradientChunkSize) {
                int end = Math.min(values.length, start + gradientChunkSize);
                try (NDManager chunk = scope.newSubManager()) {
                    chunk.tempAttachAll(weights);
                    NDArray g =
                            LossGradients.perSample(
                                    model, weights, trainSamples.rows(chunk, start, end));
                    NDArray s = inverseHvp(g);
                    double[] dots =
                            g.mul(s.toType(g.getDataType(), false))
                                    .sum(new int[] {1})
                                    .mul(factor)
                                    .toType(DataType.FLOAT64, false)
                                    .toDoubleArray();
                    System.arraycopy(dots, 0, values, start, dots.length);
                }
                progress.update("self-influence", end, values.length, Double.NaN);
            }
        }
        return new Contributions(values, trainSamples.indices());
    }

    /** Per-sample gradients of tracked rows {@code [start, end)} (prediction mode). */
    private NDArray trainingGradients(NDManager chunk, int start, int end) {
        chunk.tempAttachAll(weights);
        int[] rows = java.util.Arrays.copyOfRange(trackedRows, start, end);
        return LossGradients.perSample(model, weights, trainSet.select(chunk, rows));
    }

    /** Frees the weights this object holds. */
    @Override
    public void close() {
        manager.close();
    }

    private NDArray ownWeights(Builder builder) {
        if (builder.weights == null) {
            return model.space().values(manager, builder.dataType);
        }
        Preconditions.checkArgument(
                builder.weights.size() == model.space().size(),
                "weights have "
                        + builder.weights.size()
                        + " entries but the model has "
                        + model.space().size()
                        + " trainable scalars: pass a flat vector from ParameterSpace.values");
        // duplicate(): reshape and toType(.., copy=true) alias the caller's array on PyTorch when
        // nothing converts, so its later changes would move these weights
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(builder.weights);
            NDArray copy = builder.weights.reshape(-1).toType(builder.dataType, false).duplicate();
            copy.attach(manager);
            return copy;
        }
    }

    /** The rows of the set holding the tracked dataset indices (all rows when none given). */
    private static int[] rowsOf(SampleSet set, int[] tracked) {
        if (tracked == null) {
            return java.util.stream.IntStream.range(0, set.size()).toArray();
        }
        java.util.Map<Integer, Integer> rowOfIndex = new java.util.HashMap<>();
        for (int row = 0; row < set.size(); row++) {
            rowOfIndex.put(set.index(row), row);
        }
        int[] rows = new int[tracked.length];
        for (int k = 0; k < tracked.length; k++) {
            Integer row = rowOfIndex.get(tracked[k]);
            Preconditions.checkArgument(
                    row != null,
                    "tracked sample "
                            + tracked[k]
                            + " is not in the training set (dataset indices of the SampleSet)");
            rows[k] = row;
        }
        return rows;
    }

    /** Builds {@link InfluenceFunctions}. */
    public static final class Builder {

        private final ShadowModel model;
        private final SampleSet trainSet;
        private NDArray weights;
        private DataType dataType = DataType.FLOAT64;
        private double weightDecay;
        private double damping;
        private InverseHvpSolver solver = ConjugateGradientSolver.builder().build();
        private HessianVectorProduct hvp;
        private SolverProgress progress = SolverProgress.NONE;
        private int[] tracked;
        private int hessianChunkSize = 256;
        private int gradientChunkSize = 256;
        private int batchSize = 64;

        Builder(ShadowModel model, SampleSet trainSet) {
            this.model = model;
            this.trainSet = trainSet;
        }

        /**
         * Sets the weights to take the influence at, e.g. a saved checkpoint's (default: the
         * model's current weights). The vector is copied.
         *
         * @param weights flat weights from {@link ai.hydra.gradient.ParameterSpace#values}
         * @return this builder
         */
        public Builder optWeights(NDArray weights) {
            this.weights = weights;
            return this;
        }

        /**
         * Sets the data type computed in (default float64, for accurate finite-difference
         * Hessian-vector products).
         *
         * @param dataType float32 or float64
         * @return this builder
         */
        public Builder optDataType(DataType dataType) {
            this.dataType = dataType;
            return this;
        }

        /**
         * Sets the L2 regularization {@code lambda} of the training objective directly.
         *
         * @param weightDecay the coefficient of {@code (lambda/2)|w|^2}
         * @return this builder
         */
        public Builder optWeightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Takes the regularization from the optimizer that trained the model: its weight decay,
         * divided by its gradient rescale factor (the update {@code rescale*g + lambda*w} descends
         * {@code rescale * (L + lambda/(2 rescale) |w|^2)}).
         *
         * @param sgd the optimizer
         * @return this builder
         */
        public Builder optOptimizer(HydraSgd sgd) {
            this.weightDecay = sgd.getWeightDecay() / (double) sgd.getRescaleGrad();
            return this;
        }

        /**
         * Sets an extra damping added to the Hessian's diagonal (default 0).
         *
         * @param damping the damping
         * @return this builder
         */
        public Builder optDamping(double damping) {
            this.damping = damping;
            return this;
        }

        /**
         * Sets the inverse-Hessian-vector solver (default: conjugate gradient).
         *
         * @param solver the solver
         * @return this builder
         */
        public Builder optSolver(InverseHvpSolver solver) {
            this.solver = solver;
            return this;
        }

        /**
         * Sets the Hessian-vector product (default: {@link FiniteDifferenceHvp} in prediction mode,
         * as the gradients; leak-free).
         *
         * @param hvp the product
         * @return this builder
         */
        public Builder optHvp(HessianVectorProduct hvp) {
            this.hvp = hvp;
            return this;
        }

        /**
         * Sets the receiver of progress reports of solves and gradient passes.
         *
         * @param progress the receiver
         * @return this builder
         */
        public Builder optProgress(SolverProgress progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Restricts contributions to some training samples (default: all), which become the rows of
         * the contribution matrices.
         *
         * @param indices dataset indices of samples in the training set
         * @return this builder
         */
        public Builder optTrackedSamples(int... indices) {
            this.tracked = indices.clone();
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
         * Sets the training samples per Hessian-vector pass over the full set (default 256).
         *
         * @param chunkSize samples per pass
         * @return this builder
         */
        public Builder optHessianChunkSize(int chunkSize) {
            this.hessianChunkSize = chunkSize;
            return this;
        }

        /**
         * Sets the training samples whose gradients are held at once (default 256).
         *
         * @param chunkSize samples per chunk
         * @return this builder
         */
        public Builder optGradientChunkSize(int chunkSize) {
            Preconditions.checkArgument(
                    chunkSize >= 1, "chunkSize must be positive, got " + chunkSize);
            this.gradientChunkSize = chunkSize;
            return this;
        }

        /**
         * Builds the influence functions.
         *
         * @return the influence functions; close them to free their weights
         */
        public InfluenceFunctions build() {
            Preconditions.checkArgument(
                    dataType == DataType.FLOAT64 || dataType == DataType.FLOAT32,
                    "dataType must be float32 or float64, got " + dataType);
            return new InfluenceFunctions(this);
        }
    }
}
