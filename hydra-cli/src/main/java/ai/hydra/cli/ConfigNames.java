package ai.hydra.cli;

import ai.hydra.experiment.ExperimentConfig;
import java.util.Locale;

/** Formats config values the way they are written in YAML. */
final class ConfigNames {

    private ConfigNames() {}

    static String precision(ExperimentConfig config) {
        return config.train().precision().name().toLowerCase(Locale.ROOT);
    }
}
