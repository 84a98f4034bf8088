/**
 * Metrics of the paper's experiments, each defined on plain arrays so that any attribution method
 * can be scored: detection of flagged (mislabeled) samples from a score ({@link
 * ai.hydra.reproduce.metrics.Detection}), agreement with a gold standard ({@link
 * ai.hydra.reproduce.metrics.Agreement}: Spearman, sign errors), overlap of a clustering with a
 * ground-truth partition ({@link ai.hydra.reproduce.metrics.PartitionMatch}: Jaccard) and mean +-
 * standard deviation over seeds ({@link ai.hydra.reproduce.metrics.MeanStd}). Ranks and statistics
 * come from Apache Commons Math.
 */
package ai.hydra.reproduce.metrics;
