package ai.hydra.reproduce;

import ai.hydra.experiment.ReproductionConfig.Experiment;

/** The runner of each experiment. */
final class Runners {

    private Runners() {}

    static ExperimentRunner<?, ?> of(Experiment experiment) {
        return switch (experiment) {
            case FIG2 -> new Fig2Experiment();
            case FIG3_5 -> new ApproximationExperiment();
            case TABLE3 -> new CleaningExperiment();
            case TABLE4 -> new ClusteringExperiment();
            case SPEEDUP -> new SpeedupExperiment();
            case NOISY -> new NoisyLabelExperiment();
        };
    }
}
