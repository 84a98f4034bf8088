package ai.hydra.reproduce;

import ai.djl.ndarray.NDManager;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.Contributions;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.attribution.InterClassMatrix;
import ai.hydra.data.SampleSet;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionSettings;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.report.Heatmap;
import ai.hydra.reproduce.run.TrainedRun;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fig. 2: the inter-class contribution matrices (Eq. 23) of MNIST, Fashion-MNIST and CIFAR-10,
 * checked against the paper's claims (every row's and column's maximum on the diagonal, low values
 * between similar classes), and the mean and standard deviation of the training samples'
 * contributions to the test loss beside the paper's.
 */
final class Fig2Experiment
        extends ExperimentRunner<Fig2Experiment.Result, ReproductionSettings.Fig2Settings> {

    Fig2Experiment() {
        super(Result.class, ReproductionSettings.Fig2Settings.class, 1);
    }

    /**
     * One run's outcome.
     *
     * @param trainSamples training images
     * @param trackedSamples training images tracked (rows of the matrices)
     * @param testSamples test images (columns, grouped by class)
     * @param testAccuracy the trained model's test accuracy
     * @param trainSeconds training with the listener
     * @param classNames the class names
     * @param methods one entry per method
     */
    record Result(
            int trainSamples,
            int trackedSamples,
            int testSamples,
            double testAccuracy,
            double trainSeconds,
            List<String> classNames,
            List<MethodResult> methods) {}

    /**
     * One method's matrices and statistics.
     *
     * @param method the method's name
     * @param raw M[a][b], summed contributions of training class a to the test losses of class b
     * @param normalized M[a][b] / sqrt(row sum x column sum)
     * @param contributionMean the mean over tracked samples of C(i) for the mean test loss
     * @param contributionStd their standard deviation
     * @param seconds the time to compute the contributions
     */
    record MethodResult(
            String method,
            double[][] raw,
            double[][] normalized,
            double contributionMean,
            double contributionStd,
            double seconds) {}

    @Override
    protected Result runOne(ExperimentContext context, RunSpec spec) throws Exception {
        ExperimentConfig config = spec.config();
        long seed = spec.seed();
        List<ReproductionSettings.Method> methods = settings(context.config()).methods();
        try (TrainedRun trained =
                context.newRun(config).optHydra(HydraMode.HESSIAN_FREE, null).fit()) {
            List<MethodResult> results = new ArrayList<>();
            for (ReproductionSettings.Method method : methods) {
                if (method != ReproductionSettings.Method.HYDRA_HESSIAN_FREE) {
                    context.stage(
                            ConfigNames.of(method)
                                    + " is not available for all samples yet (it needs the"
                                    + " reverse-mode replay): skipped");
                    continue;
                }
                context.stage(spec.label() + ": inter-class contributions");
                long start = System.nanoTime();
                try (NDManager manager = trained.manager().newSubManager();
                        Attributor attributor =
                                HydraAttributor.builder(
                                                trained.hydra()
                                                        .getHypergradients(HydraMode.HESSIAN_FREE))
                                        .optBatchSize(config.train().batchSize())
                                        .build()) {
                    SampleSet test =
                            trained.data()
                                    .test()
                                    .toSampleSet(manager, config.train().precision().dataType());
                    Contributions c = attributor.testLossContributions(manager, test);
                    InterClassMatrix matrix =
                            attributor.interClass(
                                    manager,
                                    test,
                                    trained.data().train().labels(),
                                    trained.data().train().numClasses());
                    double[] values = c.values();
                    double mean = Arrays.stream(values).average().orElse(Double.NaN);
                    double variance =
                            Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum()
                                    / Math.max(1, values.length - 1);
                    results.add(
                            new MethodResult(
                                    attributor.name(),
                                    matrix.raw(),
                                    matrix.normalized(),
                                    mean,
                                    Math.sqrt(variance),
                                    (System.nanoTime() - start) / 1e9));
                }
            }
            return new Result(
                    trained.data().train().size(),
                    trained.hydra().getHypergradients(HydraMode.HESSIAN_FREE).size(),
                    trained.data().test().size(),
                    trained.training().testAccuracy(),
                    trained.trainSeconds(),
                    trained.data().train().classNames(),
                    results);
        }
    }

    @Override
    protected List<String> report(
            ExperimentContext context, Map<String, List<Result>> results, ReportWriter report)
            throws IOException {
        ReproductionSettings.Fig2Settings settings = settings(context.config());
        List<List<String>> statistics = new ArrayList<>();
        List<List<String>> claims = new ArrayList<>();
        List<String> headline = new ArrayList<>();
        List<List<Object>> cells = new ArrayList<>();
        List<String> images = new ArrayList<>();
        for (Map.Entry<String, List<Result>> entry : results.entrySet()) {
            String run = entry.getKey();
            List<Result> seeds = entry.getValue();
            Result first = seeds.get(0);
            for (int m = 0; m < first.methods().size(); m++) {
                String method = first.methods().get(m).method();
                int index = m;
                List<MethodResult> perSeed =
                        seeds.stream().map(r -> r.methods().get(index)).toList();
                double[][] mean = meanMatrix(perSeed);
                String image = "heatmap-" + run + "-" + method + ".png";
                Heatmap.builder()
                        .setValues(mean)
                        .setClassNames(first.classNames())
                        .optTitle(
                                run
                                        + ", "
                                        + method
                                        + " (normalized, mean of "
                                        + seeds.size()
                                        + " seed(s))")
                        .build()
                        .writePng(report.file(image));
                images.add(image);
                for (int a = 0; a < mean.length; a++) {
                    for (int b = 0; b < mean.length; b++) {
                        cells.add(List.of(run, method, a, b, mean[a][b]));
                    }
                }
                statistics.add(
                        List.of(
                                run,
                                method,
                                ReportWriter.meanStdScientific(
                                        perSeed.stream()
                                                .mapToDouble(MethodResult::contributionMean)
                                                .toArray()),
                                report.publishedScientific("contribution-mean", run, "hydra"),
                                ReportWriter.meanStdScientific(
                                        perSeed.stream()
                                                .mapToDouble(MethodResult::contributionStd)
                                                .toArray()),
                                report.publishedScientific("contribution-std", run, "hydra")));
                int rows = diagonalMaxima(mean, true);
                int columns = diagonalMaxima(mean, false);
                String pairs =
                        describePairs(
                                mean,
                                settings.similarPairs().getOrDefault(run, List.of()),
                                first.classNames());
                claims.add(
                        List.of(
                                run,
                                method,
                                ReportWriter.meanStd(
                                        seeds.stream()
                                                .mapToDouble(r -> 100 * r.testAccuracy())
                                                .toArray(),
                                        2),
                                rows + "/" + mean.length,
                                columns + "/" + mean.length,
                                pairs));
                headline.add(
                        String.format(
                                Locale.ROOT,
                                "%s (%s): diagonal maxima in %d/%d rows and %d/%d columns (paper:"
                                        + " all); similar pairs %s",
                                run,
                                method,
                                rows,
                                mean.length,
                                columns,
                                mean.length,
                                pairs));
            }
        }
        report.heading("Contributions to the test loss")
                .paragraph(
                        "Mean and standard deviation, over the tracked training samples, of C(i)"
                                + " for the mean loss of the test set (mean ± std over seeds of"
                                + " each statistic). The paper's values are for its full"
                                + " training sets and schedules, and it does not say whether it"
                                + " takes the mean or the summed test loss: compare orders of"
                                + " magnitude and signs, not digits.")
                .table(
                        List.of("run", "method", "mean of C(i)", "paper", "std of C(i)", "paper"),
                        statistics);
        report.heading("The paper's claims about the inter-class matrix")
                .paragraph(
                        "The paper states that every row's and every column's maximum lies on the"
                                + " diagonal, and that similar classes contribute little to each"
                                + " other. Below: how many rows and columns of the normalized"
                                + " matrix (mean over seeds) have their maximum on the diagonal,"
                                + " and for each similar pair a-b the normalized values M[a][b] /"
                                + " M[b][a] and their ranks among the 9 off-diagonal values of"
                                + " their row (1 = lowest).")
                .table(
                        List.of(
                                "run",
                                "method",
                                "test accuracy (%)",
                                "rows with diagonal max",
                                "columns with diagonal max",
                                "similar pairs: values (ranks)"),
                        claims);
        report.heading("Heatmaps");
        for (String image : images) {
            report.image(image, image);
        }
        report.csv(
                "interclass-normalized.csv",
                List.of("run", "method", "train_class", "test_class", "normalized_mean_over_seeds"),
                cells);
        return headline;
    }

    private static double[][] meanMatrix(List<MethodResult> perSeed) {
        int n = perSeed.get(0).normalized().length;
        double[][] mean = new double[n][n];
        for (MethodResult result : perSeed) {
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    mean[a][b] += result.normalized()[a][b] / perSeed.size();
                }
            }
        }
        return mean;
    }

    /** Counts rows (or columns) whose largest value is the diagonal one. */
    static int diagonalMaxima(double[][] m, boolean rows) {
        int count = 0;
        for (int a = 0; a < m.length; a++) {
            boolean max = true;
            for (int b = 0; b < m.length; b++) {
                double other = rows ? m[a][b] : m[b][a];
                if (b != a && other >= m[a][a]) {
                    max = false;
                }
            }
            count += max ? 1 : 0;
        }
        return count;
    }

    /** The rank (1 = lowest) of M[a][b] among the off-diagonal values of row a. */
    static int rankInRow(double[][] m, int a, int b) {
        int rank = 1;
        for (int c = 0; c < m.length; c++) {
            if (c != a && c != b && m[a][c] < m[a][b]) {
                rank++;
            }
        }
        return rank;
    }

    private static String describePairs(double[][] m, List<int[]> pairs, List<String> names) {
        if (pairs.isEmpty()) {
            return "–";
        }
        List<String> parts = new ArrayList<>();
        for (int[] pair : pairs) {
            int a = pair[0];
            int b = pair[1];
            parts.add(
                    String.format(
                            Locale.ROOT,
                            "%s-%s %.2f/%.2f (%d, %d)",
                            names.get(a),
                            names.get(b),
                            m[a][b],
                            m[b][a],
                            rankInRow(m, a, b),
                            rankInRow(m, b, a)));
        }
        return String.join("; ", parts);
    }

    @Override
    public List<Estimate> estimate(ReproductionConfig config, Rates rates) {
        List<Estimate> estimates = new ArrayList<>();
        boolean exact =
                settings(config).methods().contains(ReproductionSettings.Method.HYDRA_EXACT);
        for (ReproductionConfig.Run run : config.runs()) {
            Costs costs = Costs.of(run, rates);
            double seconds =
                    costs.training()
                            + costs.hessianFree(costs.tracked())
                            + costs.gradients(2L * costs.testImages() + costs.tracked());
            String detail =
                    String.format(
                            Locale.ROOT,
                            "%,d images, %,d tracked, %d epochs",
                            costs.trainImages(),
                            costs.tracked(),
                            run.config().train().epochs());
            if (exact) {
                seconds += costs.replay(10);
                detail += ", exact replay for 10 class functionals";
            }
            estimates.add(
                    new Estimate(run.name(), seconds, costs.store(costs.tracked(), 1), detail));
        }
        return estimates;
    }
}
