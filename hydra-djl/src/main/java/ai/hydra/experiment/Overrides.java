package ai.hydra.experiment;

import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.error.YAMLException;

/** Applies {@code key=value} overrides with dotted keys to a raw YAML tree. */
final class Overrides {

    private Overrides() {}

    @SuppressWarnings("unchecked")
    static void apply(Map<String, Object> tree, String override, ConfigSource source) {
        int eq = override.indexOf('=');
        String key = eq < 0 ? "" : override.substring(0, eq).trim();
        if (eq < 0 || !key.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*")) {
            throw new ConfigException(
                    "bad override '"
                            + override
                            + "': expected key=value with a dotted key, e.g. train.epochs=2");
        }
        Object value = parseValue(override, override.substring(eq + 1));
        source.addOverride(key, override);
        String[] parts = key.split("\\.");
        Map<String, Object> node = tree;
        StringBuilder path = new StringBuilder();
        for (int i = 0; i < parts.length - 1; i++) {
            path.append(i == 0 ? "" : ".").append(parts[i]);
            Object child = node.get(parts[i]);
            if (child == null) {
                child = new LinkedHashMap<String, Object>();
                node.put(parts[i], child);
            } else if (!(child instanceof Map)) {
                throw new ConfigException(
                        "bad override '"
                                + override
                                + "': '"
                                + path
                                + "' is a single value in "
                                + source.file()
                                + ", not a section");
            }
            node = (Map<String, Object>) child;
        }
        node.put(parts[parts.length - 1], value);
    }

    private static Object parseValue(String override, String text) {
        if (text.isBlank()) {
            return null;
        }
        try {
            return ConfigYaml.loader().load(text);
        } catch (DuplicateKeyException e) {
            throw new ConfigException(
                    "bad override '" + override + "': the value " + ConfigYaml.describe(e), e);
        } catch (YAMLException e) {
            throw new ConfigException(
                    "bad override '"
                            + override
                            + "': the value is not valid "
                            + "YAML (quote strings with special characters)",
                    e);
        }
    }
}
