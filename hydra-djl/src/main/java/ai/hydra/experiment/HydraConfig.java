package ai.hydra.experiment;

import ai.hydra.gradient.BatchNormGradients;
import ai.hydra.gradient.FiniteDifferenceHvp;
import ai.hydra.store.StorePlanner;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code hydra} section: how hypergradients are computed and reported.
 *
 * @param mode hessian-free (default), hessian-aware, both, or exact (every training sample, by
 *     reverse-mode replay of the recorded training)
 * @param trackLimit track the first N training samples; null tracks all
 * @param store where hypergradient state lives: auto, device, host or disk
 * @param storeDir the folder of disk stores; null = the system's temporary folder
 * @param testSamples how many test samples the per-test-sample report covers (spread over classes)
 * @param topK how many most helpful and most harmful training samples to report per test sample
 * @param hessianStep perturbation norm of finite-difference Hessian-vector products
 * @param batchNormGradients per-sample gradients through training-mode batch normalization: exact
 *     (default) or constant-statistics
 * @param checkpointDir where a checkpoint is written at every epoch end (null: none); a run
 *     continues from it with {@code hydra attribute --resume}
 * @param replayInterval exact mode: store the weights every this many steps; 0 (default) stores
 *     every step while the checkpoints fit in 1 GiB, then every 2nd, 4th, ... step
 */
public record HydraConfig(
        AttributionMode mode,
        Integer trackLimit,
        StorePlanner.Placement store,
        Path storeDir,
        int testSamples,
        int topK,
        double hessianStep,
        BatchNormGradients batchNormGradients,
        Path checkpointDir,
        int replayInterval) {

    static HydraConfig from(ConfigNode node) {
        node.allowOnly(
                "mode",
                "trackLimit",
                "store",
                "storeDir",
                "testSamples",
                "topK",
                "hessianStep",
                "batchNormGradients",
                "checkpointDir",
                "replayInterval");
        AttributionMode mode =
                node.enumValue("mode", AttributionMode.HESSIAN_FREE, AttributionMode.class);
        if (mode == AttributionMode.EXACT) {
            for (String key : new String[] {"trackLimit", "checkpointDir"}) {
                if (node.has(key)) {
                    throw node.error(
                            key,
                            "does not apply to hydra.mode exact, which computes every training"
                                    + " sample's contribution after training from a recording"
                                    + " kept in memory: set it to null or remove it");
                }
            }
        }
        return new HydraConfig(
                mode,
                node.optionalInteger("trackLimit", 1, Integer.MAX_VALUE),
                node.enumValue("store", StorePlanner.Placement.AUTO, StorePlanner.Placement.class),
                node.path("storeDir"),
                node.integer("testSamples", 6, 1, 1000),
                node.integer("topK", 5, 1, 100),
                node.number("hessianStep", FiniteDifferenceHvp.DEFAULT_STEP, 1e-12, 1e-2),
                node.enumValue(
                        "batchNormGradients", BatchNormGradients.EXACT, BatchNormGradients.class),
                node.path("checkpointDir"),
                node.integer("replayInterval", 0, 0, Integer.MAX_VALUE));
    }

    /**
     * Returns the store planner for this section.
     *
     * @return the planner
     */
    public StorePlanner planner() {
        StorePlanner.Builder builder = StorePlanner.builder().optPlacement(store);
        if (storeDir != null) {
            builder.optDirectory(storeDir);
        }
        return builder.build();
    }

    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("mode", ConfigNode.configName(mode));
        map.put("trackLimit", trackLimit);
        map.put("store", ConfigNode.configName(store));
        map.put("storeDir", storeDir == null ? null : storeDir.toString());
        map.put("testSamples", testSamples);
        map.put("topK", topK);
        map.put("hessianStep", hessianStep);
        map.put("batchNormGradients", ConfigNode.configName(batchNormGradients));
        map.put("checkpointDir", checkpointDir == null ? null : checkpointDir.toString());
        map.put("replayInterval", replayInterval);
        return map;
    }
}
