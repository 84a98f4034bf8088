package ai.hydra.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentConfigTest {

    private static final Path CONFIGS = Path.of("..", "configs");

    @TempDir Path tmp;

    @Test
    void loadsTheBundledDemoConfig() {
        ExperimentConfig config =
                ExperimentConfig.load(CONFIGS.resolve("lenet5-fashion-bundled.yaml"), List.of());
        assertEquals("lenet5-fashion-bundled", config.name());
        assertEquals(42, config.seed());
        assertEquals("bundled", config.data().dataset());
        assertNull(config.data().dir());
        assertEquals(LabelNoiseConfig.Mode.NONE, config.data().labelNoise().mode());
        assertEquals("lenet5", config.model());
        assertEquals(3, config.train().epochs());
        assertEquals(64, config.train().batchSize());
        assertEquals(DataType.FLOAT32, config.train().precision().dataType());
        assertEquals(TrainConfig.DeviceChoice.AUTO, config.train().device());
        assertEquals(0.05, config.train().optimizer().learningRate(), 1e-12);
        assertEquals(0.0005, config.train().optimizer().weightDecay(), 1e-12);
        assertEquals(ScheduleConfig.Type.STEP, config.train().schedule().type());
        assertEquals(0.5, config.train().schedule().factor(), 1e-12);
    }

    @Test
    void loadsEveryShippedConfig() throws IOException {
        try (var files = Files.list(CONFIGS)) {
            List<Path> yamls = files.filter(p -> p.toString().endsWith(".yaml")).toList();
            assertTrue(yamls.size() >= 4, "configs: " + yamls);
            for (Path yaml : yamls) {
                ExperimentConfig config = ExperimentConfig.load(yaml, List.of());
                assertEquals(yaml.getFileName().toString(), config.name() + ".yaml");
            }
        }
        ExperimentConfig densenet =
                ExperimentConfig.load(CONFIGS.resolve("densenet40-cifar10.yaml"), List.of());
        assertArrayEquals(new int[] {150, 225}, densenet.train().schedule().milestones());
    }

    @Test
    void appliesOverrides() {
        ExperimentConfig config =
                ExperimentConfig.load(
                        CONFIGS.resolve("lenet5-fashion-bundled.yaml"),
                        List.of(
                                "train.epochs=1",
                                "data.trainLimit=500",
                                "data.dataset=fashion-mnist",
                                "data.dir=/tmp/fm",
                                "train.dtype=float64",
                                "train.optimizer.learningRate=1e-3",
                                "train.schedule.type=multistep",
                                "train.schedule.milestones=[1, 2]",
                                "data.labelNoise.mode=wrong",
                                "data.labelNoise.fraction=0.1"));
        assertEquals(1, config.train().epochs());
        assertEquals(500, config.data().trainLimit());
        assertEquals("fashion-mnist", config.data().dataset());
        assertEquals(Path.of("/tmp/fm"), config.data().dir());
        assertEquals(DataType.FLOAT64, config.train().precision().dataType());
        assertEquals(1e-3, config.train().optimizer().learningRate(), 1e-15);
        assertArrayEquals(new int[] {1, 2}, config.train().schedule().milestones());
        assertEquals(LabelNoiseConfig.Mode.WRONG, config.data().labelNoise().mode());
        assertTrue(config.data().labelNoise().isActive());
    }

    @Test
    void fillsDefaultsAndRoundTrips() throws IOException {
        Path file = write("minimal.yaml", "model: lenet5\n");
        ExperimentConfig config = ExperimentConfig.load(file, List.of());
        assertEquals("minimal", config.name());
        assertEquals("bundled", config.data().dataset());
        assertEquals(ScheduleConfig.Type.CONSTANT, config.train().schedule().type());
        ExperimentConfig again = config.withOverrides(List.of());
        assertEquals(config.toMap(), again.toMap());
        assertEquals(config.train(), again.train());
    }

    @Test
    void missingFileNamesTheFile() {
        Path missing = tmp.resolve("nope.yaml");
        ConfigException e = loadFails(missing);
        assertTrue(e.getMessage().contains("config file not found: " + missing), e.getMessage());
    }

    @Test
    void unknownKeyNamesKeyFileAndAllowedKeys() throws IOException {
        Path file = write("bad.yaml", "train:\n  epochz: 3\n");
        String message = error(file);
        assertTrue(message.contains("unknown key 'train.epochz'"), message);
        assertTrue(message.contains(file.toString()), message);
        assertTrue(
                message.contains("epochs, batchSize, dtype, device, optimizer, schedule"), message);
    }

    @Test
    void unknownTopLevelKey() throws IOException {
        String message = error(write("bad.yaml", "modle: lenet5\n"));
        assertTrue(message.contains("unknown key 'modle'"), message);
        assertTrue(message.contains("name, seed, data, model, train"), message);
    }

    @Test
    void wrongTypeNamesKeyAndExpectedType() throws IOException {
        Path file = write("bad.yaml", "train:\n  epochs: three\n");
        String message = error(file);
        assertTrue(message.contains("'train.epochs' in " + file), message);
        assertTrue(message.contains("expected an integer from 1 to 100000, got 'three'"), message);
    }

    @Test
    void outOfRangeValue() throws IOException {
        String message =
                error(write("bad.yaml", "data:\n  labelNoise: {mode: permute, fraction: 1.5}\n"));
        assertTrue(message.contains("'data.labelNoise.fraction'"), message);
        assertTrue(message.contains("expected a number from 0 to 1, got 1.5"), message);
    }

    @Test
    void badChoiceListsAllowedValues() throws IOException {
        String message = error(write("bad.yaml", "data:\n  dataset: imagenet\n"));
        assertTrue(message.contains("'data.dataset'"), message);
        assertTrue(message.contains("one of mnist | fashion-mnist | cifar10 | bundled"), message);
        message = error(write("bad2.yaml", "model: resnet\n"));
        assertTrue(message.contains("one of lenet5 | densenet-bc-40"), message);
    }

    @Test
    void exactModeReadsItsKeysAndRefusesListenerOnlyOnes() throws IOException {
        ExperimentConfig config =
                ExperimentConfig.load(
                        CONFIGS.resolve("lenet5-fashion-bundled.yaml"),
                        List.of("hydra.mode=exact", "hydra.replayInterval=37"));
        assertEquals(AttributionMode.EXACT, config.hydra().mode());
        assertEquals(37, config.hydra().replayInterval());
        assertTrue(config.hydra().mode().listenerMode().isEmpty());
        Path file = write("exact.yaml", "hydra: {mode: exact, trackLimit: 100}\n");
        String message = error(file);
        assertTrue(message.contains("'hydra.trackLimit'"), message);
        assertTrue(message.contains("does not apply to hydra.mode exact"), message);
    }

    @Test
    void modelMustFitDataset() throws IOException {
        String message = error(write("bad.yaml", "model: lenet5\ndata: {dataset: cifar10}\n"));
        assertTrue(message.contains("model lenet5 does not fit data.dataset cifar10"), message);
        message = error(write("bad2.yaml", "model: mlp\ndata: {dataset: cifar10}\n"));
        assertTrue(message.contains("model mlp does not fit data.dataset cifar10"), message);
        message = error(write("bad3.yaml", "model: densenet-bc-40\ndata: {dataset: mnist}\n"));
        assertTrue(message.contains("densenet-bc-40 with cifar10"), message);
        for (String model : List.of("logistic-regression", "mlp")) {
            Path file = write(model + ".yaml", "model: " + model + "\ndata: {dataset: mnist}\n");
            assertEquals(model, ExperimentConfig.load(file, List.of()).model());
        }
    }

    @Test
    void multistepNeedsMilestones() throws IOException {
        String message = error(write("bad.yaml", "train:\n  schedule: {type: multistep}\n"));
        assertTrue(message.contains("'train.schedule.milestones'"), message);
        assertTrue(message.contains("milestones: [150, 225]"), message);
    }

    @Test
    void badOverrideNamesTheOverride() throws IOException {
        Path file = write("ok.yaml", "model: lenet5\n");
        ConfigException e = loadFails(file, "train.batchSize=0");
        assertTrue(
                e.getMessage().contains("from --set train.batchSize=0 (config " + file + ")"),
                e.getMessage());
        e = loadFails(file, "epochs");
        assertTrue(e.getMessage().contains("expected key=value"), e.getMessage());
        e = loadFails(file, "train.foo=1");
        assertTrue(
                e.getMessage().contains("unknown key 'train.foo' from --set train.foo=1"),
                e.getMessage());
    }

    @Test
    void invalidYaml() throws IOException {
        Path file = write("bad.yaml", "train: [epochs: 3\n");
        String message = error(file);
        assertTrue(message.contains("config file " + file + " is not valid YAML"), message);
    }

    @Test
    void keyGivenTwiceNamesKeyLineAndFile() throws IOException {
        Path file = write("twice.yaml", "name: a\nseed: 1\nseed: 2\n");
        String message = error(file);
        assertTrue(message.contains("config file " + file), message);
        assertTrue(message.contains("'seed' twice"), message);
        assertTrue(message.contains("line 3"), message);
        file = write("nested.yaml", "train:\n  epochs: 1\n  batchSize: 8\n  epochs: 2\n");
        message = error(file);
        assertTrue(message.contains("'epochs' twice"), message);
        assertTrue(message.contains("line 4"), message);
        Path ok = write("ok.yaml", "model: lenet5\n");
        ConfigException e = loadFails(ok, "train={epochs: 1, epochs: 2}");
        assertTrue(e.getMessage().contains("'epochs' twice"), e.getMessage());
    }

    @Test
    void overrideGivenTwiceIsRefused() throws IOException {
        Path file = write("ok.yaml", "model: lenet5\n");
        ConfigException e = loadFails(file, "seed=1", "seed=2");
        assertTrue(e.getMessage().contains("--set seed=1"), e.getMessage());
        assertTrue(e.getMessage().contains("--set seed=2"), e.getMessage());
    }

    @Test
    void nonUtf8FileNamesFileLineAndEncoding() throws IOException {
        Path file = tmp.resolve("latin1.yaml");
        Files.write(file, "model: lenet5\nname: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        String message = error(file);
        assertTrue(message.contains("config file " + file), message);
        assertTrue(message.contains("not UTF-8"), message);
        assertTrue(message.contains("line 2"), message);
        assertTrue(message.contains("0xe9"), message);
    }

    @Test
    void bundledDatasetWithDirIsRefused() throws IOException {
        Path file = write("bundled.yaml", "data:\n  dataset: bundled\n  dir: /data/mnist\n");
        String message = error(file);
        assertTrue(message.contains("'data.dir'"), message);
        assertTrue(message.contains("bundled"), message);
        ConfigException e =
                loadFails(
                        CONFIGS.resolve("lenet5-fashion-bundled.yaml"),
                        "data.dir=/data/fashion-mnist");
        assertTrue(
                e.getMessage().contains("from --set data.dir=/data/fashion-mnist"), e.getMessage());
    }

    private String error(Path file) {
        return loadFails(file).getMessage();
    }

    private static ConfigException loadFails(Path file, String... overrides) {
        return assertThrows(
                ConfigException.class, () -> ExperimentConfig.load(file, List.of(overrides)));
    }

    private Path write(String name, String text) throws IOException {
        Path file = tmp.resolve(name);
        Files.writeString(file, text);
        return file;
    }
}
