/**
 * Report files from attribution results: contribution CSV/NPZ, image grid, inter-class heatmap,
 * summaries. Reads results, never training state.
 */
package ai.hydra.report;
