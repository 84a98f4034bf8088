package ai.hydra.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.hydra.experiment.ReproductionConfig.Experiment;
import ai.hydra.experiment.ReproductionSettings.CleaningSettings;
import ai.hydra.experiment.ReproductionSettings.ClusteringMethod;
import ai.hydra.experiment.ReproductionSettings.Method;
import ai.hydra.experiment.ReproductionSettings.NoisyLabelSettings;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReproductionConfigTest {

    private static final Path REPRODUCE = Path.of("..", "configs", "reproduce");

    /** A small valid file; tests break it one key at a time. */
    private static final String TABLE3 =
            """
            experiment: table3
            title: cleaning
            published:
              - {metric: accuracy, dataset: mnist, method: hydra, value: 98.31}
            runs:
              mnist:
                model: lenet5
                data: {dataset: mnist, trainLimit: 50000, labelNoise: {mode: permute, fraction: 0.8}}
                train: {epochs: 10}
              fashion-mnist:
                model: lenet5
                data: {dataset: fashion-mnist, trainLimit: 50000}
            presets:
              quick:
                seeds: [1, 2]
                runs: [mnist, fashion-mnist]
                set: {data.trainLimit: 5000, train: {batchSize: 32}}
                perRun: {mnist: {train.epochs: 3}}
                settings: {heldOut: 1000, methods: [hydra-hessian-free, random]}
              paper:
                seeds: [1]
                runs: [mnist]
            """;

    private static ReproductionConfig parse(String text, String... overrides) {
        return ReproductionConfig.parse(text, "t3.yaml", "quick", List.of(overrides));
    }

    private static String error(String text, String... overrides) {
        return assertThrows(ConfigException.class, () -> parse(text, overrides)).getMessage();
    }

    @Test
    void everyShippedPresetLoads() {
        for (Experiment experiment : Experiment.values()) {
            Path file = REPRODUCE.resolve(experiment.configName() + ".yaml");
            List<String> presets = ReproductionConfig.presetNames(file);
            assertEquals(List.of("quick", "paper", "tiny"), presets, file.toString());
            for (String preset : presets) {
                ReproductionConfig config = ReproductionConfig.load(file, preset, List.of());
                assertEquals(experiment, config.experiment(), file.toString());
                assertTrue(!config.runs().isEmpty() && !config.seeds().isEmpty());
                assertTrue(!config.description().isBlank(), file + " " + preset);
            }
        }
    }

    @Test
    void theShippedQuickPresetsUseSubsets() {
        ReproductionConfig table3 =
                ReproductionConfig.load(REPRODUCE.resolve("table3.yaml"), "quick", List.of());
        ExperimentConfig mnist = table3.run("mnist").config();
        assertEquals(5000, mnist.data().trainLimit());
        assertEquals(LabelNoiseConfig.Mode.PERMUTE, mnist.data().labelNoise().mode());
        assertEquals(0.8, mnist.data().labelNoise().fraction());
        assertEquals(1000, ((CleaningSettings) table3.settings()).heldOut());
        assertEquals(
                98.31, table3.publishedValue("accuracy", "mnist", "hydra").orElseThrow().value());
        ReproductionConfig noisy =
                ReproductionConfig.load(REPRODUCE.resolve("noisy.yaml"), "quick", List.of());
        assertEquals("mlp", noisy.run("mnist-mlp").config().model());
        assertEquals(20, noisy.run("mnist-mlp").config().train().epochs());
        NoisyLabelSettings settings = (NoisyLabelSettings) noisy.settings();
        assertArrayEquals(new double[] {0.1, 0.2}, settings.inspectFractions());
        assertEquals(0.05, settings.outlierContamination());
        assertEquals(List.of(Method.values()), settings.methods());
        assertEquals(
                List.of(ClusteringMethod.values()),
                ((ReproductionSettings.ClusteringSettings)
                                ReproductionConfig.load(
                                                REPRODUCE.resolve("table4.yaml"),
                                                "quick",
                                                List.of())
                                        .settings())
                        .clusterings());
    }

    @Test
    void presetOverridesApplyInOrder() {
        ReproductionConfig config = parse(TABLE3);
        assertEquals(List.of(1L, 2L), config.seeds());
        ExperimentConfig mnist = config.run("mnist").config();
        assertEquals(5000, mnist.data().trainLimit(), "set, dotted");
        assertEquals(32, mnist.train().batchSize(), "set, nested");
        assertEquals(3, mnist.train().epochs(), "perRun");
        assertEquals("table3-mnist", mnist.name());
        assertEquals(3, config.run("fashion-mnist").config().train().epochs(), "default");
        assertEquals(
                List.of(Method.HYDRA_HESSIAN_FREE, Method.RANDOM), config.settings().methods());
        assertEquals(0.8, mnist.data().labelNoise().fraction());
    }

    @Test
    void commandLineOverridesReachPresetAndRuns() {
        ReproductionConfig config =
                parse(
                        TABLE3,
                        "seeds=[7]",
                        "runs=[mnist]",
                        "settings.heldOut=500",
                        "train.epochs=2",
                        "perRun.mnist.data.testLimit=100");
        assertEquals(List.of(7L), config.seeds());
        assertEquals(List.of("mnist"), config.runs().stream().map(r -> r.name()).toList());
        ReproductionConfig fashionOnly = parse(TABLE3, "runs=[fashion-mnist]");
        assertEquals(1, fashionOnly.runs().size(), "perRun of an unselected run is fine");
        assertEquals(500, ((CleaningSettings) config.settings()).heldOut());
        ExperimentConfig mnist = config.run("mnist").config();
        assertEquals(2, mnist.train().epochs(), "the command line beats perRun");
        assertEquals(100, mnist.data().testLimit());
    }

    @Test
    void aSeedReplacesBothSeeds() {
        ExperimentConfig seeded = parse(TABLE3).run("mnist").forSeed(11);
        assertEquals(11, seeded.seed());
        assertEquals(11, seeded.data().labelNoise().seed());
        assertEquals(3, seeded.train().epochs());
    }

    @Test
    void errorsNameTheKeyTheFileAndThePreset() {
        String message = error(TABLE3.replace("title:", "titel:"));
        assertTrue(message.contains("unknown key 'titel' in t3.yaml"), message);
        assertTrue(message.contains("experiment, title, published, runs, presets"), message);

        message =
                assertThrows(
                                ConfigException.class,
                                () ->
                                        ReproductionConfig.parse(
                                                TABLE3, "t3.yaml", "fast", List.of()))
                        .getMessage();
        assertEquals("unknown preset 'fast' in t3.yaml; presets there: quick, paper", message);

        message = error(TABLE3.replace("experiment: table3", "experiment: table5"));
        assertTrue(message.contains("'experiment' in t3.yaml"), message);
        assertTrue(message.contains("fig2 | fig3-5 | table3 | table4 | speedup | noisy"), message);

        message = error(TABLE3.replace("seeds: [1, 2]", "seeds: one"));
        assertTrue(message.contains("invalid 'presets.quick.seeds' in t3.yaml"), message);

        message = error(TABLE3.replace("heldOut: 1000", "heldOut: 1000, heldout: 3"));
        assertTrue(message.contains("unknown key 'presets.quick.settings.heldout'"), message);

        message =
                error(
                        TABLE3.replace(
                                "trainLimit: 50000}\n",
                                "trainLimit: 50000}\n    train: {epochs: ten}\n"));
        assertTrue(
                message.contains(
                        "invalid 'train.epochs' in t3.yaml (run fashion-mnist, preset quick)"),
                message);

        message = error(TABLE3, "seeds=[1");
        assertTrue(message.startsWith("bad override 'seeds=[1'"), message);

        message = error(TABLE3, "settings.heldOut=abc");
        assertTrue(message.contains("from --set settings.heldOut=abc (config t3.yaml)"), message);

        message = error(TABLE3, "perRun.cifar10.train.epochs=1");
        assertTrue(message.contains("the preset has no run 'cifar10'"), message);

        message = error(TABLE3.replace("random]", "tracin-cp]"));
        assertTrue(message.contains("tracin-cp is not available in this experiment"), message);

        message = error(TABLE3.replace("runs: [mnist, fashion-mnist]", "runs: [mnist, svhn]"));
        assertTrue(message.contains("no run 'svhn' is defined"), message);
    }

    @Test
    void heldOutSamplesMustFitAfterTheTrainingSamples() {
        String message = error(TABLE3, "perRun.mnist.data.trainLimit=59500");
        assertTrue(message.contains("'presets.quick.settings.heldOut'"), message);
        assertTrue(message.contains("set its data.trainLimit to at most 59000"), message);
        message = error(TABLE3, "data.trainLimit=null");
        assertTrue(message.contains("(now all)"), message);
    }

    @Test
    void unknownExperimentNamesListTheKnownOnes() {
        ConfigException e = assertThrows(ConfigException.class, () -> Experiment.of("table5"));
        assertEquals(
                "unknown experiment 'table5'; experiments: fig2, fig3-5, table3, table4, speedup,"
                        + " noisy",
                e.getMessage());
        assertEquals(Experiment.FIG3_5, Experiment.of("FIG3-5"));
    }
}
