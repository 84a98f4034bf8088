package ai.hydra.reproduce;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.hydra.experiment.ConfigException;
import org.junit.jupiter.api.Test;

class ReproductionTest {

    @Test
    void aStoreLargerThanTheMachineIsRefusedSayingWhatFits() {
        Estimate estimate = new Estimate("mnist", 100, 40L << 30, "60,000 tracked");
        ConfigException e =
                assertThrows(
                        ConfigException.class,
                        () -> Reproduction.requireFits("paper", estimate, 10L << 30, "cpu()"));
        assertTrue(
                e.getMessage().contains("run 'mnist' of preset paper needs 40.0 GiB"),
                e.getMessage());
        assertTrue(e.getMessage().contains("at most 10.0 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("about 25% of the tracked samples fit"), e.getMessage());
        assertTrue(e.getMessage().contains("perRun.mnist.hydra.trackLimit"), e.getMessage());
        assertDoesNotThrow(() -> Reproduction.requireFits("paper", estimate, 40L << 30, "cpu()"));
    }
}
