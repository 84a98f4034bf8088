package ai.hydra.experiment;

import ai.hydra.data.BundledData;
import ai.hydra.data.DatasetLoader;
import ai.hydra.data.DatasetName;
import ai.hydra.data.ImageData;
import ai.hydra.data.LabelNoise;
import ai.hydra.data.NoisyLabels;
import ai.hydra.data.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;

/**
 * The host-side data of an experiment: training and test splits after the config's limits and label
 * noise.
 *
 * @param train the training split (labels possibly corrupted)
 * @param test the test split
 * @param noise the label corruption applied to {@code train}, or null when none
 */
public record ExperimentData(ImageData train, ImageData test, NoisyLabels noise) {

    /**
     * Loads the data a configuration describes.
     *
     * @param config the data section
     * @param source where the config came from, for error messages
     * @return the splits
     * @throws IOException if the files cannot be read or downloaded
     * @throws ConfigException if a limit asks for more samples than the split holds, or the label
     *     noise chooses no sample
     */
    public static ExperimentData load(DataConfig config, String source) throws IOException {
        ImageData train = limit(read(config, Split.TRAIN, source), config, Split.TRAIN, source);
        ImageData test = limit(read(config, Split.TEST, source), config, Split.TEST, source);
        LabelNoiseConfig noiseConfig = config.labelNoise();
        if (!noiseConfig.isActive()) {
            return new ExperimentData(train, test, null);
        }
        NoisyLabels noise =
                noiseConfig.mode() == LabelNoiseConfig.Mode.PERMUTE
                        ? LabelNoise.permute(
                                train.labels(), noiseConfig.fraction(), noiseConfig.seed())
                        : LabelNoise.wrongLabels(
                                train.labels(),
                                noiseConfig.fraction(),
                                train.numClasses(),
                                noiseConfig.seed());
        if (noise.chosenIndices().length == 0) {
            throw new ConfigException(
                    "data.labelNoise.fraction "
                            + noiseConfig.fraction()
                            + " (config "
                            + source
                            + ") of "
                            + train.size()
                            + " training samples chooses no training sample; use at least "
                            + 1.0 / train.size()
                            + ", or mode: none");
        }
        return new ExperimentData(train.withLabels(noise.labels()), test, noise);
    }

    /**
     * Loads clean held-out samples: the {@code count} samples of the training file right after the
     * run's training samples (indices {@code trainLimit} to {@code trainLimit + count - 1}), with
     * their original labels (label noise only corrupts the training samples). Experiments that
     * select or clean training data compute contributions against these, never against the test
     * set.
     *
     * @param config the data section; {@code trainLimit} must be set
     * @param source where the config came from, for error messages
     * @param count how many samples to hold out
     * @return the held-out samples, indexed from 0
     * @throws IOException if the files cannot be read or downloaded
     * @throws ConfigException if {@code trainLimit} is not set or the training file has fewer than
     *     {@code trainLimit + count} samples
     */
    public static ImageData heldOut(DataConfig config, String source, int count)
            throws IOException {
        Integer first = config.trainLimit();
        if (first == null) {
            throw new ConfigException(
                    "held-out samples are taken after the training samples, so data.trainLimit"
                            + " must be set (config "
                            + source
                            + ")");
        }
        ImageData file = read(config, Split.TRAIN, source);
        if ((long) first + count > file.size()) {
            throw new ConfigException(
                    "data.trainLimit "
                            + first
                            + " plus "
                            + count
                            + " held-out samples exceeds the "
                            + file.size()
                            + " training images of "
                            + config.dataset()
                            + " (config "
                            + source
                            + "); lower data.trainLimit to at most "
                            + (file.size() - count));
        }
        return file.subset(IntStream.range(first, first + count).toArray());
    }

    private static ImageData read(DataConfig config, Split split, String source)
            throws IOException {
        if ("bundled".equals(config.dataset())) {
            return split == Split.TRAIN ? BundledData.train() : BundledData.test();
        }
        DatasetName name = DatasetName.parse(config.dataset());
        Path dir = config.dir();
        if (dir != null) {
            if (!Files.isDirectory(dir)) {
                throw new ConfigException(
                        "data.dir "
                                + dir
                                + " (in "
                                + source
                                + ") is not a "
                                + "folder; give the folder holding the "
                                + name.directoryName()
                                + " files, e.g. --set data.dir=/data/"
                                + name.directoryName());
            }
            return DatasetLoader.load(name, split, dir);
        }
        if (DatasetLoader.defaultLocation(name).isPresent()) {
            return DatasetLoader.load(name, split);
        }
        try {
            return DatasetLoader.loadWithDjl(name, split);
        } catch (IOException | RuntimeException e) {
            throw new IOException(
                    "no local copy of "
                            + name.directoryName()
                            + " found and DJL "
                            + "could not download it"
                            + (Boolean.getBoolean("ai.djl.offline") ? " (offline mode)" : "")
                            + ". Pass --set data.dir=DIR (the folder with the dataset files), set "
                            + DatasetLoader.DATA_DIR_ENV
                            + " to a folder holding "
                            + name.directoryName()
                            + "/, or run online with HYDRA_OFFLINE=false",
                    e);
        }
    }

    /** Keeps the first {@code data.trainLimit} (testLimit) samples; refuses more than there are. */
    private static ImageData limit(ImageData data, DataConfig config, Split split, String source) {
        boolean train = split == Split.TRAIN;
        Integer limit = train ? config.trainLimit() : config.testLimit();
        if (limit == null) {
            return data;
        }
        if (limit > data.size()) {
            throw new ConfigException(
                    "data."
                            + (train ? "trainLimit" : "testLimit")
                            + " is "
                            + limit
                            + " (config "
                            + source
                            + " or its --set overrides) but "
                            + config.dataset()
                            + " has only "
                            + data.size()
                            + (train ? " training" : " test")
                            + " images; use at most "
                            + data.size()
                            + ", or null for all");
        }
        return limit == data.size() ? data : data.subset(IntStream.range(0, limit).toArray());
    }
}
