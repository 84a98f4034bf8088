package ai.hydra.reproduce;

import ai.hydra.experiment.ConfigException;
import ai.hydra.io.AtomicFiles;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The per-run results of a reproduction, one JSON file per training run and seed in {@code runs/}
 * of the output folder, so that an interrupted reproduction continues ({@code --resume}) where it
 * stopped. Every file records a fingerprint of what produced it (the run's effective training
 * config, the preset's settings and the code version); a resumed reproduction reuses a file only if
 * the fingerprint matches, and refuses one that does not.
 */
public final class RunCache {

    /** Serializes results: records, NaN and infinities allowed, pretty-printed. */
    public static final Gson GSON =
            new GsonBuilder().serializeSpecialFloatingPointValues().setPrettyPrinting().create();

    private final Path dir;
    private final boolean resume;

    /**
     * Creates the cache of an output folder.
     *
     * @param outDir the reproduction's output folder
     * @param resume true to reuse results found there
     */
    public RunCache(Path outDir, boolean resume) {
        this.dir = outDir.resolve("runs");
        this.resume = resume;
    }

    /**
     * Returns a cached result when resuming.
     *
     * @param key the run and seed, e.g. {@code mnist-seed1}
     * @param fingerprint what the result must have been produced from
     * @param type the result type
     * @param <T> the result type
     * @return the result and its timing, or empty when not resuming or not cached
     * @throws ConfigException if a cached result was produced from something else
     */
    public <T> Optional<Entry<T>> load(String key, String fingerprint, Class<T> type) {
        Path file = file(key);
        if (!resume || !Files.exists(file)) {
            return Optional.empty();
        }
        try {
            JsonObject saved =
                    GSON.fromJson(Files.readString(file, StandardCharsets.UTF_8), JsonObject.class);
            JsonElement stored = saved.get("fingerprint");
            if (stored == null || !stored.getAsString().equals(fingerprint)) {
                throw new ConfigException(
                        "--resume: "
                                + file
                                + " holds a result of another configuration (its settings, the"
                                + " preset, the --set overrides or the code differ). Resume with"
                                + " the same command line, or start afresh in another --out"
                                + " folder (or without --resume, which overwrites it).");
            }
            return Optional.of(
                    new Entry<>(
                            GSON.fromJson(saved.get("result"), type),
                            saved.get("seconds").getAsDouble(),
                            saved.get("loadAtStart").getAsDouble(),
                            saved.get("loadAtEnd").getAsDouble()));
        } catch (IOException
                | JsonParseException
                | IllegalStateException
                | NullPointerException e) {
            throw new ConfigException(
                    "--resume: cannot read the cached result "
                            + file
                            + " ("
                            + e.getMessage()
                            + "); delete it to recompute that run",
                    e);
        }
    }

    /**
     * Stores a result, replacing the file atomically.
     *
     * @param key the run and seed
     * @param fingerprint what it was produced from
     * @param entry the result and its timing
     * @throws IOException if writing fails
     */
    public void save(String key, String fingerprint, Entry<?> entry) throws IOException {
        Files.createDirectories(dir);
        JsonObject saved = new JsonObject();
        saved.addProperty("fingerprint", fingerprint);
        saved.addProperty("seconds", entry.seconds());
        saved.addProperty("loadAtStart", entry.loadAtStart());
        saved.addProperty("loadAtEnd", entry.loadAtEnd());
        saved.add("result", GSON.toJsonTree(entry.result()));
        Path file = file(key);
        AtomicFiles.writeString(file, GSON.toJson(saved));
    }

    /**
     * Hashes the texts that define a result.
     *
     * @param parts e.g. the run's config YAML and the settings
     * @return a hex SHA-256
     */
    public static String fingerprint(String... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String part : parts) {
                digest.update(part.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * A run's result with the wall time it took and the machine's load while it ran.
     *
     * @param result the result
     * @param seconds the wall time
     * @param loadAtStart the 1-minute load average when the run started
     * @param loadAtEnd the 1-minute load average when it ended
     * @param <T> the result type
     */
    public record Entry<T>(T result, double seconds, double loadAtStart, double loadAtEnd) {}

    private Path file(String key) {
        return dir.resolve(key + ".json");
    }
}
