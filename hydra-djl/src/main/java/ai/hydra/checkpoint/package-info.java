/**
 * The checkpoint of a HYDRA training run: {@link ai.hydra.checkpoint.Checkpoint} owns the whole
 * format (parameters, optimizer state, hypergradient stores, run description).
 */
package ai.hydra.checkpoint;
