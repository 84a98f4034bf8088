package ai.hydra.testing;

import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;

/**
 * Records, before every step, the pre-step weights (per parameter, as doubles) and batch indices.
 */
public final class RecordingListener extends TrainingListenerAdapter {

    public final List<List<double[]>> weights = new ArrayList<>();
    public final List<long[]> indices = new ArrayList<>();

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        List<double[]> snapshot = new ArrayList<>();
        for (Pair<String, Parameter> pair : trainer.getModel().getBlock().getParameters()) {
            snapshot.add(
                    pair.getValue()
                            .getArray()
                            .toType(ai.djl.ndarray.types.DataType.FLOAT64, true)
                            .toDoubleArray());
        }
        weights.add(snapshot);
        List<?> list = batchData.getBatch().getIndices();
        long[] ids = new long[list.size()];
        for (int k = 0; k < ids.length; k++) {
            ids[k] = ((Number) list.get(k)).longValue();
        }
        indices.add(ids);
    }
}
