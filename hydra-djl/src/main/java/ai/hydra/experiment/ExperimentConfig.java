package ai.hydra.experiment;

import ai.hydra.model.LeNet5;
import ai.hydra.model.Models;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * A complete, validated experiment description: data, model and training settings.
 *
 * <p>Configurations are YAML files (see {@code configs/README.md} for the schema) plus optional
 * {@code key=value} overrides with dotted keys, e.g. {@code train.epochs=2}. Loading fails with a
 * {@link ConfigException} naming the key, the file and the allowed values on unknown keys, wrong
 * types and out-of-range values. Missing keys take the documented defaults.
 *
 * <p>To add a section (e.g. {@code hydra:}), write a record with a {@code from(ConfigNode)} factory
 * and a {@code toMap()} method, add the key to {@link #TOP_LEVEL_KEYS} and a component here.
 *
 * @param name the experiment name, used for output folders and reports
 * @param seed the random seed for initialization and shuffling
 * @param data the data section
 * @param model the model name, one of {@link #MODELS}
 * @param train the training section
 * @param hydra the attribution section
 * @param source a description of where this configuration came from (file name)
 */
public record ExperimentConfig(
        String name,
        long seed,
        DataConfig data,
        String model,
        TrainConfig train,
        HydraConfig hydra,
        String source) {

    /** The accepted values of {@code model}: the names of {@link Models#NAMES}. */
    public static final String[] MODELS = Models.NAMES.toArray(new String[0]);

    /**
     * The keys that do not change what a checkpoint holds, so a resumed run may change them: where
     * things are read from or written to, how much is reported, the number of epochs (the learning
     * rates the steps taken used are checked by themselves) and the device.
     */
    private static final Set<String> NOT_CHECKPOINTED =
            Set.of(
                    "name",
                    "data.dir",
                    "data.testLimit",
                    "train.epochs",
                    "train.device",
                    "hydra.store",
                    "hydra.storeDir",
                    "hydra.testSamples",
                    "hydra.topK",
                    "hydra.checkpointDir");

    private static final String[] TOP_LEVEL_KEYS = {
        "name", "seed", "data", "model", "train", "hydra"
    };

    /**
     * Loads a configuration file and applies overrides.
     *
     * @param yaml the YAML file
     * @param overrides {@code key=value} strings with dotted keys; values are parsed as YAML (so
     *     {@code null}, numbers, booleans and {@code [1, 2]} lists work)
     * @return the validated configuration
     * @throws ConfigException if the file cannot be read or holds invalid values
     */
    public static ExperimentConfig load(Path yaml, List<String> overrides) {
        String text =
                readFile(
                        yaml,
                        "give a path to a YAML file, e.g. configs/lenet5-fashion-bundled.yaml");
        String fileName = yaml.getFileName() == null ? "experiment" : yaml.getFileName().toString();
        String defaultName = fileName.replaceFirst("\\.ya?ml$", "");
        return parse(text, yaml.toString(), defaultName, overrides);
    }

    /** Reads a config file; {@code hint} tells a user who named a missing file what to give. */
    static String readFile(Path yaml, String hint) {
        try {
            return ConfigYaml.decodeUtf8(Files.readAllBytes(yaml), yaml.toString());
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file not found: " + yaml + " (" + hint + ")", e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + yaml + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses configuration text and applies overrides.
     *
     * @param yamlText the YAML text
     * @param sourceName the name used in error messages (usually the file path)
     * @param defaultName the experiment name used when the text has no {@code name}
     * @param overrides {@code key=value} strings with dotted keys
     * @return the validated configuration
     * @throws ConfigException if the text holds invalid values
     */
    public static ExperimentConfig parse(
            String yamlText, String sourceName, String defaultName, List<String> overrides) {
        ConfigSource source = new ConfigSource(sourceName);
        Map<String, Object> tree = readTree(yamlText, sourceName);
        for (String override : overrides) {
            Overrides.apply(tree, override, source);
        }
        return from(new ConfigNode(source, "", tree), sourceName, defaultName);
    }

    private static ExperimentConfig from(ConfigNode root, String sourceName, String defaultName) {
        root.allowOnly(TOP_LEVEL_KEYS);
        String name = root.string("name", defaultName);
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw root.error(
                    "name", "use only letters, digits, '.', '_' and '-', got '" + name + "'");
        }
        DataConfig data = DataConfig.from(root.section("data"));
        String model = root.choice("model", "lenet5", MODELS);
        boolean grayscale28 = Models.inputShape(model).equals(LeNet5.INPUT_SHAPE);
        if (grayscale28 != data.isGrayscale28()) {
            throw root.error(
                    "model",
                    "model "
                            + model
                            + " does not fit data.dataset "
                            + data.dataset()
                            + "; use lenet5, logistic-regression or mlp with mnist, fashion-mnist"
                            + " or bundled, and "
                            + "densenet-bc-40 with cifar10");
        }
        TrainConfig train = TrainConfig.from(root.section("train"));
        HydraConfig hydra = HydraConfig.from(root.section("hydra"));
        return new ExperimentConfig(
                name, root.longValue("seed", 42), data, model, train, hydra, sourceName);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readTree(String text, String sourceName) {
        Object document;
        try {
            document = ConfigYaml.loader().load(text);
        } catch (DuplicateKeyException e) {
            throw new ConfigException(
                    "config file " + sourceName + " " + ConfigYaml.describe(e), e);
        } catch (YAMLException e) {
            throw new ConfigException(
                    "config file "
                            + sourceName
                            + " is not valid YAML: "
                            + e.getMessage().replace('\n', ' '),
                    e);
        }
        if (document == null) {
            return new LinkedHashMap<>();
        }
        if (!(document instanceof Map)) {
            throw new ConfigException(
                    "config file "
                            + sourceName
                            + " must be a YAML mapping (key: value lines), e.g. 'model: lenet5'");
        }
        return (Map<String, Object>) document;
    }

    /**
     * Returns a copy of this configuration with more overrides applied.
     *
     * @param overrides {@code key=value} strings with dotted keys
     * @return the new configuration
     * @throws ConfigException if an override is invalid
     */
    public ExperimentConfig withOverrides(List<String> overrides) {
        String text = toYaml();
        return parse(text, source, name, overrides);
    }

    /**
     * Returns the effective configuration as nested maps (all defaults filled in).
     *
     * @return a mutable map that reads back to an equal configuration
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", name);
        map.put("seed", seed);
        map.put("data", data.toMap());
        map.put("model", model);
        map.put("train", train.toMap());
        map.put("hydra", hydra.toMap());
        return map;
    }

    /**
     * Returns the settings a checkpoint of this experiment records and a resumed run must repeat:
     * every key with its effective value, by dotted name, except those that only say where data and
     * results live, how much is reported, on which device and for how many epochs.
     *
     * @return dotted key to value, sorted by key
     */
    public Map<String, String> checkpointedSettings() {
        Map<String, Object> flat = new LinkedHashMap<>();
        ConfigNode.flatten("", toMap(), flat);
        Map<String, String> settings = new TreeMap<>();
        flat.forEach(
                (key, value) -> {
                    if (!NOT_CHECKPOINTED.contains(key)) {
                        settings.put(key, String.valueOf(value));
                    }
                });
        return settings;
    }

    /**
     * Returns the effective configuration as YAML text.
     *
     * @return YAML in block style
     */
    public String toYaml() {
        return toYaml(toMap());
    }

    /**
     * Writes nested maps as block-style YAML.
     *
     * @param map the values to write
     * @return the YAML text
     */
    public static String toYaml(Map<String, Object> map) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setIndent(2);
        return new Yaml(options).dump(map);
    }

    /**
     * Reads the YAML written by {@link #toYaml()} or any config file from a reader.
     *
     * @param reader the YAML text
     * @param sourceName the name used in error messages
     * @return the validated configuration
     * @throws IOException if reading fails
     */
    public static ExperimentConfig read(Reader reader, String sourceName) throws IOException {
        StringBuilder text = new StringBuilder();
        char[] buffer = new char[8192];
        for (int n = reader.read(buffer); n >= 0; n = reader.read(buffer)) {
            text.append(buffer, 0, n);
        }
        return parse(text.toString(), sourceName, "experiment", List.of());
    }
}
