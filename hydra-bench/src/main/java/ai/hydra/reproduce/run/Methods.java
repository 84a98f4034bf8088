package ai.hydra.reproduce.run;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.attribution.RandomAttributor;
import ai.hydra.attribution.ReplayAttributor;
import ai.hydra.attribution.SelfLossAttributor;
import ai.hydra.attribution.TracInAttributor;
import ai.hydra.data.SampleSet;
import ai.hydra.experiment.ReproductionSettings.InfluenceSettings;
import ai.hydra.experiment.ReproductionSettings.Method;
import ai.hydra.experiment.ReproductionSettings.Solver;
import ai.hydra.gradient.FiniteDifferenceDirectionalDerivatives;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.influence.ConjugateGradientSolver;
import ai.hydra.influence.InfluenceFunctions;
import ai.hydra.influence.InverseHvpSolver;
import ai.hydra.influence.LissaSolver;
import ai.hydra.influence.SolverProgress;
import ai.hydra.listener.HydraListener;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.replay.Trajectory;
import ai.hydra.reproduce.outlier.OutlierGradientAttributor;
import ai.hydra.train.HydraSgd;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Builds the attribution method a config names on a trained run: every method is an {@link
 * Attributor}, so the experiments loop over them without knowing them.
 */
public final class Methods {

    /** The relative residual at which conjugate gradients stop. */
    public static final double CG_TOLERANCE = 1e-6;

    private Methods() {}

    /**
     * Options of the methods that have any.
     *
     * @param influence the influence-function solver
     * @param seed the seed of random scores, LiSSA's minibatches and the isolation forest
     * @param outlierTrees the isolation forest's trees
     * @param outlierSampleSize its subsample size
     * @param outlierContamination the share it flags
     * @param progress receives solver progress
     */
    public record Options(
            InfluenceSettings influence,
            long seed,
            int outlierTrees,
            int outlierSampleSize,
            double outlierContamination,
            SolverProgress progress) {

        /**
         * Options with the outlier-gradient defaults (100 trees, subsamples of 256, 5%).
         *
         * @param influence the influence-function solver
         * @param seed the seed
         * @param progress receives solver progress
         * @return the options
         */
        public static Options of(InfluenceSettings influence, long seed, SolverProgress progress) {
            return new Options(influence, seed, 100, 256, 0.05, progress);
        }
    }

    /**
     * Builds a method, or says why it is not available on this run.
     *
     * @param method the method
     * @param run the trained run (with the listeners the method needs)
     * @param trainSet the run's training samples (noisy labels), on the model's device
     * @param options the methods' options
     * @return the attributor (close it), or empty when the run lacks what the method needs
     */
    public static Optional<Attributor> create(
            Method method, TrainedRun run, SampleSet trainSet, Options options) {
        int batchSize = run.config().train().batchSize();
        HydraListener hydra = run.hydra();
        return switch (method) {
            case HYDRA_HESSIAN_FREE ->
                    hydra != null && hydra.getMode().modes().contains(HydraMode.HESSIAN_FREE)
                            ? Optional.of(hydra(hydra, HydraMode.HESSIAN_FREE, batchSize))
                            : Optional.empty();
            case HYDRA_EXACT -> exact(run, trainSet, batchSize, options);
            case INFLUENCE -> Optional.of(influence(run, trainSet, options.influence(), options));
            case TRACIN_CP ->
                    run.snapshots() == null
                            ? Optional.empty()
                            : Optional.of(
                                    TracInAttributor.builder(
                                                    run.shadow(),
                                                    run.snapshots().snapshots(),
                                                    trainSet)
                                            .optBatchSize(batchSize)
                                            .build());
            case OUTLIER_GRADIENT ->
                    Optional.of(
                            OutlierGradientAttributor.builder(run.shadow())
                                    .optTrees(options.outlierTrees())
                                    .optSampleSize(options.outlierSampleSize())
                                    .optContamination(options.outlierContamination())
                                    .optSeed(options.seed())
                                    .build());
            case SELF_LOSS -> Optional.of(new SelfLossAttributor(run.shadow(), batchSize));
            case RANDOM ->
                    Optional.of(
                            new RandomAttributor(
                                    options.seed(), IntStream.range(0, trainSet.size()).toArray()));
        };
    }

    /**
     * Builds influence functions on the final model with the given solver settings.
     *
     * @param run the trained run
     * @param trainSet its training samples
     * @param settings the solver
     * @param options the seed and progress
     * @return the method
     */
    public static InfluenceFunctions influence(
            TrainedRun run, SampleSet trainSet, InfluenceSettings settings, Options options) {
        return influence(
                run.shadow(),
                trainSet,
                run.optimizer(),
                run.config().train().batchSize(),
                settings,
                options);
    }

