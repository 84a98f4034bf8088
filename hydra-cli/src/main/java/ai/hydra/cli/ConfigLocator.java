package ai.hydra.cli;

import ai.hydra.experiment.ConfigException;
import ai.hydra.experiment.ExperimentConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Finds a config file given on the command line: as given (relative to the working directory), then
 * relative to the hydra installation ({@code -Dhydra.home}, set by the {@code ./hydra} launcher),
 * then among the configs packaged in the jar ({@code configs/<name>.yaml}).
 */
final class ConfigLocator {

    private ConfigLocator() {}

    static ExperimentConfig load(String given, List<String> overrides) {
        Path path = Path.of(given);
        if (Files.exists(path)) {
            return ExperimentConfig.load(path, overrides);
        }
        String home = System.getProperty("hydra.home");
        if (home != null && !path.isAbsolute() && Files.exists(Path.of(home).resolve(path))) {
            return ExperimentConfig.load(Path.of(home).resolve(path), overrides);
        }
        String resource = "configs/" + path.getFileName();
        try (InputStream in = ConfigLocator.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null && (path.getParent() == null || path.getParent().endsWith("configs"))) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                String name = path.getFileName().toString().replaceFirst("\\.ya?ml$", "");
                return ExperimentConfig.parse(text, given + " (packaged)", name, overrides);
            }
        } catch (IOException e) {
            throw new ConfigException("cannot read packaged config " + resource, e);
        }
        Path cwd = Path.of("").toAbsolutePath();
        boolean homeDiffers = home != null && !Path.of(home).toAbsolutePath().equals(cwd);
        throw new ConfigException(
                "config file not found: "
                        + given
                        + " (looked in "
                        + cwd
                        + (homeDiffers ? " and " + home : "")
                        + "; the shipped configs are in configs/, e.g."
                        + " configs/lenet5-fashion-bundled.yaml)");
    }
}
