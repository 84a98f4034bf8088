package ai.hydra.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.JavaInit;
import ai.hydra.testing.TinyProblem;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An interrupted run resumed from a checkpoint ends with exactly the weights and hypergradients of
 * an uninterrupted run (both recurrences, momentum on), also when resumed twice.
 */
@EngineNeutral
class CheckpointResumeTest {

    @TempDir Path temp;

    @Test
    void resumedRunEqualsUninterruptedRun() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            double[][] straight = run(problem, manager, 0, TinyProblem.EPOCHS, null, null);
            Path checkpoint = temp.resolve("checkpoint");
            run(problem, manager, 0, 1, null, checkpoint);
            double[][] resumed = run(problem, manager, 1, TinyProblem.EPOCHS, checkpoint, null);
            for (int k = 0; k < straight.length; k++) {
                assertArrayEquals(straight[k], resumed[k], "part " + k);
            }
            // a checkpoint written by a resumed run resumes exactly too
            Path second = temp.resolve("second");
            run(problem, manager, 1, 2, checkpoint, second);
            double[][] twice = run(problem, manager, 2, TinyProblem.EPOCHS, second, null);
            for (int k = 0; k < straight.length; k++) {
                assertArrayEquals(straight[k], twice[k], "resumed twice, part " + k);
            }
            double[][] fresh = run(problem, manager, 1, TinyProblem.EPOCHS, null, null);
            assertTrue(
                    !Arrays.equals(straight[0], fresh[0]), "skipping the checkpoint must differ");
        }
    }

    @Test
    void checkpointOfAnotherConfigurationIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            Path checkpoint = afterOneEpoch(problem, manager, "other");
            HydraSgd sgd = problem.optimizer();
            String message =
                    resumeFailure(
                            sgd,
                            HydraListener.builder(sgd, TinyProblem.N).optTrackedSamples(1, 2),
                            checkpoint);
            assertTrue(message.contains("was written with"), message);
        }
    }

    /** Engines keep optimizer state differently (MXNet's momentum buffer is PyTorch's negated). */
    @Test
    void checkpointOfAnotherEngineIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            Path checkpoint = afterOneEpoch(problem, manager, "engine");
            String engine = manager.getEngine().getEngineName();
            String other = "MXNet".equals(engine) ? "PyTorch" : "MXNet";
            Path properties = checkpoint.resolve("hydra.properties");
            String text = Files.readString(properties);
            assertTrue(text.contains("engine=" + engine), text);
            rewrite(properties, text.replace("engine=" + engine, "engine=" + other));
            HydraSgd sgd = problem.optimizer();
            String message = resumeFailure(sgd, listener(sgd), checkpoint);
            assertTrue(message.contains("engine = " + other), message);
        }
    }

    /**
     * Issue 10: resuming with another seed, learning rate, weight decay or data mixed two runs into
     * one result without a word. Every difference is named.
     */
    @Test
    void checkpointOfAnotherRunIsRefusedNamingEveryDifference() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            Path checkpoint = afterOneEpoch(problem, manager, "settings");
            HydraSgd other =
                    HydraSgd.builder()
                            .setLearningRateTracker(LearningRates.constant(TinyProblem.LR / 2))
                            .optMomentum(TinyProblem.MOMENTUM)
                            .optWeightDecay(2 * TinyProblem.WEIGHT_DECAY)
                            .build();
            String message =
                    resumeFailure(
                            other,
                            listener(other).optRunDescription(Map.of("seed", "7", "data", "b")),
                            checkpoint);
            assertTrue(message.contains("was written by a run with other settings"), message);
            assertTrue(message.contains("seed is " + TinyProblem.SEED + " there, 7 here"), message);
            assertTrue(message.contains("data is a there, b here"), message);
            assertTrue(
                    message.contains("optimizer.weightDecay is 0.001 there, 0.002 here"), message);
            assertTrue(message.contains("optimizer.learningRatesSha256 is "), message);
        }
    }

    /** Issue 10: one flipped byte in any checkpoint file gave exit 0 and contributions of 5e34. */
    @Test
    void damagedCheckpointFileIsRefusedByName() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            Path checkpoint = afterOneEpoch(problem, manager, "intact");
            for (String file :
                    new String[] {
                        "free-d.bin",
                        "free-m.bin",
                        "aware-d.bin",
                        "parameters.ndlist",
                        "optimizer.ndlist"
                    }) {
                Path copy = temp.resolve("damaged-" + file);
                copyFolder(checkpoint, copy);
                byte[] bytes = Files.readAllBytes(copy.resolve(file));
                bytes[bytes.length / 2] ^= 0x10;
                Files.write(copy.resolve(file), bytes);
                HydraSgd sgd = problem.optimizer();
                String message = resumeFailure(sgd, listener(sgd), copy, IOException.class);
                assertTrue(
                        message.startsWith("Checkpoint file " + copy.resolve(file) + " is damaged"),
                        message);
            }
        }
    }

    /**
     * Issue 10: a kill between the two renames of a checkpoint replace left only {@code X.old} and
     * {@code X.partial} (both complete), and resuming said there was no checkpoint.
     */
    @Test
    void killBetweenTheRenamesOfAReplaceIsRecovered() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            double[][] straight = run(problem, manager, 0, TinyProblem.EPOCHS, null, null);
            Path checkpoint = temp.resolve("killed");
            run(problem, manager, 0, 1, null, checkpoint);
            Path epochTwo = temp.resolve("epoch-two");
            run(problem, manager, 1, 2, checkpoint, epochTwo);
            // the state of a kill after "X -> X.old" and before "X.partial -> X"
            Files.move(checkpoint, temp.resolve("killed.old"));
            Files.move(epochTwo, temp.resolve("killed.partial"));
            double[][] resumed = run(problem, manager, 2, TinyProblem.EPOCHS, checkpoint, null);
            for (int k = 0; k < straight.length; k++) {
                assertArrayEquals(straight[k], resumed[k], "part " + k);
            }
            assertTrue(!Files.exists(temp.resolve("killed.old")));
            assertTrue(!Files.exists(temp.resolve("killed.partial")));
            // a kill while the first save was still writing: the previous one is used
            Path older = temp.resolve("older");
            run(problem, manager, 0, 1, null, older);
            Files.move(older, temp.resolve("older.old"));
            Files.createDirectories(temp.resolve("older.partial"));
            Files.writeString(temp.resolve("older.partial/parameters.ndlist"), "half");
            run(problem, manager, 1, TinyProblem.EPOCHS, older, null);
        }
    }

    private Path afterOneEpoch(TinyProblem problem, NDManager manager, String name)
            throws Exception {
        Path checkpoint = temp.resolve(name);
        run(problem, manager, 0, 1, null, checkpoint);
        return checkpoint;
    }

    private static String resumeFailure(
            HydraSgd sgd, HydraListener.Builder builder, Path checkpoint) {
        return resumeFailure(sgd, builder, checkpoint, IllegalStateException.class);
    }

    private static String resumeFailure(
            HydraSgd sgd,
            HydraListener.Builder builder,
            Path checkpoint,
            Class<? extends Exception> expected) {
        try (HydraListener hydra = builder.build();
                Model model = model();
                Trainer trainer =
                        Trainers.newTrainer(
                                model, config(sgd, hydra), new Shape(1, TinyProblem.FEATURES))) {
            return assertThrows(expected, () -> hydra.resume(trainer, checkpoint)).getMessage();
        }
    }

    /** Replaces a checkpoint file and its recorded checksum, as a genuine writer would. */
    private static void rewrite(Path file, String text) throws Exception {
        String before = sha256(Files.readAllBytes(file));
        Files.writeString(file, text);
        Path sums = file.resolveSibling("checksums.sha256");
        Files.writeString(
                sums, Files.readString(sums).replace(before, sha256(Files.readAllBytes(file))));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static void copyFolder(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }

    private static HydraListener.Builder listener(HydraSgd sgd) {
        return HydraListener.builder(sgd, TinyProblem.N)
                .optMode(HydraMode.BOTH)
                .optTrackedSamples(0, 7, 50, 199)
                .optRunDescription(Map.of("seed", String.valueOf(TinyProblem.SEED), "data", "a"));
    }

    /** Trains epochs [from, to); returns {weights, free d, aware d}. */
    private double[][] run(
            TinyProblem problem, NDManager manager, int from, int to, Path resumeFrom, Path saveTo)
            throws Exception {
        HydraSgd sgd = problem.optimizer();
        HydraListener.Builder builder = listener(sgd);
        if (saveTo != null) {
            builder.optCheckpointDirectory(saveTo); // written at every epoch end
        }
        try (HydraListener hydra = builder.build();
                Model model = model();
                NDManager data = manager.newSubManager()) {
            ArrayDataset train = problem.trainSet(data, -1, 0, from);
            try (Trainer trainer =
                    Trainers.newTrainer(
                            model, config(sgd, hydra), new Shape(1, TinyProblem.FEATURES))) {
                JavaInit.apply(trainer, TinyProblem.SEED);
                if (resumeFrom != null) {
                    hydra.resume(trainer, resumeFrom);
                }
                for (int epoch = from; epoch < to; epoch++) {
                    for (Batch batch : trainer.iterateDataset(train)) {
                        EasyTrain.trainBatch(trainer, batch);
                        trainer.step();
                        batch.close();
                    }
                    trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                }
            }
            int[] rows = {0, 1, 2, 3};
            return new double[][] {
                model.getBlock().getParameters().values().stream()
                        .flatMapToDouble(p -> Arrays.stream(p.getArray().toDoubleArray()))
                        .toArray(),
                hydra.getHypergradients(HydraMode.HESSIAN_FREE).read(data, rows).toDoubleArray(),
                hydra.getHypergradients(HydraMode.HESSIAN_AWARE).read(data, rows).toDoubleArray()
            };
        }
    }

    private static Model model() {
        Model model = Model.newInstance("tiny");
        model.setDataType(DataType.FLOAT64);
        model.setBlock(TinyProblem.block());
        return model;
    }

    private static DefaultTrainingConfig config(HydraSgd sgd, HydraListener hydra) {
        return new DefaultTrainingConfig(new TinyProblem.WeightedSoftmaxLoss())
                .optOptimizer(sgd)
                .addTrainingListeners(hydra);
    }
}