    /**
     * Builds influence functions at a model's current weights (e.g. during training).
     *
     * @param model the block and its training loss
     * @param trainSet the training samples
     * @param sgd the optimizer (its weight decay regularizes the Hessian)
     * @param batchSize test samples per gradient pass
     * @param settings the solver
     * @param options the seed and progress
     * @return the method
     */
    public static InfluenceFunctions influence(
            ShadowModel model,
            SampleSet trainSet,
            HydraSgd sgd,
            int batchSize,
            InfluenceSettings settings,
            Options options) {
        InverseHvpSolver solver =
                settings.solver() == Solver.LISSA
                        ? LissaSolver.builder()
                                .optDamping(settings.damping())
                                .optScale(settings.scale())
                                .optDepth(settings.depth())
                                .optRepeats(settings.repeats())
                                .optBatchSize(settings.batchSize())
                                .optSeed(options.seed())
                                .build()
                        : ConjugateGradientSolver.builder()
                                .optMaxIterations(settings.depth())
                                .optTolerance(CG_TOLERANCE)
                                .build();
        return InfluenceFunctions.builder(model, trainSet)
                .optOptimizer(sgd)
                .optSolver(solver)
                .optDamping(settings.solver() == Solver.CG ? settings.damping() : 0)
                .optBatchSize(batchSize)
                .optProgress(options.progress())
                .build();
    }

    /**
     * Describes influence-function settings for reports.
     *
     * @param settings the solver
     * @return e.g. {@code LiSSA damping 0.01, scale 1000 (inverts H + 10 I), depth 1000, 1 repeat}
     */
    public static String describe(InfluenceSettings settings) {
        if (settings.solver() == Solver.CG) {
            return String.format(
                    Locale.ROOT,
                    "CG damping %s (inverts H + %s I), at most %d iterations",
                    compact(settings.damping()),
                    compact(settings.damping()),
                    settings.depth());
        }
        return String.format(
                Locale.ROOT,
                "LiSSA damping %s, scale %s (inverts H + %s I), depth %d, %d repeat(s), batch %d",
                compact(settings.damping()),
                compact(settings.scale()),
                compact(settings.damping() * settings.scale()),
                settings.depth(),
                settings.repeats(),
                settings.batchSize());
    }

    /** A number without a needless fraction: 1000 rather than 1000.0, 0.1 rather than 0.1000. */
    private static String compact(double value) {
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.6g", value))
                .stripTrailingZeros()
                .toPlainString();
    }

    /**
     * The exact contributions: of every training sample by the reverse-mode replay when the run
     * recorded its trajectory, else the Hessian-aware hypergradients of the run's listener or of
     * its exact subset.
     */
    private static Optional<Attributor> exact(
            TrainedRun run, SampleSet trainSet, int batchSize, Options options) {
        if (run.trajectory() != null) {
            ShadowModel shadow = run.shadow();
            Trajectory trajectory = run.trajectory().getTrajectory();
            return Optional.of(
                    ReplayAttributor.builder(trajectory, shadow, trainSet)
                            .optDerivatives(
                                    new FiniteDifferenceDirectionalDerivatives(
                                            shadow,
                                            run.config().hydra().hessianStep(),
                                            DataType.FLOAT64))
                            .optBatchSize(batchSize)
                            .optProgress(
                                    done ->
                                            options.progress()
                                                    .update(
                                                            "replay",
                                                            done,
                                                            trajectory.size(),
                                                            Double.NaN))
                            .build());
        }
        return hessianAware(run, batchSize);
    }

    /**
     * Returns the Hessian-aware hypergradients of the run's listener or of its exact subset: exact
     * values of the tracked samples, which (unlike the replay) give their self-attribution too.
     *
     * @param run the run
     * @param batchSize samples per gradient pass
     * @return the attributor, or empty when no listener ran the Hessian-aware recurrence
     */
    public static Optional<Attributor> hessianAware(TrainedRun run, int batchSize) {
        for (HydraListener listener : new HydraListener[] {run.hydra(), run.aware()}) {
            if (listener != null && listener.getMode().modes().contains(HydraMode.HESSIAN_AWARE)) {
                return Optional.of(hydra(listener, HydraMode.HESSIAN_AWARE, batchSize));
            }
        }
        return Optional.empty();
    }

    private static Attributor hydra(HydraListener listener, HydraMode mode, int batchSize) {
        return HydraAttributor.builder(listener.getHypergradients(mode))
                .optBatchSize(batchSize)
                .build();
    }

    /**
     * Returns the training samples of a run as a sample set on the model's device.
     *
     * @param run the run
     * @param manager the manager of the arrays
     * @return the samples, dataset index = row
     */
    public static SampleSet trainSamples(TrainedRun run, NDManager manager) {
        return run.data().train().toSampleSet(manager, run.config().train().precision().dataType());
    }
}
