package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.util.Preconditions;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conjugate gradient on {@code H x = v}, one independent recursion per right-hand side, all rows
 * sharing each Hessian-vector pass. Needs a symmetric positive-definite {@code H}: a convex model
 * with weight decay, or a non-convex one with enough damping ({@link
 * InfluenceHessian.Builder#optDamping}); detected negative curvature is an error.
 *
 * <p>Stops when every row's residual {@code |v - H x| / |v|} is below the tolerance. A solve that
 * reaches the iteration cap first is not a solution: by default it throws a {@link
 * SolverNotConvergedException} naming the residual reached; with {@link
 * Builder#optAllowUnconverged} it logs a warning and returns the answer. Either way {@link
 * #lastConvergence()} records where the last solve stopped.
 */
public final class ConjugateGradientSolver implements InverseHvpSolver {

    private static final Logger logger = LoggerFactory.getLogger(ConjugateGradientSolver.class);

    private final int maxIterations;
    private final double tolerance;
    private final boolean allowUnconverged;
    private volatile Convergence last;

    private ConjugateGradientSolver(Builder builder) {
        maxIterations = builder.maxIterations;
        tolerance = builder.tolerance;
        allowUnconverged = builder.allowUnconverged;
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

    /**
     * Returns where the last solve stopped: iterations, residual, tolerance.
     *
     * @return the convergence of the last solve, or null before any
     */
    public Convergence lastConvergence() {
        return last;
    }

    /**
     * {@inheritDoc}
     *
     * @throws SolverNotConvergedException if the iteration cap is reached before the tolerance,
     *     unless unconverged answers are allowed
     */
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
            double[] residuals = new double[k];
            for (int i = 0; i < k; i++) {
                active[i] = bNorms[i] > 0;
                residuals[i] = active[i] ? 1 : 0;
            }
            int iterations = 0;
            for (int it = 1; it <= maxIterations && any(active); it++) {
                iterations = it;
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
                            residuals[i] = Math.sqrt(rrNew[i]) / bNorms[i];
                            worst[0] = Math.max(worst[0], residuals[i]);
                            active[i] = residuals[i] >= tolerance;
                        }
                    }
                    p.muli(column(step, beta, b.getDataType())).addi(r);
                }
                progress.update("cg", it, maxIterations, worst[0]);
            }
            check(new Convergence(iterations, max(residuals), tolerance));
            x.attach(out);
            return x;
        }
    }

    /** Records where the solve stopped; an unconverged one fails or, if allowed, warns. */
    private void check(Convergence convergence) {
        last = convergence;
        if (convergence.converged()) {
            return;
        }
        String message =
                String.format(
                        Locale.ROOT,
                        "Conjugate gradient did not converge in %d iterations: the relative"
                                + " residual |v - Hx|/|v| is %.3g, above the tolerance %.3g, so"
                                + " the answer is not a solution. Raise optMaxIterations, add"
                                + " damping (InfluenceFunctions.Builder.optDamping), or use"
                                + " LissaSolver or ExactSolver",
                        convergence.iterations(),
                        convergence.residual(),
                        convergence.tolerance());
        if (!allowUnconverged) {
            throw new SolverNotConvergedException(message, convergence);
        }
        logger.warn("{} (the unconverged answer is used, as optAllowUnconverged asked)", message);
    }

    private static double max(double[] values) {
        double max = 0;
        for (double value : values) {
            max = Math.max(max, value);
        }
        return max;
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
        private boolean allowUnconverged;

        Builder() {}

        /**
         * Returns the answer of a solve that reaches the iteration cap before the tolerance, with a
         * logged warning (and its residual in {@link ConjugateGradientSolver#lastConvergence()}),
         * instead of throwing a {@link SolverNotConvergedException}; by default such a solve fails.
         *
         * @param allow true to accept unconverged answers
         * @return this builder
         */
        public Builder optAllowUnconverged(boolean allow) {
            this.allowUnconverged = allow;
            return this;
        }

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
