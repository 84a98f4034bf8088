package ai.hydra.listener;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.util.Pair;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.JavaInit;
import ai.hydra.testing.TinyProblem;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.Trainers;
import org.junit.jupiter.api.Test;

/**
 * Issue 10: what the listener refuses instead of returning wrong hypergradients: a training that
 * diverged, an update changed between {@code trainBatch} and {@code step} (gradient clipping), and
 * a training-set size that is not the dataset's.
 */
@EngineNeutral
class TrainingGuardsTest {

    /** Clipping the gradient norm before each step: the Hessian-aware result was up to 542% off. */
    @Test
    void gradientClippedBeforeTheStepIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        String message = failure(problem, TinyProblem.N, 0.05, problem.trainX, 3, true);
        assertTrue(message.contains("did not apply the update HYDRA"), message);
        assertTrue(message.contains("gradient clipping"), message);
    }

    /** The recorder for exact replay refuses it too: the replay would not re-create the step. */
    @Test
    void gradientClippedBeforeTheStepIsRefusedByTheRecorder() throws Exception {
        TinyProblem problem = new TinyProblem();
        String message = failure(problem, TinyProblem.N, 0.05, problem.trainX, 3, true, true);
        assertTrue(message.contains("did not apply the update HYDRA"), message);
    }

    /** ... and a diverged training. */
    @Test
    void divergedTrainingIsRefusedByTheRecorder() throws Exception {
        TinyProblem problem = new TinyProblem();
        double[][] x = problem.trainX.clone();
        x[TinyProblem.N - 1] = x[TinyProblem.N - 1].clone();
        x[TinyProblem.N - 1][0] = Double.NaN;
        String message = failure(problem, TinyProblem.N, 0, x, 1, false, true);
        assertTrue(message.startsWith("Training diverged"), message);
        assertTrue(message.contains("at the end of epoch 1"), message);
    }

    /** The same loop without clipping passes: the check's float tolerance is not too tight. */
    @Test
    void unchangedUpdatesPass() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            train(problem, manager, TinyProblem.N, 0, problem.trainX, 3, true, false);
            train(problem, manager, TinyProblem.N, 0, problem.trainX, 3, true, true);
        }
    }

    /**
     * A divergence after the tracked samples' last visit (here a NaN in the last batch of one epoch
     * in order) made every weight NaN; only tracked samples' gradients were checked, so the run
     * ended without a word.
     */
    @Test
    void divergedTrainingIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        double[][] x = problem.trainX.clone();
        x[TinyProblem.N - 1] = x[TinyProblem.N - 1].clone();
        x[TinyProblem.N - 1][0] = Double.NaN;
        String message = failure(problem, TinyProblem.N, 0, x, 1, false);
        assertTrue(message.startsWith("Training diverged"), message);
        assertTrue(message.contains("at the end of epoch 1"), message);
    }

    /** N = 400 for 200 samples gave 200 phantom rows of zeros and a wrong 1/N scale. */
    @Test
    void trainingSetSizeLargerThanTheDatasetIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        String message = failure(problem, 2 * TinyProblem.N, 0, problem.trainX, 1, true);
        assertTrue(
                message.contains(
                        "built for a training set of 400 samples, but the first epoch visited only"
                                + " 200 distinct dataset indices"),
                message);
    }

    /** The message of the IllegalStateException that {@link #train} must end with. */
    private static String failure(
            TinyProblem problem,
            int n,
            double clipNorm,
            double[][] x,
            int epochs,
            boolean shuffle) {
        return failure(problem, n, clipNorm, x, epochs, shuffle, false);
    }

    private static String failure(
            TinyProblem problem,
            int n,
            double clipNorm,
            double[][] x,
            int epochs,
            boolean shuffle,
            boolean record) {
        try (NDManager manager = NDManager.newBaseManager()) {
            return assertThrows(
                            IllegalStateException.class,
                            () -> train(problem, manager, n, clipNorm, x, epochs, shuffle, record))
                    .getMessage();
        }
    }

    /**
     * Trains with EasyTrain's steps, tracking samples 0, 1 and 2 in both modes (or, when {@code
     * record}, recording the run for exact replay); when {@code clipNorm > 0}, scales every batch
     * gradient down to that norm between trainBatch and step.
     */
    private static void train(
            TinyProblem problem,
            NDManager manager,
            int n,
            double clipNorm,
            double[][] x,
            int epochs,
            boolean shuffle,
            boolean record)
            throws Exception {
        HydraSgd sgd = problem.optimizer();
        try (HydraListener hydra =
                        HydraListener.builder(sgd, n)
                                .optMode(HydraMode.BOTH)
                                .optTrackedSamples(0, 1, 2)
                                .build();
                TrajectoryRecorder recorder = TrajectoryRecorder.builder(sgd, n).build();
                Model model = Model.newInstance("tiny");
                NDManager data = manager.newSubManager()) {
            model.setDataType(DataType.FLOAT64);
            model.setBlock(TinyProblem.block());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(new TinyProblem.WeightedSoftmaxLoss())
                            .optOptimizer(sgd)
                            .addTrainingListeners(record ? recorder : hydra);
            ArrayDataset train =
                    new ArrayDataset.Builder()
                            .setData(data.create(x))
                            .optLabels(
                                    data.create(problem.trainY).toType(DataType.FLOAT64, false),
                                    data.ones(new Shape(TinyProblem.N), DataType.FLOAT64))
                            .setSampling(TinyProblem.BATCH, shuffle)
                            .build();
            try (Trainer trainer =
                    Trainers.newTrainer(model, config, new Shape(1, TinyProblem.FEATURES))) {
                JavaInit.apply(trainer, TinyProblem.SEED);
                for (int epoch = 0; epoch < epochs; epoch++) {
                    for (Batch batch : trainer.iterateDataset(train)) {
                        EasyTrain.trainBatch(trainer, batch);
                        if (clipNorm > 0) {
                            clipGradientNorm(model, clipNorm);
                        }
                        trainer.step();
                        batch.close();
                    }
                    trainer.notifyListeners(listener -> listener.onEpoch(trainer));
                }
                if (record) {
                    recorder.finish();
                } else {
                    hydra.finish();
                }
            }
        }
    }

    /** Scales the gradients in place so that their joint norm is at most {@code max}. */
    private static void clipGradientNorm(Model model, double max) {
        double squares = 0;
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            try (NDArray gradient = pair.getValue().getArray().getGradient()) {
                squares += gradient.square().sum().getDouble();
            }
        }
        double norm = Math.sqrt(squares);
        if (norm > max) {
            for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
                try (NDArray gradient = pair.getValue().getArray().getGradient()) {
                    gradient.muli(max / norm);
                }
            }
        }
    }
}
