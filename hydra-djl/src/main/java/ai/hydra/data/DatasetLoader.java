package ai.hydra.data;

import ai.djl.basicdataset.cv.classification.Cifar10;
import ai.djl.basicdataset.cv.classification.FashionMnist;
import ai.djl.basicdataset.cv.classification.Mnist;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Loads MNIST, Fashion-MNIST and CIFAR-10 from local files, or through DJL's own downloaders.
 *
 * <p>Local layouts, looked up in this order:
 *
 * <ul>
 *   <li>(Fashion-)MNIST: the standard IDX files {@code train-images-idx3-ubyte[.gz]}, {@code
 *       train-labels-idx1-ubyte[.gz]}, {@code t10k-images-idx3-ubyte[.gz]}, {@code
 *       t10k-labels-idx1-ubyte[.gz]}, or DJL's repository layout {@code train_data}, {@code
 *       train_labels}, {@code test_data}, {@code test_labels}. Compression is detected from the
 *       content.
 *   <li>CIFAR-10: binary batches {@code data_batch_1.bin}..{@code data_batch_5.bin} and {@code
 *       test_batch.bin} (also DJL's single {@code data_batch.bin}), in the directory or its {@code
 *       cifar-10-batches-bin} subfolder; otherwise an image-folder tree {@code
 *       train/<class>/*.jpg|png}, {@code test/<class>/*.jpg|png}, read class-major (airplane first)
 *       with the files of a class sorted by name.
 * </ul>
 */
public final class DatasetLoader {

    /** System property naming a data root with {@code mnist}, {@code fashion-mnist}, ... */
    public static final String DATA_DIR_PROPERTY = "hydra.data.dir";

    /** Environment variable naming a data root, used when the property is not set. */
    public static final String DATA_DIR_ENV = "HYDRA_DATA_DIR";

    /** Where Debian's {@code dataset-fashion-mnist} package installs Fashion-MNIST. */
    public static final Path DEBIAN_FASHION_MNIST = Paths.get("/usr/share/datasets/fashion-mnist");

    private static final String CIFAR_SUBFOLDER = "cifar-10-batches-bin";

    private DatasetLoader() {}

    /**
     * Loads a split from a local directory.
     *
     * @param name the dataset
     * @param split the split
     * @param dir the directory holding the files (see the class documentation)
     * @return the split
     * @throws IOException if the files are missing (the message lists what was looked for),
     *     truncated, corrupt, partial (an empty batch or class folder) or hold no images; the
     *     message names the file or folder
     */
    public static ImageData load(DatasetName name, Split split, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(
                    dir.toString(),
                    null,
                    "the " + name + " data directory does not exist or is not a directory");
        }
        return name == DatasetName.CIFAR10 ? loadCifar(split, dir) : loadIdx(name, split, dir);
    }

    /**
     * Loads a split from {@link #defaultLocation} if there is one, otherwise with {@link
     * #loadWithDjl}.
     *
     * @param name the dataset
     * @param split the split
     * @return the split
     * @throws IOException if reading or downloading fails
     */
    public static ImageData load(DatasetName name, Split split) throws IOException {
        Optional<Path> dir = defaultLocation(name);
        return dir.isPresent() ? load(name, split, dir.get()) : loadWithDjl(name, split);
    }

    /**
     * Finds a local copy: {@code <root>/<name.directoryName()>} below the root named by system
     * property {@value #DATA_DIR_PROPERTY} or else environment variable {@value #DATA_DIR_ENV}; for
     * Fashion-MNIST, then Debian's {@code /usr/share/datasets/fashion-mnist}.
     *
     * @param name the dataset
     * @return an existing directory, or empty if none was found
     */
    public static Optional<Path> defaultLocation(DatasetName name) {
        return defaultLocation(
                name,
                System.getProperty(DATA_DIR_PROPERTY),
                System.getenv(DATA_DIR_ENV),
                DEBIAN_FASHION_MNIST);
    }

    static Optional<Path> defaultLocation(
            DatasetName name, String property, String env, Path debianFashionMnist) {
        List<Path> candidates = new ArrayList<>();
        String root = property != null && !property.isBlank() ? property : env;
        if (root != null && !root.isBlank()) {
            candidates.add(Paths.get(root).resolve(name.directoryName()));
        }
        if (name == DatasetName.FASHION_MNIST) {
            candidates.add(debianFashionMnist);
        }
        return candidates.stream().filter(Files::isDirectory).findFirst();
    }

    /**
     * Loads a split with DJL's {@link Mnist}, {@link FashionMnist} or {@link Cifar10}, which
     * download into DJL's cache ({@code ~/.djl.ai}) on first use and need internet access then.
     *
     * @param name the dataset
     * @param split the split
     * @return the split
     * @throws IOException if DJL cannot download or read the dataset; the message says how to pass
     *     a local directory instead
     */
    public static ImageData loadWithDjl(DatasetName name, Split split) throws IOException {
        Dataset.Usage usage = split == Split.TRAIN ? Dataset.Usage.TRAIN : Dataset.Usage.TEST;
        try (NDManager manager = NDManager.newBaseManager()) {
            ArrayDataset dataset = djlDataset(name, usage, manager);
            try {
                dataset.prepare();
            } catch (IOException | TranslateException | RuntimeException e) {
                throw new IOException(
                        "DJL could not download or read "
                                + name
                                + " "
                                + split
                                + " ("
                                + e
                                + "). Without internet access, pass a local"
                                + " directory: DatasetLoader.load("
                                + name
                                + ", "
                                + split
                                + ", dir), or set -D"
                                + DATA_DIR_PROPERTY
                                + "=<root> or "
                                + DATA_DIR_ENV
                                + " to a folder holding "
                                + name.directoryName()
                                + "/",
                        e);
            }
            return toImageData(name, dataset, manager);
        }
    }

    private static ArrayDataset djlDataset(
            DatasetName name, Dataset.Usage usage, NDManager manager) {
        return switch (name) {
            case MNIST ->
                    Mnist.builder()
                            .optManager(manager)
                            .optUsage(usage)
                            .setSampling(1, false)
                            .build();
            case FASHION_MNIST ->
                    FashionMnist.builder()
                            .optManager(manager)
                            .optUsage(usage)
                            .setSampling(1, false)
                            .build();
            case CIFAR10 ->
                    Cifar10.builder()
                            .optManager(manager)
                            .optUsage(usage)
                            .setSampling(1, false)
                            .build();
        };
    }

    /** DJL's datasets hold float N,H,W,C pixels in 0..255 and float labels. */
    private static ImageData toImageData(
            DatasetName name, ArrayDataset dataset, NDManager manager) {
        try (Batch all = dataset.getByRange(manager, 0, dataset.size())) {
            NDArray images = all.getData().singletonOrThrow();
            NDArray labels = all.getLabels().singletonOrThrow();
            byte[] pixels =
                    images.transpose(0, 3, 1, 2).toType(DataType.UINT8, false).toByteArray();
            int[] ints = labels.toType(DataType.INT32, false).toIntArray();
            return ImageData.wrap(
                    pixels, ints, name.channels(), name.height(), name.width(), name.classNames());
        }
    }

    private static ImageData loadIdx(DatasetName name, Split split, Path dir) throws IOException {
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        String djl = split == Split.TRAIN ? "train" : "test";
        List<String> imageNames =
                List.of(
                        prefix + "-images-idx3-ubyte.gz",
                        prefix + "-images-idx3-ubyte",
                        djl + "_data");
        List<String> labelNames =
                List.of(
                        prefix + "-labels-idx1-ubyte.gz",
                        prefix + "-labels-idx1-ubyte",
                        djl + "_labels");
        Path images = find(dir, imageNames, name + " " + split + " images");
        Path labels = find(dir, labelNames, name + " " + split + " labels");
        return IdxFormat.read(
                IdxFormat.readAll(Files.newInputStream(images), images.toString()),
                images.toString(),
                IdxFormat.readAll(Files.newInputStream(labels), labels.toString()),
                labels.toString(),
                name);
    }

    private static Path find(Path dir, List<String> names, String what) throws IOException {
        for (String name : names) {
            Path file = dir.resolve(name);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        throw new NoSuchFileException(
                dir.toString(),
                null,
                "no " + what + " file; looked for " + String.join(", ", names));
    }

    private static ImageData loadCifar(Split split, Path dir) throws IOException {
        List<String> looked = new ArrayList<>();
        for (Path base : List.of(dir, dir.resolve(CIFAR_SUBFOLDER))) {
            List<Path> batches = cifarBatches(split, base, looked);
            if (!batches.isEmpty()) {
                return CifarFormat.readBatches(batches);
            }
        }
        Path folder = dir.resolve(split == Split.TRAIN ? "train" : "test");
        if (Files.isDirectory(folder)) {
            return CifarFormat.readFolder(folder);
        }
        looked.add(folder + "/<class>/*.jpg|png");
        throw new NoSuchFileException(
                dir.toString(),
                null,
                "no CIFAR-10 " + split + " data; looked for " + String.join(", ", looked));
    }

    /** The split's batch files in {@code base}, empty if none; records what it looked for. */
    private static List<Path> cifarBatches(Split split, Path base, List<String> looked)
            throws IOException {
        if (split == Split.TEST) {
            Path test = base.resolve("test_batch.bin");
            looked.add(test.toString());
            return Files.isRegularFile(test) ? List.of(test) : List.of();
        }
        List<Path> batches = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            batches.add(base.resolve("data_batch_" + i + ".bin"));
        }
        looked.add(base.resolve("data_batch_{1..5}.bin").toString());
        long present = batches.stream().filter(Files::isRegularFile).count();
        if (present == batches.size()) {
            return batches;
        }
        if (present > 0) {
            throw new NoSuchFileException(
                    base.toString(),
                    null,
                    "only "
                            + present
                            + " of the 5 CIFAR-10 training batches data_batch_1.bin.."
                            + "data_batch_5.bin are present");
        }
        Path single = base.resolve("data_batch.bin"); // DJL's cache holds one concatenated file
        looked.add(single.toString());
        return Files.isRegularFile(single) ? List.of(single) : List.of();
    }
}
