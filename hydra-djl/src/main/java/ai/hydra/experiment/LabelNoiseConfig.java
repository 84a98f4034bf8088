package ai.hydra.experiment;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code data.labelNoise} section: optional corruption of training labels.
 *
 * @param mode how labels are corrupted
 * @param fraction the fraction of training samples whose label is corrupted, in [0, 1]
 * @param seed the random seed choosing the corrupted samples
 */
public record LabelNoiseConfig(Mode mode, double fraction, long seed) {

    /** How training labels are corrupted. */
    public enum Mode {
        /** Labels are left as they are. */
        NONE,
        /** The labels of the chosen samples are shuffled among themselves. */
        PERMUTE,
        /** Each chosen sample gets a uniformly random label different from its true one. */
        WRONG
    }

    static LabelNoiseConfig from(ConfigNode node) {
        node.allowOnly("mode", "fraction", "seed");
        Mode mode = node.enumValue("mode", Mode.NONE, Mode.class);
        double fraction = node.number("fraction", 0.0, 0.0, 1.0);
        if (mode != Mode.NONE && fraction == 0.0) {
            throw node.error(
                    "fraction",
                    "labelNoise.mode is "
                            + ConfigNode.configName(mode)
                            + " but the fraction is 0; set a fraction in (0, 1] or use mode: none");
        }
        return new LabelNoiseConfig(mode, fraction, node.longValue("seed", 7));
    }

    /** Returns true if some labels are corrupted. */
    public boolean isActive() {
        return mode != Mode.NONE && fraction > 0;
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("mode", ConfigNode.configName(mode));
        map.put("fraction", fraction);
        map.put("seed", seed);
        return map;
    }
}
