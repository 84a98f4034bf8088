package ai.hydra.reproduce;

import ai.hydra.experiment.ExperimentConfig;
import ai.hydra.experiment.ReproductionConfig;

/**
 * The cost formulas shared by the experiments' estimates: rates ({@link Rates}) times the sizes of
 * a run.
 *
 * @param config the run's training config
 * @param rates the measured rates of its model
 */
public record Costs(ExperimentConfig config, Rates.ModelRates rates) {

    /**
     * Creates the costs of a run.
     *
     * @param run the run
     * @param rates all rates
     * @return its costs
     */
    public static Costs of(ReproductionConfig.Run run, Rates rates) {
        return new Costs(run.config(), rates.of(run.config().model()));
    }

    /**
     * Returns the training images of the run.
     *
     * @return {@code data.trainLimit}, or the size of the training file
     */
    public int trainImages() {
        Integer limit = config.data().trainLimit();
        return limit != null ? limit : ReproductionConfig.trainingFileSize(config.data().dataset());
    }

    /**
     * Returns the test images of the run.
     *
     * @return {@code data.testLimit}, or 10,000
     */
    public int testImages() {
        Integer limit = config.data().testLimit();
        return limit != null ? limit : 10_000;
    }

    /**
     * Returns the samples the HYDRA listener tracks: all, or the first {@code hydra.trackLimit}.
     *
     * @return tracked samples
     */
    public int tracked() {
        Integer limit = config.hydra().trackLimit();
        return limit != null ? Math.min(limit, trainImages()) : trainImages();
    }

    /**
     * Returns the optimizer steps of the whole training.
     *
     * @return steps
     */
    public long steps() {
        int batch = config.train().batchSize();
        return (long) config.train().epochs() * ((trainImages() + batch - 1) / batch);
    }

    /**
     * Plain training.
     *
     * @return seconds
     */
    public double training() {
        return config.train().epochs() * (double) trainImages() * rates.trainPerImage();
    }

    /**
     * Hessian-free tracking of some samples over the whole training.
     *
     * @param samples tracked samples
     * @return seconds
     */
    public double hessianFree(int samples) {
        return config.train().epochs() * (double) samples * rates.trackPerVisit();
    }

    /**
     * The Hessian-aware forward recurrence of some samples over the whole training.
     *
     * @param samples tracked samples
     * @return seconds
     */
    public double hessianAware(int samples) {
        return steps() * (double) samples * rates.awarePerSampleStep();
    }

    /**
     * Prediction-mode per-sample gradients.
     *
     * @param samples how many
     * @return seconds
     */
    public double gradients(long samples) {
        return samples * rates.gradientPerSample();
    }

    /**
     * LiSSA solves.
     *
     * @param depth the recursion depth
     * @param repeats the repeats
     * @param rightHandSides the vectors solved for
     * @return seconds
     */
    public double lissa(int depth, int repeats, int rightHandSides) {
        return (double) depth * repeats * rightHandSides * rates.lissaIteration();
    }

    /**
     * The exact reverse-mode replay of the whole training for some test functionals.
     *
     * @param functionals the functionals swept
     * @return seconds
     */
    public double replay(int functionals) {
        return steps() * (double) functionals * rates.replayPerStep();
    }

    /**
     * The memory of the hypergradient state: samples x parameters x bytes x vectors (two with
     * momentum) x modes.
     *
     * @param samples tracked samples
     * @param modes recurrences (1 or 2)
     * @return bytes
     */
    public long store(int samples, int modes) {
        int vectors = config.train().optimizer().momentum() != 0 ? 2 : 1;
        return (long) samples
                * rates.parameters()
                * config.train().precision().dataType().getNumOfBytes()
                * vectors
                * modes;
    }
}
