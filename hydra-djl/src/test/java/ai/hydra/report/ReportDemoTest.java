package ai.hydra.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.EasyTrain;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.data.BundledData;
import ai.hydra.data.ImageData;
import ai.hydra.data.SampleSet;
import ai.hydra.listener.HydraListener;
import ai.hydra.model.LeNet5;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.train.HydraSgd;
import ai.hydra.train.LearningRates;
import ai.hydra.train.Trainers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * End to end on real data: LeNet-5 trained for one epoch on the 2,000 bundled Fashion-MNIST images
 * with HYDRA tracking all of them, then a full report over the 400 bundled test images. Minutes on
 * two CPU cores, so it runs only when {@code -Dhydra.report.demoDir=DIR} names where to keep the
 * report.
 */
class ReportDemoTest {

    private static final int TEST_SAMPLES = 400;

    @Test
    void realRunProducesAConsistentReport() throws Exception {
        String kept = System.getProperty("hydra.report.demoDir");
        Assumptions.assumeTrue(
                kept != null && !kept.isBlank(), "set -Dhydra.report.demoDir to run");
        Path dir = Paths.get(kept);
        ImageData train = BundledData.train();
        ImageData test = BundledData.test();
        int[] columns = new int[TEST_SAMPLES];
        Arrays.setAll(columns, j -> j);
        try (NDManager manager = NDManager.newBaseManager()) {
            HydraSgd sgd =
                    HydraSgd.builder()
                            .setLearningRateTracker(LearningRates.constant(0.05f))
                            .optMomentum(0.9f)
                            .build();
            Trainers.seed(7);
            try (HydraListener hydra = HydraListener.builder(sgd, train.size()).build();
                    Model model = Model.newInstance("lenet5")) {
                model.setBlock(LeNet5.newBlock());
                ArrayDataset trainSet = train.toDataset(manager, DataType.FLOAT32, 64, true, 7);
                DefaultTrainingConfig config =
                        new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                                .optOptimizer(sgd)
                                .addTrainingListeners(hydra);
                double accuracy;
                try (Trainer trainer = Trainers.newTrainer(model, config, LeNet5.INPUT_SHAPE)) {
                    for (int epoch = 0; epoch < 2; epoch++) {
                        EasyTrain.fit(trainer, 1, trainSet, null);
                    }
                    accuracy =
                            Trainers.accuracy(
                                    trainer, test.toDataset(manager, DataType.FLOAT32, 100));
                }
                Attributor analysis =
                        HydraAttributor.builder(hydra.getHypergradients(HydraMode.HESSIAN_FREE))
                                .optBatchSize(100)
                                .build();
                SampleSet testSet = test.toSampleSet(manager, DataType.FLOAT32);
                Contributions testLoss = analysis.testLossContributions(manager, testSet);
                ContributionMatrix matrix =
                        analysis.contributionMatrix(manager, testSet.select(manager, columns));
                ContributionReport report =
                        ContributionReport.builder()
                                .setContributions(matrix)
                                .setTrainImages(train)
                                .setTestImages(test)
                                .optTestLossContributions(testLoss)
                                .optTopK(5)
                                .optTestColumns(0, 1, 2, 3)
                                .optSetting(
                                        "dataset",
                                        "Fashion-MNIST, bundled subset (2,000 train / 400 test)")
                                .optSetting("model", "LeNet-5, float32")
                                .optSetting(
                                        "training", "2 epochs, batch 64, SGD lr 0.05 momentum 0.9")
                                .optSetting(
                                        "mode", "Hessian-free, all 2,000 training samples tracked")
                                .optSetting("test accuracy", String.format("%.3f", accuracy))
                                .build();
                report.write(manager, dir);
                assertTrue(
                        accuracy > 0.5, "LeNet-5 should learn Fashion-MNIST, accuracy " + accuracy);
                assertEquals(
                        train.size() + 1,
                        Files.readAllLines(dir.resolve(ContributionReport.TEST_LOSS_CSV)).size());
                assertSameClassHelpsMost(matrix, train, test);
            }
        }
    }

    /** The paper's Fig. 2 observation: on average a class helps its own test samples most. */
    private static void assertSameClassHelpsMost(
            ContributionMatrix matrix, ImageData train, ImageData test) {
        int[] trainIndices = matrix.trainIndices();
        double same = 0;
        double other = 0;
        int sameCount = 0;
        int otherCount = 0;
        for (int j = 0; j < matrix.columns(); j++) {
            int testLabel = test.label(matrix.testIndices()[j]);
            for (int i = 0; i < matrix.rows(); i++) {
                if (train.label(trainIndices[i]) == testLabel) {
                    same += matrix.get(i, j);
                    sameCount++;
                } else {
                    other += matrix.get(i, j);
                    otherCount++;
                }
            }
        }
        assertTrue(
                same / sameCount > other / otherCount,
                "same-class mean " + same / sameCount + " vs other " + other / otherCount);
    }
}
