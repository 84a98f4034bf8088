package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import ai.hydra.analysis.ContributionMatrix;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.gradient.HessianVectorProduct;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.train.HydraSgd;
import java.io.IOException;
import java.util.Arrays;

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
 * default): training-loss Hessian plus weight decay plus optional damping. Gradients are taken in
 * prediction mode, so the model is assumed to have no batch-dependent layers (as in Koh and Liang).
 * Work is organized for speed: one solve {@code s_test = H^-1 grad l_test} for all test samples at
 * once (a multi-row right-hand side shares each Hessian-vector pass), then one matrix product of
 * s_test with chunks of per-sample training gradients.
 */
public final class InfluenceFunctions implements AutoCloseable {

    private final ShadowModel model;
    private final NDManager manager;
    private final NDArray weights;
    private final NDList inputs;
    private final NDList labels;
    private final InfluenceHessian hessian;
    private final InverseHvpSolver solver;
    private final SolverProgress progress;
    private final int[] tracked;
    private final int gradientChunkSize;

    private InfluenceFunctions(Builder builder) {
        model = builder.model;
        inputs = builder.inputs;
        labels = builder.labels;
        manager = inputs.head().getManager().newSubManager();
        weights = ownWeights(builder);
        HessianVectorProduct hvp =
                builder.hvp != null ? builder.hvp : new FiniteDifferenceHvp(model);
        hessian =
                InfluenceHessian.builder(hvp, weights, inputs, labels)
                        .optRegularization(builder.weightDecay)
                        .optDamping(builder.damping)
                        .optChunkSize(builder.hessianChunkSize)
                        .build();
        solver = builder.solver;
        progress = builder.progress;
        int n = hessian.trainingSetSize();
        tracked = builder.tracked != null ? builder.tracked : range(n);
        for (int row : tracked) {
            if (row < 0 || row >= n) {
                throw new IllegalArgumentException(
                        "tracked sample " + row + " is outside the training set [0, " + n + ")");
            }
        }
        gradientChunkSize = builder.gradientChunkSize;
    }

    /**
     * Creates a builder.
     *
     * @param model the shadow model of the trained block and its training loss
     * @param trainInputs the whole training set's inputs (batch axis first), in dataset order
     * @param trainLabels the training labels
     * @return a new builder
     */
    public static Builder builder(ShadowModel model, NDList trainInputs, NDList trainLabels) {
        return new Builder(model, trainInputs, trainLabels);
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
     * Returns the training-set rows that get a contribution, in row order.
     *
     * @return a copy of the tracked rows
     */
    public int[] trackedSamples() {
        return tracked.clone();
    }

    /**
     * Computes the per-sample test-loss gradients {@code grad l(z_test, w)} (prediction mode).
     *
     * @param manager receives the result
     * @param testInputs test inputs, batch axis first
     * @param testLabels test labels
     * @return shape (m, |w|)
     */
    public NDArray testGradients(NDManager manager, NDList testInputs, NDList testLabels) {
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(weights);
            int m = (int) testInputs.head().getShape().get(0);
            NDArray g = model.sampleGradients(weights, testInputs, testLabels, range(m), false);
            g.attach(manager);
            return g;
        }
    }

