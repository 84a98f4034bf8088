package ai.hydra.reproduce;

import java.util.Locale;

/** Names of configuration enums as the YAML files write them (e.g. {@code hydra-exact}). */
final class ConfigNames {

    private ConfigNames() {}

    static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
