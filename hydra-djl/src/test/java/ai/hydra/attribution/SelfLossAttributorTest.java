package ai.hydra.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.testing.TinyMlpMath;
import ai.hydra.testing.TinyProblem;
import org.junit.jupiter.api.Test;

/** Self-loss against the hand-computed cross-entropy of the tiny MLP. */
class SelfLossAttributorTest {

    @Test
    void lossesMatchTheHandComputation() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager();
                Model model = problem.train(manager, -1, 0, problem.optimizer())) {
            double[] w =
                    ParameterSpace.of(model.getBlock())
                            .values(manager, DataType.FLOAT64)
                            .toDoubleArray();
            SelfLossAttributor selfLoss =
                    new SelfLossAttributor(
                            new ShadowModel(
                                    model.getBlock(), new TinyProblem.WeightedSoftmaxLoss()),
                            17);
            Contributions losses = selfLoss.selfAttribution(manager, problem.trainSamples(manager));
            assertEquals(TinyProblem.N, losses.size());
            for (int i = 0; i < TinyProblem.N; i++) {
                double expected = TinyMlpMath.loss(w, problem.trainX[i], problem.trainY[i]);
                assertEquals(expected, losses.get(i), 1e-12 * expected, "sample " + i);
                assertEquals(i, losses.trainIndex(i));
            }
            assertFalse(selfLoss.supports(Capability.TEST_CONTRIBUTIONS));
            assertThrows(
                    UnsupportedOperationException.class,
                    () -> selfLoss.testLossContributions(manager, problem.testSamples(manager)));
        }
    }
}
