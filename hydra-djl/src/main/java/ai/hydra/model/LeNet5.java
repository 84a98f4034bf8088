package ai.hydra.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.util.Preconditions;

/**
 * LeNet-5 for 1x28x28 inputs: conv 6@5x5 (pad 2) - ReLU - max-pool 2 - conv 16@5x5 - ReLU -
 * max-pool 2 - dense 120 - ReLU - dense 84 - ReLU - dense classes. With 10 classes it has 61,706
 * trainable parameters (156 + 2,416 + 48,120 + 10,164 + 850), all layers with bias.
 */
public final class LeNet5 {

    /** The input shape with a batch dimension of 1. */
    public static final Shape INPUT_SHAPE = new Shape(1, 1, 28, 28);

    private LeNet5() {}

    /**
     * Builds LeNet-5 with 10 classes.
     *
     * @return an uninitialized block
     */
    public static Block newBlock() {
        return builder().build();
    }

    /**
     * Creates a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link LeNet5} blocks. */
    public static final class Builder {

        private int numClasses = 10;

        Builder() {}

        /**
         * Sets the number of output classes (default 10).
         *
         * @param numClasses the number of classes
         * @return this builder
         */
        public Builder optNumClasses(int numClasses) {
            Preconditions.checkArgument(
                    numClasses >= 1, "numClasses must be positive, got " + numClasses);
            this.numClasses = numClasses;
            return this;
        }

        /**
         * Builds the network.
         *
         * @return an uninitialized block mapping (N,1,28,28) to (N,numClasses) logits
         */
        public Block build() {
            return new SequentialBlock()
                    .add(conv(6, 2))
                    .add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                    .add(conv(16, 0))
                    .add(Activation.reluBlock())
                    .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
                    .add(Blocks.batchFlattenBlock())
                    .add(Linear.builder().setUnits(120).build())
                    .add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(84).build())
                    .add(Activation.reluBlock())
                    .add(Linear.builder().setUnits(numClasses).build());
        }

        private static Block conv(int filters, int pad) {
            return Conv2d.builder()
                    .setKernelShape(new Shape(5, 5))
                    .optPadding(new Shape(pad, pad))
                    .setFilters(filters)
                    .build();
        }
    }
}
