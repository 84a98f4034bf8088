package ai.hydra.bench;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.hydra.attribution.Attributor;
import ai.hydra.attribution.HydraAttributor;
import ai.hydra.attribution.LossGradients;
import ai.hydra.attribution.TestFunctionals;
import ai.hydra.data.SampleSet;
import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ExperimentData;
import ai.hydra.experiment.PreparedTraining;
import ai.hydra.experiment.ReproductionConfig;
import ai.hydra.experiment.ReproductionSettings;
import ai.hydra.experiment.TrainingResult;
import ai.hydra.experiment.TrainingRun;
import ai.hydra.gradient.ShadowModel;
import ai.hydra.influence.InfluenceFunctions;
import ai.hydra.influence.LissaSolver;
import ai.hydra.listener.HydraListener;
import ai.hydra.listener.TrajectoryRecorder;
import ai.hydra.recurrence.HydraMode;
import ai.hydra.replay.ReverseSweep;
import ai.hydra.reproduce.metrics.Agreement;
import ai.hydra.train.HydraSgd;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The paper's Figs. 4-5 over <em>every</em> training sample: the sign-error rate and Spearman
 * correlation of Hessian-free HYDRA and of influence functions (LiSSA) against the exact
 * contributions, which the reverse-mode replay computes for all samples (the paper had the exact
 * values of 500 tracked samples).
 *
 * <p>It trains the {@code fashion-mnist} run of {@code configs/reproduce/fig3-5.yaml} (preset
 * {@code quick} by default: LeNet-5, 3,000 Fashion-MNIST images, 12 epochs) with a {@link
 * HydraListener} tracking every sample (Hessian-free) and a {@link TrajectoryRecorder}. Every
 * {@code measureEvery} epochs it takes the Hessian-free C(i) for the mean loss of the first {@code
 * testSamples} test images at the current weights, and, from {@code influenceFromEpoch} on, the
 * influence functions' C(i) on the current model; after training, one backward sweep over the steps
 * up to each of those epochs gives the exact C(i) there. Prints one line per measurement and writes
 * {@code exact-agreement.json}.
 *
 * <pre>
 * java -Dai.djl.offline=true -cp ... ai.hydra.bench.ExactAgreement \
 *     [--preset quick] [--seeds 1,2,3] [--set data.dir=DIR] [--out DIR]
 * </pre>
 */
@Command(
        name = "ExactAgreement",
        mixinStandardHelpOptions = true,
        description =
                "Sign errors and Spearman correlation of Hessian-free HYDRA and influence functions"
                        + " against exact contributions of every training sample (Figs. 4-5).")
public final class ExactAgreement implements Callable<Integer> {

    @Option(names = "--config", description = "the experiment file; default ${DEFAULT-VALUE}")
    private Path file = Paths.get("configs/reproduce/fig3-5.yaml");

    @Option(names = "--preset", description = "quick or paper; default ${DEFAULT-VALUE}")
    private String preset = "quick";

    @Option(
            names = "--seeds",
            split = ",",
            description = "repetitions; default: the preset's seeds")
    private List<Long> seeds;

    @Option(
            names = "--set",
            description = "an override of the experiment file (repeatable), e.g. data.dir=DIR")
    private List<String> overrides = new ArrayList<>();

    @Option(names = "--out", description = "output folder; default ${DEFAULT-VALUE}")
    private Path out = Paths.get("bench-out");

    private final BenchmarkResults results = new BenchmarkResults();

    /**
     * Runs the comparison.
     *
     * @param args the options; {@code --help} lists them
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new ExactAgreement()).execute(args));
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws Exception {
        ReproductionConfig experiment = ReproductionConfig.load(file, preset, overrides);
        ReproductionSettings.ApproximationSettings settings =
                (ReproductionSettings.ApproximationSettings) experiment.settings();
        results.put("experiment", experiment.title() + ", preset " + preset);
        results.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        results.put("load_average_at_start", BenchmarkResults.loadAverage());
        for (long seed : seeds != null ? seeds : experiment.seeds()) {
            measure(experiment.run("fashion-mnist").forSeed(seed), settings, seed);
        }
        results.put("load_average_at_end", BenchmarkResults.loadAverage());
        results.printTable("Figs. 4-5 over every training sample: agreement with exact C(i)");
        results.writeJson(out, "exact-agreement.json");
        return 0;
    }

    private void measure(
            ExperimentConfig config, ReproductionSettings.ApproximationSettings settings, long seed)
            throws Exception {
        ExperimentData data = ExperimentData.load(config.data(), config.source());
        int n = data.train().size();
        DataType dataType = config.train().precision().dataType();
        try (PreparedTraining prepared =
                TrainingRun.builder().setConfig(config).build().prepare(data)) {
            HydraSgd sgd = prepared.optimizer();
            Model model = null;
            try (HydraListener hydra = HydraListener.builder(sgd, n).build();
                    TrajectoryRecorder recorder = TrajectoryRecorder.builder(sgd, n).build();
                    NDManager manager = NDManager.newBaseManager()) {
                SampleSet test =
                        data.test().first(settings.testSamples()).toSampleSet(manager, dataType);
                SampleSet train = data.train().toSampleSet(manager, dataType);
                Measurements measurements =
                        new Measurements(
                                hydra, recorder, settings, config, sgd, prepared, train, test);
                TrainingResult trained = prepared.fit(hydra, recorder, measurements);
                model = trained.model();
                long start = System.nanoTime();
                exact(measurements, model, prepared, recorder, test, n);
                double exactSeconds = (System.nanoTime() - start) / 1e9;
                report(measurements, seed, trained, exactSeconds, recorder);
            } finally {
                if (model != null) {
                    model.close();
                }
            }
        }
    }

    /** After training: the exact C(i) at every measured epoch, one prefix sweep each. */
    private static void exact(
            Measurements measurements,
            Model model,
            PreparedTraining prepared,
            TrajectoryRecorder recorder,
            SampleSet test,
            int n) {
        ShadowModel shadow = new ShadowModel(model.getBlock(), prepared.loss());
        try (NDManager scope = model.getNDManager().newSubManager()) {
            ReverseSweep sweep =
                    ReverseSweep.builder(recorder.getTrajectory(), shadow, measurements.train)
                            .build();
            for (Measurement m : measurements.byEpoch.values()) {
                try (NDManager local = scope.newSubManager()) {
                    NDArray w = sweep.weightsAfter(local, m.steps);
                    NDArray adjoint =
                            LossGradients.of(shadow, w, TestFunctionals.meanLoss(test), 64);
                    double[] derivatives = sweep.run(local, adjoint, m.steps)[0];
                    m.exact = new double[n];
                    for (int i = 0; i < n; i++) {
                        m.exact[i] = -derivatives[i] / n;
                    }
                }
                System.out.printf(
                        Locale.ROOT, "  exact C(i) after epoch %d (%d steps)%n", m.epoch, m.steps);
            }
            measurements.stored = sweep.describe();
        }
    }

