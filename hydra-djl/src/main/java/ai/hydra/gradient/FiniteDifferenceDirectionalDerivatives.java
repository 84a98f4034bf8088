package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@link DirectionalDerivatives} by central differences, from two training-mode passes per
 * direction at {@code w +- a u} ({@code a = step / |u|}): the Hessian product is the difference of
 * the two batch gradients, {@code (g(w + a u) - g(w - a u)) / 2a}, as in {@link
 * FiniteDifferenceHvp}; the per-sample slopes come from the same two passes' predictions, by the
 * chain rule {@code grad l_j . u = dl_j/dP_j . (P_j(w + a u) - P_j(w - a u)) / 2a}, with {@code
 * dl_j/dP_j} from one forward pass at {@code w}. No per-sample gradient is ever formed.
 *
 * <p>The trainer's loss must be the batch mean of per-sample terms that each depend on their own
 * row of the predictions (as every DJL classification and regression loss); this is checked on the
 * first batch. Computed in float64 by default, where the error is about 1e-9 relative (see {@link
 * FiniteDifferenceHvp}).
 */
public final class FiniteDifferenceDirectionalDerivatives implements DirectionalDerivatives {

    private final ShadowModel model;
    private final double step;
    private final DataType computeType;
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
     * @param computeType FLOAT64 (exact to about 1e-9) or FLOAT32 (faster, about 1e-3 relative with
     *     a step near 1e-2 of the weights' norm)
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
    }

    /** {@inheritDoc} */
    @Override
    public Result compute(NDArray w, NDList inputs, NDList labels, NDArray directions) {
        NDManager out = w.getManager();
        int k = Math.toIntExact(directions.getShape().get(0));
        int batch = Math.toIntExact(inputs.head().getShape().get(0));
        NDArray products = out.zeros(directions.getShape(), computeType);
        NDArray slopes = out.zeros(new Shape(k, batch), computeType);
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(
                    w, directions); // keep casts and slices out of the callers' managers
            NDArray point = w.toType(computeType, true);
            point.attach(scope);
            NDList base = model.predictions(point, inputs, true);
            if (!lossChecked) {
                model.requireMeanOfSampleLosses(base, labels);
                lossChecked = true;
            }
            // row j of dL/dP is (1/B) dl_j/dP_j: scale by B once
            NDList sampleLossGradients = model.lossGradientByPredictions(base, labels);
            for (int r = 0; r < k; r++) {
                try (NDManager row = scope.newSubManager()) {
                    row.tempAttachAll(products, slopes, sampleLossGradients);
                    NDArray u = directions.get(r).toType(computeType, true);
                    u.attach(row);
                    double norm = u.norm().toType(DataType.FLOAT64, false).getDouble();
                    if (norm == 0) {
                        continue;
                    }
                    double alpha = step / norm;
                    GradientPass plus = pass(point, u, alpha, inputs, labels, row);
                    GradientPass minus = pass(point, u, -alpha, inputs, labels, row);
                    products.set(
                            new NDIndex(r), plus.gradient().sub(minus.gradient()).div(2 * alpha));
                    NDArray slope = row.zeros(new Shape(batch), computeType);
                    for (int a = 0; a < sampleLossGradients.size(); a++) {
                        NDArray difference =
                                plus.predictions().get(a).sub(minus.predictions().get(a));
                        slope.addi(
                                sampleLossGradients
                                        .get(a)
                                        .mul(difference)
                                        .reshape(batch, -1)
                                        .sum(new int[] {1}));
                    }
                    slopes.set(new NDIndex(r), slope.mul(batch / (2 * alpha)));
                }
            }
        }
        return new Result(products, slopes);
    }

    private GradientPass pass(
            NDArray w, NDArray u, double alpha, NDList inputs, NDList labels, NDManager row) {
        NDArray point = w.add(u.mul(alpha));
        point.attach(row);
        return model.gradientPass(point, inputs, labels, true);
    }
}
