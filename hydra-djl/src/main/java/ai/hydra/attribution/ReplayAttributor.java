package ai.hydra.attribution;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Preconditions;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.DirectionalDerivatives;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.replay.ReverseSweep;
import ai.hydra.replay.Trajectory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * HYDRA's exact contributions of every training sample, by reverse-mode replay of a recorded
 * training run ({@link ReverseSweep}): {@code C(i, J) = -(1/N) dJ/deps_i} for all N samples at the
 * cost of one backward sweep per call, i.e. per step one Hessian-vector product and one set of
 * per-sample slopes for each test functional.
 *
 * <pre>{@code
 * TrajectoryRecorder recorder = TrajectoryRecorder.builder(sgd, trainSet.size()).build();
 * // ... train with the recorder attached ...
 * Attributor exact = ReplayAttributor.builder(
 *                 recorder.getTrajectory(),
 *                 new ShadowModel(model.getBlock(), loss),
 *                 SampleSet.of(manager, trainSet))
 *         .build();
 * Contributions c = exact.testLossContributions(manager, testSet);   // every training sample
 * }</pre>
 *
 * <p>Rows are all training samples, in dataset-index order. The values equal those of the
 * listener's Hessian-aware mode (the same derivative, computed backwards); test losses are taken in
 * prediction mode at the final weights, with batch normalization's running statistics held at their
 * final values. The cost grows with the number of functionals, not of samples: the mean test loss
 * is one sweep, C(i, j) for k test samples k sweeps' worth of products, and {@link
 * #selfAttribution} one functional per given sample.
 */
public final class ReplayAttributor implements Attributor {

    private final Trajectory trajectory;
    private final ShadowModel model;
    private final ReverseSweep sweep;
    private final int batchSize;

    private ReplayAttributor(Builder builder) {
        trajectory = builder.trajectory;
        model = builder.model;
        batchSize = builder.batchSize;
        ReverseSweep.Builder sweepBuilder =
                ReverseSweep.builder(builder.trajectory, builder.model, builder.trainSamples)
                        .optProgress(builder.progress);
        if (builder.derivatives != null) {
            sweepBuilder.optDerivatives(builder.derivatives);
        }
        sweep = sweepBuilder.build();
    }

    /**
     * Creates a builder.
     *
     * @param trajectory a complete recording ({@code TrajectoryRecorder.getTrajectory()})
     * @param model the trained block and the training loss, as a shadow model
     * @param trainSamples the whole training set the run trained on, on the training device
     * @return the builder
     */
    public static Builder builder(
            Trajectory trajectory, ShadowModel model, SampleSet trainSamples) {
        return new Builder(trajectory, model, trainSamples);
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "hydra-exact";
    }

    /** {@inheritDoc} */
    @Override
    public boolean supports(Capability capability) {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public ContributionMatrix contributions(NDManager manager, TestFunctionals functionals) {
        return contributions(manager, List.of(functionals)).get(0);
    }

    /**
     * Computes the contributions to several sets of test functionals in one sweep (one replay of
     * the trajectory, the Hessian products of all functionals per step), e.g. the mean test loss, a
     * few single test samples and the class sums of a report.
     *
     * @param manager a manager on the model's device, for temporaries
     * @param functionals the sets of test losses
     * @return one matrix per set, in order: rows = all training samples, columns = its functionals
     */
    public List<ContributionMatrix> contributions(
            NDManager manager, List<TestFunctionals> functionals) {
        int n = Math.toIntExact(trajectory.trainingSetSize());
        int[] trainIndices = IntStream.range(0, n).toArray();
        try (NDManager scope = manager.newSubManager()) {
            NDArray w = trajectory.finalWeights().duplicate();
            w.attach(scope); // gradients attach to the weights' manager
            NDList gradients = new NDList(functionals.size());
            for (TestFunctionals set : functionals) {
                gradients.add(LossGradients.of(model, w, set, batchSize));
            }
            double[][] derivatives = sweep.run(scope, NDArrays.concat(gradients));
            List<ContributionMatrix> out = new ArrayList<>(functionals.size());
            int first = 0;
            for (TestFunctionals set : functionals) {
                double[][] values = new double[n][set.columns()];
                for (int k = 0; k < set.columns(); k++) {
                    double[] column = derivatives[first + k];
                    for (int i = 0; i < n; i++) {
                        values[i][k] = -column[i] / n;
                    }
                }
                out.add(new ContributionMatrix(values, trainIndices, set.columnIds()));
                first += set.columns();
            }
            return out;
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>One functional (the sample's own loss at the final weights, prediction mode) per given
     * sample, all in one sweep: affordable for a few dozen samples.
     */
    @Override
    public Contributions selfAttribution(NDManager manager, SampleSet trainSamples) {
        ContributionMatrix all = contributions(manager, TestFunctionals.eachSample(trainSamples));
        double[] values = new double[trainSamples.size()];
        for (int k = 0; k < values.length; k++) {
            values[k] = all.get(trainSamples.index(k), k);
        }
        return new Contributions(values, trainSamples.indices());
    }

    /**
     * Describes what the recording stored and what the replays checked, for the run's output.
     *
     * @return a sentence
     */
    public String describe() {
        return sweep.describe();
    }

    /** Builds a {@link ReplayAttributor}. */
    public static final class Builder {

        private final Trajectory trajectory;
        private final ShadowModel model;
        private final SampleSet trainSamples;
        private DirectionalDerivatives derivatives;
        private IntConsumer progress = done -> {};
        private int batchSize = 64;

        Builder(Trajectory trajectory, ShadowModel model, SampleSet trainSamples) {
            this.trajectory = trajectory;
            this.model = model;
            this.trainSamples = trainSamples;
        }

        /**
         * Sets how the per-step derivatives are computed; defaults to central differences in
         * float64.
         *
         * @param derivatives the implementation
         * @return this builder
         */
        public Builder optDerivatives(DirectionalDerivatives derivatives) {
            this.derivatives = derivatives;
            return this;
        }

        /**
         * Sets how many test samples one gradient pass takes; default 64.
         *
         * @param batchSize samples per pass
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            Preconditions.checkArgument(
                    batchSize > 0, "batch size must be positive, got " + batchSize);
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets a callback told the number of steps swept after each step.
         *
         * @param progress the callback
         * @return this builder
         */
        public Builder optProgress(IntConsumer progress) {
            this.progress = progress;
            return this;
        }

        /**
         * Builds the attributor.
         *
         * @return the attributor
         * @throws IllegalStateException if the recording is not complete
         * @throws IllegalArgumentException if the model contains dropout or the training samples
         *     are not the run's
         */
        public ReplayAttributor build() {
            return new ReplayAttributor(this);
        }
    }
}
