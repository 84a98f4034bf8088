package ai.hydra.experiment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * A loss that remembers its most recent value, so that progress reporting reads the batch loss the
 * trainer computed instead of evaluating it again. The first training listener reads it: later
 * listeners may evaluate the loss themselves (HYDRA's shadow passes do).
 */
final class RecordingLoss extends Loss {

    private final Loss loss;
    private NDArray last;

    RecordingLoss(Loss loss) {
        super(loss.getName());
        this.loss = loss;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        last = loss.evaluate(labels, predictions);
        return last;
    }

    /** The value of the most recent evaluation, as a float. */
    float lastValue() {
        return last.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).getFloat();
    }
}
