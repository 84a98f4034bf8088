package ai.hydra.reproduce;

import ai.hydra.experiment.ConfigException;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Measured costs of the building blocks of the experiments on one machine ({@code
 * configs/reproduce/rates.yaml}), from which a preset's plan estimates its time and memory before
 * it runs (and the paper presets, which are meant for a GPU, what they would take here).
 *
 * @param machine where the rates were measured
 * @param source the file, for messages
 * @param models the rates of each model
 */
public record Rates(String machine, String source, Map<String, ModelRates> models) {

    /**
     * The rates of one model, in seconds.
     *
     * @param parameters trainable parameters
     * @param trainPerImage a plain training epoch, per image
     * @param trackPerVisit Hessian-free tracking, per tracked sample per visit (one per epoch)
     * @param awarePerSampleStep the Hessian-aware forward recurrence, per tracked sample per step
     * @param gradientPerSample a prediction-mode per-sample gradient (influence functions,
     *     TracIn-CP, contributions)
     * @param lissaIteration one LiSSA iteration for one right-hand side (a Hessian-vector product
     *     on a batch of 32)
     * @param replayPerStep the exact reverse-mode replay, per step for one test functional
     */
    public record ModelRates(
            long parameters,
            double trainPerImage,
            double trackPerVisit,
            double awarePerSampleStep,
            double gradientPerSample,
            double lissaIteration,
            double replayPerStep) {}

    /**
     * Loads {@code rates.yaml} from the definitions folder.
     *
     * @return the rates
     * @throws ConfigException if the file is missing or a value is not a positive number
     */
    public static Rates load() {
        String name = ReproductionConfigs.FOLDER + "/rates.yaml";
        Object tree =
                new Yaml(new SafeConstructor(new LoaderOptions()))
                        .load(ReproductionConfigs.read("rates.yaml"));
        if (!(tree instanceof Map<?, ?> root) || !(root.get("models") instanceof Map<?, ?> all)) {
            throw new ConfigException(name + " must be a mapping with a 'models' section");
        }
        Map<String, ModelRates> models = new java.util.LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : all.entrySet()) {
            String model = String.valueOf(entry.getKey());
            if (!(entry.getValue() instanceof Map<?, ?> values)) {
                throw new ConfigException(name + ": models." + model + " must be a mapping");
            }
            models.put(
                    model,
                    new ModelRates(
                            (long) number(values, name, model, "parameters"),
                            number(values, name, model, "trainPerImage"),
                            number(values, name, model, "trackPerVisit"),
                            number(values, name, model, "awarePerSampleStep"),
                            number(values, name, model, "gradientPerSample"),
                            number(values, name, model, "lissaIteration"),
                            number(values, name, model, "replayPerStep")));
        }
        return new Rates(String.valueOf(root.get("machine")), name, Map.copyOf(models));
    }

    /**
     * Returns the rates of a model.
     *
     * @param model the model's config name
     * @return its rates
     * @throws ConfigException if the file has none
     */
    public ModelRates of(String model) {
        ModelRates rates = models.get(model);
        if (rates == null) {
            throw new ConfigException(
                    source
                            + " has no rates for model "
                            + model
                            + "; models there: "
                            + models.keySet());
        }
        return rates;
    }

    private static double number(Map<?, ?> values, String file, String model, String key) {
        Object value = values.get(key);
        if (!(value instanceof Number number) || !(number.doubleValue() > 0)) {
            throw new ConfigException(
                    file
                            + ": models."
                            + model
                            + "."
                            + key
                            + " must be a positive number, got "
                            + value);
        }
        return number.doubleValue();
    }
}
