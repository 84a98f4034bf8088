/**
 * The HYDRA paper's experiments (Figs. 2-5, Tables 3-4, the speedup) and today's mislabeled-sample
 * benchmark: their metrics ({@link ai.hydra.reproduce.metrics}), clustering ({@link
 * ai.hydra.reproduce.cluster}) and outlier detection ({@link ai.hydra.reproduce.outlier}). The
 * experiment definitions are YAML files in {@code configs/reproduce/}, read by {@link
 * ai.hydra.experiment.ReproductionConfig}; the plan is {@code docs/reproduction-plan.md}.
 */
package ai.hydra.reproduce;
