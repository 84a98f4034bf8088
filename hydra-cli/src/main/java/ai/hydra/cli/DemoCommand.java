package ai.hydra.cli;

import ai.hydra.experiment.ExperimentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code hydra demo}: the quick-start job. Trains LeNet-5 on the bundled real Fashion-MNIST subset
 * with the HYDRA listener tracking every training sample, prints the most helpful and most harmful
 * training samples of a few test samples, and writes a report folder.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run the demo: train LeNet-5 with HYDRA on the bundled Fashion-MNIST",
            "subset (no download), print the most helpful and most harmful",
            "training images of a few test images, and write a report",
            "(contributions CSV/NPZ, image grid, inter-class heatmap) to --out",
            "(default reports/lenet5-fashion-bundled).",
            "Same as: hydra attribute --config " + DemoCommand.CONFIG
        })
public class DemoCommand extends HydraSubcommand {

    /** The config the demo runs. */
    static final String CONFIG = "configs/lenet5-fashion-bundled.yaml";

    @Mixin TrainOptions options;

    @Mixin AttributionOptions attribution;

    @Override
    protected int execute() throws Exception {
        ExperimentConfig experiment = ConfigLocator.load(CONFIG, options.overrides);
        return AttributeAction.run(this, experiment, options, attribution);
    }
}
