package ai.hydra.gradient.mirror;

import ai.djl.ndarray.NDList;

/**
 * A block that takes part in {@link BlockMirror mirror} passes with its own forward: how a custom
 * block lets Hessian-vector products freeze the kinks it holds.
 *
 * <p>The method computes the same function as the block's {@code forwardInternal}, with each child
 * run through {@link MirrorPass#forward} and each kink through the pass's freezable operations
 * ({@link MirrorPass#relu}, {@link MirrorPass#maxPool}, ...). A block that is smooth in its inputs
 * and parameters and has no children can instead simply call its own forward with {@link
 * MirrorPass#parameterStore()}.
 */
public interface MirroredBlock {

    /**
     * Computes this block's forward in a mirror pass.
     *
     * @param pass the pass (parameters, training flag, recorded or frozen kinks)
     * @param inputs the block's inputs
     * @return the block's outputs, equal to its own forward's at the recorded point
     */
    NDList mirrorForward(MirrorPass pass, NDList inputs);
}
