package ai.hydra.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.hydra.data.SampleSet;
import ai.hydra.listener.HydraListener;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.testing.TinyProblem;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The three contribution routes agree: C(i) for the mean test loss is the mean of the per-sample
 * C(i, j); the streamed Eq. 23 class sums equal the sums of the full matrix.
 */
class HydraAttributorTest {

    @Test
    void testLossAndClassSumsAgreeWithPerSampleMatrix() throws Exception {
        TinyProblem problem = new TinyProblem();
        try (NDManager manager = NDManager.newBaseManager()) {
            var sgd = problem.optimizer();
            try (HydraListener hydra = HydraListener.builder(sgd, TinyProblem.N).build();
                    Model model = problem.train(manager, -1, 0, sgd, hydra)) {
                Attributor analysis =
                        HydraAttributor.builder(hydra.getHypergradients(HydraMode.HESSIAN_FREE))
                                .optChunkSize(48)
                                .build();
                SampleSet testSet = problem.testSamples(manager);
                int[] ids = new int[TinyProblem.TEST];
                Arrays.setAll(ids, j -> j);
                ContributionMatrix full = analysis.contributionMatrix(manager, testSet);
                assertArrayEquals(ids, full.testIndices());
                double[] meanLoss = analysis.testLossContributions(manager, testSet).values();
                for (int i = 0; i < full.rows(); i++) {
                    double sum = 0;
                    for (int j = 0; j < full.columns(); j++) {
                        sum += full.get(i, j);
                    }
                    assertEquals(
                            sum / full.columns(), meanLoss[i], 1e-12 * (1 + Math.abs(meanLoss[i])));
                }
                InterClassMatrix streamed =
                        analysis.interClass(manager, testSet, problem.trainY, TinyProblem.CLASSES);
                InterClassMatrix direct =
                        full.interClass(problem.trainY, problem.testY, TinyProblem.CLASSES);
                for (int a = 0; a < TinyProblem.CLASSES; a++) {
                    assertArrayEquals(direct.raw()[a], streamed.raw()[a], 1e-10);
                    assertArrayEquals(direct.normalized()[a], streamed.normalized()[a], 1e-10);
                }
            }
        }
    }
}
