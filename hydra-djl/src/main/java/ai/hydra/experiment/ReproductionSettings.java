package ai.hydra.experiment;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The experiment-specific {@code settings} of a reproduction preset (see {@link
 * ReproductionConfig}); one record per experiment. Keys, defaults and meanings are documented in
 * {@code configs/reproduce/README.md}.
 */
public sealed interface ReproductionSettings
        permits ReproductionSettings.Fig2Settings,
                ReproductionSettings.ApproximationSettings,
                ReproductionSettings.CleaningSettings,
                ReproductionSettings.ClusteringSettings,
                ReproductionSettings.SpeedupSettings,
                ReproductionSettings.NoisyLabelSettings {

    /** The attribution methods an experiment can compare (config names in lower case). */
    enum Method {
        /** HYDRA without the Hessian term (the paper's fast form). */
        HYDRA_HESSIAN_FREE,
        /** HYDRA with the Hessian term: exact hypergradients (the Hessian-aware recurrence). */
        HYDRA_EXACT,
        /** Influence functions (Koh and Liang) with the configured solver, on the final model. */
        INFLUENCE,
        /** TracIn-CP: learning rate x gradient dot products summed over checkpoints. */
        TRACIN_CP,
        /** Outlier Gradient Analysis: an isolation forest on last-layer per-sample gradients. */
        OUTLIER_GRADIENT,
        /** The training loss of each sample under the final model. */
        SELF_LOSS,
        /** A random score: the chance level. */
        RANDOM
    }

    /** What a training sample's score measures in the mislabeled-sample benchmark. */
    enum Scoring {
        /** Its contribution to its own loss (what the benchmark's peers rank by). */
        SELF,
        /** The paper's C(i): its contribution to the loss of clean held-out samples. */
        HELD_OUT
    }

    /** How contribution vectors are clustered (Table 4). */
    enum ClusteringMethod {
        /** k-means on the sign vectors, as the paper's text describes. */
        SIGN_KMEANS,
        /** k-means on z-scored real vectors, as the authors' script does for (Fashion-)MNIST. */
        ZSCORE_KMEANS,
        /** Cosine agglomerative clustering of z-scored vectors (the script, for CIFAR-10). */
        ZSCORE_COSINE_AGGLOMERATIVE
    }

    /** The influence-function solver. */
    enum Solver {
        /** LiSSA (stochastic Neumann series). */
        LISSA,
        /** Conjugate gradients (needs a positive-definite Hessian). */
        CG
    }

    /**
     * Returns the methods to run, in report order.
     *
     * @return the methods
     */
    List<Method> methods();

    /** Reads the settings of one experiment and checks them against the preset's runs. */
    static ReproductionSettings from(
            ReproductionConfig.Experiment experiment,
            ConfigNode node,
            List<ReproductionConfig.Run> runs) {
        return switch (experiment) {
            case FIG2 -> Fig2Settings.from(node, runs);
            case FIG3_5 -> ApproximationSettings.from(node, runs);
            case TABLE3 -> CleaningSettings.from(node, runs);
            case TABLE4 -> ClusteringSettings.from(node, runs);
            case SPEEDUP -> SpeedupSettings.from(node, runs);
            case NOISY -> NoisyLabelSettings.from(node, runs);
        };
    }

    /** Reads {@code methods}, allowing only some, defaulting to {@code defaults}. */
    private static List<Method> readMethods(
            ConfigNode node, Set<Method> allowed, List<Method> defaults) {
        List<Method> methods = node.enumList("methods", Method.class);
        for (Method method : methods) {
            if (!allowed.contains(method)) {
                throw node.error(
                        "methods",
                        ConfigNode.configName(method)
                                + " is not available in this experiment; choose from "
                                + allowed.stream().map(ConfigNode::configName).toList());
            }
        }
        return methods.isEmpty() ? defaults : methods;
    }

    /**
     * Checks that every run leaves {@code heldOut} clean samples in its training file after its
     * training samples (held-out samples are the next ones in file order).
     */
    private static int readHeldOut(ConfigNode node, List<ReproductionConfig.Run> runs) {
        int heldOut = node.integer("heldOut", 1000, 1, Integer.MAX_VALUE);
        for (ReproductionConfig.Run run : runs) {
            DataConfig data = run.config().data();
            int size = ReproductionConfig.trainingFileSize(data.dataset());
            if (data.trainLimit() == null || data.trainLimit() + heldOut > size) {
                throw node.error(
                        "heldOut",
                        "run '"
                                + run.name()
                                + "' must leave "
                                + heldOut
                                + " of the "
                                + size
                                + " training images of "
                                + data.dataset()
                                + " unused for the held-out set: set its data.trainLimit to at"
                                + " most "
                                + (size - heldOut)
                                + " (now "
                                + (data.trainLimit() == null ? "all" : data.trainLimit())
                                + ")");
            }
        }
        return heldOut;
    }

    /**
     * Fig. 2: inter-class contributions over the whole test set.
     *
     * @param methods {@code hydra-hessian-free} (default) and/or {@code hydra-exact}
     * @param similarPairs per run, the class pairs the paper names as similar (low mutual
     *     contributions), e.g. {@code mnist: ["3-5", "2-7"]}; each pair as two class indices
     */
    record Fig2Settings(List<Method> methods, Map<String, List<int[]>> similarPairs)
            implements ReproductionSettings {
        static Fig2Settings from(ConfigNode node, List<ReproductionConfig.Run> runs) {
            node.allowOnly("methods", "similarPairs");
            ConfigNode pairs = node.section("similarPairs");
            Map<String, List<int[]>> byRun = new LinkedHashMap<>();
            for (String run : pairs.keys()) {
                List<int[]> list = new ArrayList<>();
                for (String pair : pairs.stringList(run)) {
                    String[] parts = pair.split("-");
                    try {
                        if (parts.length != 2) {
                            throw new NumberFormatException();
                        }
                        list.add(
                                new int[] {
                                    Integer.parseInt(parts[0].trim()),
                                    Integer.parseInt(parts[1].trim())
                                });
                    } catch (NumberFormatException e) {
                        throw pairs.error(
                                run,
                                "'"
                                        + pair
                                        + "' is not a pair of class indices; write e.g. \"3-5\"");
                    }
                }
                byRun.put(run, List.copyOf(list));
            }
            return new Fig2Settings(
                    readMethods(
                            node,
                            EnumSet.of(Method.HYDRA_HESSIAN_FREE, Method.HYDRA_EXACT),
                            List.of(Method.HYDRA_HESSIAN_FREE)),
                    Map.copyOf(byRun));
        }
    }

    /**
     * Figs. 3-5: Hessian-free HYDRA and influence functions against the exact (Hessian-aware)
     * hypergradients of a few tracked samples, measured during training.
     *
     * @param trackedPerClass samples tracked per class (the first ones of each class in file order)
     * @param measureEvery measure every that many epochs
     * @param influenceFromEpoch first epoch at which influence functions are measured
     * @param testSamples the contributions are to the mean loss of the first that many test samples
     * @param methods the approximations compared with the exact values
     * @param influence the influence-function solver
     */
    record ApproximationSettings(
            int trackedPerClass,
            int measureEvery,
            int influenceFromEpoch,
            int testSamples,
            List<Method> methods,
            InfluenceSettings influence)
            implements ReproductionSettings {
        static ApproximationSettings from(ConfigNode node, List<ReproductionConfig.Run> runs) {
            node.allowOnly(
                    "trackedPerClass",
                    "measureEvery",
                    "influenceFromEpoch",
                    "testSamples",
                    "methods",
                    "influence");
            int from = node.integer("influenceFromEpoch", 100, 1, 100_000);
            for (ReproductionConfig.Run run : runs) {
                if (from > run.config().train().epochs()) {
                    throw node.error(
                            "influenceFromEpoch",
                            from
                                    + " is after the last epoch of run '"
                                    + run.name()
                                    + "' ("
                                    + run.config().train().epochs()
                                    + "): influence functions would never be measured");
                }
            }
            return new ApproximationSettings(
                    node.integer("trackedPerClass", 50, 1, 100_000),
                    node.integer("measureEvery", 4, 1, 100_000),
                    from,
                    node.integer("testSamples", 1000, 1, Integer.MAX_VALUE),
                    readMethods(
                            node,
                            EnumSet.of(Method.HYDRA_HESSIAN_FREE, Method.INFLUENCE),
                            List.of(Method.HYDRA_HESSIAN_FREE, Method.INFLUENCE)),
                    InfluenceSettings.from(node.section("influence")));
        }
    }

    /**
     * Table 3: remove the least useful samples by each method's contributions to clean held-out
     * data, retrain from the same initialization, report the test accuracy.
     *
     * @param heldOut clean held-out samples (the training file's samples right after the run's
     *     training samples), never the test set
     * @param removeFraction the share of training samples removed; null = the run's label-noise
     *     fraction (the paper's r%)
     * @param methods the rankings compared; no filtering is always reported
     * @param influence the influence-function solver
     * @param influenceSweep further solver settings whose cleaning results are reported beside the
     *     main ones (how the influence-function baseline moves with damping, scale and solver)
     */
    record CleaningSettings(
            int heldOut,
            Double removeFraction,
            List<Method> methods,
            InfluenceSettings influence,
            List<InfluenceSettings> influenceSweep)
            implements ReproductionSettings {
        static CleaningSettings from(ConfigNode node, List<ReproductionConfig.Run> runs) {
            node.allowOnly("heldOut", "removeFraction", "methods", "influence", "influenceSweep");
            Double fraction =
                    node.has("removeFraction") ? node.number("removeFraction", 0, 0, 0.99) : null;
            return new CleaningSettings(
                    readHeldOut(node, runs),
                    fraction,
                    readMethods(
                            node,
                            EnumSet.of(
                                    Method.HYDRA_HESSIAN_FREE,
                                    Method.HYDRA_EXACT,
                                    Method.INFLUENCE,
                                    Method.RANDOM),
                            List.of(
                                    Method.HYDRA_HESSIAN_FREE,
                                    Method.HYDRA_EXACT,
                                    Method.INFLUENCE,
                                    Method.RANDOM)),
                    InfluenceSettings.from(node.section("influence")),
                    node.sectionList("influenceSweep").stream()
                            .map(InfluenceSettings::from)
                            .toList());
        }
    }

    /**
     * Table 4: per class, cluster the training samples' contribution vectors to held-out samples
     * into two clusters and compare them with {correct label, wrong label} (Jaccard).
     *
     * @param heldOut clean held-out samples, the dimensions of the contribution vectors
     * @param clustersPerClass clusters formed per class (the paper: 2)
     * @param clusterings the feature transforms and algorithms, each reported
     * @param kMeansRestarts k-means++ restarts, keeping the best
     * @param methods the contributions compared
     * @param influence the influence-function solver
     */
    record ClusteringSettings(
            int heldOut,
            int clustersPerClass,
            List<ClusteringMethod> clusterings,
            int kMeansRestarts,
            List<Method> methods,
            InfluenceSettings influence)
            implements ReproductionSettings {
        static ClusteringSettings from(ConfigNode node, List<ReproductionConfig.Run> runs) {
            node.allowOnly(
                    "heldOut",
                    "clustersPerClass",
                    "clusterings",
                    "kMeansRestarts",
                    "methods",
                    "influence");
            List<ClusteringMethod> clusterings =
                    node.enumList("clusterings", ClusteringMethod.class);
            return new ClusteringSettings(
                    readHeldOut(node, runs),
                    node.integer("clustersPerClass", 2, 2, 8),
                    clusterings.isEmpty() ? List.of(ClusteringMethod.values()) : clusterings,
                    node.integer("kMeansRestarts", 10, 1, 1000),
                    readMethods(
                            node,
                            EnumSet.of(
                                    Method.HYDRA_HESSIAN_FREE,
                                    Method.HYDRA_EXACT,
                                    Method.INFLUENCE),
                            List.of(Method.HYDRA_HESSIAN_FREE, Method.INFLUENCE)),
                    InfluenceSettings.from(node.section("influence")));
        }
    }

    /**
     * The speedup: wall time of the Hessian-free and the Hessian-aware recurrence on the same
     * samples in the same epoch. The Hessian-free run tracks the run's {@code hydra.trackLimit}
     * samples (all by default); the Hessian-aware time is measured on a subset of them and of the
     * steps and scaled up (it is linear in both).
     *
     * @param hessianAwareSamples samples tracked by the timed Hessian-aware run
     * @param hessianAwareSteps optimizer steps the Hessian-aware run is timed for; null = all
     */
    record SpeedupSettings(int hessianAwareSamples, Integer hessianAwareSteps)
            implements ReproductionSettings {
        static SpeedupSettings from(ConfigNode node, List<ReproductionConfig.Run> runs) {
            node.allowOnly("hessianAwareSamples", "hessianAwareSteps");
            int aware = node.integer("hessianAwareSamples", 8, 1, Integer.MAX_VALUE);
            for (ReproductionConfig.Run run : runs) {
                ExperimentConfig config = run.config();
                Integer limit = config.data().trainLimit();
                int tracked =
                        limit != null
                                ? limit
                                : ReproductionConfig.trainingFileSize(config.data().dataset());
                if (config.hydra().trackLimit() != null) {
                    tracked = Math.min(tracked, config.hydra().trackLimit());
                }
                if (aware > tracked) {
                    throw node.error(
                            "hessianAwareSamples",
                            "run '"
                                    + run.name()
                                    + "' tracks "
                                    + tracked
                                    + " samples (Hessian-free); time the Hessian-aware recurrence"
                                    + " on at most that many");
                }
            }
            return new SpeedupSettings(
                    aware, node.optionalInteger("hessianAwareSteps", 1, Integer.MAX_VALUE));
        }

        /** {@inheritDoc} */
        @Override
        public List<Method> methods() {
            return List.of(Method.HYDRA_HESSIAN_FREE, Method.HYDRA_EXACT);
        }
    }

    /**
     * The mislabeled-sample benchmark: score every training sample, report how well each score
     * finds the flipped labels.
     *
     * @param heldOut clean held-out samples for the {@code held-out} scoring
     * @param methods the methods compared
     * @param scorings what the scores measure; each reported
     * @param inspectFractions shares of the training set inspected, for the fraction found
     * @param hessianAwareSamples how many samples (a random subset, reported as such) the forward
     *     Hessian-aware recurrence tracks for {@code hydra-exact}'s self scoring; the held-out
     *     scoring covers all samples by the reverse-mode replay; null = all
     * @param outlierTrees isolation-forest trees (Outlier Gradient Analysis)
     * @param outlierSampleSize isolation-forest subsample size
     * @param outlierContamination the share flagged as outliers
     * @param influence the influence-function solver
     */
    record NoisyLabelSettings(
            int heldOut,
            List<Method> methods,
            List<Scoring> scorings,
            double[] inspectFractions,
            Integer hessianAwareSamples,
            int outlierTrees,
            int outlierSampleSize,
            double outlierContamination,
            InfluenceSettings influence)
            implements ReproductionSettings {
        static NoisyLabelSettings from(ConfigNode node, List<ReproductionConfig.Run> runs) {
            node.allowOnly(
                    "heldOut",
                    "methods",
                    "scorings",
                    "inspectFractions",
                    "hessianAwareSamples",
                    "outlierGradient",
                    "influence");
            ConfigNode outlier =
                    node.section("outlierGradient")
                            .allowOnly("trees", "sampleSize", "contamination");
            double[] fractions = node.numberList("inspectFractions", 0, 1);
            List<Scoring> scorings = node.enumList("scorings", Scoring.class);
            return new NoisyLabelSettings(
                    readHeldOut(node, runs),
                    readMethods(node, EnumSet.allOf(Method.class), List.of(Method.values())),
                    scorings.isEmpty() ? List.of(Scoring.values()) : scorings,
                    fractions.length == 0 ? new double[] {0.1, 0.2} : fractions,
                    node.optionalInteger("hessianAwareSamples", 1, Integer.MAX_VALUE),
                    outlier.integer("trees", 100, 1, 10_000),
                    outlier.integer("sampleSize", 256, 2, Integer.MAX_VALUE),
                    outlier.number("contamination", 0.05, 0, 0.5),
                    InfluenceSettings.from(node.section("influence")));
        }
    }

    /**
     * The influence-function baseline's solver; the defaults are the paper's LiSSA preset ({@code
     * LissaSolver.hydraPreset()}).
     *
     * @param solver LiSSA or conjugate gradients
     * @param damping added to the Hessian's diagonal
     * @param scale LiSSA's scale
     * @param depth LiSSA's recursion depth; CG's iteration limit
     * @param repeats LiSSA's independent repeats averaged
     * @param batchSize LiSSA's Hessian batch size
     */
    record InfluenceSettings(
            Solver solver, double damping, double scale, int depth, int repeats, int batchSize) {
        static InfluenceSettings from(ConfigNode node) {
            node.allowOnly("solver", "damping", "scale", "depth", "repeats", "batchSize");
            return new InfluenceSettings(
                    node.enumValue("solver", Solver.LISSA, Solver.class),
                    node.number("damping", 0.01, 0, Double.MAX_VALUE),
                    node.number("scale", 1000, Double.MIN_NORMAL, Double.MAX_VALUE),
                    node.integer("depth", 5000, 1, 10_000_000),
                    node.integer("repeats", 10, 1, 10_000),
                    node.integer("batchSize", 32, 1, 1_000_000));
        }
    }
}
