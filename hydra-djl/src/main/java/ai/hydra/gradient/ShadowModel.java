package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import ai.hydra.train.DjlInternals;
import ai.hydra.train.DjlInternals.Recording;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A functional view of a model: its loss and gradients at any point {@code w} of its {@link
 * ParameterSpace}, computed in shadow forward passes that never touch the model's own arrays or
 * gradients.
 *
 * <p>Engine-neutral: it uses only DJL's {@link Block#forward}, {@link Loss} and {@link
 * GradientCollector} (opened in the forward pass's mode, see {@link DjlInternals}). Losses are the
 * trainer's own, so a "batch gradient" is the gradient of the batch mean the trainer
 * differentiates, and a per-sample gradient is the gradient of that sample's loss.
 */
public final class ShadowModel {

    private final Block block;
    private final Loss loss;
    private final ParameterSpace space;
    private final boolean batchDependent;

    /**
     * Creates a shadow view of an initialized block.
     *
     * @param block the block, initialized
     * @param loss the training loss (a batch mean)
     */
    public ShadowModel(Block block, Loss loss) {
        this.block = block;
        this.loss = loss;
        this.space = ParameterSpace.of(block);
        this.batchDependent = contains(block, BatchNorm.class);
    }

    /**
     * Returns the parameter space the gradients live in.
     *
     * @return the space
     */
    public ParameterSpace space() {
        return space;
    }

    /**
     * Whether a sample's loss depends on the other samples of its batch (batch normalization in
     * training mode). Per-sample gradients are then taken in the context of the whole batch.
     *
     * @return true if the block normalizes over the batch
     */
    public boolean isBatchDependent() {
        return batchDependent;
    }

    /**
     * Computes the gradient of the batch-mean loss at flat weights {@code w}, in {@code w}'s data
     * type (inputs are cast to it).
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @return the flat gradient
     */
    public NDArray gradient(NDArray w, NDList inputs, NDList labels) {
        return gradient(w, inputs, labels, true);
    }

    /**
     * Computes the gradient of the batch-mean loss at {@code w} in training or prediction mode.
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param training true for a training forward pass (batch statistics), false for prediction
     * @return the flat gradient
     */
    public NDArray gradient(NDArray w, NDList inputs, NDList labels, boolean training) {
        Recording recording = recording(w, training);
        if (recording.dataType() != w.getDataType()) {
            return inType(
                    w, recording.dataType(), wide -> gradient(wide, inputs, labels, training));
        }
        GradientPass pass = gradientPass(w, inputs, labels, training);
        pass.predictions().close();
        return pass.gradient();
    }

    /**
     * Computes the gradient of the batch-mean loss at {@code w} and keeps the predictions of the
     * same forward pass (the model's outputs at {@code w}, batch axis first).
     *
     * @param w flat weights; their manager receives the results
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param training true for a training forward pass (batch statistics), false for prediction
     * @return the flat gradient and the predictions, detached from any graph
     */
    public GradientPass gradientPass(NDArray w, NDList inputs, NDList labels, boolean training) {
        Recording recording = recording(w, training);
        if (recording.dataType() != w.getDataType()) {
            throw new IllegalArgumentException(
                    "gradientPass computes in the weights' data type; this engine records "
                            + (training ? "training" : "prediction")
                            + "-mode gradients of this block in "
                            + recording.dataType()
                            + ": pass weights of that type");
        }
        NDManager out = w.getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            Shadow shadow = new Shadow(scope, w);
            NDList x = onWeights(scope, inputs, w, true);
            NDList y = onWeights(scope, labels, w, false);
            NDList predictions;
            try (GradientCollector collector =
                    DjlInternals.newGradientCollector(scope.getEngine(), recording.training())) {
                predictions = block.forward(shadow.store, x, training);
                collector.backward(loss.evaluate(y, predictions));
            }
            NDArray gradient = shadow.gradient();
            gradient.attach(out);
            NDList kept = detached(predictions, out);
            return new GradientPass(gradient, kept);
        }
    }

    /**
     * Computes the model's outputs at {@code w} without any gradient.
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs
     * @param training true for a training forward pass (batch statistics), false for prediction
     * @return the predictions, batch axis first
     */
    public NDList predictions(NDArray w, NDList inputs, boolean training) {
        NDManager out = w.getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            Shadow shadow = new Shadow(scope, w);
            NDList x = onWeights(scope, inputs, w, true);
            try (DjlInternals.ForwardMode mode =
                    DjlInternals.forwardMode(scope.getEngine(), training)) {
                return detached(block.forward(shadow.store, x, training), out);
            }
        }
    }

    /**
     * Computes the gradient of the trainer's loss with respect to the predictions: for a loss that
     * is the batch mean of per-sample terms, row j is {@code (1/B) d l_j / d prediction_j}.
     *
     * @param predictions the model's outputs, batch axis first; their manager receives the result
     * @param labels the batch labels
     * @return one gradient per prediction array, shaped like it
     */
    public NDList lossGradientByPredictions(NDList predictions, NDList labels) {
        NDManager out = predictions.head().getManager();
        try (NDManager scope = out.newSubManager()) {
            NDList leaves = new NDList(predictions.size());
            for (NDArray prediction : predictions) {
                NDArray leaf = prediction.duplicate();
                leaf.attach(scope);
                leaf.setRequiresGradient(true);
                leaves.add(leaf);
            }
            NDList y = onDevice(scope, labels, predictions.head());
            try (GradientCollector collector =
                    DjlInternals.newGradientCollector(scope.getEngine(), true)) {
                collector.backward(loss.evaluate(y, leaves));
            }
            NDList gradients = new NDList(leaves.size());
            for (NDArray leaf : leaves) {
                NDArray gradient = leaf.getGradient().duplicate();
                gradient.attach(out);
                gradients.add(gradient);
            }
            return gradients;
        }
    }

    /**
     * Checks that the trainer's loss on a batch is the mean of the losses of its rows, the form the
     * per-sample weights {@code (1 + N eps_j) / B} of HYDRA assume.
     *
     * @param predictions the model's outputs on a batch
     * @param labels the batch labels
     * @throws IllegalArgumentException if it is not, naming the loss and the two values
     */
    public void requireMeanOfSampleLosses(NDList predictions, NDList labels) {
        NDManager out = predictions.head().getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(predictions);
            NDList y = onDevice(scope, labels, predictions.head());
            int batch = Math.toIntExact(predictions.head().getShape().get(0));
            double whole = scalar(loss.evaluate(y, predictions));
            double sum = 0;
            for (int row = 0; row < batch; row++) {
                sum += scalar(loss.evaluate(rows(y, row), rows(predictions, row)));
            }
            double mean = sum / batch;
            if (!(Math.abs(mean - whole) <= 1e-6 * Math.max(Math.abs(whole), 1e-30))) {
                throw new IllegalArgumentException(
                        "The training loss "
                                + loss.getName()
                                + " is not the batch mean of per-sample losses (batch loss "
                                + whole
                                + ", mean of its rows' losses "
                                + mean
                                + "): HYDRA weighs every sample's loss by (1 + N eps_i) / B, so"
                                + " use a loss that averages per-sample terms over the batch.");
            }
        }
    }

    private static double scalar(NDArray array) {
        return array.toType(DataType.FLOAT64, false).getDouble();
    }

    /** Copies of arrays that belong to no graph, attached to {@code manager}. */
    private static NDList detached(NDList arrays, NDManager manager) {
        NDList out = new NDList(arrays.size());
        for (NDArray array : arrays) {
            NDArray copy = array.stopGradient();
            copy.attach(manager);
            out.add(copy);
        }
        return out;
    }

    private static NDList onDevice(NDManager scope, NDList arrays, NDArray like) {
        NDList out = new NDList(arrays.size());
        for (NDArray array : arrays) {
            NDArray copy = array.toDevice(like.getDevice(), true);
            copy.attach(scope);
            out.add(copy);
        }
        return out;
    }

    /**
     * Computes the gradient of the batch-mean loss at {@code w} for every perturbed point {@code w
     * + alpha * v}, in one call per point. Used by finite-difference Hessian products.
     *
     * @param w flat weights
     * @param direction the direction {@code v}
     * @param alpha the step
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @return the gradient at {@code w + alpha * v}, attached to {@code w}'s manager
     */
    public NDArray gradientAt(
            NDArray w, NDArray direction, double alpha, NDList inputs, NDList labels) {
        NDManager out = w.getManager();
        try (NDManager scope = out.newSubManager()) {
            NDArray point = w.add(direction.mul(alpha));
            point.attach(scope);
            NDArray gradient = gradient(point, inputs, labels);
            gradient.attach(out);
            return gradient;
        }
    }

    /**
     * Computes the gradients of individual samples' losses at {@code w}.
     *
     * <p>For models without batch normalization each selected sample is forwarded alone. With batch
     * normalization a sample's loss depends on its batch, so the whole batch is forwarded and only
     * the selected sample's loss is differentiated: exact, at the cost of one batch pass per
     * sample.
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param rows the batch rows to differentiate
     * @return a matrix with one flat gradient per selected row, in {@code w}'s data type
     */
    public NDArray sampleGradients(NDArray w, NDList inputs, NDList labels, int[] rows) {
        return sampleGradients(w, inputs, labels, rows, true);
    }

    /**
     * Computes per-sample gradients in training or prediction mode. In prediction mode samples
     * never depend on each other, so each is forwarded alone.
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param rows the batch rows to differentiate
     * @param training true for training-mode passes, false for prediction mode
     * @return a matrix with one flat gradient per selected row
     */
    public NDArray sampleGradients(
            NDArray w, NDList inputs, NDList labels, int[] rows, boolean training) {
        Recording recording = recording(w, training);
        if (recording.dataType() != w.getDataType()) {
            return inType(
                    w,
                    recording.dataType(),
                    wide -> sampleGradients(wide, inputs, labels, rows, training));
        }
        NDManager out = w.getManager();
        NDArray result = out.zeros(new Shape(rows.length, space.size()), w.getDataType());
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            Shadow shadow = new Shadow(scope, w);
            NDList x = onWeights(scope, inputs, w, true);
            NDList y = onWeights(scope, labels, w, false);
            for (int k = 0; k < rows.length; k++) {
                try (NDManager step = scope.newSubManager()) {
                    // Borrow everything into the row's scope: results attach to the first
                    // operand's manager, so each row's activations are freed with the row.
                    step.tempAttachAll(x, y, shadow.arrays);
                    shadow.zeroGradients();
                    sampleBackward(step, shadow, x, y, rows[k], training, recording);
                    NDArray gradient = shadow.gradient();
                    result.set(new NDIndex(k), gradient);
                    gradient.close();
                }
            }
        }
        return result;
    }

    private void sampleBackward(
            NDManager step,
            Shadow shadow,
            NDList x,
            NDList y,
            int row,
            boolean training,
            Recording recording) {
        try (GradientCollector collector =
                DjlInternals.newGradientCollector(step.getEngine(), recording.training())) {
            NDList predictions;
            NDList label = rows(y, row);
            if (batchDependent && training) {
                predictions = rows(block.forward(shadow.store, x, true), row);
            } else {
                predictions = block.forward(shadow.store, rows(x, row), training);
            }
            predictions.attach(step);
            collector.backward(loss.evaluate(label, predictions));
        }
    }

    private Recording recording(NDArray w, boolean training) {
        return DjlInternals.recording(
                w.getManager().getEngine(), training, batchDependent, w.getDataType());
    }

    /** Computes {@code f(w)} in another data type; the result in {@code w}'s, on its manager. */
    private static NDArray inType(NDArray w, DataType type, UnaryOperator<NDArray> f) {
        NDManager out = w.getManager();
        try (NDManager scope = out.newSubManager()) {
            NDArray wide = w.toType(type, true);
            wide.attach(scope);
            NDArray result = f.apply(wide).toType(w.getDataType(), false);
            result.attach(out);
            return result;
        }
    }

    private static NDList rows(NDList list, int row) {
        return NDLists.get(list, new NDIndex("{}:{}", row, row + 1));
    }

    /**
     * Copies arrays to the weights' device; floating-point inputs also to the weights' data type
     * (labels keep theirs).
     */
    private static NDList onWeights(NDManager scope, NDList arrays, NDArray w, boolean castFloats) {
        NDList out = new NDList(arrays.size());
        for (NDArray array : arrays) {
            NDArray copy = array.toDevice(w.getDevice(), true);
            copy.attach(scope);
            boolean cast = castFloats && array.getDataType().isFloating();
            out.add(cast ? copy.toType(w.getDataType(), false) : copy);
        }
        return out;
    }

    /**
     * Whether the block or any block inside it is of a type (e.g. {@code Dropout}).
     *
     * @param type the block type
     * @return true if one is found
     */
    public boolean containsBlock(Class<? extends Block> type) {
        return contains(block, type);
    }

    private static boolean contains(Block block, Class<? extends Block> type) {
        if (type.isInstance(block)) {
            return true;
        }
        for (Block child : block.getChildren().values()) {
            if (contains(child, type)) {
                return true;
            }
        }
        return false;
    }

    /** Detached copies of every parameter, trainable ones taken from a flat vector. */
    private final class Shadow {

        final ShadowParameterStore store;
        final NDList trainable;
        final NDList arrays = new NDList();

        Shadow(NDManager scope, NDArray w) {
            Map<String, NDArray> values = new HashMap<>();
            NDList slices = space.unflatten(w);
            trainable = new NDList(slices.size());
            for (int i = 0; i < slices.size(); i++) {
                NDArray copy = slices.get(i).duplicate();
                copy.attach(scope);
                copy.setRequiresGradient(true);
                trainable.add(copy);
                arrays.add(copy);
                values.put(space.trainable().get(i).getId(), copy);
            }
            slices.close();
            for (Parameter parameter : space.all()) {
                if (!parameter.requiresGradient()) {
                    // a real copy: PyTorch's toDevice(sameDevice, true) returns an alias, and
                    // training-mode batch norm updates its running statistics in place
                    NDArray copy = parameter.getArray().duplicate();
                    copy.attach(scope);
                    copy = copy.toDevice(w.getDevice(), false).toType(w.getDataType(), false);
                    arrays.add(copy);
                    values.put(parameter.getId(), copy);
                }
            }
            store = new ShadowParameterStore(scope, values);
        }

        void zeroGradients() {
            for (NDArray array : trainable) {
                NDArray grad = array.getGradient();
                grad.subi(grad);
                grad.close();
            }
        }

        NDArray gradient() {
            NDList grads = new NDList(trainable.size());
            for (NDArray array : trainable) {
                grads.add(array.getGradient());
            }
            return space.flatten(grads);
        }
    }
}