    /**
     * Computes the gradient of the mean test loss over a dataset (prediction mode).
     *
     * @param manager receives the result
     * @param testSet the test set
     * @return shape (1, |w|)
     * @throws IOException if the test set cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public NDArray meanTestGradient(NDManager manager, Dataset testSet)
            throws IOException, TranslateException {
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(weights);
            NDArray sum = scope.zeros(weights.getShape(), weights.getDataType());
            long count = 0;
            for (Batch batch : testSet.getData(scope)) {
                try (batch) {
                    try (NDArray g =
                            model.gradient(weights, batch.getData(), batch.getLabels(), false)) {
                        sum.addi(g.muli(batch.getSize()));
                    }
                    count += batch.getSize();
                }
            }
            if (count == 0) {
                throw new IllegalArgumentException("The test set is empty");
            }
            NDArray mean = sum.div(count).reshape(1, -1);
            mean.attach(manager);
            return mean;
        }
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
     * Computes {@code s_test = H^-1 grad l(z_test)} for individual test samples.
     *
     * @param manager receives the result
     * @param testInputs test inputs
     * @param testLabels test labels
     * @return shape (m, |w|)
     */
    public NDArray sTest(NDManager manager, NDList testInputs, NDList testLabels) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray s = inverseHvp(testGradients(scope, testInputs, testLabels));
            s.attach(manager);
            return s;
        }
    }

    /**
     * Computes {@code C_IF(i)} for the mean loss over a test set: one solve, then one dot product
     * per training sample.
     *
     * @param manager a manager on the model's device
     * @param testSet the test set
     * @return one contribution per tracked sample, in row order
     * @throws IOException if the test set cannot be read
     * @throws TranslateException if a batch cannot be processed
     */
    public double[] testLossContributions(NDManager manager, Dataset testSet)
            throws IOException, TranslateException {
        try (NDManager scope = manager.newSubManager()) {
            NDArray s = inverseHvp(meanTestGradient(scope, testSet));
            double[][] c = contributions(s);
            double[] out = new double[c.length];
            for (int i = 0; i < c.length; i++) {
                out[i] = c[i][0];
            }
            return out;
        }
    }

    /**
     * Computes the matrix {@code C_IF(i, j)} for individual test samples.
     *
     * @param manager a manager on the model's device
     * @param testInputs the test samples' inputs (batch axis first)
     * @param testLabels their labels
     * @param testIndices their ids, kept in the result
     * @return rows = tracked training samples, columns = test samples
     */
    public ContributionMatrix contributionMatrix(
            NDManager manager, NDList testInputs, NDList testLabels, int[] testIndices) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray s = sTest(scope, testInputs, testLabels);
            if (s.getShape().get(0) != testIndices.length) {
                throw new IllegalArgumentException(
                        "one test index per test sample is needed: "
                                + testIndices.length
                                + " for "
                                + s.getShape().get(0));
            }
            return new ContributionMatrix(contributions(s), tracked.clone(), testIndices.clone());
        }
    }

    /**
     * Computes {@code (1/N) grad l(z_i)^T s_j} for every tracked training sample i and row j of
     * {@code sTests}: per-sample training gradients chunk by chunk, each chunk multiplied with all
     * of s_test at once.
     *
     * @param sTests s_test rows, shape (m, |w|)
     * @return rows = tracked training samples, columns = rows of {@code sTests}
     */
    public double[][] contributions(NDArray sTests) {
        int m = (int) sTests.getShape().get(0);
        double[][] out = new double[tracked.length][];
        double factor = 1.0 / hessian.trainingSetSize();
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(sTests);
            NDArray st = sTests.toType(weights.getDataType(), false).transpose();
            for (int start = 0; start < tracked.length; start += gradientChunkSize) {
                int end = Math.min(tracked.length, start + gradientChunkSize);
                double[] part = chunk(scope, st, Arrays.copyOfRange(tracked, start, end), factor);
                for (int i = start; i < end; i++) {
                    out[i] = Arrays.copyOfRange(part, (i - start) * m, (i - start + 1) * m);
                }
                progress.update("training gradients", end, tracked.length, Double.NaN);
            }
        }
        return out;
    }

    private double[] chunk(NDManager scope, NDArray st, int[] rows, double factor) {
        try (NDManager chunk = scope.newSubManager()) {
            chunk.tempAttachAll(weights, st, inputs, labels);
            NDIndex index = new NDIndex("{}", chunk.create(toLong(rows)));
            NDList x = new NDList();
            NDList y = new NDList();
            for (NDArray array : inputs) {
                x.add(array.get(index));
            }
            for (NDArray array : labels) {
                y.add(array.get(index));
            }
            NDArray g = model.sampleGradients(weights, x, y, range(rows.length), false);
            return g.matMul(st).mul(factor).toType(DataType.FLOAT64, false).toDoubleArray();
        }
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
        if (builder.weights.size() != model.space().size()) {
            throw new IllegalArgumentException(
                    "weights have "
                            + builder.weights.size()
                            + " entries but the model has "
                            + model.space().size()
                            + " trainable scalars: pass a flat vector from ParameterSpace.values");
        }
        NDArray copy = builder.weights.reshape(-1).toType(builder.dataType, true);
        copy.attach(manager);
        return copy;
    }

    private static int[] range(int n) {
        int[] rows = new int[n];
        Arrays.setAll(rows, i -> i);
        return rows;
    }

    private static long[] toLong(int[] rows) {
        return Arrays.stream(rows).asLongStream().toArray();
    }

    /** Builds {@link InfluenceFunctions}. */
    public static final class Builder {

        private final ShadowModel model;
        private final NDList inputs;
        private final NDList labels;
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

        Builder(ShadowModel model, NDList inputs, NDList labels) {
            this.model = model;
            this.inputs = inputs;
            this.labels = labels;
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
         * Sets the Hessian-vector product (default: {@link FiniteDifferenceHvp}, leak-free).
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
         * Restricts contributions to some training rows (default: all), which become the rows of
         * the contribution matrices and their training indices.
         *
         * @param rows training-set rows
         * @return this builder
         */
        public Builder optTrackedSamples(int... rows) {
            this.tracked = rows.clone();
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
            if (chunkSize < 1) {
                throw new IllegalArgumentException("chunkSize must be positive, got " + chunkSize);
            }
            this.gradientChunkSize = chunkSize;
            return this;
        }

        /**
         * Builds the influence functions.
         *
         * @return the influence functions; close them to free their weights
         */
        public InfluenceFunctions build() {
            if (dataType != DataType.FLOAT64 && dataType != DataType.FLOAT32) {
                throw new IllegalArgumentException(
                        "dataType must be float32 or float64, got " + dataType);
            }
            return new InfluenceFunctions(this);
        }
    }
}
