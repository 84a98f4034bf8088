package ai.hydra.gradient;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.HashMap;
import java.util.Map;

/**
 * The test oracle: Hessian-vector products by PyTorch's double backward (create_graph), i.e. what
 * autograd defines at kinks (ReLU'' = 0, max pooling routed to its first maximal element).
 *
 * <p>Leaks one gradient graph per vector (the parameter/.grad reference cycle DJL cannot break), so
 * it is for tests only.
 */
final class DoubleBackwardHvp implements HessianVectorProduct {

    private final Block block;
    private final Loss loss;
    private final ParameterSpace space;
    private final boolean training;

    DoubleBackwardHvp(Block block, Loss loss) {
        this(block, loss, true);
    }

    /** An oracle for the loss of a training-mode or prediction-mode forward pass. */
    DoubleBackwardHvp(Block block, Loss loss, boolean training) {
        this.block = block;
        this.loss = loss;
        this.space = ParameterSpace.of(block);
        this.training = training;
    }

    @Override
    public NDArray multiply(NDArray w, NDList inputs, NDList labels, NDArray vectors) {
        NDManager out = w.getManager();
        int rows = Math.toIntExact(vectors.getShape().get(0));
        double[][] products = new double[rows][];
        for (int k = 0; k < rows; k++) {
            try (NDManager scope = out.newSubManager()) {
                scope.tempAttachAll(w, vectors);
                products[k] = product(scope, w, inputs, labels, vectors.get(k));
            }
        }
        return out.create(products).toType(w.getDataType(), false);
    }

    /** One product on a fresh graph (directions sharing a graph interfere through .grad). */
    private double[] product(
            NDManager scope, NDArray w, NDList inputs, NDList labels, NDArray direction) {
        NDArray w64 = w.toType(DataType.FLOAT64, true);
        w64.attach(scope);
        Map<String, NDArray> values = new HashMap<>();
        NDList leaves = new NDList();
        NDList slices = space.unflatten(w64);
        for (int i = 0; i < slices.size(); i++) {
            NDArray leaf = slices.get(i).duplicate();
            leaf.attach(scope);
            leaf.setRequiresGradient(true);
            leaves.add(leaf);
            values.put(space.trainable().get(i).getId(), leaf);
        }
        for (Parameter parameter : space.all()) {
            if (!parameter.requiresGradient()) {
                NDArray copy = parameter.getArray().duplicate(); // toType(.., true) may alias
                copy.attach(scope);
                copy = copy.toType(DataType.FLOAT64, false);
                values.put(parameter.getId(), copy);
            }
        }
        ShadowParameterStore store = new ShadowParameterStore(scope, values);
        NDList x = new NDList();
        for (NDArray input : inputs) {
            NDArray cast = input.toType(DataType.FLOAT64, true);
            cast.attach(scope);
            x.add(cast);
        }
        NDList v = space.unflatten(direction.toType(DataType.FLOAT64, false));
        try (GradientCollector collector = scope.getEngine().newGradientCollector()) {
            backward(loss.evaluate(labels, block.forward(store, x, training)), true);
            NDArray dot = null;
            for (int i = 0; i < leaves.size(); i++) {
                NDArray term = leaves.get(i).getGradient().mul(v.get(i)).sum();
                dot = dot == null ? term : dot.add(term);
            }
            double[] gradient = accumulated(leaves);
            backward(dot, false);
            double[] after = accumulated(leaves);
            for (int j = 0; j < after.length; j++) {
                after[j] -= gradient[j];
            }
            return after;
        }
    }

    private static void backward(NDArray target, boolean createGraph) {
        NDArray ones = target.onesLike();
        JniUtils.backward((PtNDArray) target, (PtNDArray) ones, createGraph, createGraph);
    }

    private double[] accumulated(NDList leaves) {
        NDList grads = new NDList();
        for (NDArray leaf : leaves) {
            grads.add(leaf.getGradient());
        }
        return space.flatten(grads).toDoubleArray();
    }

    /**
     * The largest relative error (Euclidean norms) of a row of {@code got} against the same row of
     * {@code expected}; both hold {@code rows} products, flattened.
     */
    static double worstRowError(double[] got, double[] expected, int rows) {
        if (got.length != expected.length) {
            throw new AssertionError(got.length + " values, expected " + expected.length);
        }
        int p = expected.length / rows;
        double worst = 0;
        for (int r = 0; r < rows; r++) {
            double diff = 0;
            double norm = 0;
            for (int i = r * p; i < (r + 1) * p; i++) {
                diff += (got[i] - expected[i]) * (got[i] - expected[i]);
                norm += expected[i] * expected[i];
            }
            worst = Math.max(worst, Math.sqrt(diff / norm));
        }
        return worst;
    }
}
