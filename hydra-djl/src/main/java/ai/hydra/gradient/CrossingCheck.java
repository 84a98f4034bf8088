package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import java.util.function.DoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Central differences that check for kinks the mirror cannot freeze (blocks it does not know): a
 * kink crossed within the step adds {@code jump/2a} to a difference, so halving the step changes
 * the result by about that much, while a smooth function changes it by {@code O(a^2)}. The
 * differences at {@code a} and {@code a/2} must agree to 1e-7, else the step shrinks tenfold, up to
 * three times; a difference that still disagrees is logged as a warning with its estimated error.
 */
final class CrossingCheck {

    private static final Logger logger = LoggerFactory.getLogger(CrossingCheck.class);

    /**
     * The change between the differences at steps a and a/2, relative to the result, above which a
     * difference is taken to cross a kink; a smooth loss changes it by truncation and rounding
     * (about 1e-9 at the default step).
     */
    private static final double TOLERANCE = 1e-7;

    private static final int MAX_REFINEMENTS = 3;

    private CrossingCheck() {}

    /**
     * Returns a central difference that crosses no kink, refining the step as needed.
     *
     * @param central the difference at a step {@code a} (the caller's scope owns the results)
     * @param alpha the first step
     * @param directionNorm the norm of the direction, for messages (the perturbation is {@code a
     *     |u|})
     * @return the difference at the largest step that agrees with half of it
     */
    static NDArray refine(DoubleFunction<NDArray> central, double alpha, double directionNorm) {
        NDArray coarse = central.apply(alpha);
        double a = alpha;
        for (int refinement = 0; ; refinement++) {
            NDArray fine = central.apply(a / 2);
            double gap = coarse.sub(fine).norm().getDouble();
            double size = fine.norm().getDouble();
            if (gap <= TOLERANCE * size) {
                return fine;
            }
            if (refinement == MAX_REFINEMENTS) {
                logger.warn(
                        "A finite difference crosses a kink the mirror cannot freeze even at step"
                                + " {}: its relative error may reach {}",
                        a / 2 * directionNorm,
                        gap / size);
                return fine;
            }
            a /= 10;
            coarse = central.apply(a);
        }
    }
}
