package ai.hydra.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A validating view of one mapping of a YAML configuration tree.
 *
 * <p>Every accessor reads one key, converts it and checks its range; failures raise a {@link
 * ConfigException} naming the full dotted key, its origin (file or {@code --set} override) and the
 * accepted values. New config sections are added by writing a {@code from(ConfigNode)} factory that
 * calls {@link #allowOnly(String...)} and then these accessors.
 */
final class ConfigNode {

    private final ConfigSource source;
    private final String path;
    private final Map<String, Object> values;

    ConfigNode(ConfigSource source, String path, Map<String, Object> values) {
        this.source = source;
        this.path = path;
        this.values = values == null ? Collections.emptyMap() : values;
    }

    /** Fails on any key of this mapping that is not in {@code allowed}. */
    ConfigNode allowOnly(String... allowed) {
        List<String> known = Arrays.asList(allowed);
        for (String key : values.keySet()) {
            if (!known.contains(key)) {
                String where = path.isEmpty() ? "at the top level" : "in '" + path + "'";
                throw new ConfigException(
                        "unknown key '"
                                + qualify(key)
                                + "' "
                                + source.describe(qualify(key))
                                + "; allowed keys "
                                + where
                                + ": "
                                + String.join(", ", allowed));
            }
        }
        return this;
    }

    /** Returns the nested mapping under {@code key}; absent or null gives an empty mapping. */
    @SuppressWarnings("unchecked")
    ConfigNode section(String key) {
        Object value = values.get(key);
        if (value != null && !(value instanceof Map)) {
            throw invalid(key, value, "a mapping (key: value lines indented below '" + key + ":')");
        }
        return new ConfigNode(source, qualify(key), (Map<String, Object>) value);
    }

    /** Returns true if {@code key} is present with a non-null value. */
    boolean has(String key) {
        return values.get(key) != null;
    }

    String string(String key, String defaultValue) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Map || value instanceof List) {
            throw invalid(key, value, "a plain string");
        }
        return value.toString();
    }

    /** Reads one of a fixed set of lower-case names, ignoring case. */
    String choice(String key, String defaultValue, String... allowed) {
        String value = string(key, defaultValue);
        if (value == null) {
            throw missing(key, "one of " + String.join(" | ", allowed));
        }
        for (String candidate : allowed) {
            if (candidate.equalsIgnoreCase(value.trim())) {
                return candidate;
            }
        }
        throw invalid(key, value, "one of " + String.join(" | ", allowed));
    }

    /** Reads an enum constant written in lower case with '-' for '_' (e.g. {@code float32}). */
    <E extends Enum<E>> E enumValue(String key, E defaultValue, Class<E> type) {
        E[] constants = type.getEnumConstants();
        String[] names = new String[constants.length];
        for (int i = 0; i < constants.length; i++) {
            names[i] = configName(constants[i]);
        }
        String name = choice(key, configName(defaultValue), names);
        return constants[Arrays.asList(names).indexOf(name)];
    }

    static String configName(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    int integer(String key, int defaultValue, int min, int max) {
        Integer value = optionalInteger(key, min, max);
        return value == null ? defaultValue : value;
    }

    Integer optionalInteger(String key, int min, int max) {
        Object value = values.get(key);
        if (value == null) {
            return null;
        }
        String expected = "an integer from " + min + " to " + max;
        if (!(value instanceof Integer) && !(value instanceof Long)) {
            throw invalid(key, value, expected);
        }
        long number = ((Number) value).longValue();
        if (number < min || number > max) {
            throw invalid(key, value, expected);
        }
        return (int) number;
    }

    long longValue(String key, long defaultValue) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof Integer) && !(value instanceof Long)) {
            throw invalid(key, value, "an integer");
        }
        return ((Number) value).longValue();
    }

    /** Reads a number; integers and strings such as {@code 1e-3} (YAML 1.1 reads as text) pass. */
    double number(String key, double defaultValue, double min, double max) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        String expected =
                max == Double.MAX_VALUE
                        ? "a number >= " + format(min)
                        : "a number from " + format(min) + " to " + format(max);
        double number;
        if (value instanceof Number) {
            number = ((Number) value).doubleValue();
        } else if (value instanceof String) {
            try {
                number = Double.parseDouble(((String) value).trim());
            } catch (NumberFormatException e) {
                throw invalid(key, value, expected);
            }
        } else {
            throw invalid(key, value, expected);
        }
        if (!(number >= min && number <= max)) {
            throw invalid(key, value, expected);
        }
        return number;
    }

    Path path(String key) {
        String value = string(key, null);
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Path.of(value.trim());
        } catch (RuntimeException e) {
            throw invalid(key, value, "a file system path");
        }
    }

    /** Reads a list of integers (a YAML sequence such as {@code [30, 60]}); absent gives empty. */
    int[] integerList(String key, int min, int max) {
        Object value = values.get(key);
        if (value == null) {
            return new int[0];
        }
        String expected = "a list of integers from " + min + " to " + max + ", e.g. [30, 60]";
        List<?> list = value instanceof List ? (List<?>) value : null;
        if (list == null) {
            throw invalid(key, value, expected);
        }
        List<Integer> result = new ArrayList<>();
        for (Object item : list) {
            if (!(item instanceof Integer) || (Integer) item < min || (Integer) item > max) {
                throw invalid(key, value, expected);
            }
            result.add((Integer) item);
        }
        return result.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Returns the keys of this mapping, in file order. */
    List<String> keys() {
        return new ArrayList<>(values.keySet());
    }

    /** Reads a list of numbers (integers or decimals); absent gives an empty array. */
    double[] numberList(String key, double min, double max) {
        Object value = values.get(key);
        if (value == null) {
            return new double[0];
        }
        String expected =
                "a list of numbers from "
                        + format(min)
                        + " to "
                        + format(max)
                        + ", e.g. [0.1, 0.2]";
        if (!(value instanceof List<?> list)) {
            throw invalid(key, value, expected);
        }
        double[] result = new double[list.size()];
        for (int i = 0; i < result.length; i++) {
            Object item = list.get(i);
            if (!(item instanceof Number number)
                    || !(number.doubleValue() >= min && number.doubleValue() <= max)) {
                throw invalid(key, value, expected);
            }
            result[i] = number.doubleValue();
        }
        return result;
    }

    /**
     * Reads a list of enum constants written as {@link #enumValue} reads one; absent gives empty.
     */
    <E extends Enum<E>> List<E> enumList(String key, Class<E> type) {
        Object value = values.get(key);
        if (value == null) {
            return List.of();
        }
        E[] constants = type.getEnumConstants();
        List<String> names = new ArrayList<>();
        for (E constant : constants) {
            names.add(configName(constant));
        }
        String expected =
                "a list of " + String.join(" | ", names) + ", e.g. [" + names.get(0) + "]";
        if (!(value instanceof List<?> list)) {
            throw invalid(key, value, expected);
        }
        List<E> result = new ArrayList<>();
        for (Object item : list) {
            int index =
                    item == null
                            ? -1
                            : names.indexOf(item.toString().trim().toLowerCase(Locale.ROOT));
            if (index < 0 || result.contains(constants[index])) {
                throw invalid(key, value, expected + ", each at most once");
            }
            result.add(constants[index]);
        }
        return result;
    }

    /** Reads a list of plain strings (a YAML sequence such as {@code [mnist, cifar10]}). */
    List<String> stringList(String key) {
        Object value = values.get(key);
        if (value == null) {
            return List.of();
        }
        String expected = "a list of names, e.g. [mnist, fashion-mnist]";
        if (!(value instanceof List<?> list)) {
            throw invalid(key, value, expected);
        }
        List<String> result = new ArrayList<>();
        for (Object item : list) {
            if (item == null || item instanceof Map || item instanceof List) {
                throw invalid(key, value, expected);
            }
            result.add(item.toString());
        }
        return result;
    }

    /** Returns the mapping under {@code key} as it is; absent or null gives an empty mapping. */
    @SuppressWarnings("unchecked")
    Map<String, Object> rawSection(String key) {
        section(key); // checks that it is a mapping
        Object value = values.get(key);
        return value == null ? new LinkedHashMap<>() : (Map<String, Object>) value;
    }

    /**
     * Returns the mapping under {@code key} with nested mappings flattened to dotted keys, so that
     * {@code {train: {epochs: 2}}} and {@code {train.epochs: 2}} read alike.
     */
    Map<String, Object> flatSection(String key) {
        Map<String, Object> flat = new LinkedHashMap<>();
        flatten("", rawSection(key), flat);
        return flat;
    }

    /** Copies nested mappings into {@code out} with dotted keys, e.g. {@code train.epochs}. */
    @SuppressWarnings("unchecked")
    static void flatten(String prefix, Map<String, Object> map, Map<String, Object> out) {
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            String key = prefix + entry.getKey();
            if (entry.getValue() instanceof Map) {
                flatten(key + ".", (Map<String, Object>) entry.getValue(), out);
            } else {
                out.put(key, entry.getValue());
            }
        }
    }

    /** Returns the mappings of a YAML sequence under {@code key}; absent gives an empty list. */
    @SuppressWarnings("unchecked")
    List<ConfigNode> sectionList(String key) {
        Object value = values.get(key);
        if (value == null) {
            return List.of();
        }
        String expected = "a list of mappings (lines '- key: value' below '" + key + ":')";
        if (!(value instanceof List<?> list)) {
            throw invalid(key, value, expected);
        }
        List<ConfigNode> result = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map)) {
                throw invalid(key, value, expected);
            }
            result.add(
                    new ConfigNode(
                            source,
                            qualify(key) + "[" + i + "]",
                            (Map<String, Object>) list.get(i)));
        }
        return result;
    }

    /** Builds an error about {@code key} with a free-form explanation. */
    ConfigException error(String key, String problem) {
        return new ConfigException(
                "invalid '" + qualify(key) + "' " + source.describe(qualify(key)) + ": " + problem);
    }

    private ConfigException invalid(String key, Object value, String expected) {
        return error(key, "expected " + expected + ", got " + show(value));
    }

    private ConfigException missing(String key, String expected) {
        return error(key, "missing value, expected " + expected);
    }

    private String qualify(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String show(Object value) {
        return value instanceof String ? "'" + value + "'" : String.valueOf(value);
    }

    private static String format(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
