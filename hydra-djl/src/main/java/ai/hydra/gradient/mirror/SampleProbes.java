package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a probing {@link MirrorPass} records to give per-sample gradients of a whole batch from one
 * backward pass: each parametric layer's input, and a zero probe added to its output. After one
 * backward of the sum of the per-sample losses, a probe's gradient holds every sample's own output
 * gradient (samples do not mix in the supported layers), and each sample's parameter gradient is a
 * product of its input and that output gradient ({@link #parameterGradients()}).
 *
 * <p>Supported layers: {@link Linear} (any leading axes) and {@link Convolution} (1 to 3 spatial
 * axes, stride, padding, dilation, groups, with or without bias). A layer met several times
 * (shared) gets the sum of its uses' gradients.
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
        return block instanceof Linear || block instanceof Convolution;
    }

    /** Records a layer's input and returns its output plus a fresh zero probe. */
    NDArray probe(Block layer, NDArray input, NDArray output) {
        NDArray probe = output.zerosLike();
        probe.setRequiresGradient(true);
        probes.add(new Probe(layer, input, probe));
        return output.add(probe);
    }

    /**
     * Computes every probed layer's per-sample parameter gradients, once the backward pass of the
     * summed per-sample losses has run.
     *
     * @return for each probed parameter's id, its per-sample gradients, shape (B, parameter
     *     shape...), attached to the manager of the layer's recorded input
     */
    public Map<String, NDArray> parameterGradients() {
        Map<String, NDArray> out = new HashMap<>();
        for (Probe probe : probes) {
            NDArray g = probe.probe.getGradient();
            NDList grads =
                    probe.layer instanceof Linear
                            ? LayerGradients.linear(probe.input, g)
                            : LayerGradients.convolution(
                                    (Convolution) probe.layer, probe.input, g, patches);
            PairList<String, Parameter> parameters = probe.layer.getDirectParameters();
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
