package ai.hydra.experiment;

import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code train} section: how long and on what to train, with which optimizer and schedule.
 *
 * @param epochs the number of passes over the training set
 * @param batchSize the mini-batch size
 * @param precision the floating-point type of parameters and data
 * @param device where to train
 * @param optimizer SGD hyper-parameters
 * @param schedule the learning-rate schedule
 */
public record TrainConfig(
        int epochs,
        int batchSize,
        Precision precision,
        DeviceChoice device,
        OptimizerConfig optimizer,
        ScheduleConfig schedule) {

    /** The floating-point type used for training ({@code train.dtype}). */
    public enum Precision {
        /** 32-bit floats. */
        FLOAT32(DataType.FLOAT32),
        /** 64-bit floats (slower, exact enough for influence-function checks). */
        FLOAT64(DataType.FLOAT64);

        private final DataType dataType;

        Precision(DataType dataType) {
            this.dataType = dataType;
        }

        /** Returns the DJL data type. */
        public DataType dataType() {
            return dataType;
        }
    }

    /** Where to train ({@code train.device}). */
    public enum DeviceChoice {
        /** A GPU if the engine sees one, else the CPU. */
        AUTO,
        /** Always the CPU. */
        CPU,
        /** The first GPU; an error if there is none. */
        GPU
    }

    static TrainConfig from(ConfigNode node) {
        node.allowOnly("epochs", "batchSize", "dtype", "device", "optimizer", "schedule");
        return new TrainConfig(
                node.integer("epochs", 3, 1, 100_000),
                node.integer("batchSize", 64, 1, 1 << 20),
                node.enumValue("dtype", Precision.FLOAT32, Precision.class),
                node.enumValue("device", DeviceChoice.AUTO, DeviceChoice.class),
                OptimizerConfig.from(node.section("optimizer")),
                ScheduleConfig.from(node.section("schedule")));
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("epochs", epochs);
        map.put("batchSize", batchSize);
        map.put("dtype", ConfigNode.configName(precision));
        map.put("device", ConfigNode.configName(device));
        map.put("optimizer", optimizer.toMap());
        map.put("schedule", schedule.toMap());
        return map;
    }
}
