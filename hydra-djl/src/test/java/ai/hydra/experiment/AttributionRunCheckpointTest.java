package ai.hydra.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: an attribution run with checkpoints refuses to mix runs or lose one, and resumes a
 * finished training into the analysis.
 */
class AttributionRunCheckpointTest {

    @TempDir Path temp;

    /** A small bundled run checkpointing into temp/checkpoint; overrides replace defaults. */
    private ExperimentConfig config(String... overrides) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("hydra.checkpointDir", temp.resolve("checkpoint").toString());
        settings.put("data.trainLimit", "256");
        settings.put("data.testLimit", "50");
        settings.put("hydra.trackLimit", "16");
        settings.put("train.epochs", "1");
        for (String override : overrides) {
            settings.put(
                    override.substring(0, override.indexOf('=')),
                    override.substring(override.indexOf('=') + 1));
        }
        List<String> all = new ArrayList<>();
        settings.forEach((key, value) -> all.add(key + "=" + value));
        return ExperimentConfig.parse(
                "data: {dataset: bundled}\nmodel: lenet5\n", "test", "checkpointed", all);
    }

    private static double[] run(ExperimentConfig config, boolean resume, boolean overwrite)
            throws Exception {
        try (AttributionResult result =
                AttributionRun.builder()
                        .setConfig(config)
                        .optResume(resume)
                        .optOverwrite(overwrite)
                        .build()
                        .run()) {
            return result.first().testLoss().values();
        }
    }

    /** Resuming with another seed and learning rate mixed two runs into one result. */
    @Test
    void resumeWithOtherSettingsIsRefusedNamingThem() throws Exception {
        run(config(), false, false);
        ExperimentConfig other =
                config("train.epochs=2", "seed=7", "train.optimizer.learningRate=0.1");
        IllegalStateException e =
                assertThrows(IllegalStateException.class, () -> run(other, true, false));
        assertTrue(
                e.getMessage().contains("was written by a run with other settings"),
                e.getMessage());
        assertTrue(e.getMessage().contains("seed is 42 there, 7 here"), e.getMessage());
        assertTrue(
                e.getMessage().contains("train.optimizer.learningRate is 0.05 there, 0.1 here"),
                e.getMessage());
        // the same settings with more epochs resume
        run(config("train.epochs=2"), true, false);
    }

    /** A kill after the last epoch's checkpoint could not be resumed ("raise train.epochs"). */
    @Test
    void resumingAFinishedTrainingGoesOnToTheAnalysis() throws Exception {
        double[] first = run(config(), false, false);
        double[] resumed = run(config(), true, false);
        assertArrayEquals(first, resumed);
    }

    /** A run without --resume silently replaced the checkpoint of another run. */
    @Test
    void aFreshRunDoesNotReplaceACheckpointUnlessTold() throws Exception {
        run(config(), false, false);
        ConfigException e = assertThrows(ConfigException.class, () -> run(config(), false, false));
        assertTrue(
                e.getMessage().contains("already holds a checkpoint (after epoch 1)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        run(config("seed=7"), false, true);
    }

    /** An unwritable checkpoint folder was found at the end of the first epoch. */
    @Test
    void unwritableCheckpointFolderIsRefusedBeforeTraining() throws Exception {
        Path file = Files.writeString(temp.resolve("a-file"), "x");
        List<String> stages = new ArrayList<>();
        TrainingProgress progress =
                new TrainingProgress() {
                    @Override
                    public void onStage(String message) {
                        stages.add(message);
                    }
                };
        ExperimentConfig config = config("hydra.checkpointDir=" + file);
        Exception e =
                assertThrows(
                        Exception.class,
                        () ->
                                AttributionRun.builder()
                                        .setConfig(config)
                                        .optProgress(progress)
                                        .build()
                                        .run()
                                        .close());
        assertEquals(ConfigException.class, e.getClass(), e.toString());
        assertTrue(e.getMessage().contains(file + " is a file"), e.getMessage());
        assertEquals(List.of(), stages, "nothing loaded or trained");
    }
}
