package ai.hydra.attribution;

import ai.djl.ndarray.NDManager;
import ai.hydra.data.SampleSet;
import java.util.Arrays;

/**
 * A training-data attribution method: how much each training sample contributed to losses.
 *
 * <p>Every method reports on one scale and sign, so that methods compare cell by cell and a
 * benchmark loops over them without knowing them: {@code C(i, J) = -(1/N) dJ/deps_i}, where the
 * training objective weighs sample i's loss by {@code 1/N + eps_i} and {@code J} is a test loss.
 * Removing sample i is {@code eps_i = -1/N}, so C predicts the change of {@code J} on removal:
 * positive = the sample helped (removing it would raise the loss).
 *
 * <pre>{@code
 * for (Attributor method : methods) {
 *     if (method.supports(Capability.TEST_CONTRIBUTIONS)) {
 *         Contributions c = method.testLossContributions(manager, testSet);
 *         int[] best = c.mostHelpful(10);       // rows; c.trainIndex(row) is the dataset index
 *     }
 *     if (method.supports(Capability.SELF_ATTRIBUTION)) {
 *         Contributions self = method.selfAttribution(manager, trainSet);
 *     }
 * }
 * }</pre>
 *
 * <p>Methods that cannot do an operation say so in {@link #supports} and throw an {@link
 * UnsupportedOperationException} that names the method and the reason.
 */
public interface Attributor extends AutoCloseable {

    /**
     * Returns a short name for reports, e.g. {@code hydra-hessian-free} or {@code influence-cg}.
     *
     * @return the name
     */
    String name();

    /**
     * Whether this method can compute an operation.
     *
     * @param capability the operation
     * @return true if the corresponding method works
     */
    boolean supports(Capability capability);

    /**
     * Computes the contributions of training samples to test functionals: column j of the result is
     * {@code C(i, J_j)} for {@code J_j} the sum or mean of a group of test samples' losses
     * (prediction mode, as the model is used at test time). Rows are the training samples the
     * method scores, named by their dataset indices.
     *
     * @param manager a manager on the model's device, for temporaries
     * @param functionals the test losses
     * @return rows = training samples, columns = functionals
     * @throws UnsupportedOperationException if this method does not support {@link
     *     Capability#TEST_CONTRIBUTIONS}
     */
    default ContributionMatrix contributions(NDManager manager, TestFunctionals functionals) {
        throw unsupported(Capability.TEST_CONTRIBUTIONS, "");
    }

    /**
     * Computes C(i) for the mean loss over a test set.
     *
     * @param manager a manager on the model's device, for temporaries
     * @param testSet the test samples
     * @return one contribution per training sample the method scores
     * @throws UnsupportedOperationException if this method does not support {@link
     *     Capability#TEST_CONTRIBUTIONS}
     */
    default Contributions testLossContributions(NDManager manager, SampleSet testSet) {
        return contributions(manager, TestFunctionals.meanLoss(testSet)).column(0);
    }

    /**
     * Computes C(i, j) for every training sample i and every test sample j of a set.
     *
     * @param manager a manager on the model's device, for temporaries
     * @param testSamples the test samples; their dataset indices name the columns
     * @return rows = training samples, columns = test samples
     * @throws UnsupportedOperationException if this method does not support {@link
     *     Capability#TEST_CONTRIBUTIONS}
     */
    default ContributionMatrix contributionMatrix(NDManager manager, SampleSet testSamples) {
        return contributions(manager, TestFunctionals.eachSample(testSamples));
    }

    /**
     * Computes the paper's inter-class matrix (Eq. 23) over a whole test set: {@code M[a][b]} sums
     * C(i, j) over training samples i of class a and test samples j of class b. Exact and cheap:
     * one functional per test class (the sum of its samples' losses).
     *
     * @param manager a manager on the model's device, for temporaries
     * @param testSet the test samples, first label array holding class indices
     * @param trainLabels the class of every training sample, indexed by dataset index
     * @param numClasses the number of classes
     * @return the matrix
     * @throws UnsupportedOperationException if this method does not support {@link
     *     Capability#TEST_CONTRIBUTIONS}
     */
    default InterClassMatrix interClass(
            NDManager manager, SampleSet testSet, int[] trainLabels, int numClasses) {
        ContributionMatrix byClass =
                contributions(manager, TestFunctionals.classSums(testSet, numClasses));
        int[] rowLabels = Arrays.stream(byClass.trainIndices()).map(i -> trainLabels[i]).toArray();
        // the column ids of class functionals are the classes
        return byClass.interClass(rowLabels, byClass.testIndices(), numClasses);
    }

    /**
     * Scores training samples by themselves, without test data. For methods that produce
     * contributions this is {@code C(i, i)}: the contribution of sample i to its own loss at the
     * final weights (prediction mode), the standard score for finding mislabeled samples; methods
     * that only score samples (self-loss, outlier detection, random) return their score. In every
     * case a larger value marks a sample that its own fit depends on more, i.e. a more likely
     * mislabeled one.
     *
     * @param manager a manager on the model's device, for temporaries
     * @param trainSamples the training samples to score, named by their dataset indices
     * @return one value per given sample, in their order
     * @throws UnsupportedOperationException if this method does not support {@link
     *     Capability#SELF_ATTRIBUTION}
     */
    default Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        throw unsupported(Capability.SELF_ATTRIBUTION, "");
    }

    /**
     * Creates the exception of an operation this method does not support.
     *
     * @param capability the operation asked for
     * @param reason why the method cannot do it (may be empty)
     * @return the exception, naming the method, the operation and the reason
     */
    default UnsupportedOperationException unsupported(Capability capability, String reason) {
        return new UnsupportedOperationException(
                name()
                        + " does not support "
                        + capability.description()
                        + (reason.isEmpty() ? "" : ": " + reason)
                        + ". Ask supports(Capability."
                        + capability.name()
                        + ") before calling.");
    }

    /** Frees what the method holds (nothing by default). */
    @Override
    default void close() {}
}
