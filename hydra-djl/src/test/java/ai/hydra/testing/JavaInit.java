package ai.hydra.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.util.Pair;
import ai.hydra.train.DjlInternals;
import java.util.Random;

/**
 * Re-initializes a block's parameters from a seeded {@link java.util.Random}, so that tests that
 * compare separate trainings do not depend on the engine's random generator (whose seeding depends
 * on the native build).
 */
public final class JavaInit {

    private JavaInit() {}

    /**
     * Overwrites every trainable parameter of a trainer's model with N(0, 1/fan_in) draws (biases
     * 0, batch-norm scales 1), and hands them to the trainer's parameter server.
     *
     * @param trainer an initialized trainer
     * @param seed the seed
     */
    public static void apply(Trainer trainer, long seed) {
        apply(trainer, seed, 0);
    }

    /**
     * Overwrites every trainable parameter of a trainer's model with N(0, 1/fan_in) draws, biases
     * with N(0, biasStd^2), and hands them to the trainer's parameter server.
     *
     * @param trainer an initialized trainer
     * @param seed the seed
     * @param biasStd the standard deviation of the biases (0: zero biases)
     */
    public static void apply(Trainer trainer, long seed, double biasStd) {
        Random random = new Random(seed);
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            Parameter parameter = pair.getValue();
            if (!parameter.requiresGradient()) {
                continue;
            }
            NDArray array = parameter.getArray();
            long size = array.size();
            long fanIn = array.getShape().dimension() > 1 ? size / array.getShape().get(0) : 0;
            double scale = fanIn > 0 ? 1 / Math.sqrt(fanIn) : biasStd;
            double[] values = new double[Math.toIntExact(size)];
            for (int i = 0; i < values.length; i++) {
                values[i] =
                        parameter.getType() == Parameter.Type.GAMMA
                                ? 1
                                : random.nextGaussian() * scale;
            }
            if (array.getDataType() == DataType.FLOAT64) {
                array.set(values);
            } else {
                float[] floats = new float[values.length];
                for (int i = 0; i < values.length; i++) {
                    floats[i] = (float) values[i];
                }
                array.set(floats);
            }
        }
        DjlInternals.syncParameterServer(trainer);
    }

    /**
     * Overwrites every parameter of an initialized block, batch-norm running statistics included,
     * with draws of {@code random}: N(0, scale^2), running variances uniform in [0.5, 1.5).
     *
     * @param block an initialized float64 block
     * @param random the draws
     * @param scale the standard deviation of the other parameters
     */
    public static void randomizeAll(Block block, Random random, double scale) {
        for (Pair<String, Parameter> pair : block.getParameters()) {
            NDArray array = pair.getValue().getArray();
            double[] values = new double[Math.toIntExact(array.size())];
            for (int i = 0; i < values.length; i++) {
                values[i] =
                        pair.getKey().endsWith("runningVar")
                                ? 0.5 + random.nextDouble()
                                : random.nextGaussian() * scale;
            }
            array.set(values);
        }
    }
}
