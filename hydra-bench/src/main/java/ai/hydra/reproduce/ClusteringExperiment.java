package ai.hydra.reproduce;

import ai.djl.ndarray.NDManager;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.ContributionMatrix;
import ai.hydra.data.SampleSet;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionSettings.ClusteringMethod;
import ai.hydra.experiment.ReproductionSettings.ClusteringSettings;
import ai.hydra.experiment.ReproductionSettings.Method;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.report.GroupedBarChart;
import ai.hydra.reproduce.cluster.AgglomerativeClusterer;
import ai.hydra.reproduce.cluster.Clusterer;
import ai.hydra.reproduce.cluster.Features;
import ai.hydra.reproduce.cluster.KMeansClusterer;
import ai.hydra.reproduce.metrics.PartitionMatch;
import ai.hydra.reproduce.run.Methods;
import ai.hydra.reproduce.run.TrainedRun;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Table 4: with 50% of the training labels replaced by a wrong class, each training sample's
 * contributions to {@code heldOut} clean held-out samples form a vector; per (observed) class the
 * vectors are split into two clusters, matched to {correct label, wrong label}, and the Jaccard
 * index of each truth group with its cluster is averaged over the classes. Three clusterings: the
 * paper's text (k-means on the sign vectors) and the authors' script (z-scored vectors, k-means or
 * cosine agglomerative).
 */
