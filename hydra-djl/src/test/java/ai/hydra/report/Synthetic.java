package ai.hydra.report;

import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.data.ImageData;
import java.util.List;

/** Small synthetic inputs whose expected rankings are known by construction. */
final class Synthetic {

    static final List<String> CLASSES = List.of("zero", "one", "two");

    /**
     * C(i, j) for 6 training rows x 2 test columns. Column 0: most helpful row 3, then 0; most
     * harmful row 5, then 1. Column 1: most helpful row 1, most harmful row 4.
     */
    static final double[][] VALUES = {
        {0.2, 0.01},
        {-0.1, 0.9},
        {0.05, 0.0},
        {0.5, -0.2},
        {0.0, -0.7},
        {-0.4, 0.3}
    };

    /** Matrix rows map to these training indices (not the identity, to catch mix-ups). */
    static final int[] TRAIN_INDICES = {6, 1, 2, 7, 4, 0};

    static final int[] TEST_INDICES = {2, 0};

    private Synthetic() {}

    static ContributionMatrix matrix() {
        double[][] copy = new double[VALUES.length][];
        for (int i = 0; i < VALUES.length; i++) {
            copy[i] = VALUES[i].clone();
        }
        return new ContributionMatrix(copy, TRAIN_INDICES.clone(), TEST_INDICES.clone());
    }

    /** n distinct images: pixel = (37 * image + 3 * y + 5 * x + 11 * channel) mod 256. */
    static ImageData images(int n, int channels, int size, int seedLabel) {
        byte[] pixels = new byte[n * channels * size * size];
        int p = 0;
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        pixels[p++] = (byte) expectedPixel(i, c, y, x);
                    }
                }
            }
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (i + seedLabel) % CLASSES.size();
        }
        return new ImageData(pixels, labels, channels, size, size, CLASSES);
    }

    static int expectedPixel(int image, int channel, int y, int x) {
        return (37 * image + 3 * y + 5 * x + 11 * channel) % 256;
    }
}
