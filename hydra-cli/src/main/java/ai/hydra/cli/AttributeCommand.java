package ai.hydra.cli;

import ai.hydra.experiment.ExperimentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hydra attribute}: trains with HYDRA and reports which training samples mattered. */
@Command(
        name = "attribute",
        mixinStandardHelpOptions = true,
        description = {
            "Train a model with the HYDRA listener and report, for test samples,",
            "the most helpful and most harmful training samples (contributions",
            "CSV/NPZ, image grid, heatmap). The config's hydra section sets the",
            "mode (hessian-free, hessian-aware, both), the tracked samples, the",
            "report and checkpoints; see configs/README.md."
        },
        footer = {
            "",
            "Example:",
            "  hydra attribute --config configs/lenet5-fashion-mnist.yaml --set"
                    + " data.trainLimit=10000"
        })
public class AttributeCommand extends HydraSubcommand {

    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "The experiment config (YAML).")
    String config;

    @Mixin TrainOptions options;

    @Mixin AttributionOptions attribution;

    @Override
    protected int execute() throws Exception {
        ExperimentConfig experiment = ConfigLocator.load(config, options.overrides);
        return AttributeAction.run(this, experiment, options, attribution);
    }
}
