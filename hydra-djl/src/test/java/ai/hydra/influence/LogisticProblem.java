package ai.hydra.influence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.dataset.ArrayDataset;
import ai.djl.training.loss.Loss;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.HessianVectorProduct;
import ai.hydra.gradient.ParameterSpace;
import ai.hydra.gradient.ShadowModel;
import java.util.Random;

/**
 * L2-regularized multinomial logistic regression with closed forms in plain Java, independent of
 * DJL: per-sample gradients, the Hessian of the objective (1/N) sum_i l_i + (lambda/2)|w|^2, Newton
 * training to machine precision, dense solves. The DJL side is a float64 {@link Linear} block with
 * softmax cross-entropy, loaded with the Newton solution.
 *
 * <p>Java vectors use the layout theta[c*(F+1) + f] (f = F is the bias); {@link #toDjl} maps them
 * to the block's {@link ParameterSpace} layout.
 */
final class LogisticProblem {

    static final int FEATURES = 3;
    static final int CLASSES = 3;
    static final int DIM = CLASSES * (FEATURES + 1);

    final int n;
    final double lambda;
    final double[][] trainX;
    final int[] trainY;
    final double[][] testX;
    final int[] testY;

    LogisticProblem(int n, int testSize, double lambda, long seed) {
        this.n = n;
        this.lambda = lambda;
        Random random = new Random(seed);
        double[][] centers = new double[CLASSES][FEATURES];
        for (double[] c : centers) {
            for (int f = 0; f < FEATURES; f++) {
                c[f] = random.nextGaussian() * 1.2;
            }
        }
        trainX = new double[n][];
        trainY = new int[n];
        testX = new double[testSize][];
        testY = new int[testSize];
        fill(random, centers, trainX, trainY);
        fill(random, centers, testX, testY);
        for (int i = 0; i < n; i += 9) {
            trainY[i] = (trainY[i] + 1) % CLASSES; // mislabeled: harmful samples
        }
    }

