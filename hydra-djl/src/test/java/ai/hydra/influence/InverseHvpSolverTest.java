package ai.hydra.influence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.gradient.HessianVectorProduct;
import ai.hydra.testing.EngineNeutral;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The three solvers against a dense solve of the closed-form Hessian of L2-regularized multinomial
 * logistic regression (built in plain Java, see {@link LogisticProblem}).
 */
@EngineNeutral
class InverseHvpSolverTest {

    private static final double LAMBDA = 0.02;
    private static final int[] TEST_ROWS = {0, 3, 8, 15, 22};

    private static LogisticProblem problem;
    private static double[] theta;
    private static NDManager manager;
    private static LogisticProblem.Djl djl;
    private static double[][] closedForm; // Java layout

    @BeforeAll
    static void setUp() {
        problem = new LogisticProblem(80, 40, LAMBDA, 7);
        theta = problem.train(-1);
        manager = NDManager.newBaseManager();
        djl = new LogisticProblem.Djl(manager, theta);
        closedForm = problem.hessian(theta, -1);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void exactSolveWithFiniteDifferencesMatchesClosedForm() {
        try (NDManager scope = manager.newSubManager()) {
            InfluenceHessian h = hessian(scope, new FiniteDifferenceHvp(djl.shadow), 0);
            double[][] explicit =
                    ExactSolver.builder().build().explicitHessian(h, scope, SolverProgress.NONE);
            double worst = 0;
            double largest = 0;
            for (int a = 0; a < LogisticProblem.DIM; a++) {
                for (int b = 0; b < LogisticProblem.DIM; b++) {
                    double truth = closedForm[a][b];
                    worst = Math.max(worst, Math.abs(explicit[djl.toDjl[a]][djl.toDjl[b]] - truth));
                    largest = Math.max(largest, Math.abs(truth));
                }
            }
            System.out.printf(
                    "explicit FD Hessian vs closed form: max abs error %.3e (max |H| %.3e)%n",
                    worst, largest);
            assertTrue(worst < 1e-7 * largest, "explicit Hessian error " + worst);

            NDArray rhs = testGradients(scope);
            double[] exact = ExactSolver.builder().build().solve(h, rhs).toDoubleArray();
            double error = relativeError(exact, denseSolutions(0));
            System.out.printf(
                    "ExactSolver (FD HVP) vs dense closed-form solve: relative error %.3e%n",
                    error);
            assertTrue(error < 1e-6, "exact solve relative error " + error);

            double[] cg = ConjugateGradientSolver.builder().build().solve(h, rhs).toDoubleArray();
            double cgError = relativeError(cg, exact);
            System.out.printf(
                    "CG (FD HVP) vs ExactSolver (FD HVP): relative error %.3e%n", cgError);
            assertTrue(cgError < 1e-8, "CG vs exact relative error " + cgError);
        }
    }

    @Test
    void solversMatchDenseSolve() {
        try (NDManager scope = manager.newSubManager()) {
            InfluenceHessian h = hessian(scope, new LogisticProblem.ClosedFormHvp(djl), 0);
            NDArray rhs = testGradients(scope);
            double[] dense = denseSolutions(0);

            double[] exact = ExactSolver.builder().build().solve(h, rhs).toDoubleArray();
            double exactError = relativeError(exact, dense);
            double[] cg = ConjugateGradientSolver.builder().build().solve(h, rhs).toDoubleArray();
            double cgError = relativeError(cg, exact);

            double top = LogisticProblem.largestEigenvalue(closedForm);
            double scale = 1.1 * top;
            int depth = (int) Math.ceil(Math.log(1e-4) / Math.log(1 - LAMBDA / scale));
            LissaSolver lissa =
                    LissaSolver.builder()
                            .optScale(scale)
                            .optDepth(depth)
                            .optBatchSize(problem.n)
                            .build();
            double[] lissaResult = lissa.solve(h, rhs).toDoubleArray();
            double lissaError = relativeError(lissaResult, exact);
            System.out.printf(
                    "closed-form HVP: exact vs dense %.3e, CG vs exact %.3e, LiSSA (scale %.3f,"
                            + " depth %d) vs exact %.3e%n",
                    exactError, cgError, scale, depth, lissaError);
            assertTrue(exactError < 1e-10, "exact vs dense " + exactError);
            assertTrue(cgError < 1e-8, "CG vs exact " + cgError);
            assertTrue(lissaError < 1e-2, "LiSSA vs exact " + lissaError);
        }
    }

    @Test
    void stochasticLissaWithDampingMatchesShiftedSolve() {
        try (NDManager scope = manager.newSubManager()) {
            double damping = 0.005;
            double scale = 1.5 * LogisticProblem.largestEigenvalue(closedForm);
            // LiSSA's recursion damping adds damping*scale to the diagonal it inverts
            InfluenceHessian h = hessian(scope, new LogisticProblem.ClosedFormHvp(djl), 0);
            NDArray rhs = testGradients(scope);
            LissaSolver lissa =
                    LissaSolver.builder()
                            .optScale(scale)
                            .optDamping(damping)
                            .optDepth(3000)
                            .optBatchSize(32)
                            .optRepeats(10)
                            .optSeed(3)
                            .build();
            double[] estimate = lissa.solve(h, rhs).toDoubleArray();
            double[] shifted = denseSolutions(lissa.effectiveDamping());
            double[] unshifted = denseSolutions(0);
            double error = relativeError(estimate, shifted);
            double unshiftedError = relativeError(estimate, unshifted);
            System.out.printf(
                    "minibatch LiSSA (batch 32, 10 repeats, damping %.3f, scale %.3f): vs (H + %.4f"
                            + " I)^-1 %.3e, vs H^-1 %.3e%n",
                    damping, scale, lissa.effectiveDamping(), error, unshiftedError);
            assertTrue(error < 5e-2, "minibatch LiSSA vs shifted dense solve " + error);
            assertTrue(error < unshiftedError / 2, "LiSSA must solve the damped system");
        }
    }

    @Test
    void divergenceIsAClearError() {
        try (NDManager scope = manager.newSubManager()) {
            InfluenceHessian h = hessian(scope, new LogisticProblem.ClosedFormHvp(djl), 0);
            double scale = LogisticProblem.largestEigenvalue(closedForm) / 4;
            LissaSolver lissa =
                    LissaSolver.builder()
                            .optScale(scale)
                            .optDepth(2000)
                            .optBatchSize(problem.n)
                            .build();
            NDArray rhs = testGradients(scope);
            LissaDivergenceException e =
                    assertThrows(LissaDivergenceException.class, () -> lissa.solve(h, rhs));
            System.out.println("divergence message: " + e.getMessage());
            assertTrue(e.getMessage().contains("optScale"), e.getMessage());
        }
    }

    /**
     * Issue 10: CG returned an unconverged answer at its iteration cap without a word (a relative
     * residual of 0.53 on LeNet-5). It now fails, or if allowed warns, and records the residual,
     * which is checked here against |v - Hx| / |v| computed independently.
     */
    @Test
    void conjugateGradientAtItsCapFailsOrRecordsTheResidual() {
        try (NDManager scope = manager.newSubManager()) {
            InfluenceHessian h = hessian(scope, new LogisticProblem.ClosedFormHvp(djl), 0);
            NDArray rhs = testGradients(scope);
            ConjugateGradientSolver capped =
                    ConjugateGradientSolver.builder().optMaxIterations(2).build();
            SolverNotConvergedException e =
                    assertThrows(SolverNotConvergedException.class, () -> capped.solve(h, rhs));
            assertTrue(e.getMessage().contains("did not converge in 2 iterations"), e.getMessage());
            ConjugateGradientSolver allowed =
                    ConjugateGradientSolver.builder()
                            .optMaxIterations(2)
                            .optAllowUnconverged(true)
                            .build();
            NDArray x = allowed.solve(h, rhs);
            Convergence reached = allowed.lastConvergence();
            assertEquals(2, reached.iterations());
            assertFalse(reached.converged());
            assertEquals(e.convergence().residual(), reached.residual(), 0);
            NDArray residual = rhs.sub(h.multiply(x));
            double worst = 0;
            for (int k = 0; k < TEST_ROWS.length; k++) {
                worst =
                        Math.max(
                                worst,
                                residual.get(k).norm().getDouble() / rhs.get(k).norm().getDouble());
            }
            assertEquals(worst, reached.residual(), 1e-6 * worst);
            ConjugateGradientSolver full = ConjugateGradientSolver.builder().build();
            full.solve(h, rhs);
            assertTrue(full.lastConvergence().converged(), full.lastConvergence().toString());
        }
    }

    @Test
    void conjugateGradientRejectsNegativeCurvature() {
        try (NDManager scope = manager.newSubManager()) {
            HessianVectorProduct negative = (w, inputs, labels, vectors) -> vectors.neg();
            InfluenceHessian h = hessian(scope, negative, 0);
            NDArray rhs = testGradients(scope);
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> ConjugateGradientSolver.builder().build().solve(h, rhs));
            assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
        }
    }

