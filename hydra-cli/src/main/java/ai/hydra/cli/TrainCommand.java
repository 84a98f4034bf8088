package ai.hydra.cli;

import ai.hydra.experiment.ExperimentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code hydra train}: trains the model of a config file and reports its test accuracy. */
@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Train a model as described by a YAML config and print its test accuracy.",
            "See configs/README.md for the config keys."
        },
        footer = {
            "",
            "Example:",
            "  hydra train --config configs/lenet5-fashion-bundled.yaml --set train.epochs=1"
        })
public class TrainCommand extends HydraSubcommand {

    @Option(
            names = {"-c", "--config"},
            required = true,
            paramLabel = "FILE",
            description = "The experiment config (YAML), e.g. configs/lenet5-fashion-bundled.yaml.")
    String config;

    @Mixin TrainOptions options;

    @Override
    protected int execute() throws Exception {
        ExperimentConfig experiment = ConfigLocator.load(config, options.overrides);
        return TrainAction.run(this, experiment, options);
    }
}
