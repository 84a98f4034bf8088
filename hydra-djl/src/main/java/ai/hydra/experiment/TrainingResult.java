package ai.hydra.experiment;

import ai.djl.Model;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a {@link TrainingRun}: metrics and the trained model.
 *
 * <p>Closing the result closes the model.
 *
 * @param config the configuration that was run
 * @param data the training and test splits used (labels after label noise)
 * @param parameters the number of trainable parameters
 * @param engine the deep learning engine that trained, with its version, e.g. "PyTorch 2.7.1"
 * @param device the device trained on, e.g. "cpu()"
 * @param epochs per-epoch statistics
 * @param finalTrainLoss the mean training loss of the last epoch this run trained; NaN when it
 *     trained none (resumed from the checkpoint of a finished training)
 * @param testAccuracy the fraction of test samples classified correctly
 * @param totalSeconds the wall-clock time of the whole run, data loading included
 * @param model the trained model
 */
public record TrainingResult(
        ExperimentConfig config,
        ExperimentData data,
        long parameters,
        String engine,
        String device,
        List<TrainingProgress.EpochStats> epochs,
        double finalTrainLoss,
        double testAccuracy,
        double totalSeconds,
        Model model)
        implements AutoCloseable {

    /**
     * Returns the number of training samples used.
     *
     * @return the training set size
     */
    public int trainSamples() {
        return data.train().size();
    }

    /**
     * Returns the number of test samples evaluated.
     *
     * @return the test set size
     */
    public int testSamples() {
        return data.test().size();
    }

    /**
     * Returns the metrics (not the model) as nested maps, ready for YAML or JSON output.
     *
     * @return a mutable map
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("trainSamples", trainSamples());
        map.put("testSamples", testSamples());
        map.put("noisyLabels", data.noise() == null ? 0 : data.noise().changedIndices().length);
        map.put("parameters", parameters);
        map.put("engine", engine);
        map.put("device", device);
        map.put("finalTrainLoss", Double.isNaN(finalTrainLoss) ? null : finalTrainLoss);
        map.put("testAccuracy", testAccuracy);
        map.put("totalSeconds", totalSeconds);
        map.put("epochSeconds", epochs.stream().map(TrainingProgress.EpochStats::seconds).toList());
        map.put("epochLoss", epochs.stream().map(TrainingProgress.EpochStats::meanLoss).toList());
        return map;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        model.close();
    }
}
