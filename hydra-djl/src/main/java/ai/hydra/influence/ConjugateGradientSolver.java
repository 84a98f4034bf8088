package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;

/**
 * Conjugate gradient on {@code H x = v}, one independent recursion per right-hand side, all rows
 * sharing each Hessian-vector pass. Needs a symmetric positive-definite {@code H}: a convex model
 * with weight decay, or a non-convex one with enough damping ({@link
 * InfluenceHessian.Builder#optDamping}); detected negative curvature is an error.
 *
 * <p>Stops when every row's residual {@code |v - H x| / |v|} is below the tolerance.
 */
public final class ConjugateGradientSolver implements InverseHvpSolver {

    private final int maxIterations;
    private final double tolerance;

    private ConjugateGradientSolver(Builder builder) {
        maxIterations = builder.maxIterations;
        tolerance = builder.tolerance;
    }

    /**
     * Creates a builder with the defaults: at most 1000 iterations, relative tolerance 1e-10.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "cg";
    }

    /** {@inheritDoc} */
    @Override
    public NDArray solve(InfluenceHessian hessian, NDArray rhs, SolverProgress progress) {
        NDManager out = rhs.getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(rhs);
            NDArray b = rhs.toType(hessian.dataType(), true);
            int k = (int) b.getShape().get(0);
            double[] bNorms = sqrt(rowDots(b, b));
            NDArray x = scope.zeros(b.getShape(), b.getDataType());
            NDArray r = b.duplicate();
            NDArray p = b.duplicate();
            double[] rr = rowDots(r, r);
            boolean[] active = new boolean[k];
            for (int i = 0; i < k; i++) {
                active[i] = bNorms[i] > 0;
            }
            for (int it = 1; it <= maxIterations && any(active); it++) {
                double[] worst = new double[1];
                try (NDManager step = scope.newSubManager()) {
                    step.tempAttachAll(x, r, p);
                    NDArray hp = hessian.multiply(p);
                    double[] pHp = rowDots(p, hp);
                    double[] alpha = new double[k];
                    for (int i = 0; i < k; i++) {
                        if (active[i]) {
                            checkCurvature(pHp[i], rr[i], it);
                            alpha[i] = rr[i] / pHp[i];
                        }
                    }
                    NDArray a = column(step, alpha, b.getDataType());
                    x.addi(p.mul(a));
                    r.subi(hp.muli(a));
                    double[] rrNew = rowDots(r, r);
                    double[] beta = new double[k];
                    for (int i = 0; i < k; i++) {
                        if (active[i]) {
                            beta[i] = rrNew[i] / rr[i];
                            rr[i] = rrNew[i];
                            double residual = Math.sqrt(rrNew[i]) / bNorms[i];
                            worst[0] = Math.max(worst[0], residual);
                            active[i] = residual >= tolerance;
                        }
                    }
                    p.muli(column(step, beta, b.getDataType())).addi(r);
                }
                progress.update("cg", it, maxIterations, worst[0]);
            }
            x.attach(out);
            return x;
        }
    }

    private static void checkCurvature(double pHp, double rr, int iteration) {
        if (!(pHp > 0) || !Double.isFinite(pHp)) {
            throw new IllegalStateException(
                    "Conjugate gradient met non-positive curvature p^T H p = "
                            + pHp
                            + " at iteration "
                            + iteration
                            + " (|r|^2 = "
                            + rr
                            + "): the Hessian is not positive definite. Add weight decay or"
                            + " damping (InfluenceFunctions.Builder.optDamping), or use"
                            + " LissaSolver/ExactSolver");
        }
    }

    private static NDArray column(NDManager manager, double[] values, DataType type) {
        return manager.create(values).toType(type, false).reshape(-1, 1);
    }

    private static double[] rowDots(NDArray a, NDArray b) {
        try (NDArray dots = a.mul(b).sum(new int[] {1})) {
            return dots.toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    private static double[] sqrt(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.sqrt(values[i]);
        }
        return out;
    }

    private static boolean any(boolean[] flags) {
        for (boolean flag : flags) {
            if (flag) {
                return true;
            }
        }
        return false;
    }

    /** Builds {@link ConjugateGradientSolver}s. */
    public static final class Builder {

        private int maxIterations = 1000;
        private double tolerance = 1e-10;

        Builder() {}

        /**
         * Sets the iteration cap; one iteration is one Hessian-vector pass over the training set.
         *
         * @param maxIterations the cap
         * @return this builder
         */
        public Builder optMaxIterations(int maxIterations) {
            Preconditions.checkArgument(
                    maxIterations >= 1, "maxIterations must be positive, got " + maxIterations);
            this.maxIterations = maxIterations;
            return this;
        }

        /**
         * Sets the relative residual {@code |v - H x| / |v|} at which a row is solved.
         *
         * @param tolerance the tolerance
         * @return this builder
         */
        public Builder optTolerance(double tolerance) {
            Preconditions.checkArgument(tolerance > 0, "tolerance must be > 0, got " + tolerance);
            this.tolerance = tolerance;
            return this;
        }

        /**
         * Builds the solver.
         *
         * @return the solver
         */
        public ConjugateGradientSolver build() {
            return new ConjugateGradientSolver(this);
        }
    }
}
