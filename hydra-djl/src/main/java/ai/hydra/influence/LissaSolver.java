package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Preconditions;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LiSSA (Agarwal et al. 2017), as in Koh and Liang's influence-function code: for each repeat,
 *
 * <pre>
 *   h_0 = v;   h_t = v + (1 - damping) h_{t-1} - (H_B h_{t-1}) / scale   (t = 1..depth)
 * </pre>
 *
 * with {@code H_B} the Hessian on a fresh random minibatch {@code B}; the result is the mean of
 * {@code h_depth} over repeats, divided by {@code scale}. Its fixed point is {@code (H + damping *
 * scale * I)^-1 v}: the recursion's damping acts as an extra diagonal term of {@code damping *
 * scale}, on top of the {@link InfluenceHessian}'s own. It converges when {@code scale} exceeds
 * half the largest eigenvalue of every minibatch Hessian (in practice: exceeds the largest one).
 *
 * <p>Every iteration runs in its own {@link NDManager} scope and Hessian-vector products are taken
 * through the Hessian's (by default finite-difference, leak-free) product, so memory stays flat
 * through long runs. The recursion is watched: a warning is logged once when the estimate's norm
 * exceeds what a converging recursion can reach ({@code |v| min(t+1, 1/damping)}), and a {@link
 * LissaDivergenceException} is thrown when it goes non-finite or exceeds that bound by {@link
 * Builder#optDivergenceFactor}.
 */
public final class LissaSolver implements InverseHvpSolver {

    private static final Logger logger = LoggerFactory.getLogger(LissaSolver.class);

    private final int depth;
    private final double scale;
    private final double damping;
    private final int batchSize;
    private final int repeats;
    private final long seed;
    private final int checkEvery;
    private final double divergenceFactor;

    private LissaSolver(Builder builder) {
        depth = builder.depth;
        scale = builder.scale;
        damping = builder.damping;
        batchSize = builder.batchSize;
        repeats = builder.repeats;
        seed = builder.seed;
        checkEvery = builder.checkEvery;
        divergenceFactor = builder.divergenceFactor;
    }

    /**
     * Creates a builder with the defaults: depth 1000, scale 10, damping 0, batch size 32, 1
     * repeat, seed 0.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Creates a builder preset as in the HYDRA authors' comparison with influence functions:
     * damping 0.01, scale 1000, depth 5,000, 10 repeats, batch size 32.
     *
     * @return a new builder holding the preset, whose options can still be changed
     */
    public static Builder hydraPreset() {
        return new Builder().optDamping(0.01).optScale(1000).optDepth(5000).optRepeats(10);
    }

    /**
     * Returns the diagonal term the recursion adds to the Hessian it inverts.
     *
     * @return {@code damping * scale}
     */
    public double effectiveDamping() {
        return damping * scale;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "lissa";
    }

    /** {@inheritDoc} */
    @Override
    public NDArray solve(InfluenceHessian hessian, NDArray rhs, SolverProgress progress) {
        NDManager out = rhs.getManager();
        Random random = new Random(seed);
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(rhs);
            NDArray v = rhs.toType(hessian.dataType(), true);
            double[] vNorms = rowNorms(v);
            NDArray sum = scope.zeros(v.getShape(), v.getDataType());
            for (int r = 0; r < repeats; r++) {
                String stage = "lissa repeat " + (r + 1) + "/" + repeats;
                NDArray h = recursion(hessian, v, vNorms, random, stage, progress);
                sum.addi(h);
                h.close();
            }
            NDArray result = sum.div((double) repeats * scale);
            result.attach(out);
            return result;
        }
    }

    private NDArray recursion(
            InfluenceHessian hessian,
            NDArray v,
            double[] vNorms,
            Random random,
            String stage,
            SolverProgress progress) {
        NDManager owner = v.getManager();
        NDArray h = v.duplicate();
        boolean warned = false;
        for (int t = 1; t <= depth; t++) {
            NDArray next;
            try (NDManager step = owner.newSubManager()) {
                step.tempAttachAll(h, v); // every intermediate of the step dies with the step
                NDArray product =
                        hessian.multiplyRows(h, sample(random, hessian.trainingSetSize()));
                next = v.add(h.mul(1 - damping)).subi(product.divi(scale));
                next.attach(owner);
            }
            h.close(); // back in owner once the step closed: free it now, not at the solve's end
            h = next;
            if (t % checkEvery == 0 || t == depth) {
                double norm = maxRatio(rowNorms(h), vNorms, t);
                progress.update(stage, t, depth, norm);
                warned = check(norm, t, stage, warned);
            }
        }
        return h;
    }

    /** Returns the worst row's |h_t| / bound_t, the bound a converging recursion stays below. */
    private double maxRatio(double[] norms, double[] vNorms, int t) {
        double bound = damping > 0 ? Math.min(t + 1.0, 1 / damping) : t + 1.0;
        double worst = 0;
        for (int k = 0; k < norms.length; k++) {
            if (!Double.isFinite(norms[k])) {
                return Double.NaN;
            }
            if (vNorms[k] > 0) {
                worst = Math.max(worst, norms[k] / (vNorms[k] * bound));
            }
        }
        return worst;
    }

    private boolean check(double ratio, int t, String stage, boolean warned) {
        if (Double.isNaN(ratio) || ratio > divergenceFactor) {
            throw new LissaDivergenceException(
                    String.format(
                            "LiSSA diverged at iteration %d (%s): the estimate's norm is %s times"
                                    + " what a converging recursion can reach. The scale (%g) is"
                                    + " too small for the Hessian's largest eigenvalue, or the"
                                    + " Hessian has negative curvature beyond the damping (%g):"
                                    + " raise optScale (above the largest eigenvalue of a"
                                    + " minibatch Hessian) or optDamping",
                            t,
                            stage,
                            Double.isNaN(ratio) ? "NaN/infinite" : ratio,
                            scale,
                            damping));
        }
        if (ratio > 1 && !warned) {
            logger.warn(
                    "LiSSA ({}) may be diverging at iteration {}: the estimate's norm is {} times"
                            + " the bound of a converging recursion; consider a larger scale"
                            + " ({}) or damping ({})",
                    stage,
                    t,
                    ratio,
                    scale,
                    damping);
            return true;
        }
        return warned;
    }

    private int[] sample(Random random, int n) {
        int[] rows = new int[Math.min(batchSize, n)];
        if (rows.length == n) {
            for (int i = 0; i < n; i++) {
                rows[i] = i; // full batch: deterministic (plain Neumann series)
            }
            return rows;
        }
        for (int i = 0; i < rows.length; i++) {
            rows[i] = random.nextInt(n);
        }
        return rows;
    }

    private static double[] rowNorms(NDArray rows) {
        try (NDArray norms = rows.norm(new int[] {1})) {
            return norms.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
        }
    }

    /** Builds {@link LissaSolver}s. */
    public static final class Builder {

        private int depth = 1000;
        private double scale = 10;
        private double damping;
        private int batchSize = 32;
        private int repeats = 1;
        private long seed;
        private int checkEvery = 10;
        private double divergenceFactor = 100;

        Builder() {}

        /**
         * Sets the recursion depth (iterations per repeat).
         *
         * @param depth the depth
         * @return this builder
         */
        public Builder optDepth(int depth) {
            this.depth = positive("depth", depth);
            return this;
        }

        /**
         * Sets the scale: the recursion multiplies {@code H} by {@code 1/scale}, which must bring
         * its eigenvalues below 2 (in practice below 1).
         *
         * @param scale the scale
         * @return this builder
         */
        public Builder optScale(double scale) {
            Preconditions.checkArgument(
                    scale > 0 && Double.isFinite(scale),
                    "scale must be finite and > 0, got " + scale);
            this.scale = scale;
            return this;
        }

        /**
         * Sets the recursion's damping, in [0, 1): it adds {@code damping * scale} to the diagonal
         * of the Hessian inverted.
         *
         * @param damping the damping
         * @return this builder
         */
        public Builder optDamping(double damping) {
            Preconditions.checkArgument(
                    damping >= 0 && damping < 1, "damping must be in [0, 1), got " + damping);
            this.damping = damping;
            return this;
        }

        /**
         * Sets the minibatch size of each Hessian estimate; the training-set size or more gives the
         * deterministic full-batch recursion.
         *
         * @param batchSize samples per Hessian-vector product
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = positive("batchSize", batchSize);
            return this;
        }

        /**
         * Sets the number of independent recursions averaged.
         *
         * @param repeats the number of repeats
         * @return this builder
         */
        public Builder optRepeats(int repeats) {
            this.repeats = positive("repeats", repeats);
            return this;
        }

        /**
         * Sets the seed of the minibatch draws; each solve restarts from it, so solves are
         * reproducible.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets how often (in iterations) the estimate's norm is checked and progress reported
         * (default 10; each check reads the norms back from the device).
         *
         * @param checkEvery iterations between checks
         * @return this builder
         */
        public Builder optCheckEvery(int checkEvery) {
            this.checkEvery = positive("checkEvery", checkEvery);
            return this;
        }

        /**
         * Sets by how much the estimate's norm may exceed the bound of a converging recursion
         * before the solve fails (default 100).
         *
         * @param factor the factor, > 1
         * @return this builder
         */
        public Builder optDivergenceFactor(double factor) {
            Preconditions.checkArgument(factor > 1, "divergence factor must be > 1, got " + factor);
            this.divergenceFactor = factor;
            return this;
        }

        /**
         * Builds the solver.
         *
         * @return the solver
         */
        public LissaSolver build() {
            return new LissaSolver(this);
        }

        private static int positive(String name, int value) {
            Preconditions.checkArgument(value >= 1, name + " must be positive, got " + value);
            return value;
        }
    }
}
