package ai.hydra.cli;

import picocli.CommandLine.Option;

/** The {@code --resume} option of the commands that attribute ({@code demo}, {@code attribute}). */
public class ResumeOption {

    @Option(
            names = "--resume",
            description =
                    "Continue an interrupted run from the checkpoint in hydra.checkpointDir"
                            + " (written at every epoch end when that key is set).")
    boolean resume;
}
