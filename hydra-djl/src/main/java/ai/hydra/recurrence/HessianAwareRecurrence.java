package ai.hydra.recurrence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.hydra.gradient.HessianVectorProduct;
import ai.hydra.store.HypergradientStore;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The exact recurrence: every step updates every tracked sample with a Hessian-vector product of
 * the batch's empirical risk at the pre-step weights:
 *
 * <pre>
 *   m' = p m + eta (r (H d + [i in batch] N/B g_i) + lambda d),   d' = d - m'
 * </pre>
 *
 * which is the derivative of DJL's update {@code v = p v + eta (r g + lambda w); w = w - v}.
 */
public final class HessianAwareRecurrence implements Recurrence {

    private final HypergradientState state;
    private final NDManager manager;
    private final HessianVectorProduct hvp;
    private final double momentum;
    private final double weightDecay;
    private final double rescaleGrad;
    private final int chunkSize;

    /**
     * Creates the recurrence over zero-initialized state.
     *
     * @param manager a manager for temporaries, on the trainer's device
     * @param d the store of d
     * @param m the store of m, or null when momentum is 0
     * @param hvp the Hessian-vector product of the batch risk
     * @param momentum the momentum p
     * @param weightDecay the weight decay lambda
     * @param rescaleGrad the optimizer's gradient factor r
     * @param chunkSize rows processed at once
     */
    public HessianAwareRecurrence(
            NDManager manager,
            HypergradientStore d,
            HypergradientStore m,
            HessianVectorProduct hvp,
            double momentum,
            double weightDecay,
            double rescaleGrad,
            int chunkSize) {
        this.state = new HypergradientState(d, m);
        this.manager = manager;
        this.hvp = hvp;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.rescaleGrad = rescaleGrad;
        this.chunkSize = chunkSize;
    }

    /** {@inheritDoc} */
    @Override
    public void step(StepInput input) {
        int[] position = new int[state.rows()];
        Arrays.fill(position, -1);
        for (int k = 0; k < input.rows().length; k++) {
            position[input.rows()[k]] = k;
        }
        for (int start = 0; start < state.rows(); start += chunkSize) {
            int end = Math.min(state.rows(), start + chunkSize);
            try (NDManager scope = manager.newSubManager()) {
                stepChunk(scope, input, start, end, position);
            }
        }
    }

    private void stepChunk(NDManager scope, StepInput input, int start, int end, int[] position) {
        int[] rows = IntStream.range(start, end).toArray();
        NDArray d = state.readD(scope, rows);
        NDArray m = state.readM(scope, rows, d);
        double eta = input.learningRate();
        NDArray hd = hvp.multiply(input.weights(), input.inputs(), input.labels(), d);
        hd.attach(scope);
        // eta (r H d + lambda d), then the tracked samples of this batch add eta r N/B g
        NDArray drive =
                hd.toType(d.getDataType(), false)
                        .mul(eta * rescaleGrad)
                        .addi(d.mul(eta * weightDecay));
        for (int k = 0; k < rows.length; k++) {
            int p = position[rows[k]];
            if (p >= 0) {
                NDArray g = input.sampleGradients().get(p);
                g.attach(scope);
                NDArray row =
                        drive.get(k)
                                .add(g.toType(d.getDataType(), false).mul(input.injectionScale()));
                drive.set(new NDIndex(k), row);
            }
        }
        NDArray newM = m.mul(momentum).add(drive);
        NDArray newD = d.sub(newM);
        state.write(rows, newD, newM);
    }

    /** {@inheritDoc} */
    @Override
    public void catchUp() {
        // every step updates every row
    }

    /** {@inheritDoc} */
    @Override
    public Map<String, HypergradientStore> stores() {
        return state.stores();
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
