package ai.hydra.experiment;

import java.util.LinkedHashMap;
import java.util.Map;

/** Where the values of a configuration came from: a YAML file plus {@code --set} overrides. */
final class ConfigSource {

    private final String file;
    private final Map<String, String> overrides = new LinkedHashMap<>();

    ConfigSource(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    /** Records an override; refuses one that sets a key an earlier override already set. */
    void addOverride(String key, String text) {
        for (Map.Entry<String, String> earlier : overrides.entrySet()) {
            String set = earlier.getKey();
            if (key.equals(set) || key.startsWith(set + ".") || set.startsWith(key + ".")) {
                throw new ConfigException(
                        "--set "
                                + earlier.getValue()
                                + " and --set "
                                + text
                                + " both set '"
                                + (key.length() > set.length() ? key : set)
                                + "'; give each key once");
            }
        }
        overrides.put(key, text);
    }

    /**
     * Describes where {@code key} was set, e.g. "in configs/a.yaml" or "from --set a.b=1 (...)".
     */
    String describe(String key) {
        for (Map.Entry<String, String> entry : overrides.entrySet()) {
            String set = entry.getKey();
            if (key.equals(set) || key.startsWith(set + ".")) {
                return "from --set " + entry.getValue() + " (config " + file + ")";
            }
        }
        return "in " + file;
    }
}
