package ai.hydra.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.List;
import java.util.Locale;

/** Looks up the HYDRA paper's models by name and counts their parameters. */
public final class Models {

    /** Name of {@link LeNet5}. */
    public static final String LENET5 = "lenet5";

    /** Name of DenseNet-BC-40 (k=12), see {@link DenseNetBc}. */
    public static final String DENSENET_BC_40 = "densenet-bc-40";

    /** Name of {@link LogisticRegression}. */
    public static final String LOGISTIC_REGRESSION = "logistic-regression";

    /** Name of {@link Mlp}. */
    public static final String MLP = "mlp";

    /** The known model names. */
    public static final List<String> NAMES =
            List.of(LENET5, DENSENET_BC_40, LOGISTIC_REGRESSION, MLP);

    private Models() {}

    /**
     * Builds a model by name.
     *
     * @param name one of {@link #NAMES} (case-insensitive)
     * @return an uninitialized block with 10 output classes
     * @throws IllegalArgumentException if the name is unknown; the message lists the known names
     */
    public static Block newBlock(String name) {
        return switch (key(name)) {
            case LENET5 -> LeNet5.newBlock();
            case DENSENET_BC_40 -> DenseNetBc.newBlock();
            case LOGISTIC_REGRESSION -> LogisticRegression.newBlock();
            case MLP -> Mlp.newBlock();
            default -> throw unknown(name);
        };
    }

    /**
     * Returns the input shape of a model, with a batch dimension of 1.
     *
     * @param name a model name
     * @return (1,3,32,32) for DenseNet-BC-40, (1,1,28,28) for the others
     * @throws IllegalArgumentException if the name is unknown
     */
    public static Shape inputShape(String name) {
        return switch (key(name)) {
            case LENET5 -> LeNet5.INPUT_SHAPE;
            case DENSENET_BC_40 -> DenseNetBc.INPUT_SHAPE;
            case LOGISTIC_REGRESSION -> LogisticRegression.INPUT_SHAPE;
            case MLP -> Mlp.INPUT_SHAPE;
            default -> throw unknown(name);
        };
    }

    /**
     * Initializes a block (FLOAT32) and sums the sizes of the parameters that require gradients;
     * batch-norm running statistics are not counted.
     *
     * @param block the block, initialized by this call
     * @param inputShape the input shape, batch dimension included
     * @param manager owns the parameter arrays
     * @return the number of trainable scalars
     */
    public static long countTrainableParameters(Block block, Shape inputShape, NDManager manager) {
        block.initialize(manager, DataType.FLOAT32, inputShape);
        long count = 0;
        for (Pair<String, Parameter> pair : block.getParameters()) {
            Parameter parameter = pair.getValue();
            if (parameter.requiresGradient()) {
                count += parameter.getArray().size();
            }
        }
        return count;
    }

    private static String key(String name) {
        return name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException(
                "Unknown model '" + name + "'; known models: " + String.join(", ", NAMES));
    }
}
