package ai.hydra.reproduce;

import ai.djl.ndarray.NDManager;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Capability;
import ai.hydra.attribution.Contributions;
import ai.hydra.data.SampleSet;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionSettings.Method;
import ai.hydra.experiment.ReproductionSettings.NoisyLabelSettings;
import ai.hydra.experiment.ReproductionSettings.Scoring;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.report.GroupedBarChart;
import ai.hydra.reproduce.metrics.Detection;
import ai.hydra.reproduce.metrics.Direction;
import ai.hydra.reproduce.run.Methods;
import ai.hydra.reproduce.run.TrainedRun;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * The mislabeled-sample benchmark of today's attribution papers: 10% of the training labels are
 * flipped to another class, every method scores every training sample, and the report gives the ROC
 * AUC of finding the flipped ones and the share found after inspecting the most suspicious 10% and
 * 20%, beside the peers' published AUCs. Each method scores two ways: by self-attribution (a
 * sample's contribution to its own loss, what the peers rank by; highest first) and by C(i) against
 * clean held-out data (lowest first). The costly self scorings (exact hypergradients, influence
 * functions: one solve or one tracked recurrence per sample) cover a random subset of {@code
 * hessianAwareSamples} samples, half of them flipped, on which the cheap methods are reported too.
 */
final class NoisyLabelExperiment
        extends ExperimentRunner<NoisyLabelExperiment.Result, NoisyLabelSettings> {

    NoisyLabelExperiment() {
        super(Result.class, NoisyLabelSettings.class, 1);
    }

    /**
     * One run's outcome.
     *
     * @param trainSamples training images
     * @param flipped training images whose label was flipped
     * @param subset the dataset indices of the subset the costly self scorings cover
     * @param testAccuracy the noisy model's test accuracy
     * @param trainSeconds training with the listeners
     * @param scores one entry per method, scoring and sample set
     */
    record Result(
            int trainSamples,
            int flipped,
            int[] subset,
            double testAccuracy,
            double trainSeconds,
            List<Score> scores) {}

    /**
     * How well one score finds the flipped labels.
     *
     * @param method the method's config name
     * @param scoring {@code self} or {@code held-out}
     * @param subset true if scored on the subset only
     * @param samples the samples scored
     * @param auc the ROC AUC (NaN: not scored)
     * @param found the share of flipped samples found per inspected fraction
     * @param seconds the time to compute the scores
     * @param note why not scored, empty otherwise
     */
    record Score(
            String method,
            String scoring,
            boolean subset,
            int samples,
            double auc,
            double[] found,
            double seconds,
            String note) {}

    @Override
    protected Result runOne(ExperimentContext context, RunSpec spec) throws Exception {
        ExperimentConfig config = spec.config();
        long seed = spec.seed();
        NoisyLabelSettings settings = settings(context.config());
        String label = spec.label();
        // the flipped samples are known before training: the subset needs them
        boolean[] flipped = flippedOf(config);
        int[] subset = subset(flipped, settings.hessianAwareSamples(), seed);
        TrainedRun.Builder builder = context.newRun(config);
        List<Method> methods = settings.methods();
        if (methods.contains(Method.HYDRA_HESSIAN_FREE)) {
            builder.optHydra(HydraMode.HESSIAN_FREE, null);
        }
        if (methods.contains(Method.HYDRA_EXACT)) {
            builder.optExactSubset(subset);
            if (settings.scorings().contains(Scoring.HELD_OUT)) {
                builder.optTrajectory(); // exact held-out scores of every sample by the replay
            }
        }
        if (methods.contains(Method.TRACIN_CP)) {
            builder.optSnapshots();
        }
        if (settings.scorings().contains(Scoring.HELD_OUT)) {
            builder.optHeldOut(settings.heldOut());
        }
        try (TrainedRun trained = builder.fit();
                NDManager manager = trained.manager().newSubManager()) {
            SampleSet trainSet = Methods.trainSamples(trained, manager);
            SampleSet subsetSamples = trainSet.select(manager, subset);
            SampleSet heldOut =
                    trained.heldOut() == null
                            ? null
                            : trained.heldOut()
                                    .toSampleSet(manager, config.train().precision().dataType());
            Methods.Options options =
                    new Methods.Options(
                            settings.influence(),
                            seed,
                            settings.outlierTrees(),
                            settings.outlierSampleSize(),
                            settings.outlierContamination(),
                            context.solverProgress(label + ", influence functions"));
            Scorer scorer = new Scorer(flipped, settings.inspectFractions());
            List<Score> scores = new ArrayList<>();
            for (Method method : methods) {
                String name = ConfigNames.of(method);
                if (method == Method.HYDRA_EXACT && trained.trajectory() != null) {
                    scores.addAll(
                            exactScores(
                                    context,
                                    label,
                                    scorer,
                                    settings.scorings(),
                                    trained,
                                    trainSet,
                                    subsetSamples,
                                    heldOut,
                                    options,
                                    manager));
                    continue;
                }
                Optional<Attributor> created = Methods.create(method, trained, trainSet, options);
                if (created.isEmpty()) {
                    scores.add(scorer.missing(name, "self", "not available on this run"));
                    continue;
                }
                try (Attributor attributor = created.get()) {
                    for (Scoring scoring : settings.scorings()) {
                        context.stage(
                                label + ": " + name + ", " + ConfigNames.of(scoring) + " scoring");
                        scores.addAll(
                                score(
                                        scorer,
                                        attributor,
                                        method,
                                        scoring,
                                        onlySubset(method, scoring),
                                        trainSet,
                                        subsetSamples,
                                        heldOut,
                                        manager));
                    }
                }
            }
            return new Result(
                    trainSet.size(),
                    (int) IntStream.range(0, flipped.length).filter(i -> flipped[i]).count(),
                    subset,
                    trained.training().testAccuracy(),
                    trained.trainSeconds(),
                    scores);
        }
    }

    /**
     * Scores exact HYDRA: held out over every sample by the replay of the recorded run, by itself
     * on the subset that the Hessian-aware recurrence tracked (the replay has no self scoring).
     */
    private static List<Score> exactScores(
            ExperimentContext context,
            String label,
            Scorer scorer,
            List<Scoring> scorings,
            TrainedRun trained,
            SampleSet all,
            SampleSet subset,
            SampleSet heldOut,
            Methods.Options options,
            NDManager manager)
            throws Exception {
        String name = ConfigNames.of(Method.HYDRA_EXACT);
        int batchSize = trained.config().train().batchSize();
        List<Score> out = new ArrayList<>();
        for (Scoring scoring : scorings) {
            boolean self = scoring == Scoring.SELF;
            context.stage(label + ": " + name + ", " + ConfigNames.of(scoring) + " scoring");
            Optional<Attributor> created =
                    self
                            ? Methods.hessianAware(trained, batchSize)
                            : Methods.create(Method.HYDRA_EXACT, trained, all, options);
            if (created.isEmpty()) {
                out.add(scorer.missing(name, ConfigNames.of(scoring), "not available on this run"));
                continue;
            }
            try (Attributor attributor = created.get()) {
                out.addAll(
                        score(
                                scorer,
                                attributor,
                                Method.HYDRA_EXACT,
                                scoring,
                                self,
                                all,
                                subset,
                                heldOut,
                                manager));
            }
        }
        return out;
    }

    /**
     * Whether a method is scored on the subset only: exact hypergradients of the forward recurrence
     * exist for the subset only; influence self-scoring costs a solve per sample.
     */
    private static boolean onlySubset(Method method, Scoring scoring) {
        return method == Method.HYDRA_EXACT
                || (scoring == Scoring.SELF && method == Method.INFLUENCE);
    }

    /** Scores one method one way: on all samples, or on the subset for the costly ones. */
    private static List<Score> score(
            Scorer scorer,
            Attributor attributor,
            Method method,
            Scoring scoring,
            boolean onlySubset,
            SampleSet all,
            SampleSet subset,
            SampleSet heldOut,
            NDManager manager) {
        String name = ConfigNames.of(method);
        String how = ConfigNames.of(scoring);
        boolean self = scoring == Scoring.SELF;
        Capability needed = self ? Capability.SELF_ATTRIBUTION : Capability.TEST_CONTRIBUTIONS;
        if (!attributor.supports(needed)) {
            return List.of(scorer.missing(name, how, "scores samples only by themselves"));
        }
        List<Score> out = new ArrayList<>();
        try {
            if (!onlySubset) {
                long start = System.nanoTime();
                Contributions c =
                        self
                                ? attributor.selfAttribution(manager, all)
                                : attributor.testLossContributions(manager, heldOut);
                out.add(scorer.score(name, how, false, c, self, seconds(start)));
                out.add(scorer.score(name, how, true, restrict(c, subset), self, 0));
            } else {
                long start = System.nanoTime();
                Contributions c =
                        self
                                ? attributor.selfAttribution(manager, subset)
                                : attributor.testLossContributions(manager, heldOut);
                out.add(scorer.score(name, how, true, restrict(c, subset), self, seconds(start)));
            }
        } catch (IllegalStateException e) { // LiSSA diverged
            out.add(scorer.missing(name, how, "failed: " + e.getMessage()));
        }
        return out;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** The values of the given samples, in the subset's order. */
    private static Contributions restrict(Contributions c, SampleSet subset) {
        int[] rowOf = new int[Arrays.stream(c.trainIndices()).max().orElse(0) + 1];
        Arrays.fill(rowOf, -1);
        for (int row = 0; row < c.size(); row++) {
            rowOf[c.trainIndex(row)] = row;
        }
        double[] values = new double[subset.size()];
        for (int k = 0; k < values.length; k++) {
            values[k] = c.get(rowOf[subset.index(k)]);
        }
        return new Contributions(values, subset.indices());
    }

    /** Turns scores into detection metrics. */
    private record Scorer(boolean[] flipped, double[] fractions) {

        Score score(
                String method,
                String scoring,
                boolean subset,
                Contributions c,
                boolean self,
                double seconds) {
            boolean[] flags = new boolean[c.size()];
            for (int row = 0; row < c.size(); row++) {
                flags[row] = flipped[c.trainIndex(row)];
            }
            Direction direction = self ? Direction.HIGHEST_FIRST : Direction.LOWEST_FIRST;
            double[] values = c.values();
            double[] found = new double[fractions.length];
            for (int k = 0; k < fractions.length; k++) {
                found[k] = Detection.fractionFound(values, flags, direction, fractions[k]);
            }
            return new Score(
                    method,
                    scoring,
                    subset,
                    c.size(),
                    Detection.rocAuc(values, flags, direction),
                    found,
                    seconds,
                    "");
        }

        Score missing(String method, String scoring, String note) {
            double[] none = new double[fractions.length];
            Arrays.fill(none, Double.NaN);
            return new Score(method, scoring, false, 0, Double.NaN, none, 0, note);
        }
    }

    /** Which training samples the run's label noise flips (known before training). */
    private static boolean[] flippedOf(ExperimentConfig config) throws IOException {
        ai.hydra.experiment.ExperimentData data =
                ai.hydra.experiment.ExperimentData.load(config.data(), config.source());
        boolean[] flipped = new boolean[data.train().size()];
        if (data.noise() != null) {
            for (int i : data.noise().changedIndices()) {
                flipped[i] = true;
            }
        }
        return flipped;
    }

    /** A seeded random subset of {@code k} samples, half of them flipped (all when null). */
    static int[] subset(boolean[] flipped, Integer k, long seed) {
        if (k == null || k >= flipped.length) {
            return IntStream.range(0, flipped.length).toArray();
        }
        List<Integer> bad = new ArrayList<>();
        List<Integer> good = new ArrayList<>();
        for (int i = 0; i < flipped.length; i++) {
            (flipped[i] ? bad : good).add(i);
        }
        Random random = new Random(seed);
        java.util.Collections.shuffle(bad, random);
        java.util.Collections.shuffle(good, random);
        int fromBad = Math.min(bad.size(), k / 2);
        List<Integer> picked = new ArrayList<>(bad.subList(0, fromBad));
        picked.addAll(good.subList(0, Math.min(good.size(), k - fromBad)));
        return picked.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    @Override
    protected List<String> report(
            ExperimentContext context, Map<String, List<Result>> results, ReportWriter report)
            throws IOException {
        NoisyLabelSettings settings = settings(context.config());
        double[] fractions = settings.inspectFractions();
        List<String> header =
                new ArrayList<>(List.of("run", "method", "scoring", "ROC AUC", "peers' AUC"));
        for (double f : fractions) {
            header.add(String.format(Locale.ROOT, "found after inspecting %.0f%%", 100 * f));
        }
        List<List<String>> full = new ArrayList<>();
        List<List<String>> onSubset = new ArrayList<>();
        List<List<Object>> raw = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> headline = new ArrayList<>();
        List<String> runs = new ArrayList<>(results.keySet());
        Map<String, double[]> chartAuc = new java.util.LinkedHashMap<>();
        for (String run : runs) {
            List<Result> seeds = results.get(run);
            for (Score first : seeds.get(0).scores()) {
                List<Score> perSeed =
                        seeds.stream()
                                .map(
                                        r ->
                                                find(
                                                        r.scores(),
                                                        first.method(),
                                                        first.scoring(),
                                                        first.subset()))
                                .toList();
                if (!first.note().isEmpty()) {
                    notes.add(
                            run
                                    + ", "
                                    + first.method()
                                    + " ("
                                    + first.scoring()
                                    + "): "
                                    + first.note());
                    continue;
                }
                double[] aucs = perSeed.stream().mapToDouble(Score::auc).toArray();
                List<String> row = new ArrayList<>();
                row.add(run);
                row.add(first.method());
                row.add(first.scoring());
                row.add(ReportWriter.meanStd(aucs, 3));
                // the peers rank by self-influence
                row.add(
                        first.scoring().equals("self")
                                ? report.published("auc", run, first.method(), 2)
                                : "–");
                for (int k = 0; k < fractions.length; k++) {
                    int index = k;
                    row.add(
                            ReportWriter.meanStd(
                                    perSeed.stream().mapToDouble(s -> s.found()[index]).toArray(),
                                    3));
                }
                (first.subset() ? onSubset : full).add(row);
                for (int s = 0; s < perSeed.size(); s++) {
                    Score score = perSeed.get(s);
                    List<Object> line =
                            new ArrayList<>(
                                    List.of(
                                            run,
                                            context.config().seeds().get(s),
                                            score.method(),
                                            score.scoring(),
                                            score.subset() ? "subset" : "all",
                                            score.samples(),
                                            score.auc()));
                    for (double f : score.found()) {
                        line.add(f);
                    }
                    line.add(score.seconds());
                    raw.add(line);
                }
                if (!first.subset()) {
                    String key = first.method() + " (" + first.scoring() + ")";
                    chartAuc.computeIfAbsent(key, x -> filled(runs.size()))[runs.indexOf(run)] =
                            Arrays.stream(aucs).average().orElse(Double.NaN);
                    if (first.method().startsWith("hydra")) {
                        headline.add(
                                String.format(
                                        Locale.ROOT,
                                        "%s, %s (%s): AUC %s",
                                        run,
                                        first.method(),
                                        first.scoring(),
                                        ReportWriter.meanStd(aucs, 3)));
                    }
                }
            }
        }
        GroupedBarChart.Builder chart =
                GroupedBarChart.builder()
                        .setTitle("ROC AUC of finding flipped labels (all samples)")
                        .setCategories(runs)
                        .optYAxisTitle("ROC AUC")
                        .optSize(1100, 550);
        for (Map.Entry<String, double[]> entry : chartAuc.entrySet()) {
            chart.addMethod(entry.getKey(), entry.getValue(), null, null);
        }
        chart.build().writePng(report.file("noisy-auc.png"));
        Result any = results.values().iterator().next().get(0);
        report.heading("Finding the flipped labels")
                .paragraph(
                        String.format(
                                Locale.ROOT,
                                "%,d training images, %,d of them with a flipped label; %,d clean"
                                        + " held-out images for the held-out scoring. Self"
                                        + " scoring ranks highest first (a sample its own fit"
                                        + " depends on most; for self-loss its loss, for"
                                        + " outlier-gradient its anomaly score); held-out scoring"
                                        + " ranks the lowest C(i) first (a mislabeled sample"
                                        + " raises the clean loss). \"found after inspecting x%%\":"
                                        + " the share of the flipped labels among the x%% most"
                                        + " suspicious samples. Influence functions: %s. The"
                                        + " peers' AUCs (dattri's published figures, approximate,"
                                        + " for their own training runs, by self-influence) stand"
                                        + " beside the self scorings: %s.",
                                any.trainSamples(),
                                any.flipped(),
                                settings.heldOut(),
                                Methods.describe(settings.influence()),
                                peers(context.config())))
                .table(header, full)
                .image("noisy-auc.png", "ROC AUC per method and model");
        report.heading("The costly scorings, on a subset")
                .paragraph(
                        String.format(
                                Locale.ROOT,
                                "Exact hypergradients (the Hessian-aware recurrence, one per"
                                        + " tracked sample) and influence functions' self scoring"
                                        + " (one inverse-Hessian solve per sample) cover a random"
                                        + " subset of %d training samples, half of them flipped;"
                                        + " every other method is reported on the same subset, so"
                                        + " the rows compare head to head. With so few samples"
                                        + " the AUCs are coarse.",
                                any.subset().length))
                .table(header, onSubset);
        if (!notes.isEmpty()) {
            report.heading("Not scored").bullets(notes);
        }
        List<String> csvHeader =
                new ArrayList<>(
                        List.of("run", "seed", "method", "scoring", "samples", "count", "auc"));
        for (double f : fractions) {
            csvHeader.add(String.format(Locale.ROOT, "found_%.0f", 100 * f));
        }
        csvHeader.add("seconds");
        report.csv("noisy.csv", csvHeader, raw);
        return headline;
    }

    private static String peers(ReproductionConfig config) {
        List<String> values = new ArrayList<>();
        for (ai.hydra.experiment.PublishedValue value : config.published()) {
            if (value.metric().equals("auc")) {
                values.add(
                        String.format(
                                Locale.ROOT,
                                "%s %s %.2f",
                                value.dataset(),
                                value.method(),
                                value.value()));
            }
        }
        return values.isEmpty() ? "none" : String.join("; ", values);
    }

    private static double[] filled(int n) {
        double[] values = new double[n];
        Arrays.fill(values, Double.NaN);
        return values;
    }

    private static Score find(List<Score> scores, String method, String scoring, boolean subset) {
        return scores.stream()
                .filter(
                        s ->
                                s.method().equals(method)
                                        && s.scoring().equals(scoring)
                                        && s.subset() == subset)
                .findFirst()
                .orElseThrow();
    }

    @Override
    public List<Estimate> estimate(ReproductionConfig config, Rates rates) {
        NoisyLabelSettings settings = settings(config);
        List<Estimate> estimates = new ArrayList<>();
        for (ReproductionConfig.Run run : config.runs()) {
            Costs costs = Costs.of(run, rates);
            int n = costs.trainImages();
            int k =
                    settings.hessianAwareSamples() == null
                            ? n
                            : Math.min(n, settings.hessianAwareSamples());
            double seconds = costs.training();
            long store = 0;
            for (Method method : settings.methods()) {
                switch (method) {
                    case HYDRA_HESSIAN_FREE -> {
                        seconds += costs.hessianFree(n) + costs.gradients(n + settings.heldOut());
                        store += costs.store(n, 1);
                    }
                    case HYDRA_EXACT -> {
                        seconds += costs.hessianAware(k);
                        store += costs.store(k, 1);
                    }
                    case INFLUENCE ->
                            seconds +=
                                    costs.lissa(
                                                    settings.influence().depth(),
                                                    settings.influence().repeats(),
                                                    1 + k)
                                            + costs.gradients(n);
                    case TRACIN_CP ->
                            seconds += run.config().train().epochs() * costs.gradients(2L * n);
                    case OUTLIER_GRADIENT, SELF_LOSS -> seconds += costs.gradients(n);
                    case RANDOM -> {}
                }
            }
            estimates.add(
                    new Estimate(
                            run.name(),
                            seconds,
                            store,
                            String.format(
                                    Locale.ROOT,
                                    "%,d images, %d epochs, costly self scorings on %d",
                                    n,
                                    run.config().train().epochs(),
                                    k)));
        }
        return estimates;
    }
}