    private void report(
            Measurements measurements,
            long seed,
            TrainingResult trained,
            double exactSeconds,
            TrajectoryRecorder recorder) {
        String prefix = "seed" + seed + "_";
        results.put(prefix + "test_accuracy", trained.testAccuracy());
        results.put(
                prefix + "training_with_listeners_s",
                trained.epochs().stream().mapToDouble(e -> e.seconds()).sum());
        results.put(prefix + "exact_all_epochs_s", exactSeconds);
        results.put(prefix + "stored", measurements.stored);
        for (Measurement m : measurements.byEpoch.values()) {
            String key = prefix + "epoch" + m.epoch + "_";
            results.put(key + "hessian_free_sign_errors", Agreement.signErrorRate(m.free, m.exact));
            results.put(key + "hessian_free_spearman", Agreement.spearman(m.free, m.exact));
            // the scale of each: an exact derivative amplified by unstable directions of the
            // training shows here as an exact RMS far above the Hessian-free one
            results.put(key + "exact_rms", rms(m.exact));
            results.put(key + "hessian_free_rms", rms(m.free));
            if (m.influence != null) {
                results.put(
                        key + "influence_sign_errors",
                        Agreement.signErrorRate(m.influence, m.exact));
                results.put(key + "influence_spearman", Agreement.spearman(m.influence, m.exact));
            }
        }
    }

    private static double rms(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v * v;
        }
        return Math.sqrt(sum / values.length);
    }

    /** What is taken at one epoch end. */
    private static final class Measurement {
        int epoch;
        int steps;
        double[] free;
        double[] influence;
        double[] exact;
    }

    /** Takes the approximations at epoch ends, while training runs. */
    private static final class Measurements extends TrainingListenerAdapter {

        final Map<Integer, Measurement> byEpoch = new LinkedHashMap<>();
        final SampleSet train;
        String stored;
        private final HydraListener hydra;
        private final TrajectoryRecorder recorder;
        private final ReproductionSettings.ApproximationSettings settings;
        private final ExperimentConfig config;
        private final HydraSgd sgd;
        private final PreparedTraining prepared;
        private final SampleSet test;
        private int epoch;

        Measurements(
                HydraListener hydra,
                TrajectoryRecorder recorder,
                ReproductionSettings.ApproximationSettings settings,
                ExperimentConfig config,
                HydraSgd sgd,
                PreparedTraining prepared,
                SampleSet train,
                SampleSet test) {
            this.hydra = hydra;
            this.recorder = recorder;
            this.settings = settings;
            this.config = config;
            this.sgd = sgd;
            this.prepared = prepared;
            this.train = train;
            this.test = test;
        }

        @Override
        public void onEpoch(Trainer trainer) {
            epoch++;
            int epochs = config.train().epochs();
            if (epoch % settings.measureEvery() != 0 && epoch != epochs) {
                return;
            }
            Measurement m = new Measurement();
            m.epoch = epoch;
            m.steps = hydra.getSteps();
            try (NDManager scope = trainer.getManager().newSubManager();
                    Attributor free =
                            HydraAttributor.builder(hydra.getHypergradients(HydraMode.HESSIAN_FREE))
                                    .build()) {
                m.free = free.testLossContributions(scope, test).values();
                if (epoch >= settings.influenceFromEpoch()) {
                    m.influence = influence(trainer, scope);
                }
            }
            byEpoch.put(epoch, m);
            System.out.printf(
                    Locale.ROOT,
                    "  epoch %d: Hessian-free%s C(i) taken (%d steps)%n",
                    epoch,
                    m.influence != null ? " and influence-function" : "",
                    m.steps);
        }

        private double[] influence(Trainer trainer, NDManager scope) {
            ReproductionSettings.InfluenceSettings lissa = settings.influence();
            ShadowModel shadow = new ShadowModel(trainer.getModel().getBlock(), prepared.loss());
            try (InfluenceFunctions influence =
                    InfluenceFunctions.builder(shadow, train)
                            .optOptimizer(sgd)
                            .optSolver(
                                    LissaSolver.builder()
                                            .optDamping(lissa.damping())
                                            .optScale(lissa.scale())
                                            .optDepth(lissa.depth())
                                            .optRepeats(lissa.repeats())
                                            .optBatchSize(lissa.batchSize())
                                            .build())
                            .build()) {
                return influence.testLossContributions(scope, test).values();
            }
        }
    }
}
