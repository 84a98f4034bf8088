package ai.hydra.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * A small real subset of Fashion-MNIST shipped on the classpath (works from a jar), for tests,
 * demos and machines without the full data: the first 200 training images of each class (2,000) and
 * the first 40 test images of each class (400), in original order. See the README.md next to the
 * files; {@link SubsetTool} recreates them.
 */
public final class BundledData {

    /** The classpath folder holding the subset. */
    public static final String RESOURCE_DIR = "/ai/hydra/data/fashion-mnist-subset/";

    private BundledData() {}

    /**
     * Loads the 2,000-image training subset.
     *
     * @return the split (Fashion-MNIST class names)
     * @throws UncheckedIOException if the resources are missing or corrupt
     */
    public static ImageData train() {
        return load("train");
    }

    /**
     * Loads the 400-image test subset.
     *
     * @return the split (Fashion-MNIST class names)
     * @throws UncheckedIOException if the resources are missing or corrupt
     */
    public static ImageData test() {
        return load("t10k");
    }

    /**
     * Returns the original Fashion-MNIST indices of the training subset, in subset order.
     *
     * @return one index into the original 60,000 training images per subset image
     */
    public static int[] trainIndices() {
        return indices("train-indices.txt");
    }

    /**
     * Returns the original Fashion-MNIST indices of the test subset, in subset order.
     *
     * @return one index into the original 10,000 test images per subset image
     */
    public static int[] testIndices() {
        return indices("test-indices.txt");
    }

    private static ImageData load(String prefix) {
        String images = prefix + "-images-idx3-ubyte.gz";
        String labels = prefix + "-labels-idx1-ubyte.gz";
        try {
            return IdxFormat.read(
                    resource(images),
                    RESOURCE_DIR + images,
                    resource(labels),
                    RESOURCE_DIR + labels,
                    DatasetName.FASHION_MNIST);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] indices(String file) {
        try {
            String text = new String(resource(file), StandardCharsets.US_ASCII);
            return text.lines()
                    .map(String::trim)
                    .filter(s -> !s.isEmpty() && !s.startsWith("#"))
                    .mapToInt(Integer::parseInt)
                    .toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] resource(String file) throws IOException {
        InputStream in = BundledData.class.getResourceAsStream(RESOURCE_DIR + file);
        if (in == null) {
            throw new IOException(
                    "Classpath resource "
                            + RESOURCE_DIR
                            + file
                            + " is missing; the hydra-djl"
                            + " jar is incomplete (rebuild it, see SubsetTool)");
        }
        return IdxFormat.readAll(in, RESOURCE_DIR + file);
    }
}
