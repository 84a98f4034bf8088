package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The results of one forward and backward pass at a point of the parameter space: the gradient of
 * the batch-mean loss and the predictions of the same forward pass.
 *
 * @param gradient the flat gradient
 * @param predictions the model's outputs, batch axis first
 */
public record GradientPass(NDArray gradient, NDList predictions) {}
