package ai.hydra.experiment;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.error.YAMLException;

/** Applies {@code key=value} overrides with dotted keys to a raw YAML tree. */
final class Overrides {

    private Overrides() {}

    static void apply(Map<String, Object> tree, String override, ConfigSource source) {
        applyAt(tree, keyOf(override), override, source);
    }

    /**
     * Applies an override's value at {@code key}, which may differ from the key the user wrote
     * (e.g. a preset's {@code seeds} lives at {@code presets.quick.seeds}); messages about {@code
     * key} quote the user's text.
     */
    static void applyAt(
            Map<String, Object> tree, String key, String override, ConfigSource source) {
        Object value = valueOf(override);
        source.addOverride(key, override);
        put(
                tree,
                key,
                value,
                path ->
                        new ConfigException(
                                "bad override '"
                                        + override
                                        + "': '"
                                        + path
                                        + "' is a single value in "
                                        + source.file()
                                        + ", not a section"));
    }

    /** Returns the dotted key of a {@code key=value} override, checking its form. */
    static String keyOf(String override) {
        int eq = override.indexOf('=');
        String key = eq < 0 ? "" : override.substring(0, eq).trim();
        if (eq < 0 || !key.matches("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*")) {
            throw new ConfigException(
                    "bad override '"
                            + override
                            + "': expected key=value with a dotted key, e.g. train.epochs=2");
        }
        return key;
    }

    /** Returns the value of a {@code key=value} override, read as YAML. */
    static Object valueOf(String override) {
        String text = override.substring(override.indexOf('=') + 1);
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

    /**
     * Sets a dotted key in a tree, creating missing sections.
     *
     * @param notASection makes the error for a prefix (given as a dotted path) that holds a single
     *     value instead of a section
     */
    @SuppressWarnings("unchecked")
    static void put(
            Map<String, Object> tree,
            String key,
            Object value,
            Function<String, ConfigException> notASection) {
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
                throw notASection.apply(path.toString());
            }
            node = (Map<String, Object>) child;
        }
        node.put(parts[parts.length - 1], value);
    }
}