final class ClusteringExperiment
        extends ExperimentRunner<ClusteringExperiment.Result, ClusteringSettings> {

    ClusteringExperiment() {
        super(Result.class, ClusteringSettings.class, 1);
    }

    /**
     * One run's outcome.
     *
     * @param trainSamples training images
     * @param wrongLabels training images with a wrong label
     * @param dimensions the length of the contribution vectors (held-out images)
     * @param testAccuracy the noisy model's test accuracy
     * @param trainSeconds training with the listener
     * @param methods one entry per method and clustering
     */
    record Result(
            int trainSamples,
            int wrongLabels,
            int dimensions,
            double testAccuracy,
            double trainSeconds,
            List<Overlap> methods) {}

    /**
     * The overlap of one method's clusters with the truth.
     *
     * @param method the method's config name
     * @param clustering the clustering's config name
     * @param jaccardCorrect the Jaccard index of the correct-label group, mean over classes (%)
     * @param jaccardWrong the Jaccard index of the wrong-label group, mean over classes (%)
     * @param seconds the time to compute the contribution vectors
     * @param note why not computed, empty otherwise
     */
    record Overlap(
            String method,
            String clustering,
            double jaccardCorrect,
            double jaccardWrong,
            double seconds,
            String note) {}

    @Override
    protected Result runOne(ExperimentContext context, RunSpec spec) throws Exception {
        ExperimentConfig config = spec.config();
        long seed = spec.seed();
        ClusteringSettings settings = settings(context.config());
        String label = spec.label();
        try (TrainedRun trained =
                        context.newRun(config)
                                .optHydra(HydraMode.HESSIAN_FREE, null)
                                .optHeldOut(settings.heldOut())
                                .fit();
                NDManager manager = trained.manager().newSubManager()) {
            SampleSet trainSet = Methods.trainSamples(trained, manager);
            SampleSet heldOut =
                    trained.heldOut().toSampleSet(manager, config.train().precision().dataType());
            int[] labels = trained.data().train().labels();
            int[] truth = new int[labels.length];
            if (trained.data().noise() != null) {
                for (int i : trained.data().noise().changedIndices()) {
                    truth[i] = 1;
                }
            }
            Methods.Options options =
                    Methods.Options.of(
                            settings.influence(),
                            seed,
                            context.solverProgress(label + ", influence functions"));
            List<Overlap> overlaps = new ArrayList<>();
            for (Method method : settings.methods()) {
                String name = ConfigNames.of(method);
                Optional<Attributor> created = Methods.create(method, trained, trainSet, options);
                if (created.isEmpty()) {
                    overlaps.addAll(
                            unavailable(
                                    name,
                                    settings,
                                    "the exact replay sweeps once per held-out image (one"
                                            + " adjoint and Hessian product per step each): not"
                                            + " run in this experiment"));
                    continue;
                }
                context.stage(
                        String.format(
                                Locale.ROOT,
                                "%s: %s contributions to %d held-out images",
                                label,
                                name,
                                heldOut.size()));
                long start = System.nanoTime();
                ContributionMatrix matrix;
                try (Attributor attributor = created.get()) {
                    matrix = attributor.contributionMatrix(manager, heldOut);
                } catch (IllegalStateException e) { // LiSSA diverged
                    overlaps.addAll(unavailable(name, settings, "failed: " + e.getMessage()));
                    continue;
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                for (ClusteringMethod clustering : settings.clusterings()) {
                    double[] jaccard = overlap(matrix, labels, truth, clustering, settings, seed);
                    overlaps.add(
                            new Overlap(
                                    name,
                                    ConfigNames.of(clustering),
                                    100 * jaccard[0],
                                    100 * jaccard[1],
                                    seconds,
                                    ""));
                }
            }
            return new Result(
                    labels.length,
                    Arrays.stream(truth).sum(),
                    heldOut.size(),
                    trained.training().testAccuracy(),
                    trained.trainSeconds(),
                    overlaps);
        }
    }

    /** One empty result per clustering, saying why. */
    private static List<Overlap> unavailable(
            String method, ClusteringSettings settings, String note) {
        return settings.clusterings().stream()
                .map(c -> new Overlap(method, ConfigNames.of(c), Double.NaN, Double.NaN, 0, note))
                .toList();
    }

    /** Clusters each class's contribution vectors; the per-group Jaccard averaged over classes. */
    static double[] overlap(
            ContributionMatrix matrix,
            int[] labels,
            int[] truth,
            ClusteringMethod clustering,
            ClusteringSettings settings,
            long seed) {
        int classes = Arrays.stream(labels).max().orElse(0) + 1;
        int k = settings.clustersPerClass();
        Clusterer clusterer =
                clustering == ClusteringMethod.ZSCORE_COSINE_AGGLOMERATIVE
                        ? AgglomerativeClusterer.builder().setClusters(k).build()
                        : KMeansClusterer.builder()
                                .setClusters(k)
                                .optRestarts(settings.kMeansRestarts())
                                .optSeed(seed)
                                .build();
        List<PartitionMatch> matches = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            List<double[]> rows = new ArrayList<>();
            List<Integer> groups = new ArrayList<>();
            for (int row = 0; row < matrix.rows(); row++) {
                int index = matrix.trainIndices()[row];
                if (labels[index] == c) {
                    double[] vector = new double[matrix.columns()];
                    for (int j = 0; j < vector.length; j++) {
                        vector[j] = matrix.get(row, j);
                    }
                    rows.add(vector);
                    groups.add(truth[index]);
                }
            }
            if (rows.size() < k) {
                continue;
            }
            double[][] points = rows.toArray(new double[0][]);
            double[][] features =
                    clustering == ClusteringMethod.SIGN_KMEANS
                            ? Features.signs(points)
                            : Features.zScores(points);
            int[] clusters = clusterer.cluster(features);
            matches.add(
                    PartitionMatch.best(
                            clusters, groups.stream().mapToInt(Integer::intValue).toArray(), k));
        }
        return PartitionMatch.meanPerGroup(matches);
    }

    @Override
    protected List<String> report(
            ExperimentContext context, Map<String, List<Result>> results, ReportWriter report)
            throws IOException {
        ClusteringSettings settings = settings(context.config());
        List<List<String>> rows = new ArrayList<>();
        List<List<Object>> raw = new ArrayList<>();
        List<String> headline = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> runs = new ArrayList<>(results.keySet());
        List<String> categories = new ArrayList<>();
        for (String run : runs) {
            categories.add(run + " correct");
            categories.add(run + " wrong");
        }
        GroupedBarChart.Builder chart =
                GroupedBarChart.builder()
                        .setTitle("Table 4: Jaccard index of clusters with the truth")
                        .setCategories(categories)
                        .optYAxisTitle("Jaccard index (%)")
                        .optSize(1100, 550);
        for (Method method : settings.methods()) {
            String name = ConfigNames.of(method);
            String published = CleaningExperiment.publishedName(name);
            for (ClusteringMethod clustering : settings.clusterings()) {
                String how = ConfigNames.of(clustering);
                double[] mean = new double[categories.size()];
                double[] std = new double[categories.size()];
                double[] paper = new double[categories.size()];
                for (int r = 0; r < runs.size(); r++) {
                    String run = runs.get(r);
                    List<Overlap> perSeed =
                            results.get(run).stream()
                                    .map(s -> find(s.methods(), name, how))
                                    .toList();
                    if (!perSeed.get(0).note().isEmpty()) {
                        notes.add(run + ", " + name + ": " + perSeed.get(0).note());
                        Arrays.fill(mean, 2 * r, 2 * r + 2, Double.NaN);
                        Arrays.fill(std, 2 * r, 2 * r + 2, Double.NaN);
                        paper[2 * r] = report.publishedValue("jaccard-correct", run, published);
                        paper[2 * r + 1] = report.publishedValue("jaccard-wrong", run, published);
                        continue;
                    }
                    double[] correct =
                            perSeed.stream().mapToDouble(Overlap::jaccardCorrect).toArray();
                    double[] wrong = perSeed.stream().mapToDouble(Overlap::jaccardWrong).toArray();
                    rows.add(
                            List.of(
                                    run,
                                    name,
                                    how,
                                    ReportWriter.meanStd(correct, 2),
                                    report.published("jaccard-correct", run, published, 2),
                                    ReportWriter.meanStd(wrong, 2),
                                    report.published("jaccard-wrong", run, published, 2)));
                    mean[2 * r] = Arrays.stream(correct).average().orElse(Double.NaN);
                    mean[2 * r + 1] = Arrays.stream(wrong).average().orElse(Double.NaN);
                    std[2 * r] = std(correct);
                    std[2 * r + 1] = std(wrong);
                    paper[2 * r] = report.publishedValue("jaccard-correct", run, published);
                    paper[2 * r + 1] = report.publishedValue("jaccard-wrong", run, published);
                    for (int s = 0; s < perSeed.size(); s++) {
                        raw.add(
                                List.of(
                                        run,
                                        context.config().seeds().get(s),
                                        name,
                                        how,
                                        correct[s],
                                        wrong[s]));
                    }
                    if (clustering == ClusteringMethod.SIGN_KMEANS) {
                        headline.add(
                                String.format(
                                        Locale.ROOT,
                                        "%s, %s (sign k-means): %s / %s (paper %s / %s)",
                                        run,
                                        name,
                                        ReportWriter.meanStd(correct, 2),
                                        ReportWriter.meanStd(wrong, 2),
                                        report.published("jaccard-correct", run, published, 2),
                                        report.published("jaccard-wrong", run, published, 2)));
                    }
                }
                if (Arrays.stream(mean).anyMatch(Double::isFinite)) {
                    boolean hasPaper = Arrays.stream(paper).anyMatch(Double::isFinite);
                    chart.addMethod(name + ", " + how, mean, std, hasPaper ? paper : null);
                }
            }
        }
        chart.build().writePng(report.file("table4.png"));
        Result any = results.values().iterator().next().get(0);
        report.heading("Overlap of the clusters with the truth")
                .paragraph(
                        String.format(
                                Locale.ROOT,
                                "%,d training images, %,d of them with a wrong label; each image's"
                                    + " contributions to %d clean held-out images form its vector."
                                    + " Per observed class, %d clusters; the Jaccard index of the"
                                    + " correct-label and the wrong-label group with its matched"
                                    + " cluster, averaged over the classes (%%, mean ± std over"
                                    + " seeds). sign-kmeans: k-means on the sign vectors (the"
                                    + " paper's text); zscore-kmeans and"
                                    + " zscore-cosine-agglomerative: z-scored real vectors (the"
                                    + " authors' script). Influence functions: %s. The paper used"
                                    + " 1,000-dimensional vectors; it does not say which clustering"
                                    + " its numbers come from.",
                                any.trainSamples(),
                                any.wrongLabels(),
                                any.dimensions(),
                                settings.clustersPerClass(),
                                Methods.describe(settings.influence())))
                .table(
                        List.of(
                                "run",
                                "method",
                                "clustering",
                                "correct labels (%)",
                                "paper",
                                "wrong labels (%)",
                                "paper"),
                        rows)
                .image("table4.png", "Jaccard indices beside the paper's");
        if (!notes.isEmpty()) {
            report.bullets(notes.stream().distinct().toList());
        }
        report.csv(
                "table4.csv",
                List.of("run", "seed", "method", "clustering", "jaccard_correct", "jaccard_wrong"),
                raw);
        return headline;
    }

    private static double std(double[] values) {
        if (values.length < 2) {
            return Double.NaN;
        }
        return ai.hydra.reproduce.metrics.MeanStd.of(values).std();
    }

    private static Overlap find(List<Overlap> overlaps, String method, String clustering) {
        return overlaps.stream()
                .filter(o -> o.method().equals(method) && o.clustering().equals(clustering))
                .findFirst()
                .orElseThrow();
    }

    @Override
    public List<Estimate> estimate(ReproductionConfig config, Rates rates) {
        ClusteringSettings settings = settings(config);
        List<Estimate> estimates = new ArrayList<>();
        for (ReproductionConfig.Run run : config.runs()) {
            Costs costs = Costs.of(run, rates);
            int n = costs.trainImages();
            double seconds =
                    costs.training() + costs.hessianFree(n) + costs.gradients(settings.heldOut());
            for (Method method : settings.methods()) {
                if (method == Method.INFLUENCE) {
                    seconds +=
                            costs.lissa(
                                            settings.influence().depth(),
                                            settings.influence().repeats(),
                                            settings.heldOut())
                                    + costs.gradients(n);
                } else if (method == Method.HYDRA_EXACT) {
                    seconds += costs.replay(settings.heldOut());
                }
            }
            estimates.add(
                    new Estimate(
                            run.name(),
                            seconds,
                            costs.store(n, 1),
                            String.format(
                                    Locale.ROOT,
                                    "%,d images tracked, %d epochs, %d-dimensional vectors",
                                    n,
                                    run.config().train().epochs(),
                                    settings.heldOut())));
        }
        return estimates;
    }
}
