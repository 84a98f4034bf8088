package ai.hydra.experiment;

/**
 * A published number that a reproduction report puts beside the measured one (the paper's, or a
 * peer benchmark's).
 *
 * @param metric what was measured, e.g. {@code accuracy}, {@code auc}, {@code jaccard-correct}
 * @param dataset the dataset (and model, where it matters), e.g. {@code mnist}, {@code mnist-mlp}
 * @param method the method, e.g. {@code hydra}, {@code influence}, {@code no-filtering}
 * @param value the published value, in the unit the source prints
 * @param source where it was published, e.g. {@code paper, Table 3}
 */
public record PublishedValue(
        String metric, String dataset, String method, double value, String source) {

    static PublishedValue from(ConfigNode node) {
        node.allowOnly("metric", "dataset", "method", "value", "source");
        for (String key : new String[] {"metric", "dataset", "method", "value"}) {
            if (!node.has(key)) {
                throw node.error(
                        key,
                        "missing; every published value needs metric, dataset,"
                                + " method and value");
            }
        }
        return new PublishedValue(
                node.string("metric", null),
                node.string("dataset", null),
                node.string("method", null),
                node.number("value", 0, -Double.MAX_VALUE, Double.MAX_VALUE),
                node.string("source", "paper"));
    }
}
