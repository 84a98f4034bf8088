package ai.hydra.data;

import java.util.List;

/** The image-classification datasets of the HYDRA paper, with their image geometry and classes. */
public enum DatasetName {
    /** Handwritten digits, 1x28x28, classes "0".."9". */
    MNIST("mnist", 1, 28, 28, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")),
    /** Zalando's article images, 1x28x28. */
    FASHION_MNIST(
            "fashion-mnist",
            1,
            28,
            28,
            List.of(
                    "T-shirt/top",
                    "Trouser",
                    "Pullover",
                    "Dress",
                    "Coat",
                    "Sandal",
                    "Shirt",
                    "Sneaker",
                    "Bag",
                    "Ankle boot")),
    /** CIFAR-10 colour images, 3x32x32. */
    CIFAR10(
            "cifar10",
            3,
            32,
            32,
            List.of(
                    "airplane",
                    "automobile",
                    "bird",
                    "cat",
                    "deer",
                    "dog",
                    "frog",
                    "horse",
                    "ship",
                    "truck"));

    private final String directoryName;
    private final int channels;
    private final int height;
    private final int width;
    private final List<String> classNames;

    DatasetName(String directoryName, int channels, int height, int width, List<String> classes) {
        this.directoryName = directoryName;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.classNames = classes;
    }

    /**
     * Returns the conventional sub-directory name below a data root ({@code mnist}, {@code
     * fashion-mnist}, {@code cifar10}).
     *
     * @return the directory name
     */
    public String directoryName() {
        return directoryName;
    }

    /**
     * Returns the number of image channels.
     *
     * @return 1 for the MNIST variants, 3 for CIFAR-10
     */
    public int channels() {
        return channels;
    }

    /**
     * Returns the image height in pixels.
     *
     * @return the height
     */
    public int height() {
        return height;
    }

    /**
     * Returns the image width in pixels.
     *
     * @return the width
     */
    public int width() {
        return width;
    }

    /**
     * Returns the class names, indexed by label.
     *
     * @return an immutable list of the class names
     */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * Returns the number of classes.
     *
     * @return the number of classes
     */
    public int numClasses() {
        return classNames.size();
    }

    /**
     * Parses a user-facing name such as {@code fashion-mnist}, {@code FASHION_MNIST} or {@code
     * cifar10}.
     *
     * @param text the name, case-insensitive; '-' and '_' are interchangeable
     * @return the dataset
     * @throws IllegalArgumentException if the name is unknown; the message lists the known names
     */
    public static DatasetName parse(String text) {
        String key = text.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        for (DatasetName name : values()) {
            if (name.directoryName.equals(key)
                    || name.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-').equals(key)
                    || ("cifar-10".equals(key) && name == CIFAR10)) {
                return name;
            }
        }
        throw new IllegalArgumentException(
                "Unknown dataset '" + text + "'; known: mnist, fashion-mnist, cifar10");
    }
}
