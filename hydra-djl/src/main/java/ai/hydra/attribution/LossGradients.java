package ai.hydra.attribution;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.Preconditions;
import ai.hydra.data.SampleSet;
import ai.hydra.gradient.NDLists;
import ai.hydra.gradient.ShadowModel;
import java.util.stream.IntStream;

/**
 * Gradients of test losses at flat weights, in prediction mode (as the model is used at test time):
 * the first half of every gradient-based attribution method.
 */
public final class LossGradients {

    private LossGradients() {}

    /**
     * Computes one gradient row per functional: row j is the gradient of {@code J_j} at {@code w},
     * in {@code w}'s data type. The samples are processed {@code batchSize} at a time; a functional
     * of one sample is differentiated with that sample forwarded alone.
     *
     * @param model the model and its loss
     * @param w flat weights; their manager receives the result
     * @param functionals the test losses
     * @param batchSize samples per gradient pass
     * @return shape (functionals.columns(), |w|)
     */
    public static NDArray of(
            ShadowModel model, NDArray w, TestFunctionals functionals, int batchSize) {
        Preconditions.checkArgument(batchSize > 0, "batch size must be positive, got " + batchSize);
        NDManager out = w.getManager();
        try (NDManager scope = out.newSubManager()) {
            scope.tempAttachAll(w);
            NDArray rows =
                    functionals.isPerSample()
                            ? perSample(model, w, functionals.samples(), batchSize, scope)
                            : grouped(model, w, functionals, batchSize, scope);
            rows.attach(out);
            return rows;
        }
    }

    /**
     * Computes the gradients of single samples' losses (each sample forwarded alone).
     *
     * @param model the model and its loss
     * @param w flat weights; their manager receives the result
     * @param samples the samples
     * @return shape (samples.size(), |w|), in {@code w}'s data type
     */
    public static NDArray perSample(ShadowModel model, NDArray w, SampleSet samples) {
        int[] rows = IntStream.range(0, samples.size()).toArray();
        return model.sampleGradients(w, samples.inputs(), samples.labels(), rows, false);
    }

    private static NDArray perSample(
            ShadowModel model, NDArray w, SampleSet samples, int batchSize, NDManager scope) {
        NDList parts = new NDList();
        for (int start = 0; start < samples.size(); start += batchSize) {
            int end = Math.min(samples.size(), start + batchSize);
            parts.add(perSample(model, w, samples.rows(scope, start, end)));
        }
        return parts.size() == 1 ? parts.head() : NDArrays.concat(parts);
    }

    /** Sums (or the mean) of batch gradients per column, batch by batch. */
    private static NDArray grouped(
            ShadowModel model,
            NDArray w,
            TestFunctionals functionals,
            int batchSize,
            NDManager scope) {
        SampleSet samples = functionals.samples();
        NDArray sums =
                scope.zeros(new Shape(functionals.columns(), model.space().size()), w.getDataType())
                        .toDevice(w.getDevice(), false);
        sums.attach(scope);
        long count = 0;
        for (int start = 0; start < samples.size(); start += batchSize) {
            int end = Math.min(samples.size(), start + batchSize);
            try (NDManager step = scope.newSubManager()) {
                step.tempAttachAll(w, sums); // per-batch temporaries die with the batch
                SampleSet batch = samples.rows(step, start, end);
                for (int column = 0; column < functionals.columns(); column++) {
                    int[] rows = rowsOf(functionals, start, end, column);
                    if (rows.length == 0) {
                        continue;
                    }
                    NDList x = batch.inputs();
                    NDList y = batch.labels();
                    if (rows.length < batch.size()) {
                        NDArray index = step.create(rows).toDevice(x.head().getDevice(), false);
                        x = NDLists.get(x, index);
                        y = NDLists.get(y, index);
                    }
                    NDArray gradient = model.gradient(w, x, y, false).muli(rows.length);
                    sums.set(new NDIndex(column), sums.get(column).addi(gradient));
                }
                count += end - start;
            }
        }
        if (functionals.isMean()) {
            Preconditions.checkArgument(
                    functionals.columns() == 1, "a mean functional spans every sample");
            return sums.div(count);
        }
        return sums;
    }

    /** Rows of {@code [start, end)} (relative to start) whose loss belongs to a column. */
    private static int[] rowsOf(TestFunctionals functionals, int start, int end, int column) {
        return IntStream.range(start, end)
                .filter(row -> functionals.columnOf(row) == column)
                .map(row -> row - start)
                .toArray();
    }
}
