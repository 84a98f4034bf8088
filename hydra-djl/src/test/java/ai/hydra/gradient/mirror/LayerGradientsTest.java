package ai.hydra.gradient.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv1d;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.nn.convolutional.Convolution;
import ai.hydra.testing.EngineNeutral;
import org.junit.jupiter.api.Test;

/**
 * The two ways of gathering convolution patches agree exactly, and both against patches read off
 * the input by hand (index arithmetic in Java), with stride, padding and dilation in 1 to 3 spatial
 * axes.
 */
@EngineNeutral
class LayerGradientsTest {

    @Test
    void slicedAndOneHotPatchesEqualPatchesByHand() {
        try (NDManager manager = NDManager.newBaseManager()) {
            check(
                    manager,
                    Conv1d.builder()
                            .setKernelShape(new Shape(3))
                            .optStride(new Shape(2))
                            .optPadding(new Shape(1))
                            .optDilation(new Shape(2))
                            .setFilters(2)
                            .build(),
                    new Shape(2, 3, 9));
            check(
                    manager,
                    Conv2d.builder()
                            .setKernelShape(new Shape(2, 3))
                            .optStride(new Shape(1, 2))
                            .optPadding(new Shape(1, 0))
                            .optDilation(new Shape(2, 1))
                            .setFilters(2)
                            .build(),
                    new Shape(2, 2, 6, 7));
            check(
                    manager,
                    Conv3d.builder()
                            .setKernelShape(new Shape(2, 2, 2))
                            .optPadding(new Shape(1, 0, 1))
                            .setFilters(2)
                            .build(),
                    new Shape(1, 2, 3, 4, 3));
        }
    }

    private static void check(NDManager manager, Convolution conv, Shape in) {
        conv.initialize(manager, DataType.FLOAT64, in);
        NDArray x =
                manager.arange((float) in.size())
                        .toType(DataType.FLOAT64, false)
                        .add(1)
                        .reshape(in);
        double[] sliced = LayerGradients.slicedPatches(conv, x).toDoubleArray();
        double[] oneHot = LayerGradients.oneHotPatches(conv, x).toDoubleArray();
        double[] byHand = byHand(conv, in);
        assertEquals(byHand.length, sliced.length, conv + ": patch count");
        assertTrue(java.util.Arrays.equals(byHand, sliced), conv + ": sliced patches");
        assertTrue(java.util.Arrays.equals(byHand, oneHot), conv + ": one-hot patches");
    }

    /** Patches (B, C, K, L) of x = 1, 2, 3, ... in row-major order; padded positions 0. */
    private static double[] byHand(Convolution conv, Shape in) {
        int dims = in.dimension() - 2;
        long[] k = conv.getKernelShape().getShape();
        long[] s = conv.getStride().getShape();
        long[] p = conv.getPadding().getShape();
        long[] d = conv.getDilation().getShape();
        long[] size = in.slice(2).getShape();
        long[] out = new long[dims];
        for (int i = 0; i < dims; i++) {
            out[i] = (size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
        }
        long kVolume = new Shape(k).size();
        long lVolume = new Shape(out).size();
        long spatial = new Shape(size).size();
        double[] patches = new double[Math.toIntExact(in.get(0) * in.get(1) * kVolume * lVolume)];
        int at = 0;
        for (long bc = 0; bc < in.get(0) * in.get(1); bc++) {
            for (long kk = 0; kk < kVolume; kk++) {
                long[] offset = unravel(kk, k);
                for (long l = 0; l < lVolume; l++) {
                    long[] position = unravel(l, out);
                    long flat = 0;
                    boolean inside = true;
                    for (int i = 0; i < dims; i++) {
                        long coordinate = position[i] * s[i] + offset[i] * d[i] - p[i];
                        inside &= coordinate >= 0 && coordinate < size[i];
                        flat = flat * size[i] + coordinate;
                    }
                    patches[at++] = inside ? bc * spatial + flat + 1 : 0;
                }
            }
        }
        return patches;
    }

    private static long[] unravel(long index, long[] shape) {
        long[] out = new long[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            out[i] = index % shape[i];
            index /= shape[i];
        }
        return out;
    }
}
