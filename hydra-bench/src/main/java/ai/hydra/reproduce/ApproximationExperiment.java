package ai.hydra.reproduce;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.training.loss.Loss;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.data.ImageData;
import ai.hydra.data.SampleSet;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionSettings.ApproximationSettings;
import ai.hydra.experiment.ReproductionSettings.Method;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.influence.InfluenceFunctions;
import ai.hydra.listener.HydraListener;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.recurrence.Hypergradients;
import ai.hydra.report.LinePlot;
import ai.hydra.reproduce.metrics.Agreement;
import ai.hydra.reproduce.run.Methods;
import ai.hydra.reproduce.run.TrainedRun;
import ai.hydra.train.HydraSgd;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Figs. 3-5: a few training samples (the first {@code trackedPerClass} of each class) are tracked
 * both exactly (the Hessian-aware recurrence: the gold standard) and with the Hessian-free
 * approximation; every {@code measureEvery} epochs the mean l2 distance of the two hypergradients
 * (Fig. 3), and the sign-error rate (Fig. 4) and Spearman correlation (Fig. 5) of the contributions
 * to the mean test loss, for HYDRA and, from {@code influenceFromEpoch} on, influence functions on
 * the current model, against the exact contributions.
 */
final class ApproximationExperiment
        extends ExperimentRunner<ApproximationExperiment.Result, ApproximationSettings> {

    ApproximationExperiment() {
        super(Result.class, ApproximationSettings.class, 1);
    }

    /**
     * One run's outcome.
     *
     * @param trainSamples training images
     * @param tracked the tracked samples
     * @param testSamples the test images of the mean test loss
     * @param testAccuracy the final test accuracy
     * @param trainSeconds training with the listeners and the measurements
     * @param measurements one per measured epoch
     */
    record Result(
            int trainSamples,
            int tracked,
            int testSamples,
            double testAccuracy,
            double trainSeconds,
            List<Measurement> measurements) {}

    /**
     * What one measurement found.
     *
     * @param epoch the epoch just finished
     * @param l2Error the mean over tracked samples of |d_exact - d_free|
     * @param relativeError the mean of |d_exact - d_free| / |d_exact|
     * @param hydraSignErrors HYDRA's sign-error rate against the exact contributions
     * @param hydraSpearman HYDRA's Spearman correlation with them
     * @param influenceSignErrors the influence functions' sign-error rate (NaN before they start)
     * @param influenceSpearman their Spearman correlation (NaN before they start)
     * @param seconds the measurement's time
     */
    record Measurement(
            int epoch,
            double l2Error,
            double relativeError,
            double hydraSignErrors,
            double hydraSpearman,
            double influenceSignErrors,
            double influenceSpearman,
            double seconds) {}

    @Override
    protected Result runOne(ExperimentContext context, RunSpec spec) throws Exception {
        ExperimentConfig config = spec.config();
        long seed = spec.seed();
        ApproximationSettings settings = settings(context.config());
        ImageData trainImages =
                ai.hydra.experiment.ExperimentData.load(config.data(), config.source()).train();
        int[] tracked = firstOfEachClass(trainImages, settings.trackedPerClass());
        List<Measurement> measurements = new ArrayList<>();
        String label = spec.label();
        try (TrainedRun trained =
                context.newRun(config)
                        .optHydra(HydraMode.BOTH, tracked)
                        .addListener(
                                parts ->
                                        new Measurer(
                                                context,
                                                settings,
                                                config,
                                                parts.hydra(),
                                                parts.optimizer(),
                                                parts.data(),
                                                seed,
                                                label,
                                                measurements))
                        .fit()) {
            return new Result(
                    trainImages.size(),
                    tracked.length,
                    Math.min(settings.testSamples(), trained.data().test().size()),
                    trained.training().testAccuracy(),
                    trained.trainSeconds(),
                    List.copyOf(measurements));
        }
    }

    /** The first {@code perClass} samples of each class, in file order. */
    static int[] firstOfEachClass(ImageData data, int perClass) {
        int[] taken = new int[data.numClasses()];
        return IntStream.range(0, data.size())
                .filter(i -> taken[data.label(i)]++ < perClass)
                .toArray();
    }

    /** Measures the approximations at the end of every {@code measureEvery}-th epoch. */
    private static final class Measurer extends TrainingListenerAdapter {

        private final ExperimentContext context;
        private final ApproximationSettings settings;
        private final ExperimentConfig config;
        private final HydraListener hydra;
        private final HydraSgd sgd;
        private final ai.hydra.experiment.ExperimentData data;
        private final long seed;
        private final String label;
        private final List<Measurement> measurements;
        private int epoch;

        Measurer(
                ExperimentContext context,
                ApproximationSettings settings,
                ExperimentConfig config,
                HydraListener hydra,
                HydraSgd sgd,
                ai.hydra.experiment.ExperimentData data,
                long seed,
                String label,
                List<Measurement> measurements) {
            this.context = context;
            this.settings = settings;
            this.config = config;
            this.hydra = hydra;
            this.sgd = sgd;
            this.data = data;
            this.seed = seed;
            this.label = label;
            this.measurements = measurements;
        }

        @Override
        public void onEpoch(Trainer trainer) {
            epoch++;
            if (epoch % settings.measureEvery() != 0) {
                return;
            }
            long start = System.nanoTime();
            Hypergradients free = hydra.getHypergradients(HydraMode.HESSIAN_FREE);
            Hypergradients exact = hydra.getHypergradients(HydraMode.HESSIAN_AWARE);
            DataType dataType = config.train().precision().dataType();
            try (NDManager manager = trainer.getModel().getNDManager().newSubManager()) {
                double[][] errors = distances(manager, free, exact);
                SampleSet test =
                        data.test().first(settings.testSamples()).toSampleSet(manager, dataType);
                Contributions gold = contributions(manager, exact, test);
                Contributions approximate = contributions(manager, free, test);
                double influenceSigns = Double.NaN;
                double influenceSpearman = Double.NaN;
                boolean influence =
                        settings.methods().contains(Method.INFLUENCE)
                                && epoch >= settings.influenceFromEpoch();
                if (influence) {
                    context.stage(label + ", epoch " + epoch + ": influence functions");
                    ShadowModel shadow =
                            new ShadowModel(
                                    trainer.getModel().getBlock(), Loss.softmaxCrossEntropyLoss());
                    try (InfluenceFunctions method =
                            Methods.influence(
                                    shadow,
                                    data.train().toSampleSet(manager, dataType),
                                    sgd,
                                    config.train().batchSize(),
                                    settings.influence(),
                                    Methods.Options.of(
                                            settings.influence(),
                                            seed,
                                            context.solverProgress(
                                                    label + ", influence functions")))) {
                        Contributions c =
                                restrict(
                                        method.testLossContributions(manager, test),
                                        free.trackedIndices());
                        influenceSigns = Agreement.signErrorRate(c.values(), gold.values());
                        influenceSpearman = Agreement.spearman(c.values(), gold.values());
                    } catch (IllegalStateException e) { // LiSSA diverged
                        context.stage(
                                label
                                        + ", epoch "
                                        + epoch
                                        + ": influence functions failed: "
                                        + e.getMessage());
                    }
                }
                Measurement m =
                        new Measurement(
                                epoch,
                                Arrays.stream(errors[0]).average().orElse(Double.NaN),
                                Arrays.stream(errors[1]).average().orElse(Double.NaN),
                                Agreement.signErrorRate(approximate.values(), gold.values()),
                                Agreement.spearman(approximate.values(), gold.values()),
                                influenceSigns,
                                influenceSpearman,
                                (System.nanoTime() - start) / 1e9);
                measurements.add(m);
                context.stage(
                        String.format(
                                Locale.ROOT,
                                "%s, epoch %d: |d_exact - d_free| %.3g (relative %.3f), sign"
                                        + " errors %.3f, Spearman %.3f%s",
                                label,
                                epoch,
                                m.l2Error(),
                                m.relativeError(),
                                m.hydraSignErrors(),
                                m.hydraSpearman(),
                                influence
                                        ? String.format(
                                                Locale.ROOT,
                                                "; influence functions %.3f, %.3f",
                                                influenceSigns,
                                                influenceSpearman)
                                        : ""));
            }
        }

        private Contributions contributions(
                NDManager manager, Hypergradients hypergradients, SampleSet test) {
            try (Attributor method =
                    HydraAttributor.builder(hypergradients)
                            .optBatchSize(config.train().batchSize())
                            .build()) {
                return method.testLossContributions(manager, test);
            }
        }

        /** Per tracked sample: {|d_exact - d_free|} and {|d_exact - d_free| / |d_exact|}. */
        private static double[][] distances(
                NDManager manager, Hypergradients free, Hypergradients exact) {
            int[] rows = IntStream.range(0, free.size()).toArray();
            try (NDManager scope = manager.newSubManager()) {
                NDArray a = exact.read(scope, rows).toType(DataType.FLOAT64, false);
                NDArray b = free.read(scope, rows).toType(DataType.FLOAT64, false);
                double[] difference = a.sub(b).norm(new int[] {1}).toDoubleArray();
                double[] norm = a.norm(new int[] {1}).toDoubleArray();
                double[] relative = new double[difference.length];
                for (int i = 0; i < relative.length; i++) {
                    relative[i] = norm[i] > 0 ? difference[i] / norm[i] : Double.NaN;
                }
                return new double[][] {difference, relative};
            }
        }
    }

    /** The contributions of some training samples, in the given order. */
    private static Contributions restrict(Contributions c, int[] indices) {
        double[] values = new double[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int index = indices[k];
            values[k] =
                    c.get(
                            IntStream.range(0, c.size())
                                    .filter(row -> c.trainIndex(row) == index)
                                    .findFirst()
                                    .orElseThrow());
        }
        return new Contributions(values, indices);
    }

    @Override
    protected List<String> report(
            ExperimentContext context, Map<String, List<Result>> results, ReportWriter report)
            throws IOException {
        ApproximationSettings settings = settings(context.config());
        List<List<String>> rows = new ArrayList<>();
        List<List<Object>> raw = new ArrayList<>();
        List<String> headline = new ArrayList<>();
        for (Map.Entry<String, List<Result>> entry : results.entrySet()) {
            String run = entry.getKey();
            List<Result> seeds = entry.getValue();
            double[] epochs =
                    seeds.get(0).measurements().stream().mapToDouble(Measurement::epoch).toArray();
            plot(
                    report,
                    "fig3-" + run + ".png",
                    "Fig. 3: |d_exact - d_free| (mean over tracked samples), " + run,
                    "mean l2 distance",
                    epochs,
                    seeds,
                    List.of(new Series("HYDRA (Hessian-free)", Measurement::l2Error)),
                    List.of(level(report, "approximation-error", run, "hydra")));
            plot(
                    report,
                    "fig3-relative-" + run + ".png",
                    "|d_exact - d_free| / |d_exact| (mean over tracked samples), " + run,
                    "relative l2 distance",
                    epochs,
                    seeds,
                    List.of(new Series("HYDRA (Hessian-free)", Measurement::relativeError)),
                    List.of());
            plot(
                    report,
                    "fig4-" + run + ".png",
                    "Fig. 4: sign-error rate vs exact, " + run,
                    "sign-error rate",
                    epochs,
                    seeds,
                    List.of(
                            new Series("HYDRA (Hessian-free)", Measurement::hydraSignErrors),
                            new Series("influence functions", Measurement::influenceSignErrors)),
                    List.of(
                            level(report, "sign-error-rate", run, "hydra"),
                            level(report, "sign-error-rate", run, "influence")));
            plot(
                    report,
                    "fig5-" + run + ".png",
                    "Fig. 5: Spearman correlation with exact, " + run,
                    "Spearman's rho",
                    epochs,
                    seeds,
                    List.of(
                            new Series("HYDRA (Hessian-free)", Measurement::hydraSpearman),
                            new Series("influence functions", Measurement::influenceSpearman)),
                    List.of(
                            level(report, "spearman", run, "hydra"),
                            level(report, "spearman", run, "influence")));
            String[][] metrics = {
                {"approximation-error", "hydra", "mean ‖d_exact − d_free‖"},
                {"", "hydra", "mean ‖d_exact − d_free‖ / ‖d_exact‖"},
                {"sign-error-rate", "hydra", "sign-error rate"},
                {"sign-error-rate", "influence", "sign-error rate"},
                {"spearman", "hydra", "Spearman"},
                {"spearman", "influence", "Spearman"}
            };
            List<ToDoubleFunction<Measurement>> values =
                    List.of(
                            Measurement::l2Error,
                            Measurement::relativeError,
                            Measurement::hydraSignErrors,
                            Measurement::influenceSignErrors,
                            Measurement::hydraSpearman,
                            Measurement::influenceSpearman);
            for (int k = 0; k < metrics.length; k++) {
                ToDoubleFunction<Measurement> value = values.get(k);
                double[] late =
                        seeds.stream()
                                .flatMap(r -> r.measurements().stream())
                                .filter(m -> m.epoch() >= settings.influenceFromEpoch())
                                .mapToDouble(value)
                                .filter(Double::isFinite)
                                .toArray();
                String method =
                        metrics[k][1].equals("hydra")
                                ? "HYDRA (Hessian-free)"
                                : "influence functions";
                String measured = ReportWriter.meanStd(late, 3);
                String paper =
                        metrics[k][0].isEmpty()
                                ? "–"
                                : report.published(metrics[k][0], run, metrics[k][1], 3);
                rows.add(List.of(run, metrics[k][2], method, measured, paper));
                if (k >= 2) {
                    headline.add(
                            run
                                    + ", "
                                    + metrics[k][2]
                                    + " of "
                                    + method
                                    + ": "
                                    + measured
                                    + " (paper "
                                    + paper
                                    + ")");
                }
            }
            for (int s = 0; s < seeds.size(); s++) {
                for (Measurement m : seeds.get(s).measurements()) {
                    raw.add(
                            List.of(
                                    run,
                                    context.config().seeds().get(s),
                                    m.epoch(),
                                    m.l2Error(),
                                    m.relativeError(),
                                    m.hydraSignErrors(),
                                    m.hydraSpearman(),
                                    m.influenceSignErrors(),
                                    m.influenceSpearman()));
                }
            }
        }
        Result any = results.values().iterator().next().get(0);
        report.heading("Approximations against the exact hypergradients")
                .paragraph(
                        String.format(
                                Locale.ROOT,
                                "%d training samples (the first %d of each class) are tracked both"
                                        + " exactly (Hessian-aware recurrence, the gold standard)"
                                        + " and Hessian-free through training on %,d images."
                                        + " Contributions are to the mean loss of the first %,d"
                                        + " test images. Influence functions (%s) run on the"
                                        + " current model from epoch %d on. The table gives the"
                                        + " mean ± std over the measurements from epoch %d on (all"
                                        + " seeds), beside the paper's values after epoch 100."
                                        + " The l2 distance is in HYDRA's units (d = dw/deps_i"
                                        + " with weights 1/N + eps_i, so it grows with N); the"
                                        + " paper does not state its units, so compare the"
                                        + " relative error and the rank metrics.",
                                any.tracked(),
                                settings.trackedPerClass(),
                                any.trainSamples(),
                                any.testSamples(),
                                Methods.describe(settings.influence()),
                                settings.influenceFromEpoch(),
                                settings.influenceFromEpoch()))
                .table(List.of("run", "metric", "method", "measured", "paper"), rows);
        for (String run : results.keySet()) {
            for (String figure : new String[] {"fig3-", "fig3-relative-", "fig4-", "fig5-"}) {
                report.image(figure + run + ".png", figure + run);
            }
        }
        report.csv(
                "fig3-5.csv",
                List.of(
                        "run",
                        "seed",
                        "epoch",
                        "l2_error",
                        "relative_error",
                        "hydra_sign_errors",
                        "hydra_spearman",
                        "influence_sign_errors",
                        "influence_spearman"),
                raw);
        return headline;
    }

    private record Series(String name, ToDoubleFunction<Measurement> value) {}

    private record Level(String name, double value) {}

    private static Level level(ReportWriter report, String metric, String run, String method) {
        double value = report.publishedValue(metric, run, method);
        return new Level(
                String.format(
                        Locale.ROOT,
                        "paper: %s %s",
                        method.equals("hydra") ? "HYDRA" : "IF",
                        value),
                value);
    }

    /** A line plot of seed means per epoch, with the paper's levels. */
    private static void plot(
            ReportWriter report,
            String file,
            String title,
            String axis,
            double[] epochs,
            List<Result> seeds,
            List<Series> series,
            List<Level> levels)
            throws IOException {
        LinePlot.Builder plot = LinePlot.builder().setTitle(title).optAxisTitles("epoch", axis);
        for (Series s : series) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (int e = 0; e < epochs.length; e++) {
                int index = e;
                double mean =
                        seeds.stream()
                                .mapToDouble(
                                        r -> s.value().applyAsDouble(r.measurements().get(index)))
                                .filter(Double::isFinite)
                                .average()
                                .orElse(Double.NaN);
                if (Double.isFinite(mean)) {
                    x.add(epochs[e]);
                    y.add(mean);
                }
            }
            if (!x.isEmpty()) {
                plot.addSeries(
                        s.name(),
                        x.stream().mapToDouble(Double::doubleValue).toArray(),
                        y.stream().mapToDouble(Double::doubleValue).toArray());
            }
        }
        for (Level level : levels) {
            if (Double.isFinite(level.value())) {
                plot.addReferenceLevel(level.name(), level.value());
            }
        }
        plot.build().writePng(report.file(file));
    }

    @Override
    public List<Estimate> estimate(ReproductionConfig config, Rates rates) {
        ApproximationSettings settings = settings(config);
        List<Estimate> estimates = new ArrayList<>();
        for (ReproductionConfig.Run run : config.runs()) {
            Costs costs = Costs.of(run, rates);
            int tracked = 10 * settings.trackedPerClass();
            int epochs = run.config().train().epochs();
            int measurements = epochs / settings.measureEvery();
            int influenceMeasurements =
                    Math.max(
                            0,
                            (epochs - settings.influenceFromEpoch()) / settings.measureEvery() + 1);
            double seconds =
                    costs.training()
                            + costs.hessianFree(tracked)
                            + costs.hessianAware(tracked)
                            + measurements * costs.gradients(2L * settings.testSamples())
                            + influenceMeasurements
                                    * (costs.lissa(
                                                    settings.influence().depth(),
                                                    settings.influence().repeats(),
                                                    1)
                                            + costs.gradients(tracked));
            estimates.add(
                    new Estimate(
                            run.name(),
                            seconds,
                            costs.store(tracked, 2),
                            String.format(
                                    Locale.ROOT,
                                    "%,d images, %d tracked both ways, %d epochs, %d measurements",
                                    costs.trainImages(),
                                    tracked,
                                    epochs,
                                    measurements)));
        }
        return estimates;
    }
}
