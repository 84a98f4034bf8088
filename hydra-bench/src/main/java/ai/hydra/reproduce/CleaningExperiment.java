package ai.hydra.reproduce;

import ai.djl.ndarray.NDManager;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.SelfLossAttributor;
import ai.hydra.data.ImageData;
import ai.hydra.data.SampleSet;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ExperimentData;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionSettings;
import ai.hydra.experiment.ReproductionSettings.CleaningSettings;
import ai.hydra.experiment.ReproductionSettings.InfluenceSettings;
import ai.hydra.experiment.ReproductionSettings.Method;
import ai.hydra.influence.InfluenceFunctions;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.report.GroupedBarChart;
import ai.hydra.reproduce.metrics.Agreement;
import ai.hydra.reproduce.run.Methods;
import ai.hydra.reproduce.run.TrainedRun;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * Table 3: with r% of the training labels permuted, each method ranks the training samples by its
 * contribution to the loss of clean held-out samples (never the test set), the lowest r% are
 * removed, and the network is retrained from the same initialization on the rest. Reports the test
 * accuracy beside the paper's, the share of wrong labels among the removed samples, how well the
 * sum of the removed samples' contributions predicted the change of the held-out loss, and how the
 * influence-function baseline moves with its damping, scale and solver.
 */
final class CleaningExperiment
        extends ExperimentRunner<CleaningExperiment.Result, CleaningSettings> {

    CleaningExperiment() {
        super(Result.class, CleaningSettings.class, 1);
    }

    /**
     * One run's outcome.
     *
     * @param trainSamples training images
     * @param heldOut clean held-out images the contributions are taken against
     * @param wrongLabels training images whose label is wrong
     * @param removed images removed by each method
     * @param noFilterAccuracy the test accuracy of the noisy run itself
     * @param heldOutLoss the mean held-out loss of the noisy run
     * @param trainSeconds the noisy run's training time with the HYDRA listener
     * @param methods one entry per method
     * @param sweep one entry per influence-function variant
     */
    record Result(
            int trainSamples,
            int heldOut,
            int wrongLabels,
            int removed,
            double noFilterAccuracy,
            double heldOutLoss,
            double trainSeconds,
            List<Removal> methods,
            List<Removal> sweep) {}

    /**
     * What removing one method's lowest-ranked samples did.
     *
     * @param method the method's config name
     * @param description its settings
     * @param accuracy the test accuracy after retraining on the rest (NaN: unavailable)
     * @param removedWrong the share of wrong labels among the removed samples
     * @param predictedChange the sum of the removed samples' contributions: the predicted change of
     *     the mean held-out loss
     * @param actualChange the change of the mean held-out loss after retraining
     * @param spearmanWithMain Spearman's correlation of the contributions with the main influence
     *     functions' (sweep entries; NaN otherwise)
     * @param sameInitialization whether the retraining started from the run's initial weights
     * @param seconds the time to compute the contributions
     * @param note why the method is unavailable or failed, empty otherwise
     */
    record Removal(
            String method,
            String description,
            double accuracy,
            double removedWrong,
            double predictedChange,
            double actualChange,
            double spearmanWithMain,
            boolean sameInitialization,
            double seconds,
            String note) {

        static Removal unavailable(String method, String description, String note) {
            return new Removal(
                    method,
                    description,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    Double.NaN,
                    false,
                    0,
                    note);
        }
    }

    @Override
    protected Result runOne(ExperimentContext context, RunSpec spec) throws Exception {
        ExperimentConfig config = spec.config();
        long seed = spec.seed();
        CleaningSettings settings = settings(context.config());
        String label = spec.label();
        TrainedRun.Builder run =
                context.newRun(config)
                        .optHydra(HydraMode.HESSIAN_FREE, null)
                        .optHeldOut(settings.heldOut());
        if (settings.methods().contains(Method.HYDRA_EXACT)) {
            run.optTrajectory(); // the replay's exact C(i) of every sample
        }
        try (TrainedRun trained = run.fit();
                NDManager manager = trained.manager().newSubManager()) {
            ImageData train = trained.data().train();
            double fraction =
                    settings.removeFraction() != null
                            ? settings.removeFraction()
                            : config.data().labelNoise().fraction();
            int remove = (int) Math.round(fraction * train.size());
            SampleSet heldOut =
                    trained.heldOut().toSampleSet(manager, config.train().precision().dataType());
            SampleSet trainSet = Methods.trainSamples(trained, manager);
            double loss = meanLoss(trained, manager, heldOut);
            Methods.Options options =
                    Methods.Options.of(
                            settings.influence(),
                            seed,
                            context.solverProgress(label + ", influence functions"));
            Cleaner cleaner = new Cleaner(context, trained, config, remove, loss, label);
            List<Removal> methods = new ArrayList<>();
            Contributions mainInfluence = null;
            for (Method method : settings.methods()) {
                String name = ConfigNames.of(method);
                Optional<Attributor> attributor =
                        Methods.create(method, trained, trainSet, options);
                if (attributor.isEmpty()) {
                    methods.add(Removal.unavailable(name, "", "not available for this run"));
                    continue;
                }
                context.stage(label + ": " + name + " contributions to the held-out loss");
                long start = System.nanoTime();
                Contributions c;
                try (Attributor a = attributor.get()) {
                    c = a.testLossContributions(manager, heldOut);
                } catch (IllegalStateException e) { // LiSSA diverged, or CG met negative curvature
                    context.stage(label + ": " + name + " failed: " + e.getMessage());
                    methods.add(Removal.unavailable(name, "", "failed: " + e.getMessage()));
                    continue;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                if (method == Method.INFLUENCE) {
                    mainInfluence = c;
                }
                String description =
                        method == Method.INFLUENCE ? Methods.describe(settings.influence()) : "";
                methods.add(
                        cleaner.clean(
                                name, description, c, seconds, method != Method.RANDOM, null));
            }
            List<Removal> sweep = new ArrayList<>();
            for (InfluenceSettings variant : settings.influenceSweep()) {
                String description = Methods.describe(variant);
                context.stage(label + ": influence functions, " + description);
                double[] residual = {Double.NaN};
                Methods.Options tracked =
                        Methods.Options.of(
                                variant,
                                seed,
                                (stage, done, total, metric) -> {
                                    options.progress().update(stage, done, total, metric);
                                    if (stage.equals("cg")) {
                                        residual[0] = metric;
                                    }
                                });
                long start = System.nanoTime();
                try (InfluenceFunctions influence =
                        Methods.influence(trained, trainSet, variant, tracked)) {
                    Contributions c = influence.testLossContributions(manager, heldOut);
                    if (!Double.isNaN(residual[0])) {
                        description +=
                                String.format(
                                        Locale.ROOT,
                                        ", final relative residual %.2g%s",
                                        residual[0],
                                        residual[0] <= Methods.CG_TOLERANCE
                                                ? ""
                                                : " (not converged)");
                    }
                    sweep.add(
                            cleaner.clean(
                                    "influence",
                                    description,
                                    c,
                                    (System.nanoTime() - start) / 1e9,
                                    true,
                                    mainInfluence));
                } catch (IllegalStateException e) { // LiSSA diverged, or CG met negative curvature
                    sweep.add(Removal.unavailable("influence", description, e.getMessage()));
                }
            }
            return new Result(
                    train.size(),
                    settings.heldOut(),
                    trained.data().noise() == null
                            ? 0
                            : trained.data().noise().changedIndices().length,
                    remove,
                    trained.training().testAccuracy(),
                    loss,
                    trained.trainSeconds(),
                    methods,
                    sweep);
        }
    }

    /** The mean loss of samples under a run's final model (prediction mode). */
    static double meanLoss(TrainedRun run, NDManager manager, SampleSet samples) {
        return Arrays.stream(
                        new SelfLossAttributor(run.shadow(), run.config().train().batchSize())
                                .selfAttribution(manager, samples)
                                .values())
                .average()
                .orElseThrow();
    }

    /** Removes a method's lowest-ranked samples and retrains on the rest. */
    private record Cleaner(
            ExperimentContext context,
            TrainedRun trained,
            ExperimentConfig config,
            int remove,
            double heldOutLoss,
            String label) {

        Removal clean(
                String method,
                String description,
                Contributions c,
                double seconds,
                boolean predicts,
                Contributions reference)
                throws Exception {
            int[] rows = c.lowest(remove); // a fixed share, helpful ones too if need be
            if (rows.length != remove) {
                throw new IllegalStateException(
                        method + " ranked " + rows.length + " samples, " + remove + " to remove");
            }
            boolean[] removed = new boolean[c.size()];
            double predicted = 0;
            int wrong = 0;
            for (int row : rows) {
                int index = c.trainIndex(row);
                removed[index] = true;
                predicted += c.get(row);
                wrong +=
                        trained.data().noise() != null && trained.data().noise().isChanged(index)
                                ? 1
                                : 0;
            }
            int[] kept =
                    java.util.stream.IntStream.range(0, removed.length)
                            .filter(i -> !removed[i])
                            .toArray();
            context.stage(
                    String.format(
                            Locale.ROOT,
                            "%s: retraining without the %,d lowest by %s (%d%% of them mislabeled)",
                            label,
                            remove,
                            method,
                            Math.round(100.0 * wrong / Math.max(1, remove))));
            ExperimentData data =
                    new ExperimentData(
                            trained.data().train().subset(kept), trained.data().test(), null);
            try (TrainedRun retrained = context.newRun(config).optData(data).fit();
                    NDManager manager = retrained.manager().newSubManager()) {
                SampleSet heldOut =
                        trained.heldOut()
                                .toSampleSet(manager, config.train().precision().dataType());
                double after = meanLoss(retrained, manager, heldOut);
                return new Removal(
                        method,
                        description,
                        retrained.training().testAccuracy(),
                        (double) wrong / Math.max(1, remove),
                        predicts ? predicted : Double.NaN,
                        after - heldOutLoss,
                        reference == null
                                ? Double.NaN
                                : Agreement.spearman(c.values(), reference.values()),
                        Arrays.equals(trained.initialWeights(), retrained.initialWeights()),
                        seconds,
                        "");
            }
        }
    }

    @Override
    protected List<String> report(
            ExperimentContext context, Map<String, List<Result>> results, ReportWriter report)
            throws IOException {
        CleaningSettings settings = settings(context.config());
        List<String> runs = new ArrayList<>(results.keySet());
        List<List<String>> accuracy = new ArrayList<>();
        List<List<String>> prediction = new ArrayList<>();
        List<List<String>> sweep = new ArrayList<>();
        List<List<Object>> raw = new ArrayList<>();
        List<String> headline = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        GroupedBarChart.Builder chart =
                GroupedBarChart.builder()
                        .setTitle(context.config().title())
                        .setCategories(runs)
                        .optYAxisTitle("test accuracy after cleaning (%)");
        List<String> rowNames = new ArrayList<>();
        rowNames.add("no-filtering");
        settings.methods().forEach(m -> rowNames.add(ConfigNames.of(m)));
        for (String row : rowNames) {
            double[] means = new double[runs.size()];
            double[] stds = new double[runs.size()];
            double[] paper = new double[runs.size()];
            for (int r = 0; r < runs.size(); r++) {
                String run = runs.get(r);
                List<Result> seeds = results.get(run);
                double[] values =
                        seeds.stream()
                                .mapToDouble(
                                        s ->
                                                100
                                                        * (row.equals("no-filtering")
                                                                ? s.noFilterAccuracy()
                                                                : removal(s.methods(), row)
                                                                        .accuracy()))
                                .toArray();
                double[] finite = Arrays.stream(values).filter(Double::isFinite).toArray();
                ai.hydra.reproduce.metrics.MeanStd summary =
                        finite.length == 0 ? null : ai.hydra.reproduce.metrics.MeanStd.of(finite);
                means[r] = summary == null ? Double.NaN : summary.mean();
                stds[r] =
                        summary == null || Double.isNaN(summary.std()) ? Double.NaN : summary.std();
                String publishedMethod = publishedName(row);
                paper[r] = report.publishedValue("accuracy", run, publishedMethod);
                String wrong =
                        row.equals("no-filtering")
                                ? "–"
                                : ReportWriter.meanStd(
                                        seeds.stream()
                                                .mapToDouble(
                                                        s ->
                                                                100
                                                                        * removal(s.methods(), row)
                                                                                .removedWrong())
                                                .toArray(),
                                        1);
                accuracy.add(
                        List.of(
                                run,
                                row,
                                ReportWriter.meanStd(values, 2),
                                report.published("accuracy", run, publishedMethod, 2),
                                wrong));
                for (int k = 0; k < seeds.size(); k++) {
                    Result s = seeds.get(k);
                    raw.add(
                            List.of(
                                    run,
                                    context.config().seeds().get(k),
                                    row,
                                    values[k],
                                    row.equals("no-filtering")
                                            ? ""
                                            : removal(s.methods(), row).removedWrong(),
                                    row.equals("no-filtering")
                                            ? ""
                                            : removal(s.methods(), row).predictedChange(),
                                    row.equals("no-filtering")
                                            ? ""
                                            : removal(s.methods(), row).actualChange()));
                }
                if (!row.equals("no-filtering")) {
                    Removal first = removal(seeds.get(0).methods(), row);
                    if (!first.note().isEmpty()) {
                        notes.add(run + ", " + row + ": " + first.note());
                    }
                    if (!row.equals("random")) {
                        prediction.add(
                                List.of(
                                        run,
                                        row,
                                        stat(seeds, row, Removal::predictedChange),
                                        stat(seeds, row, Removal::actualChange)));
                    }
                    boolean sameStart =
                            seeds.stream()
                                    .allMatch(
                                            s ->
                                                    !removal(s.methods(), row).note().isEmpty()
                                                            || removal(s.methods(), row)
                                                                    .sameInitialization());
                    if (!sameStart) {
                        notes.add(
                                run
                                        + ", "
                                        + row
                                        + ": a retraining did NOT start from the run's initial"
                                        + " weights");
                    }
                }
                if (row.equals("hydra-hessian-free") || row.equals("influence")) {
                    headline.add(
                            String.format(
                                    Locale.ROOT,
                                    "%s, %s: %s%% (paper %s%%)",
                                    run,
                                    row,
                                    ReportWriter.meanStd(values, 2),
                                    report.published("accuracy", run, publishedMethod, 2)));
                }
            }
            boolean hasPaper = Arrays.stream(paper).anyMatch(Double::isFinite);
            chart.addMethod(row, means, stds, hasPaper ? paper : null);
        }
        for (String run : runs) {
            List<Result> seeds = results.get(run);
            for (int v = 0; v < settings.influenceSweep().size(); v++) {
                int index = v;
                List<Removal> variant = seeds.stream().map(s -> s.sweep().get(index)).toList();
                String note = variant.get(0).note();
                sweep.add(
                        List.of(
                                run,
                                variant.get(0).description(),
                                note.isEmpty()
                                        ? ReportWriter.meanStd(
                                                variant.stream()
                                                        .mapToDouble(r -> 100 * r.accuracy())
                                                        .toArray(),
                                                2)
                                        : "failed: " + note,
                                ReportWriter.meanStd(
                                        variant.stream()
                                                .mapToDouble(r -> 100 * r.removedWrong())
                                                .toArray(),
                                        1),
                                ReportWriter.meanStd(
                                        variant.stream()
                                                .mapToDouble(Removal::spearmanWithMain)
                                                .toArray(),
                                        3)));
            }
        }
        chart.build().writePng(report.file("table3.png"));
        Result any = results.values().iterator().next().get(0);
        report.heading("Accuracy after cleaning")
                .paragraph(
                        String.format(
                                Locale.ROOT,
                                "Each method ranks the %,d training images by its contribution to"
                                        + " the mean loss of %,d clean held-out images (the"
                                        + " training file's images right after the training"
                                        + " images; the test set only measures accuracy), the"
                                        + " lowest %,d are removed, and LeNet-5 is retrained from"
                                        + " the same initial weights (checked) with the same"
                                        + " schedule on the rest. \"wrong labels among removed\":"
                                        + " the share of removed images whose label is wrong (%,d"
                                        + " of the %,d training images are). Influence functions:"
                                        + " %s. Mean ± std over the seeds.",
                                any.trainSamples(),
                                any.heldOut(),
                                any.removed(),
                                any.wrongLabels(),
                                any.trainSamples(),
                                Methods.describe(settings.influence())))
                .table(
                        List.of(
                                "run",
                                "method",
                                "test accuracy (%)",
                                "paper (%)",
                                "wrong labels among removed (%)"),
                        accuracy)
                .image("table3.png", "accuracy after cleaning, measured beside the paper");
        if (!notes.isEmpty()) {
            report.bullets(notes);
        }
        report.heading("Does C(i) predict the change of the held-out loss?")
                .paragraph(
                        "C(i) predicts the change of a loss when sample i is removed, to first"
                                + " order. Summed over the removed samples it predicts the change"
                                + " of the mean held-out loss after retraining without them,"
                                + " beside the change measured (mean ± std over seeds). Removing"
                                + " most of the training set is far outside the first-order"
                                + " regime, so agreement in sign and order of magnitude is what to"
                                + " look for.")
                .table(
                        List.of("run", "method", "predicted change (sum of C)", "actual change"),
                        prediction);
        if (!sweep.isEmpty()) {
            report.heading("Influence functions: damping, scale and solver")
                    .paragraph(
                            "The same cleaning with other influence-function settings; the last"
                                    + " column is Spearman's correlation of their contributions"
                                    + " with those of the main setting ("
                                    + Methods.describe(settings.influence())
                                    + "). LiSSA inverts H + damping x scale I: the paper's"
                                    + " preset (0.01, 1000) adds 10 to every eigenvalue, close to"
                                    + " a scaled gradient dot product.")
                    .table(
                            List.of(
                                    "run",
                                    "influence functions",
                                    "test accuracy (%)",
                                    "wrong labels among removed (%)",
                                    "Spearman with main"),
                            sweep);
        }
        report.csv(
                "table3.csv",
                List.of(
                        "run",
                        "seed",
                        "method",
                        "accuracy_percent",
                        "removed_wrong_share",
                        "predicted_change",
                        "actual_change"),
                raw);
        return headline;
    }

    private static String stat(List<Result> seeds, String method, ToDoubleFunction<Removal> value) {
        return ReportWriter.meanStdScientific(
                seeds.stream()
                        .mapToDouble(s -> value.applyAsDouble(removal(s.methods(), method)))
                        .toArray());
    }

    private static Removal removal(List<Removal> removals, String method) {
        return removals.stream()
                .filter(r -> r.method().equals(method))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no result for " + method));
    }

    /** The method's name in the published values. */
    static String publishedName(String method) {
        return method.equals("hydra-hessian-free") ? "hydra" : method;
    }

    @Override
    public List<Estimate> estimate(ReproductionConfig config, Rates rates) {
        CleaningSettings settings = settings(config);
        List<Estimate> estimates = new ArrayList<>();
        for (ReproductionConfig.Run run : config.runs()) {
            Costs costs = Costs.of(run, rates);
            int n = costs.trainImages();
            double fraction =
                    settings.removeFraction() != null
                            ? settings.removeFraction()
                            : run.config().data().labelNoise().fraction();
            double keptShare = 1 - fraction;
            double seconds =
                    costs.training() + costs.hessianFree(n) + costs.gradients(settings.heldOut());
            int retrainings = 0;
            for (Method method : settings.methods()) {
                retrainings++;
                if (method == Method.INFLUENCE) {
                    seconds += influenceCost(costs, settings.influence(), n);
                } else if (method == Method.HYDRA_EXACT) {
                    seconds += costs.replay(1);
                }
            }
            for (InfluenceSettings variant : settings.influenceSweep()) {
                seconds += influenceCost(costs, variant, n);
                retrainings++;
            }
            seconds += retrainings * keptShare * costs.training();
            estimates.add(
                    new Estimate(
                            run.name(),
                            seconds,
                            costs.store(n, 1),
                            String.format(
                                    Locale.ROOT,
                                    "%,d images tracked, %d epochs, %d retrainings on %.0f%%",
                                    n,
                                    run.config().train().epochs(),
                                    retrainings,
                                    100 * keptShare)));
        }
        return estimates;
    }

    static double influenceCost(Costs costs, InfluenceSettings settings, int trainingGradients) {
        return costs.lissa(settings.depth(), settings.repeats(), 1)
                + costs.gradients(trainingGradients);
    }

    static ReproductionSettings.Method methodOf(String name) {
        return ReproductionSettings.Method.valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
