package ai.hydra.reproduce.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MeanStdTest {

    @Test
    void usesTheSampleStandardDeviation() {
        MeanStd summary = MeanStd.of(1, 2, 3, 4);
        assertEquals(2.5, summary.mean());
        // squared deviations 2.25 + .25 + .25 + 2.25 = 5, divided by n - 1 = 3
        assertEquals(Math.sqrt(5 / 3.0), summary.std(), 1e-15);
        assertEquals("2.50 +- 1.29 (n=4)", summary.format(2));
    }

    @Test
    void oneValueHasNoSpread() {
        MeanStd summary = MeanStd.of(0.98);
        assertTrue(Double.isNaN(summary.std()));
        assertEquals("0.980 (n=1)", summary.format(3));
        assertThrows(IllegalArgumentException.class, MeanStd::of);
        assertThrows(IllegalArgumentException.class, () -> MeanStd.of(1, Double.NaN));
    }
}
