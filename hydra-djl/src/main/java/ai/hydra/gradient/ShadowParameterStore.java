package ai.hydra.gradient;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.Map;

/**
 * A {@link ParameterStore} that hands a block fresh, detached copies of its parameters instead of
 * the trainer's arrays.
 *
 * <p>A forward and backward pass through it leaves the model untouched: gradients accumulate in the
 * copies, and layers that update state in place (batch-norm running statistics) update the copies.
 * This is what lets hydra-djl compute extra gradients during training while the trained weights
 * stay bit-identical.
 */
final class ShadowParameterStore extends ParameterStore {

    private final Map<String, NDArray> values;

    ShadowParameterStore(NDManager manager, Map<String, NDArray> values) {
        super(manager, false);
        this.values = values;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray getValue(Parameter parameter, Device device, boolean training) {
        if (parameter == null) {
            return null;
        }
        NDArray value = values.get(parameter.getId());
        if (value == null) {
            throw new IllegalStateException(
                    "Parameter " + parameter.getName() + " is not part of the shadowed model");
        }
        return value;
    }

    /** {@inheritDoc} */
    @Override
    public void updateAllParameters() {
        throw new UnsupportedOperationException("A shadow parameter store is never trained");
    }
}
