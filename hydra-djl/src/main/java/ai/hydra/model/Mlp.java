package ai.hydra.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

/**
 * A small multilayer perceptron on 1x28x28 inputs: flatten - dense 128 - ReLU - dense 64 - ReLU -
 * dense 10 (109,386 trainable parameters: 100,480 + 8,256 + 650). It is the MLP of today's
 * mislabeled-sample benchmarks (dattri's MNIST MLP) without its dropout layers: dropout draws
 * random masks, which HYDRA's shadow passes cannot replay.
 */
public final class Mlp {

    /** The input shape with a batch dimension of 1. */
    public static final Shape INPUT_SHAPE = new Shape(1, 1, 28, 28);

    private Mlp() {}

    /**
     * Builds the network with 10 classes.
     *
     * @return an uninitialized block mapping (N,1,28,28) to (N,10) logits
     */
    public static Block newBlock() {
        return new SequentialBlock()
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(128).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(64).build())
                .add(Activation.reluBlock())
                .add(Linear.builder().setUnits(10).build());
    }
}
