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
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.hydra.gradient.mirror.ActivationPattern;
import ai.hydra.gradient.mirror.BlockMirror;
import ai.hydra.gradient.mirror.MirrorPass;
import ai.hydra.gradient.mirror.SampleProbes;
import ai.hydra.train.DjlInternals;
import ai.hydra.train.DjlInternals.Recording;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A functional view of a model: its loss and gradients at any point {@code w} of its {@link
 * ParameterSpace}, computed in shadow forward passes that never touch the model's own arrays or
 * gradients.
 *
 * <p>Engine-neutral: it uses only DJL's {@link Block#forward}, {@link Loss} and {@link
 * GradientCollector} (opened in the forward pass's mode, see {@link DjlInternals}). Losses are the
 * trainer's own, so a "batch gradient" is the gradient of the batch mean the trainer
 * differentiates, and a per-sample gradient is the gradient of that sample's loss.
 *
 * <p>Gradients can also be taken with the activation pattern frozen ({@link #activationPattern},
 * {@link #gradient(NDArray, NDList, NDList, ActivationPattern)}): through a {@link BlockMirror} of
 * the block that replays the ReLU masks and max-pool selections recorded at one point, which makes
 * the loss smooth in the weights around it. These passes are recorded in the same modes and data
 * types as the plain ones.
 */
public final class ShadowModel {

    private static final Logger logger = LoggerFactory.getLogger(ShadowModel.class);

    /** Convolution patches by one-hot convolution or strided slices: see docs/benchmarks.md. */
    private static final boolean ONE_HOT_PATCHES = false;

    private final Block block;
    private final Loss loss;
    private final ParameterSpace space;
    private final boolean batchDependent;
    private final BlockMirror mirror;
    private final BatchNormGradients batchNormGradients;
    private boolean loggedLoop;
    private boolean lossChecked;

    /**
     * Creates a shadow view of an initialized block.
     *
     * @param block the block, initialized
     * @param loss the training loss (a batch mean)
     */
    public ShadowModel(Block block, Loss loss) {
        this(block, loss, BatchNormGradients.EXACT);
    }

    /**
     * Creates a shadow view of an initialized block that takes per-sample gradients through batch
     * normalization in training mode as {@code batchNorm} says.
     *
     * @param block the block, initialized
     * @param loss the training loss (a batch mean)
     * @param batchNorm per-sample gradients through training-mode batch normalization
     */
    public ShadowModel(Block block, Loss loss, BatchNormGradients batchNorm) {
        this.batchNormGradients = batchNorm;
        this.block = block;
        this.loss = loss;
        this.space = ParameterSpace.of(block);
        this.batchDependent = contains(block, BatchNorm.class);
        this.mirror = BlockMirror.of(block);
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
     * Returns the mirror of the block that frozen-pattern gradients run through.
     *
     * @return the mirror
     */
    public BlockMirror mirror() {
        return mirror;
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
        return gradient(
                w, inputs, labels, training, (store, x) -> block.forward(store, x, training));
    }

    /**
     * Records the activation pattern of a training-mode forward pass at {@code w}: each ReLU's
     * mask, each max pooling's selected elements (see {@link ActivationPattern}).
     *
     * @param w flat weights; the pattern lives under their manager, close it when done
     * @param inputs the batch inputs
     * @return the pattern
     */
    public ActivationPattern activationPattern(NDArray w, NDList inputs) {
        return activationPattern(w, inputs, true);
    }

    /**
     * Records the activation pattern of a forward pass at {@code w} in training or prediction mode,
     * in the data type that mode's gradients are computed in (see {@link DjlInternals#recording}).
     *
     * @param w flat weights; the pattern lives under their manager, close it when done
     * @param inputs the batch inputs
     * @param training true for a training forward pass (batch statistics), false for prediction
     * @return the pattern, which remembers its mode
     */
    public ActivationPattern activationPattern(NDArray w, NDList inputs, boolean training) {
        RecordedPattern recorded = recordPattern(w, inputs, training);
        recorded.predictions().close();
        return recorded.pattern();
    }

    /**
     * Records the activation pattern of a forward pass at {@code w} like {@link
     * #activationPattern(NDArray, NDList, boolean)}, and keeps the pass's predictions.
     *
     * @param w flat weights; the pattern and predictions live under their manager
     * @param inputs the batch inputs
     * @param training true for a training forward pass (batch statistics), false for prediction
     * @return the pattern and the model's outputs at {@code w}
     */
    public RecordedPattern recordPattern(NDArray w, NDList inputs, boolean training) {
        NDManager out = w.getManager();
        ActivationPattern pattern = new ActivationPattern(out, training);
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            // the point in the type the frozen gradients compute in (a new array in scope if cast)
            NDArray at = w.toType(recording(w, training).dataType(), false);
            Shadow shadow = new Shadow(scope, at, false);
            NDList x = onWeights(scope, inputs, at, true);
            try (DjlInternals.ForwardMode mode =
                    DjlInternals.forwardMode(scope.getEngine(), training)) {
                NDList predictions = MirrorPass.recording(mirror, shadow.store, pattern).run(x);
                return new RecordedPattern(pattern, detached(predictions, out));
            }
        } catch (RuntimeException e) {
            pattern.close();
            throw e;
        }
    }

    /**
     * Computes the gradient of the batch-mean loss at {@code w} with the activation pattern frozen,
     * in the pattern's mode: that of the smooth function which agrees with the model where the
     * pattern was recorded. At that point it equals {@link #gradient(NDArray, NDList, NDList,
     * boolean)}.
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs the pattern was recorded on
     * @param labels the batch labels
     * @param frozen the pattern, from {@link #activationPattern}
     * @return the flat gradient
     */
    public NDArray gradient(NDArray w, NDList inputs, NDList labels, ActivationPattern frozen) {
        return gradient(
                w,
                inputs,
                labels,
                frozen.isTraining(),
                (store, x) -> MirrorPass.frozen(mirror, store, frozen).run(x));
    }

    /**
     * Computes the gradient of the batch-mean loss at {@code w} with the activation pattern frozen
     * (see {@link #gradient(NDArray, NDList, NDList, ActivationPattern)}), and keeps the
     * predictions of the same forward pass: what finite differences of per-sample losses need.
     *
     * @param w flat weights, in the data type the pattern was recorded in; their manager receives
     *     the results
     * @param inputs the batch inputs the pattern was recorded on
     * @param labels the batch labels
     * @param frozen the pattern, from {@link #activationPattern} or {@link #recordPattern}
     * @return the flat gradient and the predictions, detached from any graph
     * @throws IllegalArgumentException if {@code w} is not in the type the engine records in
     */
    public GradientPass gradientPass(
            NDArray w, NDList inputs, NDList labels, ActivationPattern frozen) {
        Recording recording = recording(w, frozen.isTraining());
        if (recording.dataType() != w.getDataType()) {
            throw new IllegalArgumentException(
                    "gradientPass computes in the weights' data type; this engine records these"
                            + " gradients in "
                            + recording.dataType()
                            + ": pass weights of that type");
        }
        return pass(
                w,
                inputs,
                labels,
                recording,
                (store, x) -> MirrorPass.frozen(mirror, store, frozen).run(x));
    }

    /** The gradient of the loss of a forward pass, recorded as {@link #recording} says. */
    private NDArray gradient(
            NDArray w,
            NDList inputs,
            NDList labels,
            boolean training,
            BiFunction<ParameterStore, NDList, NDList> forward) {
        Recording recording = recording(w, training);
        if (recording.dataType() != w.getDataType()) {
            return inType(
                    w,
                    recording.dataType(),
                    wide -> gradient(wide, inputs, labels, training, forward));
        }
        GradientPass pass = pass(w, inputs, labels, recording, forward);
        pass.predictions().close();
        return pass.gradient();
    }

    /** One recorded forward and backward pass in {@code w}'s data type. */
    private GradientPass pass(
            NDArray w,
            NDList inputs,
            NDList labels,
            Recording recording,
            BiFunction<ParameterStore, NDList, NDList> forward) {
        NDManager out = w.getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            Shadow shadow = new Shadow(scope, w, true);
            NDList x = onWeights(scope, inputs, w, true);
            NDList y = onWeights(scope, labels, w, false);
            NDList predictions;
            try (GradientCollector collector =
                    DjlInternals.newGradientCollector(scope.getEngine(), recording.training())) {
                predictions = forward.apply(shadow.store, x);
                collector.backward(loss.evaluate(y, predictions));
            }
            NDArray gradient = shadow.gradient();
            gradient.attach(out);
            return new GradientPass(gradient, detached(predictions, out));
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
            Shadow shadow = new Shadow(scope, w, false);
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
     * Computes each sample's loss at {@code w}: one forward pass of the batch, then the loss of
     * every row with its label.
     *
     * @param w flat weights
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param training true for a training forward pass (batch statistics), false for prediction
     * @return one loss per row
     */
    public double[] sampleLosses(NDArray w, NDList inputs, NDList labels, boolean training) {
        try (NDManager scope = w.getManager().newSubManager()) {
            scope.tempAttachAll(w);
            NDList predictions = predictions(w, inputs, training);
            NDList y = onWeights(scope, labels, w, false);
            int rows = Math.toIntExact(predictions.head().getShape().get(0));
            double[] losses = new double[rows];
            for (int k = 0; k < rows; k++) {
                losses[k] =
                        loss.evaluate(rows(y, k), rows(predictions, k))
                                .toType(DataType.FLOAT64, false)
                                .getDouble();
            }
            return losses;
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
        return gradientAt(w, direction, alpha, inputs, labels, null);
    }

    /**
     * Computes the frozen-pattern gradient (see {@link #gradient(NDArray, NDList, NDList,
     * ActivationPattern)}) at the perturbed point {@code w + alpha * v}.
     *
     * @param w flat weights
     * @param direction the direction {@code v}
     * @param alpha the step
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param frozen the pattern recorded at {@code w}, or null for the model's own pattern at the
     *     perturbed point (training mode)
     * @return the gradient at {@code w + alpha * v}, attached to {@code w}'s manager
     */
    public NDArray gradientAt(
            NDArray w,
            NDArray direction,
            double alpha,
            NDList inputs,
            NDList labels,
            ActivationPattern frozen) {
        NDManager out = w.getManager();
        try (NDManager scope = out.newSubManager()) {
            NDArray point = w.add(direction.mul(alpha));
            point.attach(scope);
            NDArray gradient =
                    frozen == null
                            ? gradient(point, inputs, labels)
                            : gradient(point, inputs, labels, frozen);
            gradient.attach(out);
            return gradient;
        }
    }

    /**
     * Computes the gradients of individual samples' losses at {@code w}.
     *
     * <p>Where the block's mirror {@link BlockMirror#batchesSamples() batches samples} (no batch
     * normalization in training mode, every block known), all selected samples take one forward and
     * one backward pass together ({@link #batchedSampleGradients}). Otherwise they are taken one at
     * a time ({@link #sampleGradientsOneAtATime}), and the first call logs the blocks that prevent
     * batching.
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
     * Computes per-sample gradients in training or prediction mode, batched where the model allows
     * it (see {@link #sampleGradients(NDArray, NDList, NDList, int[])}).
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
        if (batchesSamples(training)) {
            return batchedSampleGradients(w, inputs, labels, rows, training);
        }
        if (!loggedLoop) {
            loggedLoop = true;
            logger.info(
                    "Per-sample gradients one sample at a time (no batched pass through {})",
                    batchDependent && training && mirror.batchesSamples()
                            ? "batch normalization in training mode"
                            : mirror.unbatchedBlocks());
        }
        return sampleGradientsOneAtATime(w, inputs, labels, rows, training);
    }

    /**
     * Whether {@link #sampleGradients} takes a whole batch's per-sample gradients in one pass.
     *
     * @param training the mode of the passes
     * @return true if batched
     */
    public boolean batchesSamples(boolean training) {
        return mirror.batchesSamples()
                && !(batchDependent && training && batchNormGradients == BatchNormGradients.EXACT);
    }

    /**
     * Computes per-sample gradients in one batched pass: a {@link MirrorPass#probing probing}
     * forward of the selected rows records each parametric layer's input and adds a zero probe to
     * its output, one backward of the summed per-sample losses gives every sample's output
     * gradients, and products of the two give every sample's parameter gradients (see {@link
     * SampleProbes}). Equal to {@link #sampleGradientsOneAtATime} up to rounding.
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param rows the batch rows to differentiate
     * @param training true for training-mode passes, false for prediction mode
     * @return a matrix with one flat gradient per selected row
     * @throws IllegalArgumentException if the model cannot be batched (see {@link #batchesSamples})
     */
    public NDArray batchedSampleGradients(
            NDArray w, NDList inputs, NDList labels, int[] rows, boolean training) {
        if (!batchesSamples(training)) {
            throw new IllegalArgumentException(
                    "Per-sample gradients of this model cannot be batched: "
                            + (mirror.batchesSamples()
                                    ? "batch normalization in training mode couples the samples"
                                            + " (BatchNormGradients.EXACT)"
                                    : mirror.unbatchedBlocks())
                            + "; use sampleGradientsOneAtATime");
        }
        Recording recording = recording(w, training);
        if (recording.dataType() != w.getDataType()) {
            return inType(
                    w,
                    recording.dataType(),
                    wide -> batchedSampleGradients(wide, inputs, labels, rows, training));
        }
        NDManager out = w.getManager();
        if (rows.length == 0) {
            return out.zeros(new Shape(0, space.size()), w.getDataType());
        }
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            Shadow shadow = new Shadow(scope, w, false);
            NDArray selected = scope.create(rows);
            // with batch statistics the whole batch runs (taken as constants: samples decouple)
            boolean wholeBatch = batchDependent && training;
            NDList x = onWeights(scope, inputs, w, true);
            NDList y = NDLists.get(onWeights(scope, labels, w, false), selected);
            if (!wholeBatch) {
                x = NDLists.get(x, selected);
            }
            SampleProbes probes = new SampleProbes(ONE_HOT_PATCHES);
            NDList predictions;
            try (GradientCollector collector =
                    DjlInternals.newGradientCollector(scope.getEngine(), recording.training())) {
                predictions = MirrorPass.probing(mirror, shadow.store, training, probes).run(x);
                if (wholeBatch) {
                    predictions = NDLists.get(predictions, selected);
                }
                // the batch mean times the batch size: the sum of the per-sample losses
                collector.backward(loss.evaluate(y, predictions).mul(rows.length));
            }
            if (!lossChecked) {
                requireMeanOfSampleLosses(predictions, y); // what the sum above relies on
                lossChecked = true;
            }
            Map<String, NDArray> byParameter =
                    probes.parameterGradients(wholeBatch ? selected : null);

            NDList flat = new NDList(space.trainable().size());
            for (Parameter parameter : space.trainable()) {
                NDArray gradient = byParameter.get(parameter.getId());
                flat.add(
                        gradient == null // a parameter the forward never reads
                                ? scope.zeros(
                                        new Shape(rows.length, parameter.getArray().size()),
                                        w.getDataType())
                                : gradient.reshape(rows.length, -1));
            }
            NDArray result = NDArrays.concat(flat, 1);
            result.attach(out);

            return result;
        }
    }

    /**
     * Computes per-sample gradients one sample at a time: each selected sample is forwarded alone,
     * or, with batch normalization in training mode, the whole batch is forwarded and only the
     * selected sample's loss is differentiated (exact, at the cost of one batch pass per sample).
     * In prediction mode samples never depend on each other, so each is forwarded alone.
     *
     * @param w flat weights; their manager receives the result
     * @param inputs the batch inputs
     * @param labels the batch labels
     * @param rows the batch rows to differentiate
     * @param training true for training-mode passes, false for prediction mode
     * @return a matrix with one flat gradient per selected row
     */
    public NDArray sampleGradientsOneAtATime(
            NDArray w, NDList inputs, NDList labels, int[] rows, boolean training) {
        Recording recording = recording(w, training);
        if (recording.dataType() != w.getDataType()) {
            return inType(
                    w,
                    recording.dataType(),
                    wide -> sampleGradientsOneAtATime(wide, inputs, labels, rows, training));
        }
        NDManager out = w.getManager();
        NDArray result = out.zeros(new Shape(rows.length, space.size()), w.getDataType());
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            Shadow shadow = new Shadow(scope, w, true);
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
            NDArray wide = w.toType(type, false); // another type: a new array
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
            // a handle of the scope's own (an alias on PyTorch when nothing moves: only read)
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

    /**
     * Detached copies of every parameter, trainable ones taken from a flat vector (requiring
     * gradients if {@code differentiable}). Non-trainable state (batch-norm running statistics) is
     * copied too, so that training-mode passes update the copies, never the model.
     */
    private final class Shadow {

        final ShadowParameterStore store;
        final NDList trainable;
        final NDList arrays = new NDList();

        Shadow(NDManager scope, NDArray w, boolean differentiable) {
            Map<String, NDArray> values = new HashMap<>();
            NDList slices = space.unflatten(w);
            trainable = new NDList(slices.size());
            for (int i = 0; i < slices.size(); i++) {
                NDArray copy = slices.get(i).duplicate();
                copy.attach(scope);
                if (differentiable) {
                    copy.setRequiresGradient(true);
                }
                trainable.add(copy);
                arrays.add(copy);
                values.put(space.trainable().get(i).getId(), copy);
            }
            slices.close();
            for (Parameter parameter : space.all()) {
                if (!parameter.requiresGradient()) {
                    // a real copy: on PyTorch, toDevice/toType(..., copy=true) return an alias
                    // when nothing converts, and training-mode batch norm updates it in place
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
