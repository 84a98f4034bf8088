package ai.hydra.reproduce.outlier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.loss.Loss;
import ai.hydra.attribution.Capability;
import ai.hydra.attribution.Contributions;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.ShadowModel;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Outlier Gradient Analysis against a hand computation: the last-layer gradients of a small tanh
 * MLP derived by hand ({@code dW2 = (p - onehot) h^T}, {@code db2 = p - onehot}), and the scores of
 * the isolation forest on them.
 */
class OutlierGradientAttributorTest {

    private static final int N = 60;
    private static final int IN = 4;
    private static final int HIDDEN = 5;
    private static final int CLASSES = 3;

    @Test
    void scoresTheHandComputedLastLayerGradients() {
        Random random = new Random(3);
        double[][] x = new double[N][IN];
        int[] y = new int[N];
        for (int i = 0; i < N; i++) {
            y[i] = random.nextInt(CLASSES);
            for (int f = 0; f < IN; f++) {
                x[i][f] = random.nextGaussian() + y[i];
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock block =
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(HIDDEN).build())
                            .add(Activation::tanh)
                            .add(Linear.builder().setUnits(CLASSES).build());
            block.initialize(manager, DataType.FLOAT64, new Shape(1, IN));
            // non-zero biases everywhere, so that no coordinate is trivially zero
            block.getParameters().forEach(p -> p.getValue().getArray().addi(0.1));
            double[] w1 = block.getParameters().get(0).getValue().getArray().toDoubleArray();
            double[] b1 = block.getParameters().get(1).getValue().getArray().toDoubleArray();
            double[] w2 = block.getParameters().get(2).getValue().getArray().toDoubleArray();
            double[] b2 = block.getParameters().get(3).getValue().getArray().toDoubleArray();
            double[][] expected = new double[N][CLASSES * HIDDEN + CLASSES];
            for (int i = 0; i < N; i++) {
                double[] h = new double[HIDDEN];
                for (int j = 0; j < HIDDEN; j++) {
                    double a = b1[j];
                    for (int f = 0; f < IN; f++) {
                        a += w1[j * IN + f] * x[i][f];
                    }
                    h[j] = Math.tanh(a);
                }
                double[] p = new double[CLASSES];
                double sum = 0;
                for (int c = 0; c < CLASSES; c++) {
                    double z = b2[c];
                    for (int j = 0; j < HIDDEN; j++) {
                        z += w2[c * HIDDEN + j] * h[j];
                    }
                    p[c] = Math.exp(z);
                    sum += p[c];
                }
                for (int c = 0; c < CLASSES; c++) {
                    double dz = p[c] / sum - (c == y[i] ? 1 : 0);
                    for (int j = 0; j < HIDDEN; j++) {
                        expected[i][c * HIDDEN + j] = dz * h[j];
                    }
                    expected[i][CLASSES * HIDDEN + c] = dz;
                }
            }
            double[] labels = new double[N];
            for (int i = 0; i < N; i++) {
                labels[i] = y[i];
            }
            SampleSet samples =
                    SampleSet.of(new NDList(manager.create(x)), new NDList(manager.create(labels)));
            OutlierGradientAttributor oga =
                    OutlierGradientAttributor.builder(
                                    new ShadowModel(block, Loss.softmaxCrossEntropyLoss()))
                            .optSeed(5)
                            .optChunkSize(16)
                            .build();
            double[][] gradients = oga.lastLayerGradients(manager, samples);
            for (int i = 0; i < N; i++) {
                assertArrayEquals(expected[i], gradients[i], 1e-12, "sample " + i);
            }
            Contributions scores = oga.selfAttribution(manager, samples);
            double[] forest = IsolationForestScorer.builder().optSeed(5).build().scores(expected);
            assertArrayEquals(forest, scores.values(), 1e-12);
            boolean[] outliers = oga.outliers(scores);
            int flagged = 0;
            for (boolean outlier : outliers) {
                flagged += outlier ? 1 : 0;
            }
            assertEquals(3, flagged, "5% of 60");
            assertTrue(oga.supports(Capability.SELF_ATTRIBUTION));
            assertFalse(oga.supports(Capability.TEST_CONTRIBUTIONS));
            UnsupportedOperationException e =
                    assertThrows(
                            UnsupportedOperationException.class,
                            () -> oga.testLossContributions(manager, samples));
            assertTrue(
                    e.getMessage().startsWith("outlier-gradient does not support"), e.getMessage());
        }
    }
}
