package ai.hydra.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** Reads the versions that Maven writes into {@code hydra-version.properties} at build time. */
public class VersionProvider implements IVersionProvider {

    /**
     * Returns the project version, e.g. {@code 0.1.0-SNAPSHOT}.
     *
     * @return the version, or "unknown" when the resource is missing
     */
    public static String version() {
        return property("version");
    }

    /** {@inheritDoc} */
    @Override
    public String[] getVersion() {
        return new String[] {
            "hydra " + version(),
            "Deep Java Library "
                    + property("djl.version")
                    + ", engines PyTorch "
                    + property("pytorch.version")
                    + " (default), MXNet "
                    + property("mxnet.version")
                    + " (--engine mxnet)",
            "Java "
                    + System.getProperty("java.version")
                    + " ("
                    + System.getProperty("java.vendor")
                    + ")"
        };
    }

    private static String property(String key) {
        Properties properties = new Properties();
        try (InputStream in =
                VersionProvider.class.getResourceAsStream("/hydra-version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return properties.getProperty(key, "unknown");
    }
}
