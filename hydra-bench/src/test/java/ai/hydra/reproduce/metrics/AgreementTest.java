package ai.hydra.reproduce.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AgreementTest {

    @Test
    void spearmanAveragesTiedRanks() {
        // ranks of b: 5->1, 6->2, 7->3.5, 8->5, 7->3.5; deviations from 3:
        // a: -2 -1 0 1 2; b: -2 -1 .5 2 .5 -> r = 8 / sqrt(10 * 9.5)
        double[] a = {1, 2, 3, 4, 5};
        double[] b = {5, 6, 7, 8, 7};
        assertEquals(8 / Math.sqrt(95), Agreement.spearman(a, b), 1e-15);
        assertEquals(8 / Math.sqrt(95), Agreement.spearman(b, a), 1e-15);
    }

    @Test
    void spearmanUsesOnlyTheOrder() {
        double[] a = {0.1, 0.2, 0.3, 0.4};
        assertEquals(1.0, Agreement.spearman(a, new double[] {1, 10, 100, 1000}), 1e-15);
        assertEquals(-1.0, Agreement.spearman(a, new double[] {4, 3, 2, -100}), 1e-15);
        assertTrue(Double.isNaN(Agreement.spearman(a, new double[] {2, 2, 2, 2})));
    }

    @Test
    void signErrorsSkipZeroGoldAndCountZeroEstimates() {
        double[] estimate = {1, -2, 0, 3, -1};
        double[] gold = {2, -1, 5, 0, 1};
        // index 3: gold 0, left out; index 2: estimate 0 -> error; index 4: wrong sign
        Agreement.SignComparison signs = Agreement.compareSigns(estimate, gold);
        assertEquals(new Agreement.SignComparison(4, 2, 1), signs);
        assertEquals(0.5, signs.rate());
        assertEquals(0.5, Agreement.signErrorRate(estimate, gold));
        assertEquals(0.0, Agreement.signErrorRate(new double[] {-0.0, 1}, new double[] {0, 3}));
    }

    @Test
    void badInputIsNamed() {
        assertThrows(
                IllegalStateException.class,
                () -> Agreement.signErrorRate(new double[] {1, 2}, new double[] {0, 0}));
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                Agreement.spearman(
                                        new double[] {1, 2}, new double[] {1, Double.NaN}));
        assertTrue(e.getMessage().contains("gold standard"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> Agreement.spearman(new double[] {1}, new double[] {1}));
        assertThrows(
                IllegalArgumentException.class,
                () -> Agreement.compareSigns(new double[] {1}, new double[] {1, 2}));
    }
}
