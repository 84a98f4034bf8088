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
import ai.hydra.train.Trainers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
            Files.writeString(properties, text.replace("engine=" + engine, "engine=" + other));
            HydraSgd sgd = problem.optimizer();
            String message = resumeFailure(sgd, listener(sgd), checkpoint);
            assertTrue(message.contains("engine = " + other), message);
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
        try (HydraListener hydra = builder.build();
                Model model = model();
                Trainer trainer =
                        Trainers.newTrainer(
                                model, config(sgd, hydra), new Shape(1, TinyProblem.FEATURES))) {
            return assertThrows(
                            IllegalStateException.class, () -> hydra.resume(trainer, checkpoint))
                    .getMessage();
        }
    }

    private static HydraListener.Builder listener(HydraSgd sgd) {
        return HydraListener.builder(sgd, TinyProblem.N)
                .optMode(HydraMode.BOTH)
                .optTrackedSamples(0, 7, 50, 199);
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
