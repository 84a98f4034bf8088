package ai.hydra.testing;

/**
 * The {@link TinyProblem}'s MLP (Linear 5-8, tanh, Linear 8-3) and its softmax cross-entropy in
 * plain Java doubles: forward pass, loss and gradient derived by hand, an oracle independent of any
 * engine. Flat weights follow the block's parameter order: W1 (8x5, row-major), b1, W2 (3x8), b2.
 */
public final class TinyMlpMath {

    public static final int F = TinyProblem.FEATURES;
    public static final int H = TinyProblem.HIDDEN;
    public static final int C = TinyProblem.CLASSES;
    public static final int SIZE = H * F + H + C * H + C;

    private TinyMlpMath() {}

    /** The class probabilities and the hidden activations of one input. */
    private record Forward(double[] hidden, double[] probabilities) {}

    private static Forward forward(double[] w, double[] x) {
        double[] h = new double[H];
        for (int j = 0; j < H; j++) {
            double a = w[H * F + j];
            for (int f = 0; f < F; f++) {
                a += w[j * F + f] * x[f];
            }
            h[j] = Math.tanh(a);
        }
        int w2 = H * F + H;
        double[] z = new double[C];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < C; c++) {
            z[c] = w[w2 + C * H + c];
            for (int j = 0; j < H; j++) {
                z[c] += w[w2 + c * H + j] * h[j];
            }
            max = Math.max(max, z[c]);
        }
        double sum = 0;
        double[] p = new double[C];
        for (int c = 0; c < C; c++) {
            p[c] = Math.exp(z[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < C; c++) {
            p[c] /= sum;
        }
        return new Forward(h, p);
    }

    /** The cross-entropy of one sample. */
    public static double loss(double[] w, double[] x, int y) {
        return -Math.log(forward(w, x).probabilities()[y]);
    }

    /** The gradient of one sample's cross-entropy with respect to the flat weights. */
    public static double[] gradient(double[] w, double[] x, int y) {
        Forward f = forward(w, x);
        double[] g = new double[SIZE];
        double[] dz = f.probabilities().clone();
        dz[y] -= 1;
        int w2 = H * F + H;
        double[] dh = new double[H];
        for (int c = 0; c < C; c++) {
            for (int j = 0; j < H; j++) {
                g[w2 + c * H + j] = dz[c] * f.hidden()[j];
                dh[j] += w[w2 + c * H + j] * dz[c];
            }
            g[w2 + C * H + c] = dz[c];
        }
        for (int j = 0; j < H; j++) {
            double da = dh[j] * (1 - f.hidden()[j] * f.hidden()[j]);
            for (int k = 0; k < F; k++) {
                g[j * F + k] = da * x[k];
            }
            g[H * F + j] = da;
        }
        return g;
    }

    /** The dot product of two vectors. */
    public static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