    private static InfluenceHessian hessian(
            NDManager scope, HessianVectorProduct hvp, double damping) {
        NDArray w = djl.shadow.space().values(scope, ai.djl.ndarray.types.DataType.FLOAT64);
        return InfluenceHessian.builder(
                        hvp,
                        w,
                        LogisticProblem.inputs(scope, problem.trainX),
                        LogisticProblem.labels(scope, problem.trainY))
                .optRegularization(LAMBDA)
                .optDamping(damping)
                .optChunkSize(32)
                .build();
    }

    /** Closed-form test-sample gradients, DJL layout, shape (k, |w|). */
    private static NDArray testGradients(NDManager scope) {
        double[] flat = new double[TEST_ROWS.length * LogisticProblem.DIM];
        for (int k = 0; k < TEST_ROWS.length; k++) {
            int row = TEST_ROWS[k];
            double[] g =
                    LogisticProblem.sampleGradient(theta, problem.testX[row], problem.testY[row]);
            System.arraycopy(djl.toDjl(g), 0, flat, k * LogisticProblem.DIM, LogisticProblem.DIM);
        }
        return scope.create(flat, new Shape(TEST_ROWS.length, LogisticProblem.DIM));
    }

    /** (H + shift I)^-1 g for each test gradient by the independent dense solve, DJL layout. */
    private static double[] denseSolutions(double shift) {
        double[][] h = new double[LogisticProblem.DIM][];
        for (int a = 0; a < h.length; a++) {
            h[a] = closedForm[a].clone();
            h[a][a] += shift;
        }
        double[] flat = new double[TEST_ROWS.length * LogisticProblem.DIM];
        for (int k = 0; k < TEST_ROWS.length; k++) {
            int row = TEST_ROWS[k];
            double[] g =
                    LogisticProblem.sampleGradient(theta, problem.testX[row], problem.testY[row]);
            double[] s = LogisticProblem.solve(h, g);
            System.arraycopy(djl.toDjl(s), 0, flat, k * LogisticProblem.DIM, LogisticProblem.DIM);
        }
        return flat;
    }

    static double relativeError(double[] actual, double[] expected) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }
}
