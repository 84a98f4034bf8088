package ai.hydra.experiment;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code data} section: which dataset to train on, where its files are, and optional subsets
 * and label noise.
 *
 * @param dataset one of {@link #DATASETS}
 * @param dir the folder holding the dataset files, or null for the bundled data, auto-detection or
 *     DJL's download
 * @param trainLimit if not null, only the first that many training samples are used
 * @param testLimit if not null, only the first that many test samples are used
 * @param labelNoise training label corruption
 */
public record DataConfig(
        String dataset,
        Path dir,
        Integer trainLimit,
        Integer testLimit,
        LabelNoiseConfig labelNoise) {

    /** The accepted values of {@code data.dataset}. */
    public static final String[] DATASETS = {"mnist", "fashion-mnist", "cifar10", "bundled"};

    static DataConfig from(ConfigNode node) {
        node.allowOnly("dataset", "dir", "trainLimit", "testLimit", "labelNoise");
        String dataset = node.choice("dataset", "bundled", DATASETS);
        Path dir = node.path("dir");
        if ("bundled".equals(dataset) && dir != null) {
            throw node.error(
                    "dir",
                    "data.dataset is bundled, which ships in the jar and reads no folder; to read "
                            + dir
                            + " set data.dataset to mnist, fashion-mnist or cifar10, otherwise"
                            + " remove data.dir");
        }
        return new DataConfig(
                dataset,
                dir,
                node.optionalInteger("trainLimit", 1, Integer.MAX_VALUE),
                node.optionalInteger("testLimit", 1, Integer.MAX_VALUE),
                LabelNoiseConfig.from(node.section("labelNoise")));
    }

    /** Returns true if the data are 28x28 grayscale images (MNIST-like). */
    public boolean isGrayscale28() {
        return !"cifar10".equals(dataset);
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("dataset", dataset);
        map.put("dir", dir == null ? null : dir.toString());
        map.put("trainLimit", trainLimit);
        map.put("testLimit", testLimit);
        map.put("labelNoise", labelNoise.toMap());
        return map;
    }
}
