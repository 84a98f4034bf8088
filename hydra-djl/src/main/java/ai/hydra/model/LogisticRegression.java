package ai.hydra.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;

/**
 * Multinomial logistic regression on 1x28x28 inputs: flatten - dense 10 (7,850 trainable
 * parameters), the linear model of today's mislabeled-sample benchmarks (e.g. dattri's MNIST
 * logistic regression). Trained with the softmax cross-entropy loss and weight decay it is the
 * convex case in which influence functions are exact.
 */
public final class LogisticRegression {

    /** The input shape with a batch dimension of 1. */
    public static final Shape INPUT_SHAPE = new Shape(1, 1, 28, 28);

    private LogisticRegression() {}

    /**
     * Builds the model with 10 classes.
     *
     * @return an uninitialized block mapping (N,1,28,28) to (N,10) logits
     */
    public static Block newBlock() {
        return new SequentialBlock()
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(10).build());
    }
}
