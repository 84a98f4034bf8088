package ai.hydra.experiment;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code train.schedule} section: how the learning rate changes over training, in epochs.
 *
 * <p>Keys that a type does not use are accepted and ignored, so that {@code --set
 * train.schedule.type=constant} works on a config written for another type.
 *
 * @param type the kind of schedule
 * @param factor the multiplier applied at each decay ({@code step}, {@code multistep}), in (0, 1]
 * @param everyEpochs the decay period of {@code step}
 * @param milestones the epochs after which {@code multistep} decays, strictly increasing
 * @param finalLearningRate the learning rate {@code cosine} reaches at the end of training
 */
public record ScheduleConfig(
        Type type, double factor, int everyEpochs, int[] milestones, double finalLearningRate) {

    /** The kind of learning-rate schedule. */
    public enum Type {
        /** A fixed learning rate. */
        CONSTANT,
        /** Multiply by {@code factor} every {@code everyEpochs} epochs. */
        STEP,
        /** Multiply by {@code factor} after each epoch listed in {@code milestones}. */
        MULTISTEP,
        /** Cosine decay from the base rate to {@code finalLearningRate}. */
        COSINE
    }

    static ScheduleConfig from(ConfigNode node) {
        node.allowOnly("type", "factor", "everyEpochs", "milestones", "finalLearningRate");
        Type type = node.enumValue("type", Type.CONSTANT, Type.class);
        double factor = node.number("factor", 0.1, 0.0, 1.0);
        if (factor == 0) {
            throw node.error("factor", "must be greater than 0 and at most 1, e.g. 0.1");
        }
        int[] milestones = node.integerList("milestones", 1, Integer.MAX_VALUE);
        if (type == Type.MULTISTEP && milestones.length == 0) {
            throw node.error(
                    "milestones",
                    "schedule type multistep needs a non-empty list of "
                            + "epochs, e.g. milestones: [150, 225]");
        }
        for (int i = 1; i < milestones.length; i++) {
            if (milestones[i] <= milestones[i - 1]) {
                throw node.error(
                        "milestones",
                        "epochs must be strictly increasing, got " + Arrays.toString(milestones));
            }
        }
        return new ScheduleConfig(
                type,
                factor,
                node.integer("everyEpochs", 1, 1, Integer.MAX_VALUE),
                milestones,
                node.number("finalLearningRate", 0.0, 0.0, Double.MAX_VALUE));
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", ConfigNode.configName(type));
        switch (type) {
            case STEP:
                map.put("factor", factor);
                map.put("everyEpochs", everyEpochs);
                break;
            case MULTISTEP:
                map.put("factor", factor);
                map.put("milestones", Arrays.stream(milestones).boxed().toList());
                break;
            case COSINE:
                map.put("finalLearningRate", finalLearningRate);
                break;
            default:
                break;
        }
        return map;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof ScheduleConfig s
                && type == s.type
                && factor == s.factor
                && everyEpochs == s.everyEpochs
                && Arrays.equals(milestones, s.milestones)
                && finalLearningRate == s.finalLearningRate;
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.hashCode(milestones);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return toMap().toString();
    }
}
