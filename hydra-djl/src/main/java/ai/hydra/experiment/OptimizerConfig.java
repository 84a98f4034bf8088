package ai.hydra.experiment;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code train.optimizer} section: SGD hyper-parameters (the only optimizer HYDRA supports,
 * since it replays SGD steps).
 *
 * @param learningRate the base learning rate (> 0)
 * @param momentum the momentum in [0, 1)
 * @param weightDecay the L2 weight decay (>= 0)
 * @param rescaleGrad the factor applied to gradients before the update (> 0)
 */
public record OptimizerConfig(
        double learningRate, double momentum, double weightDecay, double rescaleGrad) {

    static OptimizerConfig from(ConfigNode node) {
        node.allowOnly("learningRate", "momentum", "weightDecay", "rescaleGrad");
        double learningRate = node.number("learningRate", 0.05, 0.0, Double.MAX_VALUE);
        if (learningRate == 0) {
            throw node.error("learningRate", "must be greater than 0, e.g. 0.05");
        }
        double rescale = node.number("rescaleGrad", 1.0, 0.0, Double.MAX_VALUE);
        if (rescale == 0) {
            throw node.error("rescaleGrad", "must be greater than 0, e.g. 1.0");
        }
        return new OptimizerConfig(
                learningRate,
                node.number("momentum", 0.9, 0.0, 0.999999),
                node.number("weightDecay", 0.0, 0.0, Double.MAX_VALUE),
                rescale);
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("learningRate", learningRate);
        map.put("momentum", momentum);
        map.put("weightDecay", weightDecay);
        map.put("rescaleGrad", rescaleGrad);
        return map;
    }
}
