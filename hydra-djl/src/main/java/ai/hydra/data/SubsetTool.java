package ai.hydra.data;

import ai.hydra.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a class-balanced subset of an IDX dataset: the first {@code perClass} images of each class
 * of a split, kept in original order (no randomness), as gzipped IDX files plus {@code
 * train-indices.txt} / {@code test-indices.txt} listing the original indices. This is how the
 * bundled Fashion-MNIST subset ({@link BundledData}) was made:
 *
 * <pre>
 * mvn -q -o -pl hydra-djl compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp hydra-djl/target/classes:$(cat /tmp/cp.txt) ai.hydra.data.SubsetTool fashion-mnist \
 *     /usr/share/datasets/fashion-mnist \
 *     hydra-djl/src/main/resources/ai/hydra/data/fashion-mnist-subset 200 40
 * </pre>
 */
public final class SubsetTool {

    private SubsetTool() {}

    /**
     * Runs the tool.
     *
     * @param args dataset (mnist or fashion-mnist), source directory, output directory, images per
     *     class from the training split, images per class from the test split
     * @throws IOException if reading or writing fails
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println(
                    "usage: SubsetTool mnist|fashion-mnist SOURCE_DIR OUT_DIR TRAIN_PER_CLASS"
                            + " TEST_PER_CLASS");
            System.exit(2);
        }
        DatasetName name = DatasetName.parse(args[0]);
        Path out = Paths.get(args[2]);
        Files.createDirectories(out);
        write(
                DatasetLoader.load(name, Split.TRAIN, Paths.get(args[1])),
                out,
                "train",
                Integer.parseInt(args[3]));
        write(
                DatasetLoader.load(name, Split.TEST, Paths.get(args[1])),
                out,
                "test",
                Integer.parseInt(args[4]));
    }

    /**
     * Returns the indices of the first {@code perClass} images of each class, in original order.
     *
     * @param labels the labels of the full split
     * @param numClasses the number of classes
     * @param perClass how many images to keep per class
     * @return ascending indices
     * @throws IllegalArgumentException if a class has fewer than {@code perClass} images
     */
    public static int[] firstPerClass(int[] labels, int numClasses, int perClass) {
        int[] taken = new int[numClasses];
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (taken[labels[i]] < perClass) {
                taken[labels[i]]++;
                chosen.add(i);
            }
        }
        for (int c = 0; c < numClasses; c++) {
            if (taken[c] < perClass) {
                throw new IllegalArgumentException(
                        "Class "
                                + c
                                + " has only "
                                + taken[c]
                                + " images, "
                                + perClass
                                + " requested");
            }
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void write(ImageData full, Path out, String split, int perClass)
            throws IOException {
        int[] indices = firstPerClass(full.labels(), full.numClasses(), perClass);
        String prefix = "train".equals(split) ? "train" : "t10k";
        IdxFormat.write(
                full.subset(indices),
                out.resolve(prefix + "-images-idx3-ubyte.gz"),
                out.resolve(prefix + "-labels-idx1-ubyte.gz"),
                true);
        StringBuilder text = new StringBuilder();
        text.append("# original ")
                .append(split)
                .append(" indices, first ")
                .append(perClass)
                .append(" per class, in subset order\n");
        for (int index : indices) {
            text.append(index).append('\n');
        }
        AtomicFiles.writeString(out.resolve(split + "-indices.txt"), text);
        System.out.println(split + ": " + indices.length + " images -> " + out);
    }
}
