package ai.hydra.gradient;

import ai.djl.ndarray.NDList;
import ai.hydra.gradient.mirror.ActivationPattern;

/**
 * A recording forward pass at a point: the activation pattern it met (to freeze in later passes)
 * and its predictions.
 *
 * @param pattern the ReLU masks and max-pool selections
 * @param predictions the model's outputs, batch axis first
 */
public record RecordedPattern(ActivationPattern pattern, NDList predictions)
        implements AutoCloseable {

    /** Frees the pattern and the predictions. */
    @Override
    public void close() {
        pattern.close();
        predictions.close();
    }
}
