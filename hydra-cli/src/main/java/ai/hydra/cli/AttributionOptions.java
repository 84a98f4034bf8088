package ai.hydra.cli;

import picocli.CommandLine.Option;

/** The options of the commands that attribute ({@code demo}, {@code attribute}). */
public class AttributionOptions {

    @Option(
            names = "--resume",
            description =
                    "Continue an interrupted run from the checkpoint in hydra.checkpointDir"
                            + " (written at every epoch end when that key is set); it must have"
                            + " been written with the same settings and data.")
    boolean resume;

    @Option(
            names = "--overwrite",
            description =
                    "Start afresh even if hydra.checkpointDir already holds a checkpoint,"
                            + " replacing it (without this, such a run is refused).")
    boolean overwrite;

    @Option(
            names = "--allow-non-finite",
            description =
                    "Write the report even if contributions are NaN or infinite (a diverged"
                            + " run), with a warning and their count in summary.md; without"
                            + " this, such a run fails.")
    boolean allowNonFinite;
}
