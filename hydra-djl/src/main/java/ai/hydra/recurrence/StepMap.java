package ai.hydra.recurrence;

/**
 * The linear map one Hessian-free step applies to a tracked sample's pair (d, m) when the sample is
 * not in the batch: {@code d' = a d + b m}, {@code m' = c d + e m}. Scalars, the same for every
 * coordinate, so the maps of skipped steps compose into one 2x2 matrix.
 *
 * <p>Derived from DJL's update {@code v = p v + eta (r g + lambda w); w = w - v} with the Hessian
 * dropped: {@code m' = eta lambda d + p m}, {@code d' = d - m'}.
 */
public final class StepMap {

    private static final StepMap IDENTITY = new StepMap(1, 0, 0, 1);

    final double a;
    final double b;
    final double c;
    final double e;

    StepMap(double a, double b, double c, double e) {
        this.a = a;
        this.b = b;
        this.c = c;
        this.e = e;
    }

    /**
     * Returns the identity map.
     *
     * @return the identity
     */
    public static StepMap identity() {
        return IDENTITY;
    }

    /**
     * Returns the Hessian-free map of one step.
     *
     * @param eta the learning rate of the step
     * @param momentum the momentum p
     * @param weightDecay the weight decay lambda
     * @return the map
     */
    public static StepMap hessianFree(double eta, double momentum, double weightDecay) {
        double el = eta * weightDecay;
        return new StepMap(1 - el, -momentum, el, momentum);
    }

    /**
     * Returns the map "this, then next".
     *
     * @param next the map applied after this one
     * @return {@code next * this}
     */
    public StepMap then(StepMap next) {
        return new StepMap(
                next.a * a + next.b * c,
                next.a * b + next.b * e,
                next.c * a + next.e * c,
                next.c * b + next.e * e);
    }

    /**
     * Returns the coefficients {@code {a, b, c, e}}.
     *
     * @return a new array
     */
    public double[] coefficients() {
        return new double[] {a, b, c, e};
    }
}
