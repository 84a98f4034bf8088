package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;
import ai.hydra.gradient.HessianVectorProduct;
import ai.hydra.gradient.NDLists;

/**
 * The Hessian influence functions invert: that of the training objective {@code (1/N) sum_i l(z_i,
 * w) + (lambda/2) |w|^2} at fixed weights {@code w}, plus an optional damping term:
 *
 * <pre>
 *   H = H_data(w) + (lambda + damping) I
 * </pre>
 *
 * <p>{@code lambda} is the optimizer's weight decay: DJL's {@code Sgd} adds {@code lambda * w} to
 * every gradient, which is the gradient of {@code (lambda/2)|w|^2}. {@code H_data} is the Hessian
 * of the mean training loss, applied through a {@link HessianVectorProduct} chunk by chunk over the
 * whole training set ({@link #multiply}) or over a minibatch ({@link #multiplyRows}, LiSSA's
 * stochastic estimate).
 */
public final class InfluenceHessian {

    private final HessianVectorProduct hvp;
    private final NDArray weights;
    private final NDList inputs;
    private final NDList labels;
    private final int size;
    private final double regularization;
    private final double damping;
    private final int chunkSize;

    private InfluenceHessian(Builder builder) {
        hvp = builder.hvp;
        weights = builder.weights;
        inputs = builder.inputs;
        labels = builder.labels;
        size = (int) inputs.head().getShape().get(0);
        regularization = builder.regularization;
        damping = builder.damping;
        chunkSize = builder.chunkSize;
    }

    /**
     * Creates a builder.
     *
     * @param hvp Hessian-vector products of a batch's mean loss
     * @param weights the flat weights {@code w} (their data type is the one computed in)
     * @param inputs the whole training set's inputs, batch axis first
     * @param labels the training labels
     * @return a new builder
     */
    public static Builder builder(
            HessianVectorProduct hvp, NDArray weights, NDList inputs, NDList labels) {
        return new Builder(hvp, weights, inputs, labels);
    }

    /**
     * Returns the dimension |w|.
     *
     * @return the number of trainable scalars
     */
    public long dimension() {
        return weights.size();
    }

    /**
     * Returns the number of training samples N.
     *
     * @return N
     */
    public int trainingSetSize() {
        return size;
    }

    /**
     * Returns the weights the Hessian is taken at.
     *
     * @return the flat weights (owned by the caller who built this Hessian)
     */
    public NDArray weights() {
        return weights;
    }

    /**
     * Returns the data type products are computed in.
     *
     * @return the weights' data type
     */
    public DataType dataType() {
        return weights.getDataType();
    }

    /**
     * Returns the multiple of the identity added to {@code H_data}: weight decay plus damping.
     *
     * @return {@code lambda + damping}
     */
    public double diagonalShift() {
        return regularization + damping;
    }

    /**
     * Computes {@code H v} over the whole training set for each row {@code v} of {@code vectors}.
     *
     * @param vectors row vectors, shape (k, |w|); their manager receives the result
     * @return {@code H v} row by row, shape (k, |w|)
     */
    public NDArray multiply(NDArray vectors) {
        NDManager out = vectors.getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(weights, vectors, inputs, labels);
            NDArray sum = vectors.mul(diagonalShift());
            for (int start = 0; start < size; start += chunkSize) {
                int end = Math.min(size, start + chunkSize);
                try (NDManager chunk = scope.newSubManager()) {
                    NDIndex rows = new NDIndex("{}:{}", start, end);
                    NDArray part =
                            product(
                                    chunk,
                                    NDLists.get(inputs, rows),
                                    NDLists.get(labels, rows),
                                    vectors);
                    // the HVP is of the chunk's mean loss: weigh it by the chunk's share of N
                    sum.addi(part.muli((double) (end - start) / size));
                }
            }
            sum.attach(out);
            return sum;
        }
    }

    /**
     * Computes the minibatch estimate {@code H_B v = H_data(B) v + (lambda + damping) v} with
     * {@code H_data(B)} the Hessian of the mean loss over the given training rows.
     *
     * @param vectors row vectors, shape (k, |w|); their manager receives the result
     * @param rows training-set rows of the minibatch
     * @return the products, shape (k, |w|)
     */
    public NDArray multiplyRows(NDArray vectors, int[] rows) {
        NDManager out = vectors.getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(weights, vectors, inputs, labels);
            NDIndex index = new NDIndex("{}", scope.create(toLong(rows)));
            NDArray result =
                    product(scope, NDLists.get(inputs, index), NDLists.get(labels, index), vectors);
            result.addi(vectors.mul(diagonalShift()));
            result.attach(out);
            return result;
        }
    }

    private NDArray product(NDManager scope, NDList x, NDList y, NDArray vectors) {
        x.attach(scope);
        y.attach(scope);
        NDArray result = hvp.multiply(weights, x, y, vectors);
        result.attach(scope);
        return result;
    }

    private static long[] toLong(int[] rows) {
        long[] out = new long[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i];
        }
        return out;
    }

    /** Builds {@link InfluenceHessian}s. */
    public static final class Builder {

        private final HessianVectorProduct hvp;
        private final NDArray weights;
        private final NDList inputs;
        private final NDList labels;
        private double regularization;
        private double damping;
        private int chunkSize = 256;

        Builder(HessianVectorProduct hvp, NDArray weights, NDList inputs, NDList labels) {
            this.hvp = hvp;
            this.weights = weights;
            this.inputs = inputs;
            this.labels = labels;
        }

        /**
         * Sets the L2 regularization {@code lambda} of the objective (the optimizer's weight decay;
         * default 0).
         *
         * @param lambda the coefficient of {@code (lambda/2)|w|^2}
         * @return this builder
         */
        public Builder optRegularization(double lambda) {
            this.regularization = nonNegative("regularization", lambda);
            return this;
        }

        /**
         * Sets an extra damping term added to the diagonal (default 0), as Koh and Liang do to make
         * a non-convex model's Hessian positive definite.
         *
         * @param damping the damping
         * @return this builder
         */
        public Builder optDamping(double damping) {
            this.damping = nonNegative("damping", damping);
            return this;
        }

        /**
         * Sets how many training samples each Hessian-vector pass over the full set takes at once
         * (default 256); bounds the memory of one pass.
         *
         * @param chunkSize samples per pass
         * @return this builder
         */
        public Builder optChunkSize(int chunkSize) {
            Preconditions.checkArgument(
                    chunkSize >= 1, "chunkSize must be positive, got " + chunkSize);
            this.chunkSize = chunkSize;
            return this;
        }

        /**
         * Builds the operator.
         *
         * @return the Hessian
         */
        public InfluenceHessian build() {
            Preconditions.checkArgument(
                    weights.getShape().dimension() == 1,
                    "weights must be a flat vector (ParameterSpace.values), got shape "
                            + weights.getShape());
            if (inputs.isEmpty() || inputs.head().getShape().get(0) == 0) {
                throw new IllegalArgumentException("the training set is empty");
            }
            return new InfluenceHessian(this);
        }

        private static double nonNegative(String name, double value) {
            Preconditions.checkArgument(
                    value >= 0 && Double.isFinite(value),
                    name + " must be finite and >= 0, got " + value);
            return value;
        }
    }
}
