/**
 * Exact contributions of every training sample by reverse-mode replay of a recorded training run.
 *
 * <p>A {@link ai.hydra.replay.Trajectory} holds what a recorder saw during training: each step's
 * batch (dataset indices) and learning rate, and the weights and momentum buffers at checkpoints
 * every K steps ({@link ai.hydra.replay.TrajectoryStore}). {@link ai.hydra.replay.TrajectoryReplay}
 * re-creates the weights between two checkpoints with DJL's own update, bit-identically on CPU, and
 * {@link ai.hydra.replay.ReverseSweep} runs the adjoint of the update backwards over the steps,
 * giving {@code dJ/deps_i} for every training sample and a few test functionals J at once. This
 * package is math on {@link ai.hydra.gradient}; the recording is the listener's concern.
 */
package ai.hydra.replay;
