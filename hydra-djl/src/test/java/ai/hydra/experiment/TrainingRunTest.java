package ai.hydra.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import ai.hydra.testing.EngineNeutral;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainingRunTest {

    private static final Path BUNDLED = Path.of("..", "configs", "lenet5-fashion-bundled.yaml");

    @Test
    void trainsAndReportsProgress() throws Exception {
        ExperimentConfig config =
                ExperimentConfig.load(
                        BUNDLED,
                        List.of("train.epochs=2", "data.trainLimit=640", "data.testLimit=200"));
        List<String> events = new ArrayList<>();
        TrainingProgress progress =
                new TrainingProgress() {
                    @Override
                    public void onEpochStart(int epoch, int epochs, int batches) {
                        events.add("start " + epoch + "/" + epochs + " " + batches);
                    }

                    @Override
                    public void onBatch(int batch, float loss) {
                        assertTrue(Float.isFinite(loss));
                    }

                    @Override
                    public void onEpochEnd(EpochStats stats) {
                        events.add(
                                String.format(
                                        java.util.Locale.ROOT,
                                        "end %d lr %.4f",
                                        stats.epoch(),
                                        stats.learningRate()));
                    }
                };
        try (TrainingResult result =
                TrainingRun.builder().setConfig(config).optProgress(progress).build().run()) {
            assertEquals(
                    List.of("start 1/2 10", "end 1 lr 0.0500", "start 2/2 10", "end 2 lr 0.0250"),
                    events);
            assertEquals(640, result.trainSamples());
            assertEquals(200, result.testSamples());
            assertEquals(61_706, result.parameters());
            assertEquals(2, result.epochs().size());
            assertTrue(result.testAccuracy() > 0.4, "accuracy " + result.testAccuracy());
            assertTrue(result.finalTrainLoss() < result.epochs().get(0).meanLoss());
            assertNotNull(result.model().getBlock());
        }
    }

    /** Same seed, bit-identical weights; another seed, other weights (so the check can fail). */
    @Test
    @EngineNeutral
    void sameSeedGivesBitIdenticalWeights() throws Exception {
        List<String> small = List.of("train.epochs=1", "data.trainLimit=320", "data.testLimit=50");
        double[] first = trainedWeights(ExperimentConfig.load(BUNDLED, small));
        double[] second = trainedWeights(ExperimentConfig.load(BUNDLED, small));
        org.junit.jupiter.api.Assertions.assertArrayEquals(first, second);
        List<String> other = new ArrayList<>(small);
        other.add("seed=43");
        double[] third = trainedWeights(ExperimentConfig.load(BUNDLED, other));
        assertTrue(
                !java.util.Arrays.equals(first, third), "a different seed must change the weights");
    }

    private static double[] trainedWeights(ExperimentConfig config) throws Exception {
        try (TrainingResult result = TrainingRun.builder().setConfig(config).build().run()) {
            return result.model().getBlock().getParameters().values().stream()
                    .flatMapToDouble(
                            p ->
                                    java.util.Arrays.stream(
                                            p.getArray()
                                                    .toType(DataType.FLOAT64, true)
                                                    .toDoubleArray()))
                    .toArray();
        }
    }

    @Test
    void appliesLabelNoiseAndFloat64() throws Exception {
        ExperimentConfig config =
                ExperimentConfig.load(
                        BUNDLED,
                        List.of(
                                "train.epochs=1",
                                "data.trainLimit=200",
                                "data.testLimit=50",
                                "train.dtype=float64",
                                "data.labelNoise.mode=wrong",
                                "data.labelNoise.fraction=0.1",
                                "train.schedule.type=cosine"));
        try (TrainingResult result = TrainingRun.builder().setConfig(config).build().run()) {
            assertEquals(20, result.data().noise().changedIndices().length);
            assertEquals(20, result.toMap().get("noisyLabels"));
            assertEquals(DataType.FLOAT64, result.model().getDataType());
            assertTrue(Double.isFinite(result.finalTrainLoss()));
        }
    }

    /** Issue 10: lr 1e4 trained to NaN parameters, which hydra train then saved with exit 0. */
    @Test
    void divergedTrainingIsRefused() throws Exception {
        ExperimentConfig config =
                ExperimentConfig.load(
                        BUNDLED,
                        List.of(
                                "train.epochs=1",
                                "data.trainLimit=640",
                                "data.testLimit=50",
                                "train.optimizer.learningRate=10000"));
        IllegalStateException e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalStateException.class,
                        () -> TrainingRun.builder().setConfig(config).build().run().close());
        assertTrue(e.getMessage().startsWith("Training diverged"), e.getMessage());
        assertTrue(e.getMessage().contains("train.optimizer.learningRate"), e.getMessage());
    }
}