    private static void fill(Random random, double[][] centers, double[][] x, int[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] = random.nextInt(CLASSES);
            x[i] = new double[FEATURES];
            for (int f = 0; f < FEATURES; f++) {
                x[i][f] = centers[y[i]][f] + random.nextGaussian();
            }
        }
    }

    // ---------------------------------------------------------------- closed forms (Java layout)

    static double[] probabilities(double[] theta, double[] x) {
        double[] z = new double[CLASSES];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < CLASSES; c++) {
            z[c] = theta[c * (FEATURES + 1) + FEATURES];
            for (int f = 0; f < FEATURES; f++) {
                z[c] += theta[c * (FEATURES + 1) + f] * x[f];
            }
            max = Math.max(max, z[c]);
        }
        double sum = 0;
        for (int c = 0; c < CLASSES; c++) {
            z[c] = Math.exp(z[c] - max);
            sum += z[c];
        }
        for (int c = 0; c < CLASSES; c++) {
            z[c] /= sum;
        }
        return z;
    }

    static double loss(double[] theta, double[] x, int y) {
        return -Math.log(probabilities(theta, x)[y]);
    }

    static double meanLoss(double[] theta, double[][] x, int[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += loss(theta, x[i], y[i]);
        }
        return sum / x.length;
    }

    /** Gradient of one sample's loss (no regularizer). */
    static double[] sampleGradient(double[] theta, double[] x, int y) {
        double[] p = probabilities(theta, x);
        double[] g = new double[DIM];
        for (int c = 0; c < CLASSES; c++) {
            double r = p[c] - (c == y ? 1 : 0);
            for (int f = 0; f <= FEATURES; f++) {
                g[c * (FEATURES + 1) + f] = r * feature(x, f);
            }
        }
        return g;
    }

    /** Adds weight * (diag(p) - p p^T) kron x~ x~^T to h. */
    static void addSampleHessian(double[][] h, double[] theta, double[] x, double weight) {
        double[] p = probabilities(theta, x);
        for (int c = 0; c < CLASSES; c++) {
            for (int d = 0; d < CLASSES; d++) {
                double s = ((c == d ? p[c] : 0) - p[c] * p[d]) * weight;
                for (int f = 0; f <= FEATURES; f++) {
                    for (int g = 0; g <= FEATURES; g++) {
                        h[c * (FEATURES + 1) + f][d * (FEATURES + 1) + g] +=
                                s * feature(x, f) * feature(x, g);
                    }
                }
            }
        }
    }

    private static double feature(double[] x, int f) {
        return f == FEATURES ? 1 : x[f];
    }

    /** Hessian of (1/N) sum_{i != skip} l_i + (lambda/2)|w|^2 (skip = -1: all samples). */
    double[][] hessian(double[] theta, int skip) {
        double[][] h = new double[DIM][DIM];
        for (int i = 0; i < n; i++) {
            if (i != skip) {
                addSampleHessian(h, theta, trainX[i], 1.0 / n);
            }
        }
        for (int k = 0; k < DIM; k++) {
            h[k][k] += lambda;
        }
        return h;
    }

    /** Gradient of (1/N) sum_{i != skip} l_i + (lambda/2)|w|^2. */
    double[] gradient(double[] theta, int skip) {
        double[] g = new double[DIM];
        for (int i = 0; i < n; i++) {
            if (i != skip) {
                double[] gi = sampleGradient(theta, trainX[i], trainY[i]);
                for (int k = 0; k < DIM; k++) {
                    g[k] += gi[k] / n;
                }
            }
        }
        for (int k = 0; k < DIM; k++) {
            g[k] += lambda * theta[k];
        }
        return g;
    }

    /**
     * Minimizes the objective without sample {@code skip} (weight 1/N kept for the others, i.e.
     * eps_skip = -1/N exactly) by Newton's method to machine precision.
     */
    double[] train(int skip) {
        double[] theta = new double[DIM];
        for (int it = 0; it < 100; it++) {
            double[] g = gradient(theta, skip);
            double[] step = solve(hessian(theta, skip), g);
            double size = 0;
            for (int k = 0; k < DIM; k++) {
                theta[k] -= step[k];
                size = Math.max(size, Math.abs(step[k]));
            }
            if (size < 1e-15) {
                break;
            }
        }
        return theta;
    }

    /** Dense Gaussian elimination with partial pivoting (independent of the code under test). */
    static double[] solve(double[][] matrix, double[] rhs) {
        int n = rhs.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
            a[i] = new double[n + 1];
            System.arraycopy(matrix[i], 0, a[i], 0, n);
            a[i][n] = rhs[i];
        }
        for (int c = 0; c < n; c++) {
            int best = c;
            for (int r = c + 1; r < n; r++) {
                if (Math.abs(a[r][c]) > Math.abs(a[best][c])) {
                    best = r;
                }
            }
            double[] t = a[c];
            a[c] = a[best];
            a[best] = t;
            for (int r = 0; r < n; r++) {
                if (r != c) {
                    double factor = a[r][c] / a[c][c];
                    for (int j = c; j <= n; j++) {
                        a[r][j] -= factor * a[c][j];
                    }
                }
            }
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = a[i][n] / a[i][i];
        }
        return x;
    }

    /** Largest eigenvalue of a symmetric positive semi-definite matrix, by power iteration. */
    static double largestEigenvalue(double[][] h) {
        double[] v = new double[h.length];
        java.util.Arrays.fill(v, 1);
        double lambda = 0;
        for (int it = 0; it < 2000; it++) {
            double[] hv = multiply(h, v);
            double norm = 0;
            for (double value : hv) {
                norm += value * value;
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < v.length; k++) {
                v[k] = hv[k] / norm;
            }
            lambda = norm;
        }
        return lambda;
    }

    static double[] multiply(double[][] h, double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            for (int j = 0; j < v.length; j++) {
                out[i] += h[i][j] * v[j];
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- DJL side

    /** A float64 linear block holding theta, with the DJL layout of the parameter space. */
    static final class Djl {

        final Block block;
        final ShadowModel shadow;
        final int[] toDjl = new int[DIM]; // Java index -> DJL flat index

        Djl(NDManager manager, double[] theta) {
            block = Linear.builder().setUnits(CLASSES).build();
            block.initialize(manager, DataType.FLOAT64, new Shape(1, FEATURES));
            shadow = new ShadowModel(block, Loss.softmaxCrossEntropyLoss());
            ParameterSpace space = shadow.space();
            for (int p = 0; p < space.trainable().size(); p++) {
                Parameter parameter = space.trainable().get(p);
                long offset = space.offset(p);
                boolean bias = "bias".equals(parameter.getName());
                for (int c = 0; c < CLASSES; c++) {
                    if (bias) {
                        toDjl[c * (FEATURES + 1) + FEATURES] = (int) offset + c;
                    } else {
                        for (int f = 0; f < FEATURES; f++) {
                            toDjl[c * (FEATURES + 1) + f] = (int) offset + c * FEATURES + f;
                        }
                    }
                }
            }
            set(theta);
        }

        void set(double[] theta) {
            double[] flat = toDjl(theta);
            ParameterSpace space = shadow.space();
            for (int p = 0; p < space.trainable().size(); p++) {
                NDArray array = space.trainable().get(p).getArray();
                int from = (int) space.offset(p);
                double[] part = java.util.Arrays.copyOfRange(flat, from, from + (int) array.size());
                try (NDArray value = array.getManager().create(part, array.getShape())) {
                    array.set(new NDIndex(":"), value);
                }
            }
        }

        double[] toDjl(double[] javaLayout) {
            double[] out = new double[DIM];
            for (int k = 0; k < DIM; k++) {
                out[toDjl[k]] = javaLayout[k];
            }
            return out;
        }

        double[] fromDjl(double[] djlLayout) {
            double[] out = new double[DIM];
            for (int k = 0; k < DIM; k++) {
                out[k] = djlLayout[toDjl[k]];
            }
            return out;
        }
    }

    static NDList inputs(NDManager manager, double[][] x) {
        return new NDList(manager.create(x));
    }

    static NDList labels(NDManager manager, int[] y) {
        return new NDList(manager.create(y).toType(DataType.FLOAT64, false));
    }

    static SampleSet samples(NDManager manager, double[][] x, int[] y) {
        return SampleSet.of(inputs(manager, x), labels(manager, y));
    }

    ArrayDataset testSet(NDManager manager, int batchSize) {
        return new ArrayDataset.Builder()
                .setData(manager.create(testX))
                .optLabels(manager.create(testY).toType(DataType.FLOAT64, false))
                .setSampling(batchSize, false)
                .build();
    }

    /** Closed-form Hessian-vector products of a batch's mean loss, in the DJL layout. */
    static final class ClosedFormHvp implements HessianVectorProduct {

        private final Djl djl;

        ClosedFormHvp(Djl djl) {
            this.djl = djl;
        }

        @Override
        public NDArray multiply(NDArray w, NDList inputs, NDList labels, NDArray vectors) {
            double[] theta = djl.fromDjl(w.toDoubleArray());
            double[] x = inputs.head().toType(DataType.FLOAT64, false).toDoubleArray();
            int rows = (int) inputs.head().getShape().get(0);
            double[][] h = new double[DIM][DIM];
            for (int i = 0; i < rows; i++) {
                double[] xi = java.util.Arrays.copyOfRange(x, i * FEATURES, (i + 1) * FEATURES);
                addSampleHessian(h, theta, xi, 1.0 / rows);
            }
            int k = (int) vectors.getShape().get(0);
            double[] v = vectors.toType(DataType.FLOAT64, false).toDoubleArray();
            double[] out = new double[k * DIM];
            for (int r = 0; r < k; r++) {
                double[] row = djl.fromDjl(java.util.Arrays.copyOfRange(v, r * DIM, (r + 1) * DIM));
                double[] product = djl.toDjl(LogisticProblem.multiply(h, row));
                System.arraycopy(product, 0, out, r * DIM, DIM);
            }
            return w.getManager().create(out, new Shape(k, DIM));
        }
    }
}
