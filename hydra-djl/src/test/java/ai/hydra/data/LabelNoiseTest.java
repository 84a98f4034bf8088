package ai.hydra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabelNoiseTest {

    private static final int[] LABELS = BundledData.train().labels();

    @Test
    void permuteChoosesTheExactFractionAndKeepsTheLabelMultiset() {
        NoisyLabels noisy = LabelNoise.permute(LABELS, 0.1, 3);
        assertEquals(200, noisy.chosenIndices().length);
        assertArrayEquals(LABELS, noisy.originalLabels());
        int[] before = LABELS.clone();
        int[] after = noisy.labels();
        Arrays.sort(before);
        Arrays.sort(after);
        assertArrayEquals(before, after);
        Set<Integer> chosen = new HashSet<>();
        for (int i : noisy.chosenIndices()) {
            chosen.add(i);
        }
        assertEquals(200, chosen.size());
        int[] labels = noisy.labels();
        int changed = 0;
        for (int i = 0; i < LABELS.length; i++) {
            if (labels[i] != LABELS[i]) {
                assertTrue(chosen.contains(i), "only chosen samples may change");
                assertTrue(noisy.isChanged(i));
                changed++;
            }
        }
        assertEquals(changed, noisy.changedIndices().length);
        // with 10 balanced classes about 90% of a random permutation moves a label
        assertTrue(changed > 150 && changed <= 200, "changed " + changed);
        assertAscending(noisy.chosenIndices());
        assertAscending(noisy.changedIndices());
    }

    @Test
    void wrongLabelsNeverKeepTheTrueLabel() {
        NoisyLabels noisy = LabelNoise.wrongLabels(LABELS, 0.25, 10, 11);
        assertEquals(500, noisy.chosenIndices().length);
        assertArrayEquals(noisy.chosenIndices(), noisy.changedIndices());
        int[] labels = noisy.labels();
        int[] hits = new int[10];
        for (int i : noisy.chosenIndices()) {
            assertNotEquals(LABELS[i], labels[i]);
            assertTrue(labels[i] >= 0 && labels[i] < 10);
            hits[labels[i]]++;
        }
        for (int count : hits) {
            assertTrue(
                    count > 20,
                    "wrong labels should spread over classes: " + Arrays.toString(hits));
        }
    }

    @Test
    void sameSeedSameResultOtherSeedOtherResult() {
        assertEquals(LabelNoise.permute(LABELS, 0.2, 5), LabelNoise.permute(LABELS, 0.2, 5));
        assertNotEquals(LabelNoise.permute(LABELS, 0.2, 5), LabelNoise.permute(LABELS, 0.2, 6));
        assertEquals(
                LabelNoise.wrongLabels(LABELS, 0.2, 10, 5),
                LabelNoise.wrongLabels(LABELS, 0.2, 10, 5));
        assertNotEquals(
                LabelNoise.wrongLabels(LABELS, 0.2, 10, 5),
                LabelNoise.wrongLabels(LABELS, 0.2, 10, 6));
    }

    @Test
    void fractionIsRoundedAndValidated() {
        int[] labels = {0, 1, 2, 0, 1, 2, 0};
        assertEquals(4, LabelNoise.permute(labels, 0.5, 1).chosenIndices().length); // 3.5 -> 4
        assertEquals(0, LabelNoise.wrongLabels(labels, 0, 3, 1).changedIndices().length);
        assertEquals(7, LabelNoise.wrongLabels(labels, 1, 3, 1).changedIndices().length);
        assertThrows(IllegalArgumentException.class, () -> LabelNoise.permute(labels, 1.5, 1));
        assertThrows(IllegalArgumentException.class, () -> LabelNoise.permute(labels, -0.1, 1));
        assertThrows(
                IllegalArgumentException.class, () -> LabelNoise.permute(labels, Double.NaN, 1));
        assertThrows(
                IllegalArgumentException.class,
                () -> LabelNoise.wrongLabels(labels, 0.5, 2, 1)); // label 2 out of range
        assertThrows(
                IllegalArgumentException.class,
                () -> LabelNoise.wrongLabels(new int[] {0}, 0.5, 1, 1));
    }

    @Test
    void recordIsImmutable() {
        NoisyLabels noisy = LabelNoise.wrongLabels(new int[] {0, 1}, 1, 2, 1);
        noisy.labels()[0] = 0;
        assertArrayEquals(new int[] {1, 0}, noisy.labels());
    }

    private static void assertAscending(int[] values) {
        for (int i = 1; i < values.length; i++) {
            assertTrue(values[i] > values[i - 1]);
        }
    }
}
