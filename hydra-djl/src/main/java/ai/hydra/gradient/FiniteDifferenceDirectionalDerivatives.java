package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DirectionalDerivatives} by central differences with the activation pattern frozen, from
 * two training-mode passes per direction at {@code w +- a u} ({@code a = step / |u|}) that replay
 * the ReLU masks and max-pool selections a recording pass met at {@code w} (as {@link
 * FiniteDifferenceHvp}, whose guarantees hold here too). The Hessian product is the difference of
 * the two batch gradients, {@code (g(w + a u) - g(w - a u)) / 2a}; the per-sample slopes come from
 * the same two passes' predictions by the chain rule, {@code grad l_j . u = dl_j/dP_j . (P_j(w + a
 * u) - P_j(w - a u)) / 2a}, with {@code dl_j/dP_j} at the recording pass's predictions. No
 * per-sample gradient is ever formed, and with batch normalization the slopes are those of each
 * sample's loss in its batch.
 *
 * <p>The trainer's loss must be the batch mean of per-sample terms that each depend on their own
 * row of the predictions (as every DJL classification and regression loss); this is checked on the
 * first batch. Computed in float64 by default (about 1e-9 relative, see {@link
 * FiniteDifferenceHvp}). Blocks the mirror cannot freeze are handled as there: every difference is
 * checked for a crossed kink, at two more passes per direction.
 */
public final class FiniteDifferenceDirectionalDerivatives implements DirectionalDerivatives {

    private static final Logger logger =
            LoggerFactory.getLogger(FiniteDifferenceDirectionalDerivatives.class);

    private final ShadowModel model;
    private final double step;
    private final DataType computeType;
    private final boolean checkCrossings;
    private boolean lossChecked;

    /**
     * Creates the derivatives over a shadow model, computed in float64 with the default step.
     *
     * @param model the shadow model
     */
    public FiniteDifferenceDirectionalDerivatives(ShadowModel model) {
        this(model, FiniteDifferenceHvp.DEFAULT_STEP, DataType.FLOAT64);
    }

    /**
     * Creates the derivatives over a shadow model.
     *
     * @param model the shadow model
     * @param step the norm of the perturbation {@code a u}
     * @param computeType FLOAT64 (exact to about 1e-9) or FLOAT32 (faster; its rounding needs a
     *     larger step, and costs accuracy)
     */
    public FiniteDifferenceDirectionalDerivatives(
            ShadowModel model, double step, DataType computeType) {
        if (!(step > 0 && Double.isFinite(step))) {
            throw new IllegalArgumentException("finite-difference step must be > 0, got " + step);
        }
        if (computeType != DataType.FLOAT64 && computeType != DataType.FLOAT32) {
            throw new IllegalArgumentException(
                    "directional derivatives are computed in FLOAT64 or FLOAT32, not "
                            + computeType);
        }
        this.model = model;
        this.step = step;
        this.computeType = computeType;
        this.checkCrossings = !model.mirror().freezesEveryKink();
        if (checkCrossings) {
            logger.info(
                    "Directional derivatives cannot freeze kinks inside {}: each difference is"
                            + " checked for a crossing (implement MirroredBlock to freeze them)",
                    String.join(", ", model.mirror().unfrozenBlocks()));
        }
    }

    /** {@inheritDoc} */
    @Override
    public Result compute(NDArray w, NDList inputs, NDList labels, NDArray directions) {
        NDManager out = w.getManager();
        int k = Math.toIntExact(directions.getShape().get(0));
        int batch = Math.toIntExact(inputs.head().getShape().get(0));
        long size = w.size();
        NDArray products = out.zeros(directions.getShape(), computeType);
        NDArray slopes = out.zeros(new Shape(k, batch), computeType);
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(
                    w, directions); // keep slices and casts out of the callers' managers
            NDArray point = w.toType(computeType, true);
            point.attach(scope);
            try (RecordedPattern base = model.recordPattern(point, inputs, true)) {
                if (!lossChecked) {
                    model.requireMeanOfSampleLosses(base.predictions(), labels);
                    lossChecked = true;
                }
                // row j of dL/dP is (1/B) dl_j/dP_j
                NDList lossGradients = model.lossGradientByPredictions(base.predictions(), labels);
                Directions along = new Directions(point, inputs, labels, base, lossGradients);
                for (int r = 0; r < k; r++) {
                    try (NDManager row = scope.newSubManager()) {
                        row.tempAttachAll(products, slopes, lossGradients);
                        NDArray u = directions.get(r).toType(computeType, true);
                        u.attach(row);
                        double norm = u.norm().toType(DataType.FLOAT64, false).getDouble();
                        if (norm == 0) {
                            continue;
                        }
                        double alpha = step / norm;
                        // one vector: the Hessian product, then the B slopes
                        NDArray both =
                                checkCrossings
                                        ? CrossingCheck.refine(
                                                a -> along.central(row, u, a), alpha, norm)
                                        : along.central(row, u, alpha);
                        products.set(new NDIndex(r), both.get("0:{}", size));
                        slopes.set(new NDIndex(r), both.get("{}:", size).mul(batch));
                    }
                }
            }
        }
        return new Result(products, slopes);
    }

    /** The central differences along directions at one batch and point. */
    private final class Directions {

        private final NDArray w;
        private final NDList inputs;
        private final NDList labels;
        private final RecordedPattern base;
        private final NDList lossGradients;

        Directions(
                NDArray w,
                NDList inputs,
                NDList labels,
                RecordedPattern base,
                NDList lossGradients) {
            this.w = w;
            this.inputs = inputs;
            this.labels = labels;
            this.base = base;
            this.lossGradients = lossGradients;
        }

        /**
         * Returns {@code [H u, (1/B) grad l_j . u for each j]}, one flat vector, by differences at
         * {@code w +- a u}.
         */
        NDArray central(NDManager row, NDArray u, double alpha) {
            GradientPass plus = pass(row, u, alpha);
            GradientPass minus = pass(row, u, -alpha);
            NDArray product = plus.gradient().sub(minus.gradient()).div(2 * alpha);
            int batch = Math.toIntExact(inputs.head().getShape().get(0));
            NDArray slope = row.zeros(new Shape(batch), product.getDataType());
            for (int a = 0; a < lossGradients.size(); a++) {
                NDArray difference = plus.predictions().get(a).sub(minus.predictions().get(a));
                slope.addi(
                        lossGradients.get(a).mul(difference).reshape(batch, -1).sum(new int[] {1}));
            }
            return NDArrays.concat(new NDList(product, slope.div(2 * alpha)));
        }

        private GradientPass pass(NDManager row, NDArray u, double alpha) {
            NDArray point = w.add(u.mul(alpha));
            point.attach(row);
            GradientPass pass = model.gradientPass(point, inputs, labels, base.pattern());
            pass.gradient().attach(row);
            pass.predictions().attach(row);
            return pass;
        }
    }
}
