package ai.hydra.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * Checks, on the training device and without copying weights to the host, that every optimizer step
 * applied exactly the update a hypergradient recurrence assumes, and that training stayed finite.
 *
 * <p>Before step t the caller hands over the weights {@code w_t} and the batch gradient {@code g_t}
 * the trainer computed; the check predicts DJL's SGD update
 *
 * <pre>
 *   v_t = p v_{t-1} + eta_t (r g_t + lambda w_t);   w_{t+1} = w_t - v_t,   v_{t-1} = w_{t-1} - w_t
 * </pre>
 *
 * (the momentum buffer is read off the weights, so no engine's optimizer state is needed) and
 * compares the prediction with the weights it is given next. Anything that changes the gradient
 * between {@code trainBatch} and {@code step} (gradient clipping, noise, a different optimizer)
 * shows as a difference. Prediction and update differ by float rounding only, bounded element by
 * element by {@value #ROUNDING_FACTOR} unit roundoffs of the magnitudes involved (each of DJL's
 * three to five roundings and the prediction's own, with a factor two to spare): a change below
 * that bound is indistinguishable from rounding and harmless. Each step costs a dozen vector
 * operations of the model's size and no host transfer; {@link #requireSound} reads the three
 * accumulated scalars once, e.g. at every epoch end.
 *
 * <p>Non-finite weights or gradients (a diverged training) are recorded with the first step they
 * were seen at.
 */
public final class AppliedUpdateCheck {

    /** Unit roundoffs per element the prediction may differ from the update. */
    static final int ROUNDING_FACTOR = 8;

    private static final double NONE = 0x1p52; // a step number no run reaches, exact in float64

    private final NDManager manager;
    // doubles: MXNet reads a scalar operand from its decimal text, where 0.2f would become 0.2
    private final double momentum;
    private final double weightDecay;
    private final double rescaleGrad;
    private final double unitRoundoff;
    private NDArray previous; // w_{t-1}
    private boolean momentumZero; // v_{t-1} = 0: no step ran before the first one checked
    private NDArray expected; // predicted w_{t+1}
    private NDArray tolerance;
    private int expectedStep;
    private NDArray firstNonFinite;
    private NDArray firstMismatch;
    private NDArray mismatches;
    private NDArray worstRatio;

    /**
     * Creates a check.
     *
     * @param manager a manager on the training device that lives as long as the training
     * @param optimizer the optimizer whose update is predicted
     * @param dataType the model's data type, whose rounding bounds the comparison
     * @param fresh true if the optimizer has taken no step yet (its momentum is 0); false after a
     *     resume, when the first step is not checked (its momentum buffer is not known)
     */
    public AppliedUpdateCheck(
            NDManager manager, HydraSgd optimizer, DataType dataType, boolean fresh) {
        this.manager = manager;
        momentum = optimizer.getMomentum();
        weightDecay = optimizer.getWeightDecay();
        rescaleGrad = optimizer.getRescaleGrad();
        unitRoundoff = dataType == DataType.FLOAT64 ? 0x1p-53 : 0x1p-24;
        momentumZero = fresh;
        firstNonFinite = scalar(NONE);
        firstMismatch = scalar(NONE);
        mismatches = scalar(0);
        worstRatio = scalar(0);
    }

    /**
     * Records the state before step {@code step}: checks the previous step's update against the
     * weights, checks weights and gradient for finiteness, and predicts this step's update.
     *
     * @param step the 1-based step about to run
     * @param weights the flat weights {@code w_t} (any manager; copied as needed)
     * @param gradient the flat batch gradient {@code g_t} the optimizer will receive
     * @param rate the learning rate {@code eta_t} the step will use
     */
    public void beforeStep(int step, NDArray weights, NDArray gradient, float rate) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray w = weights.toType(DataType.FLOAT64, true);
            NDArray g = gradient.toType(DataType.FLOAT64, true);
            w.attach(scope);
            g.attach(scope);
            compare(w, scope);
            markIf(w.mul(0).sum().add(g.mul(0).sum()).isNaN(), step, true, scope);
            double eta = rate; // the float the optimizer receives, exactly
            NDArray stepUpdate = g.mul(rescaleGrad).add(w.mul(weightDecay)).mul(eta);
            NDArray update = stepUpdate;
            NDArray carried = null;
            if (previous != null) {
                carried = w.sub(previous).mul(-momentum); // p v_{t-1}; w first: stays in scope
                update = update.add(carried);
            } else if (!momentumZero) {
                keep(
                        w, step, null,
                        null); // the momentum buffer is unknown: check from the next step
                return;
            }
            NDArray magnitude =
                    g.mul(rescaleGrad)
                            .abs()
                            .add(w.abs().mul(weightDecay))
                            .mul(5 * eta)
                            .add(w.abs().mul(momentum));
            if (carried != null) {
                magnitude = magnitude.add(carried.abs().mul(2));
            }
            NDArray next = w.sub(update);
            NDArray bound =
                    magnitude
                            .add(next.abs())
                            .mul(ROUNDING_FACTOR * unitRoundoff)
                            .add(Double.MIN_NORMAL); // no 0/0 where every term is 0
            keep(w, step, next, bound);
        }
    }

    /**
     * Records whether other values of step {@code step} (e.g. per-sample gradients) are finite, for
     * {@link #requireSound}; one reduction on the device.
     *
     * @param step the 1-based step
     * @param values the values
     */
    public void watchFinite(int step, NDArray values) {
        if (values.size() == 0) {
            return;
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray zero = values.mul(0).sum().toType(DataType.FLOAT64, false);
            zero.attach(scope);
            markIf(zero.isNaN(), step, true, scope);
        }
    }

    /**
     * Checks the last step's update against the current weights (e.g. at an epoch end, or when
     * training ends), without predicting another.
     *
     * @param weights the flat weights after the last step
     */
    public void afterStep(NDArray weights) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray w = weights.toType(DataType.FLOAT64, true);
            w.attach(scope);
            compare(w, scope);
            markIf(w.mul(0).sum().isNaN(), expectedStep + 1, true, scope);
        }
    }

    /**
     * Throws if training diverged or an update differed from the prediction; reads three scalars
     * from the device.
     *
     * @param when a description of the moment, for the message, e.g. "at the end of epoch 2"
     * @throws IllegalStateException naming the first step concerned and what to do
     */
    public void requireSound(String when) {
        double nonFinite = firstNonFinite.getDouble();
        if (nonFinite < NONE) {
            throw new IllegalStateException(
                    String.format(
                            Locale.ROOT,
                            "Training diverged: the weights or gradients hold NaN or Inf from step"
                                    + " %d on (checked %s). Lower the learning rate or check the"
                                    + " data; nothing computed from this training is valid.",
                            (long) nonFinite,
                            when));
        }
        double mismatch = firstMismatch.getDouble();
        if (mismatch < NONE) {
            throw new IllegalStateException(
                    String.format(
                            Locale.ROOT,
                            "Step %d did not apply the update HYDRA differentiates: %d weight"
                                    + " values differ from DJL's SGD update with the gradient"
                                    + " trainBatch computed, by up to %.3g times what float"
                                    + " rounding explains (checked %s). Something changed the"
                                    + " gradient or the weights between EasyTrain.trainBatch and"
                                    + " trainer.step(), e.g. gradient clipping: HYDRA supports"
                                    + " neither; remove it.",
                            (long) mismatch,
                            (long) mismatches.getDouble(),
                            worstRatio.getDouble(),
                            when));
        }
    }

    private void compare(NDArray w, NDManager scope) {
        if (expected == null) {
            return;
        }
        NDArray difference = w.sub(expected).abs();
        NDArray beyond = difference.gt(tolerance);
        NDArray count = beyond.toType(DataType.FLOAT64, false).sum();
        NDArray ratio = difference.div(tolerance).max();
        replace(mismatches.add(count), Slot.MISMATCHES);
        replace(worstRatio.maximum(ratio), Slot.WORST);
        markIf(count.gt(0), expectedStep, false, scope);
        expected.close();
        tolerance.close();
        expected = null;
        tolerance = null;
    }

    /** Records {@code step} as the first bad one if {@code bad} (a boolean scalar) holds. */
    private void markIf(NDArray bad, int step, boolean nonFinite, NDManager scope) {
        NDArray candidate = bad.toType(DataType.FLOAT64, false).mul(step - NONE).add(NONE);
        if (nonFinite) {
            replace(firstNonFinite.minimum(candidate), Slot.NON_FINITE);
        } else {
            replace(firstMismatch.minimum(candidate), Slot.MISMATCH);
        }
    }

    private void keep(NDArray w, int step, NDArray next, NDArray bound) {
        if (previous != null) {
            previous.close();
        }
        previous = w;
        previous.attach(manager);
        momentumZero = false;
        expectedStep = step;
        if (next != null) {
            expected = next;
            tolerance = bound;
            expected.attach(manager);
            tolerance.attach(manager);
        }
    }

    private enum Slot {
        NON_FINITE,
        MISMATCH,
        MISMATCHES,
        WORST
    }

    /** Moves a new accumulator value into the long-lived manager, freeing the old one. */
    private void replace(NDArray value, Slot slot) {
        value.attach(manager);
        NDArray old;
        switch (slot) {
            case NON_FINITE:
                old = firstNonFinite;
                firstNonFinite = value;
                break;
            case MISMATCH:
                old = firstMismatch;
                firstMismatch = value;
                break;
            case MISMATCHES:
                old = mismatches;
                mismatches = value;
                break;
            default:
                old = worstRatio;
                worstRatio = value;
                break;
        }
        old.close();
    }

    private NDArray scalar(double value) {
        return manager.create(value);
    }
}
