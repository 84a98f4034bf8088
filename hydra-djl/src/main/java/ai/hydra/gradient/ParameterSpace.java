package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The trainable parameters of an initialized block, laid out as one flat vector {@code w}: the
 * order is the block's own parameter order, each parameter flattened in row-major order.
 *
 * <p>Every vector HYDRA and the influence functions carry (gradients, hypergradients,
 * Hessian-vector products) lives in this space.
 */
public final class ParameterSpace {

    private final List<Parameter> all;
    private final List<Parameter> trainable;
    private final long[] offsets;
    private final long size;

    private ParameterSpace(List<Parameter> all, List<Parameter> trainable) {
        this.all = all;
        this.trainable = trainable;
        offsets = new long[trainable.size() + 1];
        for (int i = 0; i < trainable.size(); i++) {
            offsets[i + 1] = offsets[i] + trainable.get(i).getArray().size();
        }
        size = offsets[trainable.size()];
    }

    /**
     * Creates the space of a block's trainable parameters.
     *
     * @param block an initialized block
     * @return the space
     * @throws IllegalStateException if the block is not initialized or has nothing to train
     */
    public static ParameterSpace of(Block block) {
        List<Parameter> all = new ArrayList<>();
        List<Parameter> trainable = new ArrayList<>();
        for (Pair<String, Parameter> pair : block.getParameters()) {
            Parameter parameter = pair.getValue();
            if (!parameter.isInitialized()) {
                throw new IllegalStateException(
                        "Parameter "
                                + parameter.getName()
                                + " is not initialized: initialize the trainer"
                                + " (trainer.initialize(shape)) before using hydra-djl");
            }
            all.add(parameter);
            if (parameter.requiresGradient()) {
                trainable.add(parameter);
            }
        }
        if (trainable.isEmpty()) {
            throw new IllegalStateException("The block has no trainable parameters");
        }
        return new ParameterSpace(
                Collections.unmodifiableList(all), Collections.unmodifiableList(trainable));
    }

    /**
     * Returns the dimension of the space.
     *
     * @return the number of trainable scalars
     */
    public long size() {
        return size;
    }

    /**
     * Returns the trainable parameters in layout order.
     *
     * @return the trainable parameters
     */
    public List<Parameter> trainable() {
        return trainable;
    }

    /**
     * Returns every parameter of the block, trainable or not (running statistics, for example).
     *
     * @return all parameters
     */
    public List<Parameter> all() {
        return all;
    }

    /**
     * Returns the offset of a trainable parameter in the flat vector.
     *
     * @param index the parameter's position in {@link #trainable()}
     * @return its first coordinate
     */
    public long offset(int index) {
        return offsets[index];
    }

    /**
     * Concatenates per-parameter arrays (in layout order) into one flat vector.
     *
     * @param perParameter one array per trainable parameter
     * @return the flat vector, attached to the first array's manager
     */
    public NDArray flatten(NDList perParameter) {
        NDList flat = new NDList(perParameter.size());
        for (NDArray array : perParameter) {
            flat.add(array.reshape(-1));
        }
        return NDArrays.concat(flat);
    }

    /**
     * Splits a flat vector (or the last axis of a batch of them) into per-parameter views shaped
     * like the parameters.
     *
     * @param flat a vector of length {@link #size()}
     * @return one array per trainable parameter
     */
    public NDList unflatten(NDArray flat) {
        NDList out = new NDList(trainable.size());
        for (int i = 0; i < trainable.size(); i++) {
            Shape shape = trainable.get(i).getArray().getShape();
            out.add(flat.get(new NDIndex("{}:{}", offsets[i], offsets[i + 1])).reshape(shape));
        }
        return out;
    }

    /**
     * Copies the current trainable values into a flat vector.
     *
     * @param manager the manager of the result
     * @param dataType the data type of the result
     * @return the flat weights
     */
    public NDArray values(NDManager manager, DataType dataType) {
        NDList arrays = new NDList(trainable.size());
        for (Parameter parameter : trainable) {
            arrays.add(parameter.getArray());
        }
        // Results attach to the first operand's manager: borrow the parameters into a scope so
        // that no intermediate lands in the model's long-lived manager.
        try (NDManager scope = manager.newSubManager()) {
            scope.tempAttachAll(arrays);
            NDArray flat =
                    flatten(arrays).toType(dataType, false).toDevice(manager.getDevice(), false);
            flat.attach(manager);
            return flat;
        }
    }

    /**
     * Copies the gradients the last backward pass left on the trainable parameters into a flat
     * vector (zeros where a parameter has none yet).
     *
     * @param manager the manager of the result
     * @param dataType the data type of the result
     * @return the flat gradient
     */
    public NDArray gradients(NDManager manager, DataType dataType) {
        try (NDManager scope = manager.newSubManager()) {
            NDList arrays = new NDList(trainable.size());
            for (Parameter parameter : trainable) {
                NDArray gradient = parameter.getArray().getGradient();
                gradient.attach(scope); // a new handle in the parameter's manager: free it here
                arrays.add(gradient);
            }
            NDArray flat =
                    flatten(arrays).toType(dataType, true).toDevice(manager.getDevice(), false);
            flat.attach(manager);
            return flat;
        }
    }
}
