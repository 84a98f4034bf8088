package ai.hydra.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.hydra.data.SampleSet;
import ai.hydra.testing.TinyProblem;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RandomAttributorTest {

    @Test
    void scoresAreUniformReproducibleAndIndependentOfOrder() {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            int[] all = IntStream.range(0, TinyProblem.N).toArray();
            RandomAttributor random = new RandomAttributor(7, all);
            SampleSet train = problem.trainSamples(manager);
            double[] self = random.selfAttribution(manager, train).values();
            // the same sample scores the same in another order and subset
            Contributions reordered = random.selfAttribution(manager, train.select(manager, 42, 3));
            assertEquals(self[42], reordered.get(0));
            assertEquals(self[3], reordered.get(1));
            assertArrayEquals(
                    self, new RandomAttributor(7, all).selfAttribution(manager, train).values());
            assertNotEquals(
                    self[0], new RandomAttributor(8, all).selfAttribution(manager, train).get(0));
            double mean = 0;
            for (double value : self) {
                assertTrue(value >= -1 && value < 1, "in [-1, 1): " + value);
                mean += value / self.length;
            }
            // 200 uniform draws on [-1, 1): standard error of the mean 0.04
            assertEquals(0, mean, 0.2);
            ContributionMatrix c =
                    random.contributionMatrix(
                            manager, problem.testSamples(manager).select(manager, 0, 1));
            assertEquals(TinyProblem.N, c.rows());
            assertNotEquals(c.get(5, 0), c.get(5, 1), "columns draw independently");
            assertTrue(random.supports(Capability.SELF_ATTRIBUTION));
            assertEquals("random", random.name());
        }
    }
}
