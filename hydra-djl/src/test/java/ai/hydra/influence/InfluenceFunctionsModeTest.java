package ai.hydra.influence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.loss.Loss;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.testing.EngineNeutral;
import ai.hydra.testing.JavaInit;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Influence functions describe one function of the weights: their Hessian is that of the
 * prediction-mode loss, the mode their gradients are taken in (batch normalization with running
 * statistics); and they keep their own copy of the weights they are given.
 */
@EngineNeutral
class InfluenceFunctionsModeTest {

    private static final int N = 12;
    private static final double H = 1e-5;

    @Test
    void hessianIsThatOfThePredictionModeLoss() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SequentialBlock block =
                    new SequentialBlock()
                            .add(Linear.builder().setUnits(4).build())
                            .add(BatchNorm.builder().build())
                            .add(Activation.tanhBlock())
                            .add(Linear.builder().setUnits(3).build());
            block.initialize(manager, DataType.FLOAT64, new Shape(N, 3));
            Random random = new Random(9);
            JavaInit.randomizeAll(block, random, 1);
            ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
            NDList x = new NDList(gaussian(manager, random, new Shape(N, 3)));
            double[] classes = new double[N];
            for (int k = 0; k < N; k++) {
                classes[k] = random.nextInt(3);
            }
            NDList y = new NDList(manager.create(classes));
            NDArray w = shadow.space().values(manager, DataType.FLOAT64);
            NDArray v = gaussian(manager, random, new Shape(2, shadow.space().size()));
            try (InfluenceFunctions influence =
                    InfluenceFunctions.builder(shadow, SampleSet.of(x, y))
                            .optHessianChunkSize(5) // several chunks
                            .build()) {
                double[] got = influence.hessian().multiply(v).toDoubleArray();
                double[] truth = centralDifferences(shadow, w, x, y, v, false);
                double[] training = centralDifferences(shadow, w, x, y, v, true);
                double error = InverseHvpSolverTest.relativeError(got, truth);
                double modeGap = InverseHvpSolverTest.relativeError(training, truth);
                System.out.printf(
                        "influence H v vs prediction-mode differences: %.2e (training-mode"
                                + " Hessian differs by %.2e)%n",
                        error, modeGap);
                assertTrue(error < 1e-6, "relative error " + error);
                assertTrue(modeGap > 1e-2, "the modes must differ here: " + modeGap);
                double[] frozen =
                        new FiniteDifferenceHvp(shadow, FiniteDifferenceHvp.DEFAULT_STEP, false)
                                .multiply(w, x, y, v)
                                .toDoubleArray();
                assertTrue(
                        InverseHvpSolverTest.relativeError(frozen, truth) < 1e-6,
                        "prediction-mode products");
            }
        }
    }

    /** A later in-place change of the caller's weights does not move the influence's weights. */
    @Test
    void keepsACopyOfTheGivenWeights() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Linear block = Linear.builder().setUnits(2).build();
            block.initialize(manager, DataType.FLOAT64, new Shape(4, 3));
            ShadowModel shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
            NDArray w = shadow.space().values(manager, DataType.FLOAT64);
            double[] given = w.toDoubleArray();
            SampleSet train =
                    SampleSet.of(
                            new NDList(manager.ones(new Shape(4, 3), DataType.FLOAT64)),
                            new NDList(manager.zeros(new Shape(4), DataType.FLOAT64)));
            try (InfluenceFunctions influence =
                    InfluenceFunctions.builder(shadow, train).optWeights(w).build()) {
                w.addi(1);
                assertArrayEquals(given, influence.weights().toDoubleArray());
            }
        }
    }

    /** {@code (g(w + h v) - g(w - h v)) / 2h} of the whole set's mean-loss gradient, per row. */
    private static double[] centralDifferences(
            ShadowModel shadow, NDArray w, NDList x, NDList y, NDArray v, boolean training) {
        long rows = v.getShape().get(0);
        double[] out = new double[Math.toIntExact(v.size())];
        int p = Math.toIntExact(shadow.space().size());
        for (int r = 0; r < rows; r++) {
            NDArray direction = v.get(r);
            double[] plus =
                    shadow.gradient(w.add(direction.mul(H)), x, y, training).toDoubleArray();
            double[] minus =
                    shadow.gradient(w.sub(direction.mul(H)), x, y, training).toDoubleArray();
            for (int j = 0; j < p; j++) {
                out[r * p + j] = (plus[j] - minus[j]) / (2 * H);
            }
        }
        return out;
    }

    private static NDArray gaussian(NDManager manager, Random random, Shape shape) {
        double[] values = new double[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian();
        }
        return manager.create(values, shape);
    }
}
