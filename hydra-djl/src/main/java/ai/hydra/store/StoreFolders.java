package ai.hydra.store;

import ai.hydra.io.FolderLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folders of disk stores: each process keeps its stores in a folder of its own inside the store
 * directory, {@code run-<pid>-<n>}, claimed by a {@link FolderLock} that the operating system
 * releases when the process ends, however it ends. A folder whose lock nobody holds belongs to a
 * process that is gone: {@link #removeStale} deletes it, so a run killed with {@code kill -9} costs
 * the next run no disk space. A shutdown hook deletes this process's folders on a normal exit,
 * SIGTERM or Ctrl-C. The hypergradient stores ({@link MappedFileStore}) and the trajectory
 * checkpoints of exact attribution ({@code ai.hydra.replay.TrajectoryStore}) live there.
 */
public final class StoreFolders {

    private static final Logger logger = LoggerFactory.getLogger(StoreFolders.class);

    /** The prefix of every process folder. */
    static final String PREFIX = "run-";

    /** The lock file inside a process folder. */
    static final String LOCK = "owner.lock";

    private static final Map<Path, Owned> OWNED = new HashMap<>();
    private static boolean hookInstalled;

    private StoreFolders() {}

    /** A process folder and the lock that claims it for this process. */
    private record Owned(Path folder, FolderLock lock) {}

    /**
     * Returns this process's folder in a store directory, creating and claiming it (and removing
     * stale folders of dead processes) the first time.
     *
     * @param directory the store directory
     * @return the folder
     * @throws IOException if it cannot be created
     */
    public static synchronized Path ofThisProcess(Path directory) throws IOException {
        Path key = directory.toAbsolutePath().normalize();
        Owned owned = OWNED.get(key);
        if (owned != null && Files.isDirectory(owned.folder())) {
            return owned.folder();
        }
        removeStale(key);
        Files.createDirectories(key);
        Path folder = Files.createTempDirectory(key, PREFIX + ProcessHandle.current().pid() + "-");
        OWNED.put(key, new Owned(folder, FolderLock.acquire(folder.resolve(LOCK), "disk store")));
        if (!hookInstalled) {
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(StoreFolders::deleteOwned, "hydra-store-cleanup"));
            hookInstalled = true;
        }
        return folder;
    }

    /**
     * Deletes the process folders in a store directory whose process is gone (nobody holds their
     * lock), logging what was freed.
     *
     * @param directory the store directory (nothing happens if it does not exist)
     * @return the bytes freed
     */
    static synchronized long removeStale(Path directory) {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        long freed = 0;
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(directory, PREFIX + "*")) {
            for (Path folder : folders) {
                Path lock = folder.resolve(LOCK);
                if (!Files.isDirectory(folder)
                        || !Files.isRegularFile(lock)
                        || FolderLock.isHeld(lock)) {
                    continue; // a live process's, or not one of ours
                }
                long bytes = deleteRecursively(folder);
                freed += bytes;
                logger.info(
                        "Removed {} left in {} by a hydra process that is gone ({} bytes)",
                        folder.getFileName(),
                        directory,
                        bytes);
            }
        } catch (IOException e) {
            logger.warn("Could not clean up stale stores in {}: {}", directory, e.toString());
        }
        return freed;
    }

    /** Deletes this process's folders; runs at JVM exit (normal, SIGTERM, Ctrl-C). */
    private static synchronized void deleteOwned() {
        for (Owned owned : OWNED.values()) {
            try {
                owned.lock().close();
                deleteRecursively(owned.folder());
            } catch (IOException | UncheckedIOException e) {
                // best effort while the JVM exits; the next run removes what is left
            }
        }
        OWNED.clear();
    }

    /** Deletes a folder tree; returns the bytes its files held. */
    static long deleteRecursively(Path folder) throws IOException {
        long bytes = 0;
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path path : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                if (Files.isRegularFile(path)) {
                    bytes += Files.size(path);
                }
                Files.deleteIfExists(path);
            }
        }
        return bytes;
    }
}
