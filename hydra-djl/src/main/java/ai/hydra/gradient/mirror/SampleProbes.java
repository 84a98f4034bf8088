package ai.hydra.gradient.mirror;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import ai.hydra.train.DjlInternals;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What a probing {@link MirrorPass} records to give per-sample gradients of a whole batch from one
 * backward pass: each parametric layer's input, and a zero probe added to its output. After one
 * backward of the sum of the per-sample losses, a probe's gradient holds every sample's own output
 * gradient (samples do not mix in the supported layers), and each sample's parameter gradient is a
 * product of its input and that output gradient ({@link #parameterGradients()}).
 *
 * <p>Supported layers: {@link Linear} (any leading axes), {@link Convolution} (1 to 3 spatial axes,
 * stride, padding, dilation, groups, with or without bias) and {@link BatchNorm} (gamma and beta;
 * in training mode with the batch statistics taken as constants, see {@link #probeBatchNorm}). A
 * layer met several times (shared) gets the sum of its uses' gradients.
 */
public final class SampleProbes {

    private final LayerGradients.PatchMethod patches;
    private final List<Probe> probes = new ArrayList<>();

    /** Creates an empty record that gathers convolution patches by strided slices. */
    public SampleProbes() {
        this(false);
    }

    /**
     * Creates an empty record.
     *
     * @param oneHotPatches true to gather convolution patches by a one-hot convolution instead of
     *     strided slices (both exact; for measuring which is faster)
     */
    public SampleProbes(boolean oneHotPatches) {
        patches =
                oneHotPatches
                        ? LayerGradients.PatchMethod.ONE_HOT
                        : LayerGradients.PatchMethod.SLICES;
    }

    /**
     * Whether per-sample gradients of a block's own parameters can be taken from a probe.
     *
     * @param block a parametric layer
     * @return true for {@link Linear} and {@link Convolution} (not deconvolutions)
     */
    static boolean supports(Block block) {
        return block instanceof Linear
                || block instanceof Convolution
                || block instanceof BatchNorm
                || block instanceof LayerNorm;
    }

    /** Records a layer's input and returns its output plus a fresh zero probe. */
    NDArray probe(Block layer, NDArray input, NDArray output) {
        NDArray probe = output.zerosLike();
        probe.setRequiresGradient(true);
        probes.add(new Probe(layer, input, probe));
        return output.add(probe);
    }

    /**
     * Runs a batch normalization as {@code gamma * xhat + beta}, {@code xhat} normalized with the
     * running statistics (prediction mode: the block's own function) or with the batch's statistics
     * taken as constants (training mode: not the block's function, whose gradient also flows
     * through the statistics and couples the samples), and probes it.
     */
    NDArray probeBatchNorm(BatchNorm layer, ParameterStore store, NDArray x, boolean training) {
        DjlInternals.BatchNormSettings settings = DjlInternals.batchNormSettings(layer);
        Shape shape = x.getShape();
        int axis = Math.floorMod(settings.axis(), shape.dimension());
        long[] channels = new long[shape.dimension()];
        Arrays.fill(channels, 1);
        channels[axis] = shape.get(axis);
        int[] others = IntStream.range(0, shape.dimension()).filter(i -> i != axis).toArray();
        PairList<String, Parameter> parameters = layer.getDirectParameters();
        Device device = x.getDevice();
        NDArray mean;
        NDArray variance;
        if (training) {
            NDArray constant = x.stopGradient();
            // sums over several axes (DJL's mean takes one axis on PyTorch); biased variance
            long count = shape.size() / shape.get(axis);
            mean = constant.sum(others, true).div(count);
            variance = constant.sub(mean).square().sum(others, true).div(count);
        } else {
            mean = value(store, parameters, "runningMean", device).reshape(new Shape(channels));
            variance = value(store, parameters, "runningVar", device).reshape(new Shape(channels));
        }
        NDArray normalized = x.sub(mean).div(variance.add(settings.epsilon()).sqrt());
        NDArray output =
                normalized
                        .mul(value(store, parameters, "gamma", device).reshape(new Shape(channels)))
                        .add(value(store, parameters, "beta", device).reshape(new Shape(channels)));
        return probe(layer, normalized.stopGradient(), output);
    }

    /**
     * Runs a layer normalization as it is and probes it; its normalized input (gamma's per-sample
     * gradient is the output gradient times it) comes from the block's own forward with gamma 1 and
     * beta 0, so it is what the engine computes.
     */
    NDArray probeLayerNorm(LayerNorm layer, ParameterStore store, NDList inputs, boolean training) {
        NDArray output = layer.forward(store, inputs, training).singletonOrThrow();
        PairList<String, Parameter> parameters = layer.getDirectParameters();
        Parameter gamma = parameters.get("gamma");
        Parameter beta = parameters.get("beta");
        ParameterStore unit =
                new ParameterStore(output.getManager(), false) {
                    @Override
                    public NDArray getValue(Parameter parameter, Device device, boolean train) {
                        NDArray value = store.getValue(parameter, device, train);
                        if (parameter == gamma) {
                            return value.onesLike();
                        }
                        return parameter == beta ? value.zerosLike() : value;
                    }
                };
        NDArray normalized = layer.forward(unit, inputs, training).singletonOrThrow();
        return probe(layer, normalized.stopGradient(), output);
    }

    private static NDArray value(
            ParameterStore store,
            PairList<String, Parameter> parameters,
            String name,
            Device device) {
        return store.getValue(parameters.get(name), device, false);
    }

    /**
     * Computes every probed layer's per-sample parameter gradients, once the backward pass of the
     * summed per-sample losses has run.
     *
     * @param rows the batch rows to give gradients for (an integer array), or null for all
     * @return for each probed parameter's id, its per-sample gradients, shape (rows, parameter
     *     shape...), attached to the manager of the layer's recorded input
     */
    public Map<String, NDArray> parameterGradients(NDArray rows) {
        Map<String, NDArray> out = new HashMap<>();
        for (Probe probe : probes) {
            NDArray g = probe.probe.getGradient();
            NDArray input = probe.input;
            if (rows != null) {
                g = g.get(rows);
                input = input.get(rows);
            }
            PairList<String, Parameter> parameters = probe.layer.getDirectParameters();
            if (probe.layer instanceof LayerNorm) {
                // gamma and beta span the trailing axes; sum over those between them and the batch
                int dims = g.getShape().dimension();
                int normalized = parameters.get("gamma").getArray().getShape().dimension();
                int[] middle = IntStream.range(1, dims - normalized).toArray();
                NDArray scaled = g.mul(input);
                out.merge(
                        parameters.get("gamma").getId(),
                        middle.length == 0 ? scaled : scaled.sum(middle),
                        NDArray::add);
                out.merge(
                        parameters.get("beta").getId(),
                        middle.length == 0 ? g : g.sum(middle),
                        NDArray::add);
                continue;
            }
            if (probe.layer instanceof BatchNorm) {
                // the input recorded is the normalized one: gamma's gradient is g * xhat per
                // channel
                int axis =
                        Math.floorMod(
                                DjlInternals.batchNormSettings((BatchNorm) probe.layer).axis(),
                                g.getShape().dimension());
                int[] others =
                        IntStream.range(1, g.getShape().dimension())
                                .filter(i -> i != axis)
                                .toArray();
                out.merge(parameters.get("gamma").getId(), g.mul(input).sum(others), NDArray::add);
                out.merge(parameters.get("beta").getId(), g.sum(others), NDArray::add);
                continue;
            }
            NDList grads =
                    probe.layer instanceof Linear
                            ? LayerGradients.linear(input, g)
                            : LayerGradients.convolution(
                                    (Convolution) probe.layer, input, g, patches);
            out.merge(parameters.get("weight").getId(), grads.get(0), NDArray::add);
            Parameter bias = parameters.get("bias");
            if (bias != null) {
                out.merge(bias.getId(), grads.get(1), NDArray::add);
            }
        }
        return out;
    }

    /** A probed layer. */
    private static final class Probe {

        final Block layer;
        final NDArray input;
        final NDArray probe;

        Probe(Block layer, NDArray input, NDArray probe) {
            this.layer = layer;
            this.input = input;
            this.probe = probe;
        }
    }
}
