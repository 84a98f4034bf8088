package ai.hydra.recurrence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.hydra.store.HypergradientStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The Hessian-free recurrence, touching a tracked sample only in the steps where it is in the
 * batch. In the other steps its (d, m) evolves by a 2x2 scalar {@link StepMap}; those maps are
 * recorded and composed when the sample next appears, and at the end ({@link #catchUp()}).
 *
 * <p>In a step whose batch holds sample i, with {@code u = eta r N/B} and {@code g} its gradient:
 * {@code m' = p m + eta lambda d + u g}, {@code d' = d - m'}.
 */
public final class LazyHessianFreeRecurrence implements Recurrence {

    private final HypergradientState state;
    private final NDManager manager;
    private final double momentum;
    private final double weightDecay;
    private final int chunkSize;
    private final List<StepMap> maps = new ArrayList<>();
    private final int[] lastStep;

    /**
     * Creates the recurrence over zero-initialized state.
     *
     * @param manager a manager for temporaries, on the trainer's device
     * @param d the store of d
     * @param m the store of m, or null when momentum is 0
     * @param momentum the momentum p
     * @param weightDecay the weight decay lambda
     * @param chunkSize rows processed at once in {@link #catchUp()}
     */
    public LazyHessianFreeRecurrence(
            NDManager manager,
            HypergradientStore d,
            HypergradientStore m,
            double momentum,
            double weightDecay,
            int chunkSize) {
        this.state = new HypergradientState(d, m);
        this.manager = manager;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.chunkSize = chunkSize;
        this.lastStep = new int[d.rows()];
        maps.add(StepMap.identity()); // steps are 1-based
    }

    /** {@inheritDoc} */
    @Override
    public void step(StepInput input) {
        if (input.step() != maps.size()) {
            throw new IllegalStateException(
                    "step " + input.step() + " applied after step " + (maps.size() - 1));
        }
        maps.add(StepMap.hessianFree(input.learningRate(), momentum, weightDecay));
        if (input.rows().length == 0) {
            return;
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray g = input.sampleGradients();
            scope.tempAttachAll(g);
            advance(scope, input.rows(), input.step(), g.mul(input.injectionScale()));
        }
    }

    /** {@inheritDoc} */
    @Override
    public void catchUp() {
        int now = maps.size() - 1;
        int[] behind = IntStream.range(0, lastStep.length).filter(r -> lastStep[r] < now).toArray();
        for (int start = 0; start < behind.length; start += chunkSize) {
            int[] rows =
                    Arrays.copyOfRange(behind, start, Math.min(behind.length, start + chunkSize));
            try (NDManager scope = manager.newSubManager()) {
                advance(scope, rows, now, null);
            }
        }
    }

    /** Moves rows to step {@code to}, adding {@code injection} (u g) in that last step if given. */
    private void advance(NDManager scope, int[] rows, int to, NDArray injection) {
        double[][] coefficients = composedMaps(rows, to);
        NDArray d = state.readD(scope, rows); // a fresh copy: updated in place below
        NDArray u = injection == null ? null : injection.toType(d.getDataType(), false);
        NDArray a = column(scope, coefficients[0], d);
        if (!state.hasMomentum()) {
            // p = 0: b = 0 and m is never read again, so only d' = a d - u g is needed
            d.muli(a);
            if (u != null) {
                d.subi(u);
            }
            state.write(rows, d, null);
            return;
        }
        NDArray m = state.readM(scope, rows, d);
        NDArray newM =
                d.mul(column(scope, coefficients[2], d))
                        .addi(m.mul(column(scope, coefficients[3], d)));
        d.muli(a).addi(m.muli(column(scope, coefficients[1], d)));
        if (u != null) {
            d.subi(u);
            newM.addi(u);
        }
        state.write(rows, d, newM);
    }

    /**
     * Returns, as columns {a, b, c, e}, each row's composition of the maps of steps {@code
     * lastStep+1 .. to}, and moves the rows to {@code to}. One walk back from {@code to}
     * accumulates the suffix product and hands it to the rows in order of their last step: the cost
     * is the longest gap plus the rows, not their product. (Prefix products with inverses would be
     * cheaper still but ill-conditioned: a step map's determinant is the momentum.)
     */
    private double[][] composedMaps(int[] rows, int to) {
        Integer[] order = new Integer[rows.length];
        for (int k = 0; k < rows.length; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (x, y) -> Integer.compare(lastStep[rows[y]], lastStep[rows[x]]));
        double[][] coefficients = new double[4][rows.length];
        StepMap suffix = StepMap.identity();
        int t = to;
        for (int k : order) {
            for (; t > lastStep[rows[k]]; t--) {
                suffix = maps.get(t).then(suffix);
            }
            coefficients[0][k] = suffix.a;
            coefficients[1][k] = suffix.b;
            coefficients[2][k] = suffix.c;
            coefficients[3][k] = suffix.e;
        }
        for (int row : rows) {
            lastStep[row] = to;
        }
        return coefficients;
    }

    private static NDArray column(NDManager scope, double[] values, NDArray like) {
        return scope.create(values, new Shape(values.length, 1))
                .toDevice(like.getDevice(), false)
                .toType(like.getDataType(), false);
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, HypergradientStore> stores() {
        return state.stores();
    }

    /** {@inheritDoc} */
    @Override
    public Optional<PendingSteps> pendingSteps() {
        double[][] coefficients = new double[maps.size()][];
        for (int t = 0; t < coefficients.length; t++) {
            coefficients[t] = maps.get(t).coefficients();
        }
        return Optional.of(new PendingSteps(coefficients, lastStep.clone()));
    }

    /** {@inheritDoc} */
    @Override
    public void restorePendingSteps(PendingSteps steps) {
        if (steps.lastStep().length != lastStep.length) {
            throw new IllegalArgumentException(
                    "The checkpoint tracks "
                            + steps.lastStep().length
                            + " samples, this recurrence "
                            + lastStep.length);
        }
        maps.clear();
        for (double[] c : steps.maps()) {
            maps.add(new StepMap(c[0], c[1], c[2], c[3]));
        }
        System.arraycopy(steps.lastStep(), 0, lastStep, 0, lastStep.length);
    }

    /** {@inheritDoc} */
    @Override
    public HypergradientStore hypergradients() {
        return state.d();
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        state.close();
    }
}
