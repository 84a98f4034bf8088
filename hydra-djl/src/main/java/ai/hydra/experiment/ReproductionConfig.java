package ai.hydra.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One preset of a reproduction experiment (the paper's Figs. 2-5, Tables 3-4, the speedup, and the
 * mislabeled-sample benchmark), read from a YAML file in {@code configs/reproduce/} (schema: {@code
 * configs/reproduce/README.md}).
 *
 * <p>The file names the experiment, its published values, its training runs (each an ordinary
 * {@link ExperimentConfig} tree: data, model, train, hydra) and its presets ({@code quick}, {@code
 * paper}, ...). A preset picks runs, overrides their training keys ({@code set} for all, {@code
 * perRun} for one), lists the seeds and holds the experiment's {@code settings}. Loading applies
 * command-line overrides and fails with a {@link ConfigException} that names the key, the file (and
 * run and preset) and the accepted values. Override keys:
 *
 * <ul>
 *   <li>{@code seeds=[1,2]}, {@code runs=[mnist]} (a subset, in order) and {@code settings.KEY=V}
 *       change the preset;
 *   <li>{@code perRun.RUN.KEY=V} changes one run's training config ({@code KEY} as in {@code
 *       configs/README.md});
 *   <li>any other key (e.g. {@code train.epochs=2}, {@code data.dir=/data/mnist}) changes every
 *       run's training config.
 * </ul>
 *
 * <pre>{@code
 * ReproductionConfig table3 = ReproductionConfig.load(
 *         Path.of("configs/reproduce/table3.yaml"), "quick", List.of("seeds=[1]"));
 * for (ReproductionConfig.Run run : table3.runs()) {
 *     for (long seed : table3.seeds()) {
 *         ExperimentConfig training = run.forSeed(seed);
 *         ...
 *     }
 * }
 * }</pre>
 *
 * @param experiment which experiment
 * @param title a human-readable title for reports
 * @param preset the preset's name
 * @param description what the preset is for and what it costs
 * @param seeds the repetitions; each run is trained once per seed (see {@link Run#forSeed})
 * @param runs the preset's training runs, in report order
 * @param settings the experiment-specific settings
 * @param published the published values to report beside the measured ones
 * @param source the file, for messages and reports
 */
public record ReproductionConfig(
        Experiment experiment,
        String title,
        String preset,
        String description,
        List<Long> seeds,
        List<Run> runs,
        ReproductionSettings settings,
        List<PublishedValue> published,
        String source) {

    private static final String[] TOP_LEVEL_KEYS = {
        "experiment", "title", "published", "runs", "presets"
    };
    private static final String[] PRESET_KEYS = {
        "description", "seeds", "runs", "set", "perRun", "settings"
    };

    /** The reproduction experiments, by their command and config names. */
    public enum Experiment {
        /** Fig. 2: inter-class contribution heatmaps. */
        FIG2,
        /** Figs. 3-5: approximation error, sign-error rate, Spearman vs Hessian-aware. */
        FIG3_5,
        /** Table 3: cleaning 80% wrong labels, retraining, accuracy. */
        TABLE3,
        /** Table 4: clustering contribution vectors, Jaccard. */
        TABLE4,
        /** The speedup of dropping the Hessian. */
        SPEEDUP,
        /** Mislabeled-sample detection against today's methods. */
        NOISY;

        /**
         * Returns the name used on the command line and as the config file's stem.
         *
         * @return e.g. {@code fig3-5}
         */
        public String configName() {
            return ConfigNode.configName(this);
        }

        /**
         * Looks an experiment up by its name.
         *
         * @param name e.g. {@code table3} (case-insensitive)
         * @return the experiment
         * @throws ConfigException if no experiment has that name; the message lists them
         */
        public static Experiment of(String name) {
            for (Experiment experiment : values()) {
                if (experiment.configName().equalsIgnoreCase(name.trim())) {
                    return experiment;
                }
            }
            throw new ConfigException(
                    "unknown experiment '"
                            + name
                            + "'; experiments: "
                            + String.join(
                                    ", ",
                                    Arrays.stream(values()).map(Experiment::configName).toList()));
        }
    }

    /**
     * One training run of a preset.
     *
     * @param name the run's name in the file (e.g. {@code mnist})
     * @param config its training configuration, preset and command-line overrides applied
     */
    public record Run(String name, ExperimentConfig config) {

        /**
         * Returns the run's configuration for one repetition: the seed replaces both {@code seed}
         * (initialization and shuffling) and {@code data.labelNoise.seed} (which labels are
         * corrupted), so repetitions vary both.
         *
         * @param seed the repetition's seed
         * @return the configuration
         */
        public ExperimentConfig forSeed(long seed) {
            return config.withOverrides(List.of("seed=" + seed, "data.labelNoise.seed=" + seed));
        }
    }

    /**
     * Returns the number of training images in a dataset's training file, the pool from which
     * training and held-out samples are taken.
     *
     * @param dataset one of {@link DataConfig#DATASETS}
     * @return 60,000 for MNIST and Fashion-MNIST, 50,000 for CIFAR-10, 2,000 for the bundled subset
     */
    public static int trainingFileSize(String dataset) {
        return switch (dataset) {
            case "mnist", "fashion-mnist" -> 60_000;
            case "cifar10" -> 50_000;
            case "bundled" -> 2_000;
            default -> throw new IllegalArgumentException("unknown dataset " + dataset);
        };
    }

    /**
     * Lists the presets a reproduction config file defines.
     *
     * @param file the YAML file
     * @return the preset names in file order
     * @throws ConfigException if the file cannot be read or is not a YAML mapping
     */
    public static List<String> presetNames(Path file) {
        Map<String, Object> tree = ExperimentConfig.readTree(read(file), file.toString());
        return new ConfigNode(new ConfigSource(file.toString()), "", tree)
                .section("presets")
                .keys();
    }

    /**
     * Loads one preset of a reproduction config file.
     *
     * @param file the YAML file
     * @param preset the preset's name, e.g. {@code quick}
     * @param overrides {@code key=value} strings (see the class documentation)
     * @return the validated preset
     * @throws ConfigException if the file cannot be read, has no such preset, or holds an invalid
     *     value
     */
    public static ReproductionConfig load(Path file, String preset, List<String> overrides) {
        return parse(read(file), file.toString(), preset, overrides);
    }

    private static String read(Path file) {
        return ExperimentConfig.readFile(
                file, "the experiments are defined in configs/reproduce/<experiment>.yaml");
    }

    /**
     * Parses one preset of a reproduction config.
     *
     * @param yamlText the YAML text
     * @param sourceName the name used in messages (usually the file path)
     * @param preset the preset's name
     * @param overrides {@code key=value} strings (see the class documentation)
     * @return the validated preset
     * @throws ConfigException if there is no such preset or a value is invalid
     */
    public static ReproductionConfig parse(
            String yamlText, String sourceName, String preset, List<String> overrides) {
        ConfigSource source = new ConfigSource(sourceName);
        Map<String, Object> tree = ExperimentConfig.readTree(yamlText, sourceName);
        ConfigNode root = new ConfigNode(source, "", tree).allowOnly(TOP_LEVEL_KEYS);
        if (!root.has("experiment")) {
            throw root.error(
                    "experiment",
                    "missing; one of "
                            + String.join(
                                    " | ",
                                    Arrays.stream(Experiment.values())
                                            .map(Experiment::configName)
                                            .toList()));
        }
        Experiment experiment = root.enumValue("experiment", Experiment.FIG2, Experiment.class);
        ConfigNode presets = root.section("presets");
        if (!presets.has(preset)) {
            throw new ConfigException(
                    "unknown preset '"
                            + preset
                            + "' in "
                            + sourceName
                            + "; presets there: "
                            + String.join(", ", presets.keys()));
        }
        String presetPath = "presets." + preset;
        Map<String, List<String>> runOverrides = new LinkedHashMap<>();
        List<String> allRunOverrides = new ArrayList<>();
        for (String override : overrides) {
            String key = Overrides.keyOf(override);
            if (key.equals("seeds") || key.equals("runs") || key.startsWith("settings.")) {
                Overrides.applyAt(tree, presetPath + "." + key, override, source);
            } else if (key.startsWith("perRun.") && key.split("\\.").length > 2) {
                String run = key.split("\\.")[1];
                String rest = override.substring("perRun.".length() + run.length() + 1);
                runOverrides.computeIfAbsent(run, r -> new ArrayList<>()).add(rest);
            } else {
                allRunOverrides.add(override);
            }
        }
        ConfigNode node = presets.section(preset).allowOnly(PRESET_KEYS);
        String where = sourceName + " (preset " + preset + ")";
        List<Run> runs = runs(root, node, where, experiment, runOverrides, allRunOverrides);
        List<PublishedValue> published = new ArrayList<>();
        for (ConfigNode value : root.sectionList("published")) {
            published.add(PublishedValue.from(value));
        }
        int[] seedList = node.integerList("seeds", 0, Integer.MAX_VALUE);
        List<Long> seeds = Arrays.stream(seedList).asLongStream().boxed().toList();
        if (seeds.isEmpty()) {
            throw node.error("seeds", "missing; list at least one seed, e.g. seeds: [1, 2, 3]");
        }
        return new ReproductionConfig(
                experiment,
                root.string("title", experiment.configName()),
                preset,
                node.string("description", ""),
                seeds,
                runs,
                ReproductionSettings.from(experiment, node.section("settings"), runs),
                List.copyOf(published),
                sourceName);
    }

    /** Builds the preset's runs: file tree, then preset overrides, then command-line overrides. */
    @SuppressWarnings("unchecked")
    private static List<Run> runs(
            ConfigNode root,
            ConfigNode preset,
            String where,
            Experiment experiment,
            Map<String, List<String>> runOverrides,
            List<String> allRunOverrides) {
        ConfigNode defined = root.section("runs");
        List<String> names = preset.stringList("runs");
        if (names.isEmpty()) {
            throw preset.error("runs", "missing; list the runs to make, from: " + defined.keys());
        }
        for (String name : names) {
            if (!defined.has(name)) {
                throw preset.error(
                        "runs", "no run '" + name + "' is defined; runs: " + defined.keys());
            }
        }
        for (String name : runOverrides.keySet()) {
            if (!names.contains(name)) {
                throw new ConfigException(
                        "bad override 'perRun."
                                + name
                                + ".…': the preset has no run '"
                                + name
                                + "'; its runs: "
                                + names);
            }
        }
        Map<String, Object> common = preset.flatSection("set");
        ConfigNode perRun = preset.section("perRun");
        perRun.allowOnly(defined.keys().toArray(new String[0]));
        List<Run> runs = new ArrayList<>();
        for (String name : names) {
            Map<String, Object> tree = deepCopy(defined.rawSection(name));
            String source = where.replace("(preset ", "(run " + name + ", preset ");
            Map<String, Object> changes = new LinkedHashMap<>(common);
            changes.putAll(perRun.flatSection(name));
            for (Map.Entry<String, Object> change : changes.entrySet()) {
                Overrides.put(
                        tree,
                        change.getKey(),
                        change.getValue(),
                        path ->
                                new ConfigException(
                                        "invalid override '"
                                                + change.getKey()
                                                + "' in "
                                                + source
                                                + ": '"
                                                + path
                                                + "' is a single value, not a section"));
            }
            List<String> overrides = new ArrayList<>(allRunOverrides);
            overrides.addAll(runOverrides.getOrDefault(name, List.of()));
            String text = ExperimentConfig.toYaml(tree);
            String defaultName = experiment.configName() + "-" + name;
            runs.add(new Run(name, ExperimentConfig.parse(text, source, defaultName, overrides)));
        }
        return List.copyOf(runs);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> deepCopy(Map<String, Object> map) {
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            Object value = entry.getValue();
            copy.put(
                    entry.getKey(),
                    value instanceof Map ? deepCopy((Map<String, Object>) value) : value);
        }
        return copy;
    }

    /**
     * Returns a published value.
     *
     * @param metric the metric, e.g. {@code accuracy}
     * @param dataset the dataset, e.g. {@code mnist}
     * @param method the method, e.g. {@code hydra}
     * @return the value, if the file lists one
     */
    public Optional<PublishedValue> publishedValue(String metric, String dataset, String method) {
        return published.stream()
                .filter(
                        p ->
                                p.metric().equals(metric)
                                        && p.dataset().equals(dataset)
                                        && p.method().equals(method))
                .findFirst();
    }

    /**
     * Returns a run by name.
     *
     * @param name the run's name
     * @return the run
     * @throws IllegalArgumentException if the preset has no such run
     */
    public Run run(String name) {
        return runs.stream()
                .filter(r -> r.name().equals(name))
                .findFirst()
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "no run '"
                                                + name
                                                + "' in preset "
                                                + preset
                                                + "; runs: "
                                                + runs.stream().map(Run::name).toList()));
    }
}
