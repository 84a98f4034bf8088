package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Preconditions;

/**
 * Exact inverse-Hessian-vector products for tiny models: the explicit Hessian from |w|
 * Hessian-vector products with the unit vectors, symmetrized, then a dense LU solve with partial
 * pivoting in Java doubles. Works for any non-singular {@code H}, indefinite ones included.
 *
 * <p>Costs |w| Hessian-vector passes over the training set and |w|^2 doubles of memory, so it is
 * refused above {@link Builder#optMaxDimension} (default 4096).
 */
public final class ExactSolver implements InverseHvpSolver {

    private final int maxDimension;
    private final int columnsPerPass;

    private ExactSolver(Builder builder) {
        maxDimension = builder.maxDimension;
        columnsPerPass = builder.columnsPerPass;
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "exact";
    }

    /** {@inheritDoc} */
    @Override
    public NDArray solve(InfluenceHessian hessian, NDArray rhs, SolverProgress progress) {
        double[][] lu = explicitHessian(hessian, rhs.getManager(), progress);
        int n = lu.length;
        int[] pivots = factorize(lu);
        int k = (int) rhs.getShape().get(0);
        double[] b;
        try (NDArray copy = rhs.toType(DataType.FLOAT64, true)) {
            b = copy.toDoubleArray();
        }
        double[] x = new double[k * n];
        for (int row = 0; row < k; row++) {
            double[] column = substitute(lu, pivots, b, row * n);
            System.arraycopy(column, 0, x, row * n, n);
        }
        NDManager out = rhs.getManager();
        try (NDArray solution = out.create(x, new Shape(k, n))) {
            return solution.toType(hessian.dataType(), true);
        }
    }

    /**
     * Builds the explicit matrix of {@code H}, symmetrized as {@code (H + H^T)/2}.
     *
     * @param hessian the operator
     * @param manager a manager on the device to compute on
     * @param progress receives a report per pass
     * @return {@code H} as a dense row-major matrix
     */
    public double[][] explicitHessian(
            InfluenceHessian hessian, NDManager manager, SolverProgress progress) {
        long dimension = hessian.dimension();
        Preconditions.checkArgument(
                dimension <= maxDimension,
                "ExactSolver builds a dense "
                        + dimension
                        + "x"
                        + dimension
                        + " Hessian, above its limit of "
                        + maxDimension
                        + ": use ConjugateGradientSolver or LissaSolver for this model, or"
                        + " raise ExactSolver.Builder.optMaxDimension");
        int n = (int) dimension;
        double[][] h = new double[n][n];
        try (NDManager scope = manager.newSubManager()) {
            NDArray identity = scope.eye(n, n, 0, hessian.dataType());
            for (int start = 0; start < n; start += columnsPerPass) {
                int end = Math.min(n, start + columnsPerPass);
                try (NDManager pass = scope.newSubManager()) {
                    pass.tempAttachAll(identity);
                    NDArray units = identity.get(new NDIndex("{}:{}", start, end));
                    double[] columns =
                            hessian.multiply(units).toType(DataType.FLOAT64, false).toDoubleArray();
                    for (int j = start; j < end; j++) {
                        System.arraycopy(columns, (j - start) * n, h[j], 0, n);
                    }
                }
                progress.update("exact hessian", end, n, Double.NaN);
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                double mean = (h[i][j] + h[j][i]) / 2;
                h[i][j] = mean;
                h[j][i] = mean;
            }
        }
        return h;
    }

    /** LU with partial pivoting in place; returns the row permutation. */
    private static int[] factorize(double[][] a) {
        int n = a.length;
        int[] pivots = new int[n];
        double scale = 0;
        for (double[] row : a) {
            for (double value : row) {
                scale = Math.max(scale, Math.abs(value));
            }
        }
        for (int c = 0; c < n; c++) {
            int best = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[best][c])) {
                    best = r;
                }
            }
            if (Math.abs(a[best][c]) <= 1e-14 * scale) {
                throw new IllegalStateException(
                        "The Hessian is singular to working precision (pivot "
                                + a[best][c]
                                + " at column "
                                + c
                                + "): add weight decay or damping"
                                + " (InfluenceFunctions.Builder.optDamping)");
            }
            pivots[c] = best;
            double[] swap = a[c];
            a[c] = a[best];
            a[best] = swap;
            for (int r = c + 1; r < n; r++) {
                double factor = a[r][c] / a[c][c];
                a[r][c] = factor;
                for (int j = c + 1; j < n; j++) {
                    a[r][j] -= factor * a[c][j];
                }
            }
        }
        return pivots;
    }

    private static double[] substitute(double[][] lu, int[] pivots, double[] b, int offset) {
        int n = lu.length;
        double[] x = new double[n];
        System.arraycopy(b, offset, x, 0, n);
        for (int c = 0; c < n; c++) {
            double swap = x[c];
            x[c] = x[pivots[c]];
            x[pivots[c]] = swap;
        }
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < r; j++) {
                x[r] -= lu[r][j] * x[j];
            }
        }
        for (int r = n - 1; r >= 0; r--) {
            for (int j = r + 1; j < n; j++) {
                x[r] -= lu[r][j] * x[j];
            }
            x[r] /= lu[r][r];
        }
        return x;
    }

    /** Builds {@link ExactSolver}s. */
    public static final class Builder {

        private int maxDimension = 4096;
        private int columnsPerPass = 64;

        Builder() {}

        /**
         * Sets the largest |w| accepted.
         *
         * @param maxDimension the limit
         * @return this builder
         */
        public Builder optMaxDimension(int maxDimension) {
            Preconditions.checkArgument(
                    maxDimension >= 1, "maxDimension must be positive, got " + maxDimension);
            this.maxDimension = maxDimension;
            return this;
        }

        /**
         * Sets how many Hessian columns each call of the Hessian-vector product computes.
         *
         * @param columns columns per call
         * @return this builder
         */
        public Builder optColumnsPerPass(int columns) {
            Preconditions.checkArgument(columns >= 1, "columns must be positive, got " + columns);
            this.columnsPerPass = columns;
            return this;
        }

        /**
         * Builds the solver.
         *
         * @return the solver
         */
        public ExactSolver build() {
            return new ExactSolver(this);
        }
    }
}
