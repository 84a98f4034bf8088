package ai.hydra.recurrence;

/**
 * The bookkeeping of a lazy recurrence besides its stores: the scalar map of every step so far and
 * the last step each row was brought up to. A checkpoint keeps it to continue exactly.
 *
 * @param maps the coefficients {@code {a, b, c, e}} of each step's {@link StepMap}, index = step
 *     (entry 0 is the identity)
 * @param lastStep for each row, the step its stored state is current to
 */
public record PendingSteps(double[][] maps, int[] lastStep) {}
