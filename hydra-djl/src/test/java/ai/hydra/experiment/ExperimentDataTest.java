package ai.hydra.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExperimentDataTest {

    private static DataConfig bundled(String... overrides) {
        return ExperimentConfig.parse("model: lenet5\n", "t.yaml", "t", List.of(overrides)).data();
    }

    @Test
    void limitsTakeTheFirstSamples() throws IOException {
        ExperimentData data =
                ExperimentData.load(bundled("data.trainLimit=2000", "data.testLimit=7"), "t.yaml");
        assertEquals(2000, data.train().size());
        assertEquals(7, data.test().size());
    }

    @Test
    void limitLargerThanTheDataIsRefused() {
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () -> ExperimentData.load(bundled("data.trainLimit=2001"), "t.yaml"));
        assertTrue(e.getMessage().contains("data.trainLimit is 2001"), e.getMessage());
        assertTrue(e.getMessage().contains("only 2000 training images"), e.getMessage());
        e =
                assertThrows(
                        ConfigException.class,
                        () -> ExperimentData.load(bundled("data.testLimit=401"), "t.yaml"));
        assertTrue(e.getMessage().contains("only 400 test images"), e.getMessage());
    }

    @Test
    void labelNoiseThatChoosesNoSampleIsRefused() throws IOException {
        String[] noise = {"data.labelNoise.mode=wrong", "data.trainLimit=100"};
        ExperimentData one =
                ExperimentData.load(
                        bundled(noise[0], noise[1], "data.labelNoise.fraction=0.01"), "t.yaml");
        assertEquals(1, one.noise().chosenIndices().length);
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () ->
                                ExperimentData.load(
                                        bundled(
                                                noise[0],
                                                noise[1],
                                                "data.labelNoise.fraction=0.004"),
                                        "t.yaml"));
        assertTrue(e.getMessage().contains("data.labelNoise.fraction"), e.getMessage());
        assertTrue(e.getMessage().contains("no training sample"), e.getMessage());
    }
}
