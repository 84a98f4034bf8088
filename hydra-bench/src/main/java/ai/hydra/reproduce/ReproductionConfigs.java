package ai.hydra.reproduce;

import ai.hydra.data.DatasetLoader;
import ai.hydra.data.DatasetName;
import ai.hydra.experiment.ConfigException;
import ai.hydra.experiment.DataConfig;
import ai.hydra.experiment.ReproductionConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds and loads the experiment definitions ({@code configs/reproduce/<experiment>.yaml}) and
 * checks, before anything trains, that every dataset a preset needs is at hand.
 */
public final class ReproductionConfigs {

    /** The folder of the definitions, relative to the working directory or the installation. */
    public static final String FOLDER = "configs/reproduce";

    private ReproductionConfigs() {}

    /**
     * Loads one preset of an experiment: from {@code configs/reproduce/} in the working directory,
     * else in the installation ({@code -Dhydra.home}, set by the {@code ./hydra} launcher), else
     * from the copy packaged in the jar.
     *
     * @param experiment the experiment
     * @param preset the preset's name, e.g. {@code quick}
     * @param overrides {@code key=value} overrides
     * @return the validated preset
     * @throws ConfigException if the file or preset is missing or a value is invalid
     */
    public static ReproductionConfig load(
            ReproductionConfig.Experiment experiment, String preset, List<String> overrides) {
        String name = experiment.configName() + ".yaml";
        for (Path candidate : candidates(name)) {
            if (Files.isRegularFile(candidate)) {
                return ReproductionConfig.load(candidate, preset, overrides);
            }
        }
        return ReproductionConfig.parse(packaged(name), FOLDER + "/" + name, preset, overrides);
    }

    /**
     * Reads a file of the definitions folder packaged in the jar (e.g. {@code rates.yaml}), or the
     * one on disk if there is one (see {@link #load}).
     *
     * @param name the file name
     * @return its text
     * @throws ConfigException if it is nowhere
     */
    public static String read(String name) {
        for (Path candidate : candidates(name)) {
            if (Files.isRegularFile(candidate)) {
                try {
                    return Files.readString(candidate, StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new ConfigException("cannot read " + candidate + ": " + e.getMessage());
                }
            }
        }
        return packaged(name);
    }

    private static List<Path> candidates(String name) {
        List<Path> paths = new ArrayList<>();
        paths.add(Path.of(FOLDER, name));
        String home = System.getProperty("hydra.home");
        if (home != null) {
            paths.add(Path.of(home, FOLDER, name));
        }
        return paths;
    }

    private static String packaged(String name) {
        String resource = FOLDER + "/" + name;
        try (InputStream in =
                ReproductionConfigs.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ConfigException(
                        resource
                                + " not found in "
                                + Path.of("").toAbsolutePath()
                                + ", in the installation or in the jar: run hydra from the"
                                + " project folder or through its ./hydra launcher");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("cannot read the packaged " + resource, e);
        }
    }

    /**
     * Checks that the datasets of every run are available locally (or may be downloaded), so that a
     * reproduction fails at once rather than after hours of other runs.
     *
     * @param config the preset
     * @throws ConfigException naming the dataset, where it was looked for and how to provide it
     */
    public static void requireData(ReproductionConfig config) {
        for (ReproductionConfig.Run run : config.runs()) {
            DataConfig data = run.config().data();
            if ("bundled".equals(data.dataset())) {
                continue;
            }
            DatasetName name = DatasetName.parse(data.dataset());
            if (data.dir() != null) {
                if (!Files.isDirectory(data.dir())) {
                    throw new ConfigException(
                            "run '"
                                    + run.name()
                                    + "' reads "
                                    + data.dataset()
                                    + " from data.dir "
                                    + data.dir()
                                    + ", which is not a folder. "
                                    + howToProvide(name));
                }
                continue;
            }
            Optional<Path> found = DatasetLoader.defaultLocation(name);
            if (found.isEmpty() && Boolean.parseBoolean(System.getProperty("ai.djl.offline"))) {
                throw new ConfigException(
                        "run '"
                                + run.name()
                                + "' needs "
                                + data.dataset()
                                + ", which was not found: looked in "
                                + lookedIn(name)
                                + ", and DJL may not download it (offline). "
                                + howToProvide(name));
            }
        }
    }

    private static String lookedIn(DatasetName name) {
        String property = System.getProperty(DatasetLoader.DATA_DIR_PROPERTY);
        String env = System.getenv(DatasetLoader.DATA_DIR_ENV);
        List<String> places = new ArrayList<>();
        places.add("data.dir (not set)");
        if (property != null && !property.isBlank()) {
            places.add(Path.of(property, name.directoryName()) + " (-D" + "hydra.data.dir)");
        } else if (env != null && !env.isBlank()) {
            places.add(
                    Path.of(env, name.directoryName()) + " ($" + DatasetLoader.DATA_DIR_ENV + ")");
        } else {
            places.add(
                    "$" + DatasetLoader.DATA_DIR_ENV + "/" + name.directoryName() + " (not set)");
        }
        if (name == DatasetName.FASHION_MNIST) {
            places.add(DatasetLoader.DEBIAN_FASHION_MNIST.toString());
        }
        return String.join(", ", places);
    }

    private static String howToProvide(DatasetName name) {
        String files =
                name == DatasetName.CIFAR10
                        ? "the CIFAR-10 binary batches (data_batch_1.bin ... test_batch.bin) or an"
                                + " image tree train/<class>/*.png|jpg and test/<class>/..."
                        : "the four IDX files (train-images-idx3-ubyte[.gz], ...)";
        return "Provide it with --set data.dir=DIR (a folder holding "
                + files
                + "), or HYDRA_DATA_DIR=ROOT holding "
                + name.directoryName()
                + "/, or let DJL download it with HYDRA_OFFLINE=false (README: Using the full"
                + " datasets).";
    }
}
