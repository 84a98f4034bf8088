package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.hydra.gradient.mirror.ActivationPattern;
import ai.hydra.gradient.mirror.BlockMirror;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hessian-vector products by central differences of gradients with the activation pattern frozen:
 * {@code H v = (g(w + a v) - g(w - a v)) / 2a} with {@code a = step / |v|}, computed in float64,
 * where both gradients are taken with the ReLU masks and max-pool selections recorded at {@code w}
 * (see {@link ShadowModel#activationPattern}).
 *
 * <p><b>What is guaranteed.</b> With the pattern frozen, a network of linear and convolutional
 * layers, batch normalization, average pooling, tanh/sigmoid/GELU/swish, ReLU, leaky ReLU and max
 * pooling is smooth in its weights, and its gradient and Hessian at {@code w} are exactly those
 * autograd's double backward gives (ReLU's second derivative taken as 0, max pooling routed to the
 * first maximal element of each window). So no unit near its kink, and no near-tie in a pooling
 * window, can make a product wrong: the error is that of a central difference of a smooth function,
 * truncation {@code c2 step^2} plus float64 rounding {@code c1 / step}, for every product. On a
 * trained LeNet-5 (float64) against double backward: relative error 7e-10 at the default step 1e-5,
 * growing as 7e-15/step below it (7e-9 at 1e-6, 1e-6 at 1e-8); with a ReLU unit placed 1e-9 to 7e-7
 * from its kink, or a max-pool window whose two largest inputs differ by 1e-10, still below 1e-8,
 * where differences without a frozen pattern are 1e2-1e4 times off ({@code LeNetHvpTest}). The same
 * holds on DJL's PyTorch and MXNet engines (MXNet: checked against whole retrainings of LeNet-5,
 * {@code RetrainingGroundTruthTest}), except for the blocks {@link BlockMirror} leaves unknown on
 * an engine (MXNet's float64 leaky ReLU).
 *
 * <p><b>Blocks the mirror does not know</b> ({@link BlockMirror#unfrozenBlocks()}: custom blocks
 * that do not implement {@link ai.hydra.gradient.mirror.MirroredBlock}, lambdas that are not DJL's
 * factory blocks, ReLU6/ELU/soft-plus) run as they are and may hide kinks. Their presence is logged
 * once, and every product is then checked for a crossing: a kink crossed within the step adds
 * {@code jump/2a}, so the differences at {@code a} and {@code a/2} must agree to 1e-7 (else the
 * step shrinks tenfold, up to three times; a product that still disagrees is logged as a warning
 * with its estimated error). This costs two more gradient passes per vector.
 *
 * <p><b>Mode.</b> The Hessian is that of the loss of a training-mode forward pass (batch
 * statistics, what HYDRA's training steps differentiate) by default, or of a prediction-mode pass
 * (running statistics: influence functions, whose gradients are taken in prediction mode); the two
 * differ only for models with batch normalization. The pattern is recorded and frozen in the same
 * mode.
 *
 * <p>Chosen over double backward because DJL 0.35.1's double backward leaks about 1.25 MB per call
 * (PyTorch's parameter/gradient reference cycle, with no JNI call that resets {@code .grad}); the
 * shadow passes used here allocate only in scoped managers, so memory stays flat. Costs one forward
 * pass per call (recording the pattern) plus two gradient passes per vector.
 */
public final class FiniteDifferenceHvp implements HessianVectorProduct {

    private static final Logger logger = LoggerFactory.getLogger(FiniteDifferenceHvp.class);

    /**
     * The default perturbation norm: with kinks frozen the step no longer needs to be tiny, and
     * 1e-5 balances truncation against float64 rounding (on LeNet-5 the optimum is near 1e-4).
     */
    public static final double DEFAULT_STEP = 1e-5;

    private final ShadowModel model;
    private final double step;
    private final boolean training;
    private final boolean checkCrossings;

    /**
     * Creates a finite-difference product over a shadow model in training mode.
     *
     * @param model the shadow model
     * @param step the norm of the perturbation {@code a v}
     */
    public FiniteDifferenceHvp(ShadowModel model, double step) {
        this(model, step, true);
    }

    /**
     * Creates a finite-difference product over a shadow model.
     *
     * @param model the shadow model
     * @param step the norm of the perturbation {@code a v}
     * @param training true for the Hessian of a training-mode forward pass (batch statistics),
     *     false for prediction mode (running statistics)
     */
    public FiniteDifferenceHvp(ShadowModel model, double step, boolean training) {
        if (!(step > 0 && Double.isFinite(step))) {
            throw new IllegalArgumentException("finite-difference step must be > 0, got " + step);
        }
        this.model = model;
        this.step = step;
        this.training = training;
        this.checkCrossings = !model.mirror().freezesEveryKink();
        if (checkCrossings) {
            logger.info(
                    "Hessian-vector products cannot freeze kinks inside {}: each product is"
                            + " checked for a crossing (implement MirroredBlock to freeze them)",
                    String.join(", ", model.mirror().unfrozenBlocks()));
        }
    }

    /**
     * Creates a finite-difference product with the default step, in training mode.
     *
     * @param model the shadow model
     */
    public FiniteDifferenceHvp(ShadowModel model) {
        this(model, DEFAULT_STEP);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray multiply(NDArray w, NDList inputs, NDList labels, NDArray vectors) {
        NDManager out = w.getManager();
        long rows = vectors.getShape().get(0);
        NDArray result = out.zeros(vectors.getShape(), DataType.FLOAT64);
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w, vectors); // keep slices and casts out of the callers' managers
            NDArray w64 = w.toType(DataType.FLOAT64, true);
            w64.attach(scope);
            try (ActivationPattern pattern = model.activationPattern(w64, inputs, training)) {
                Batch batch = new Batch(w64, inputs, labels, pattern);
                for (long k = 0; k < rows; k++) {
                    try (NDManager row = scope.newSubManager()) {
                        NDArray v = vectors.get(k).toType(DataType.FLOAT64, true);
                        v.attach(row);
                        double norm = v.norm().getDouble();
                        if (norm == 0) {
                            continue;
                        }
                        result.set(new NDIndex(k), batch.product(row, v, step / norm));
                    }
                }
            }
        }
        if (w.getDataType() != DataType.FLOAT64) {
            NDArray cast = result.toType(w.getDataType(), false);
            result.close();
            return cast;
        }
        return result;
    }

    /** One call's batch, weights and recorded pattern. */
    private final class Batch {

        private final NDArray w;
        private final NDList inputs;
        private final NDList labels;
        private final ActivationPattern pattern;

        Batch(NDArray w, NDList inputs, NDList labels, ActivationPattern pattern) {
            this.w = w;
            this.inputs = inputs;
            this.labels = labels;
            this.pattern = pattern;
        }

        NDArray product(NDManager row, NDArray v, double alpha) {
            if (!checkCrossings) {
                return central(row, v, alpha);
            }
            return CrossingCheck.refine(a -> central(row, v, a), alpha, v.norm().getDouble());
        }

        private NDArray central(NDManager row, NDArray v, double alpha) {
            NDArray plus = gradientAt(row, v, alpha);
            NDArray minus = gradientAt(row, v, -alpha);
            return plus.sub(minus).div(2 * alpha);
        }

        private NDArray gradientAt(NDManager row, NDArray v, double alpha) {
            NDArray gradient = model.gradientAt(w, v, alpha, inputs, labels, pattern);
            gradient.attach(row);
            return gradient;
        }
    }
}
