package ai.hydra.recurrence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * Everything one optimizer step contributes to the recurrences, gathered by the listener before
 * {@code trainer.step()} at the pre-step weights.
 *
 * @param step the 1-based step number
 * @param learningRate the learning rate the optimizer uses in this step
 * @param injectionScale {@code eta * rescaleGrad * N / B}: the coefficient of a tracked sample's
 *     own gradient in its step
 * @param rows the store rows of the tracked samples in this batch
 * @param sampleGradients their per-sample gradients, shape (rows.length, |w|)
 * @param weights the flat pre-step weights
 * @param inputs the batch inputs (for Hessian-vector products)
 * @param labels the batch labels
 */
public record StepInput(
        int step,
        double learningRate,
        double injectionScale,
        int[] rows,
        NDArray sampleGradients,
        NDArray weights,
        NDList inputs,
        NDList labels) {}
