/**
 * Outlier detection for Outlier Gradient Analysis (Chhabra et al. 2024: an isolation forest on
 * per-sample gradients flags detrimental training samples): {@link
 * ai.hydra.reproduce.outlier.IsolationForestScorer}, built from Smile's isolation trees.
 */
package ai.hydra.reproduce.outlier;
