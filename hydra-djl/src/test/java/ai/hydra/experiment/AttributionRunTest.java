package ai.hydra.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.hydra.attribution.ContributionMatrix;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The attribution job on the bundled data: shapes, finiteness, and the paper's class structure. */
class AttributionRunTest {

    @Test
    void bundledDemoAttributesEveryTrainingSample() throws Exception {
        ExperimentConfig config =
                ExperimentConfig.parse(
                        "data: {dataset: bundled}\nmodel: lenet5\ntrain: {epochs: 2}\n",
                        "test",
                        "attribution-test",
                        List.of("hydra.testSamples=10"));
        long start = System.nanoTime();
        try (AttributionResult result = AttributionRun.builder().setConfig(config).build().run()) {
            System.out.printf(
                    "attribution run: %.1f s, accuracy %.3f%n",
                    (System.nanoTime() - start) / 1e9, result.training().testAccuracy());
            assertEquals(1, result.methods().size());
            assertEquals("hydra-hessian-free", result.first().name());
            ContributionMatrix c = result.first().perTestSample();
            assertEquals(2000, c.rows());
            assertEquals(10, c.columns());
            assertEquals(2000, result.first().testLoss().size());
            int[] trainLabels = result.data().train().labels();
            int[] testLabels = new int[c.columns()];
            int sameClassWins = 0;
            for (int j = 0; j < c.columns(); j++) {
                testLabels[j] = result.data().test().label(c.testIndices()[j]);
                double same = 0;
                double other = 0;
                for (int i = 0; i < c.rows(); i++) {
                    double value = c.get(i, j);
                    assertTrue(Double.isFinite(value));
                    if (trainLabels[c.trainIndices()[i]] == testLabels[j]) {
                        same += value;
                    } else {
                        other += value;
                    }
                }
                if (same > other / 9) {
                    sameClassWins++;
                }
            }
            // training samples of a test sample's own class help it most (the paper's Fig. 2)
            assertTrue(
                    sameClassWins >= 8,
                    "same-class contributions dominate for " + sameClassWins + "/10");
            double[][] normalized =
                    c.interClass(
                                    java.util.Arrays.stream(c.trainIndices())
                                            .map(i -> trainLabels[i])
                                            .toArray(),
                                    testLabels,
                                    10)
                            .normalized();
            System.out.println(
                    "inter-class diagonal: "
                            + java.util.Arrays.toString(
                                    java.util.stream.IntStream.range(0, 10)
                                            .mapToDouble(k -> normalized[k][k])
                                            .toArray()));
        }
    }

    /**
     * Issue 10: this run wrote an all-NaN contributions.csv with exit 0 (the finite check saw only
     * the tracked sample's gradients, and the divergence came after its last visit).
     */
    @Test
    void divergedTrainingGivesAnErrorNotNaNContributions() {
        ExperimentConfig config =
                ExperimentConfig.parse(
                        "data: {dataset: bundled}\nmodel: lenet5\n",
                        "test",
                        "diverged",
                        List.of(
                                "seed=108",
                                "train.epochs=1",
                                "hydra.trackLimit=1",
                                "train.optimizer.learningRate=10000"));
        IllegalStateException e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalStateException.class,
                        () -> AttributionRun.builder().setConfig(config).build().run().close());
        assertTrue(e.getMessage().startsWith("Training diverged"), e.getMessage());
    }
}
