package ai.hydra.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.BatchSampler;
import ai.djl.training.dataset.Sampler;
import ai.djl.training.dataset.SequenceSampler;
import ai.hydra.io.Sha256;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * An immutable, host-side image-classification split: uint8 pixels in N,C,H,W layout plus one
 * integer label per image. It holds no native memory; {@link #toDataset} copies it into a DJL
 * {@link ArrayDataset} owned by a caller's {@link NDManager}.
 */
public final class ImageData {

    private final byte[] pixels;
    private final int[] labels;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    /**
     * Creates a split from raw pixels and labels; both arrays are copied.
     *
     * @param pixels uint8 pixels, layout N,C,H,W (length N*C*H*W)
     * @param labels one label per image, each in {@code [0, classNames.size())}
     * @param channels C
     * @param height H
     * @param width W
     * @param classNames the class names indexed by label
     * @throws IllegalArgumentException if the sizes disagree or a label is out of range
     */
    public ImageData(
            byte[] pixels,
            int[] labels,
            int channels,
            int height,
            int width,
            List<String> classNames) {
        this(pixels.clone(), labels.clone(), channels, height, width, classNames, true);
    }

    private ImageData(
            byte[] pixels,
            int[] labels,
            int channels,
            int height,
            int width,
            List<String> classNames,
            boolean validate) {
        this.pixels = pixels;
        this.labels = labels;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = List.copyOf(classNames);
        if (validate) {
            validate();
        }
    }

    private void validate() {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "Image dimensions must be positive, got "
                            + channels
                            + "x"
                            + height
                            + "x"
                            + width);
        }
        long expected = (long) labels.length * imageSize();
        if (pixels.length != expected) {
            throw new IllegalArgumentException(
                    "Expected "
                            + expected
                            + " pixel bytes for "
                            + labels.length
                            + " images of "
                            + channels
                            + "x"
                            + height
                            + "x"
                            + width
                            + ", got "
                            + pixels.length);
        }
        checkLabels(labels, classNames.size());
    }

    static void checkLabels(int[] labels, int numClasses) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(
                        "Label "
                                + labels[i]
                                + " at index "
                                + i
                                + " is outside 0.."
                                + (numClasses - 1));
            }
        }
    }

    /** Wraps arrays the caller promises not to share or modify (no copy). */
    static ImageData wrap(
            byte[] pixels, int[] labels, int channels, int height, int width, List<String> names) {
        ImageData data = new ImageData(pixels, labels, channels, height, width, names, false);
        data.validate();
        return data;
    }

    /**
     * Returns the number of images.
     *
     * @return N
     */
    public int size() {
        return labels.length;
    }

    /**
     * Returns the number of channels.
     *
     * @return C
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns the image height.
     *
     * @return H
     */
    public int height() {
        return height;
    }

    /**
     * Returns the image width.
     *
     * @return W
     */
    public int width() {
        return width;
    }

    /**
     * Returns the number of bytes per image.
     *
     * @return C*H*W
     */
    public int imageSize() {
        return channels * height * width;
    }

    /**
     * Returns a copy of the raw pixels.
     *
     * @return uint8 pixels (read with {@code & 0xff}), layout N,C,H,W
     */
    public byte[] pixels() {
        return pixels.clone();
    }

    /**
     * Returns one pixel without copying the array.
     *
     * @param index the image index
     * @param channel the channel
     * @param y the row
     * @param x the column
     * @return the pixel value in 0..255
     */
    public int pixel(int index, int channel, int y, int x) {
        return pixels[((index * channels + channel) * height + y) * width + x] & 0xff;
    }

    /**
     * Returns a copy of the labels.
     *
     * @return the labels
     */
    public int[] labels() {
        return labels.clone();
    }

    /**
     * Returns the label of one image.
     *
     * @param index the image index
     * @return its label
     */
    public int label(int index) {
        return labels[index];
    }

    /**
     * Returns the class names indexed by label.
     *
     * @return an immutable list
     */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * Returns the number of classes.
     *
     * @return the number of class names
     */
    public int numClasses() {
        return classNames.size();
    }

    /**
     * Returns the images at the given indices, in that order (repeats allowed).
     *
     * @param indices indices into this split
     * @return a new split
     * @throws IndexOutOfBoundsException if an index is outside {@code [0, size())}
     */
    public ImageData subset(int[] indices) {
        int imageSize = imageSize();
        byte[] newPixels = new byte[indices.length * imageSize];
        int[] newLabels = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int src = indices[i];
            if (src < 0 || src >= labels.length) {
                throw new IndexOutOfBoundsException(
                        "Subset index " + src + " is outside 0.." + (labels.length - 1));
            }
            System.arraycopy(pixels, src * imageSize, newPixels, i * imageSize, imageSize);
            newLabels[i] = labels[src];
        }
        return new ImageData(newPixels, newLabels, channels, height, width, classNames, false);
    }

    /**
     * Returns the first images of this split: all of them when it holds no more than {@code count}.
     *
     * @param count how many images at most
     * @return a new split
     */
    public ImageData first(int count) {
        return subset(IntStream.range(0, Math.max(0, Math.min(count, size()))).toArray());
    }

    /**
     * Returns the same images with other labels (e.g. noisy ones).
     *
     * @param newLabels one label per image
     * @return a new split sharing these pixels
     * @throws IllegalArgumentException if the count differs or a label is out of range
     */
    public ImageData withLabels(int[] newLabels) {
        if (newLabels.length != labels.length) {
            throw new IllegalArgumentException(
                    "Expected " + labels.length + " labels, got " + newLabels.length);
        }
        int[] copy = newLabels.clone();
        checkLabels(copy, classNames.size());
        // pixels are never mutated, so sharing them is safe
        return new ImageData(pixels, copy, channels, height, width, classNames, false);
    }

    /**
     * Copies this split into a DJL dataset read in order (for evaluation); the last batch may be
     * smaller.
     *
     * @param manager owns the created arrays
     * @param dataType {@link DataType#FLOAT32} or {@link DataType#FLOAT64}
     * @param batchSize the batch size
     * @return the dataset; see {@link #toDataset(NDManager, DataType, int, boolean, long)}
     */
    public ArrayDataset toDataset(NDManager manager, DataType dataType, int batchSize) {
        return toDataset(manager, dataType, batchSize, false, 0L);
    }

    /**
     * Copies this split into a DJL dataset. Data: one array of shape (N,C,H,W) scaled to [0,1];
     * labels: one array of shape (N) holding the class indices in {@code dataType}, as {@link
     * ai.djl.training.loss.Loss#softmaxCrossEntropyLoss()} expects. The last batch is kept even if
     * smaller. {@link ai.djl.training.dataset.Batch#getIndices()} gives indices into this split.
     *
     * @param manager owns the created arrays
     * @param dataType {@link DataType#FLOAT32} or {@link DataType#FLOAT64}
     * @param batchSize the batch size
     * @param shuffle whether to visit the images in a new seeded order each epoch
     * @param seed the seed of the {@link SeededRandomSampler} (ignored without shuffle)
     * @return the dataset
     */
    public ArrayDataset toDataset(
            NDManager manager, DataType dataType, int batchSize, boolean shuffle, long seed) {
        return toDataset(manager, dataType, batchSize, shuffle, seed, 0);
    }

    /**
     * Creates a DJL dataset whose shuffled order starts at a later epoch: the orders a fresh
     * dataset gives from that epoch on, to continue an interrupted training.
     *
     * @param manager owns the created arrays
     * @param dataType {@link DataType#FLOAT32} or {@link DataType#FLOAT64}
     * @param batchSize the batch size
     * @param shuffle whether to visit the images in a new seeded order each epoch
     * @param seed the seed of the {@link SeededRandomSampler} (ignored without shuffle)
     * @param firstEpoch the epoch the first pass over the data is (0 for a new training)
     * @return the dataset
     */
    public ArrayDataset toDataset(
            NDManager manager,
            DataType dataType,
            int batchSize,
            boolean shuffle,
            long seed,
            int firstEpoch) {
        checkFloat(dataType);
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        NDArray data = images(manager, dataType);
        NDArray labelArray = labelArray(manager, dataType);
        Sampler.SubSampler order =
                shuffle ? new SeededRandomSampler(seed, firstEpoch) : new SequenceSampler();
        return new ArrayDataset.Builder()
                .setData(data)
                .optLabels(labelArray)
                .setSampling(new BatchSampler(order, batchSize, false))
                .build();
    }

    /**
     * Returns the images as one array of shape (N,C,H,W) scaled to [0,1]: the values {@link
     * #toDataset} trains on.
     *
     * @param manager owns the created array
     * @param dataType {@link DataType#FLOAT32} or {@link DataType#FLOAT64}
     * @return the images
     */
    public NDArray images(NDManager manager, DataType dataType) {
        checkFloat(dataType);
        Shape shape = new Shape(size(), channels, height, width);
        try (NDArray raw = manager.create(ByteBuffer.wrap(pixels), shape, DataType.UINT8);
                NDArray asFloat = raw.toType(dataType, false)) {
            return asFloat.div(255);
        }
    }

    /**
     * Returns the labels as one array of shape (N) holding the class indices in {@code dataType},
     * as {@link ai.djl.training.loss.Loss#softmaxCrossEntropyLoss()} expects.
     *
     * @param manager owns the created array
     * @param dataType {@link DataType#FLOAT32} or {@link DataType#FLOAT64}
     * @return the labels
     */
    public NDArray labelArray(NDManager manager, DataType dataType) {
        checkFloat(dataType);
        try (NDArray raw = manager.create(labels)) {
            return raw.toType(dataType, false);
        }
    }

    /**
     * Returns this split as a {@link SampleSet} ({@link #images} and {@link #labelArray}), each
     * sample named by its index in this split.
     *
     * @param manager owns the created arrays
     * @param dataType {@link DataType#FLOAT32} or {@link DataType#FLOAT64}
     * @return the samples
     */
    public SampleSet toSampleSet(NDManager manager, DataType dataType) {
        return SampleSet.of(
                new NDList(images(manager, dataType)), new NDList(labelArray(manager, dataType)));
    }

    private static void checkFloat(DataType dataType) {
        if (dataType != DataType.FLOAT32 && dataType != DataType.FLOAT64) {
            throw new IllegalArgumentException(
                    "dataType must be FLOAT32 or FLOAT64, got " + dataType);
        }
    }

    /**
     * Counts the images of each class.
     *
     * @return an array of length {@link #numClasses()}
     */
    public int[] classCounts() {
        int[] counts = new int[numClasses()];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /**
     * Fingerprints the split: the SHA-256 of its shape, every pixel and every label, in order. Two
     * splits with the same fingerprint hold the same images with the same labels in the same order
     * (e.g. a checkpoint records it, and a run resuming from it on other data is refused).
     *
     * @return the hex digest
     */
    public String fingerprint() {
        MessageDigest digest = Sha256.digest();
        ByteBuffer header = ByteBuffer.allocate(4 * Integer.BYTES);
        header.putInt(size()).putInt(channels).putInt(height).putInt(width);
        digest.update(header.array());
        digest.update(pixels);
        ByteBuffer labelBytes = ByteBuffer.allocate(labels.length * Integer.BYTES);
        labelBytes.asIntBuffer().put(labels);
        digest.update(labelBytes.array());
        return Sha256.hex(digest);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ImageData["
                + size()
                + " x "
                + channels
                + "x"
                + height
                + "x"
                + width
                + ", classes="
                + numClasses()
                + ", counts="
                + Arrays.toString(classCounts())
                + "]";
    }
}
