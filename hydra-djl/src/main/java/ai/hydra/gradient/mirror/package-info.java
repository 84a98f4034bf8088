/**
 * A functional mirror of a DJL block tree whose kinks can be frozen.
 *
 * <p>DJL has no activation hooks, so {@link ai.hydra.gradient.mirror.BlockMirror} walks the tree
 * itself and re-runs it with whatever parameters a {@link ai.hydra.gradient.mirror.MirrorPass}
 * hands out. The pass is the per-call context: it records the piecewise-linear choices (ReLU masks,
 * max-pool selections) into an {@link ai.hydra.gradient.mirror.ActivationPattern} at one point, or
 * replays them at others, which makes the network smooth in its weights around that point.
 * Finite-difference Hessian-vector products ({@link ai.hydra.gradient.FiniteDifferenceHvp}) are
 * built on it. A <em>probing</em> pass ({@link ai.hydra.gradient.mirror.MirrorPass#probing}) gives
 * a whole batch's per-sample gradients from one backward: it records each parametric layer's input
 * and adds a zero probe to its output ({@link ai.hydra.gradient.mirror.SampleProbes}).
 *
 * <p>Custom blocks take part by implementing {@link ai.hydra.gradient.mirror.MirroredBlock}. DJL's
 * factory blocks are recognized from the arguments their lambdas captured, read by {@link
 * ai.hydra.train.DjlInternals#capturedArguments} (where all reflection into DJL lives) and verified
 * against DJL's own function.
 */
package ai.hydra.gradient.mirror;
