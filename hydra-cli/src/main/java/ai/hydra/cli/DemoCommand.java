package ai.hydra.cli;

import ai.hydra.experiment.ExperimentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code hydra demo}: the quick-start job. For now it trains LeNet-5 on the bundled
 * Fashion-MNIST subset ({@code configs/lenet5-fashion-bundled.yaml}); it will become the
 * attribution demo.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run the demo: train LeNet-5 on the bundled Fashion-MNIST subset (no download).",
            "Same as: hydra train --config " + DemoCommand.CONFIG
        })
public class DemoCommand extends HydraSubcommand {

    /** The config the demo runs. */
    static final String CONFIG = "configs/lenet5-fashion-bundled.yaml";

    @Mixin TrainOptions options;

    @Override
    protected int execute() throws Exception {
        ExperimentConfig experiment = ConfigLocator.load(CONFIG, options.overrides);
        return TrainAction.run(this, experiment, options);
    }
}
