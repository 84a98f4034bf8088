package ai.hydra.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.util.Preconditions;

/**
 * DenseNet-BC (Huang et al. 2017) for 3x32x32 inputs: a 3x3 stem convolution with 2k channels,
 * three dense blocks of (depth-4)/6 bottleneck layers (BN-ReLU-Conv1x1(4k)-BN-ReLU-Conv3x3(k), see
 * {@link DenseLayer}), transitions BN-ReLU-Conv1x1(floor(compression*C))-AvgPool2 between the
 * blocks, then BN-ReLU-global average pool-Linear.
 *
 * <p>Convolutions have no bias, batch norms train gamma and beta (their running mean and variance
 * are not trainable) and the final linear layer has a bias. With depth 40, growth rate 12,
 * compression 0.5 and 10 classes this gives exactly 176,122 trainable parameters, the count of the
 * HYDRA paper.
 */
public final class DenseNetBc {

    /** The input shape with a batch dimension of 1. */
    public static final Shape INPUT_SHAPE = new Shape(1, 3, 32, 32);

    private final int depth;
    private final int growthRate;
    private final double compression;
    private final int numClasses;

    private DenseNetBc(Builder builder) {
        depth = builder.depth;
        growthRate = builder.growthRate;
        compression = builder.compression;
        numClasses = builder.numClasses;
    }

    /**
     * Creates a builder (defaults: depth 40, growth rate 12, compression 0.5, 10 classes).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds DenseNet-BC-40 (k=12) with 10 classes.
     *
     * @return an uninitialized block
     */
    public static Block newBlock() {
        return builder().build();
    }

    private Block toBlock() {
        int layers = (depth - 4) / 6;
        int channels = 2 * growthRate;
        SequentialBlock net = new SequentialBlock().add(conv(channels, 3));
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < layers; i++) {
                net.add(new DenseLayer(bottleneck()));
                channels += growthRate;
            }
            if (b < 2) {
                channels = (int) Math.floor(compression * channels);
                net.add(transition(channels));
            }
        }
        return net.add(bnRelu())
                .add(Pool.globalAvgPool2dBlock())
                .add(Blocks.batchFlattenBlock())
                .add(Linear.builder().setUnits(numClasses).build());
    }

    private Block bottleneck() {
        return new SequentialBlock()
                .add(bnRelu())
                .add(conv(4 * growthRate, 1))
                .add(bnRelu())
                .add(conv(growthRate, 3));
    }

    private static Block transition(int channels) {
        return new SequentialBlock()
                .add(bnRelu())
                .add(conv(channels, 1))
                .add(Pool.avgPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
    }

    private static Block bnRelu() {
        return new SequentialBlock().add(BatchNorm.builder().build()).add(Activation.reluBlock());
    }

    /** A bias-free convolution; "same" padding for the 3x3 kernel. */
    private static Block conv(int filters, int kernel) {
        int pad = kernel / 2;
        return Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .optPadding(new Shape(pad, pad))
                .setFilters(filters)
                .optBias(false)
                .build();
    }

    /** Builds {@link DenseNetBc} blocks. */
    public static final class Builder {

        private int depth = 40;
        private int growthRate = 12;
        private double compression = 0.5;
        private int numClasses = 10;

        Builder() {}

        /**
         * Sets the depth; (depth - 4) must be a positive multiple of 6 (default 40).
         *
         * @param depth the depth
         * @return this builder
         */
        public Builder optDepth(int depth) {
            if (depth < 10 || (depth - 4) % 6 != 0) {
                throw new IllegalArgumentException(
                        "DenseNet-BC depth must be 6n+4 with n >= 1 (e.g. 40, 100), got " + depth);
            }
            this.depth = depth;
            return this;
        }

        /**
         * Sets the growth rate k (default 12).
         *
         * @param growthRate new channels per layer
         * @return this builder
         */
        public Builder optGrowthRate(int growthRate) {
            Preconditions.checkArgument(
                    growthRate >= 1, "growthRate must be positive, got " + growthRate);
            this.growthRate = growthRate;
            return this;
        }

        /**
         * Sets the transition compression factor (default 0.5).
         *
         * @param compression a factor in (0, 1]
         * @return this builder
         */
        public Builder optCompression(double compression) {
            Preconditions.checkArgument(
                    compression > 0 && compression <= 1,
                    "compression must be in (0, 1], got " + compression);
            this.compression = compression;
            return this;
        }

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
         * @return an uninitialized block mapping (N,3,32,32) to (N,numClasses) logits
         */
        public Block build() {
            return new DenseNetBc(this).toBlock();
        }
    }
}
