package ai.hydra.listener;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.ParameterServer;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.dataset.Batch;
import ai.djl.training.loss.Loss;
import ai.djl.translate.Batchifier;
import ai.djl.util.Pair;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.data.BundledData;
import ai.hydra.data.ImageData;
import ai.hydra.model.LeNet5;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.store.StorePlanner;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.TinyProblem;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener leaves training alone, is reproducible, and refuses what it cannot differentiate.
 */
@EngineNeutral
class ListenerBehaviourTest {

    @TempDir Path temp;

    @Test
    void trainingIsBitIdenticalWithAndWithoutListenerFloat64() throws Exception {
        assertListenersChangeNothing(new TinyProblem());
    }

    /**
     * With batch normalization the shadow passes run the block in training mode, which updates
     * running statistics in place: they must update copies, never the model's (every parameter is
     * compared, running statistics included).
     */
    @Test
    void batchNormTrainingIsBitIdenticalWithAndWithoutListeners() throws Exception {
        assertListenersChangeNothing(
                new TinyProblem(
                        TinyProblem.MOMENTUM,
                        1f,
                        false,
                        TinyProblem.BATCH,
                        TinyProblem::convBlock));
    }

    /** Trains with and without a HydraListener (both modes) and a TrajectoryRecorder. */
    private static void assertListenersChangeNothing(TinyProblem problem) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            double[] plain;
            try (Model model = problem.train(manager, -1, 0, problem.optimizer())) {
                plain = weights(model);
            }
            var sgd = problem.optimizer();
            try (HydraListener hydra =
                            HydraListener.builder(sgd, TinyProblem.N)
                                    .optMode(HydraMode.BOTH)
                                    .optTrackedSamples(1, 2, 3)
                                    .build();
                    TrajectoryRecorder recorder =
                            TrajectoryRecorder.builder(sgd, TinyProblem.N).build();
                    Model model = problem.train(manager, -1, 0, sgd, hydra, recorder)) {
                assertArrayEquals(plain, weights(model));
            }
        }
    }

    /** The premise of the next test: the engine itself repeats a training run bit for bit. */
    @Test
    void lenetTrainingIsDeterministic() throws Exception {
        ImageData train = BundledData.train().subset(range(320));
        assertArrayEquals(trainLenet(train, null), trainLenet(train, null));
    }

    @Test
    void lenetTrainingIsBitIdenticalWithAndWithoutListener() throws Exception {
        ImageData train = BundledData.train().subset(range(320));
        double[] plain = trainLenet(train, null);
        HydraSgd sgd = lenetSgd();
        try (HydraListener hydra = HydraListener.builder(sgd, train.size()).build()) {
            double[] tracked = trainLenet(train, sgd, hydra);
            assertArrayEquals(plain, tracked);
            assertTrue(hydra.getSteps() == 10, "steps " + hydra.getSteps());
        }
    }

    @Test
    void sameSeedGivesSameContributions() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            double[] first = contributions(problem, manager, StorePlanner.Placement.DEVICE);
            double[] second = contributions(problem, manager, StorePlanner.Placement.DEVICE);
            assertArrayEquals(first, second);
        }
    }

    @Test
    void everyStoreGivesTheSameHypergradients() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            double[] device = contributions(problem, manager, StorePlanner.Placement.DEVICE);
            assertArrayEquals(device, contributions(problem, manager, StorePlanner.Placement.HOST));
            assertArrayEquals(device, contributions(problem, manager, StorePlanner.Placement.DISK));
        }
    }

    @Test
    void storeThatDoesNotFitIsRefusedWithRemedy() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            StorePlanner tiny =
                    StorePlanner.builder()
                            .optPlacement(StorePlanner.Placement.HOST)
                            .optHostBudget(1024)
                            .build();
            HydraListener hydra =
                    HydraListener.builder(sgd, TinyProblem.N).optStorePlanner(tiny).build();
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> problem.train(manager, -1, 0, sgd, hydra));
            assertTrue(e.getMessage().contains("Track fewer samples"), e.getMessage());
            assertTrue(e.getMessage().contains("200 x"), e.getMessage());
        }
    }

    @Test
    void optimizerNotUsedByTrainerIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            HydraListener hydra = HydraListener.builder(problem.optimizer(), TinyProblem.N).build();
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> problem.train(manager, -1, 0, problem.optimizer(), hydra));
            assertTrue(
                    e.getMessage().contains("not the HydraSgd given to HydraListener"),
                    e.getMessage());
        }
    }

    @Test
    void otherOptimizersAreRefusedAtTrainingStart() throws Exception {
        TinyProblem problem = new TinyProblem();
        HydraListener hydra = HydraListener.builder(problem.optimizer(), TinyProblem.N).build();
        try (Model model = Model.newInstance("tiny")) {
            model.setBlock(TinyProblem.block());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(ai.djl.training.optimizer.Optimizer.adam().build())
                            .addTrainingListeners(hydra);
            IllegalStateException e =
                    assertThrows(IllegalStateException.class, () -> model.newTrainer(config));
            assertTrue(e.getMessage().contains("Adam"), e.getMessage());
        }
    }

    /** A parameter server hydra-djl does not know hides the optimizer: refused, not skipped. */
    @Test
    void unknownParameterServerIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        HydraSgd sgd = problem.optimizer();
        try (Model model = Model.newInstance("tiny")) {
            model.setBlock(TinyProblem.block());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd);
            try (Trainer trainer =
                    Trainers.newTrainer(model, config, new Shape(1, TinyProblem.FEATURES))) {
                Field store = Trainer.class.getDeclaredField("parameterStore");
                store.setAccessible(true);
                ((ParameterStore) store.get(trainer))
                        .setParameterServer(new OtherEnginesServer(), trainer.getDevices());
                HydraListener hydra = HydraListener.builder(sgd, TinyProblem.N).build();
                IllegalStateException e =
                        assertThrows(
                                IllegalStateException.class, () -> hydra.onTrainingBegin(trainer));
                assertTrue(e.getMessage().contains("PyTorch and MXNet engines"), e.getMessage());
            }
        }
    }

    /** A parameter server of an engine hydra-djl does not know. */
    private static final class OtherEnginesServer implements ParameterServer {

        @Override
        public void init(String parameterId, NDArray[] value) {}

        @Override
        public void update(String parameterId, NDArray[] grads, NDArray[] params) {}

        @Override
        public void close() {}
    }

    @Test
    void batchesWithoutIndicesAreRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra = HydraListener.builder(sgd, TinyProblem.N).build();
            Model model = Model.newInstance("tiny");
            model.setDataType(DataType.FLOAT64);
            model.setBlock(TinyProblem.block());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(new TinyProblem.WeightedSoftmaxLoss())
                            .optOptimizer(sgd)
                            .addTrainingListeners(hydra);
            try (Trainer trainer =
                    Trainers.newTrainer(model, config, new Shape(1, TinyProblem.FEATURES))) {
                NDArray x =
                        manager.randomNormal(new Shape(4, TinyProblem.FEATURES))
                                .toType(DataType.FLOAT64, false);
                NDList labels =
                        new NDList(
                                manager.zeros(new Shape(4), DataType.FLOAT64),
                                manager.ones(new Shape(4), DataType.FLOAT64));
                Batch batch =
                        new Batch(
                                manager,
                                new NDList(x),
                                labels,
                                4,
                                Batchifier.STACK,
                                Batchifier.STACK,
                                0,
                                1);
                IllegalStateException e =
                        assertThrows(
                                IllegalStateException.class,
                                () -> EasyTrain.trainBatch(trainer, batch));
                assertTrue(e.getMessage().contains("dataset indices"), e.getMessage());
            }
            model.close();
        }
    }

    @Test
    void indexOutsideTrainingSetIsRefused() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            HydraListener hydra = HydraListener.builder(sgd, 50).build();
            IllegalStateException e =
                    assertThrows(
                            IllegalStateException.class,
                            () -> problem.train(manager, -1, 0, sgd, hydra));
            assertTrue(e.getMessage().contains("training set of 50"), e.getMessage());
        }
    }

    private static double[] contributions(
            TinyProblem problem, NDManager manager, StorePlanner.Placement placement)
            throws Exception {
        var sgd = problem.optimizer();
        StorePlanner planner = StorePlanner.builder().optPlacement(placement).build();
        try (HydraListener hydra =
                        HydraListener.builder(sgd, TinyProblem.N)
                                .optStorePlanner(planner)
                                .optChunkSize(37)
                                .build();
                Model model = problem.train(manager, -1, 0, sgd, hydra)) {
            assertTrue(hydra.describeStore().startsWith(placement.name()), hydra.describeStore());
            return HydraAttributor.builder(hydra.getHypergradients(HydraMode.HESSIAN_FREE))
                    .optChunkSize(64)
                    .build()
                    .testLossContributions(manager, problem.testSamples(manager))
                    .values();
        }
    }

    private static HydraSgd lenetSgd() {
        return HydraSgd.builder()
                .setLearningRateTracker(LearningRates.constant(0.05f))
                .optMomentum(0.9f)
                .optWeightDecay(5e-4f)
                .build();
    }

    private static double[] trainLenet(ImageData train, HydraSgd sgd, HydraListener... listeners)
            throws Exception {
        Trainers.seed(7);
        HydraSgd optimizer = sgd == null ? lenetSgd() : sgd;
        try (Model model = Model.newInstance("lenet");
                NDManager manager = NDManager.newBaseManager()) {
            model.setBlock(LeNet5.newBlock());
            DefaultTrainingConfig config =
                    new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                            .optOptimizer(optimizer);
            if (listeners.length > 0) {
                config.addTrainingListeners(listeners);
            }
            ArrayDataset data = train.toDataset(manager, DataType.FLOAT32, 32, true, 11);
            try (Trainer trainer = Trainers.newTrainer(model, config, LeNet5.INPUT_SHAPE)) {
                ai.hydra.testing.JavaInit.apply(trainer, 7);
                EasyTrain.fit(trainer, 1, data, null);
            }
            return weights(model);
        }
    }

    private static double[] weights(Model model) {
        List<Double> all = new ArrayList<>();
        for (Pair<String, Parameter> pair : model.getBlock().getParameters()) {
            for (double v :
                    pair.getValue().getArray().toType(DataType.FLOAT64, true).toDoubleArray()) {
                all.add(v);
            }
        }
        return all.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static int[] range(int n) {
        int[] out = new int[n];
        java.util.Arrays.setAll(out, i -> i);
        return out;
    }
}
