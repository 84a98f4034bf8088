package ai.hydra.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive claim on a folder (or any path) for the life of a run, so that two runs never write
 * into the same place: a lock file beside or inside it, locked with the operating system's file
 * lock. The operating system releases the lock when the process ends, however it ends (kill -9
 * included), so a lock file left behind never blocks a later run; the file holds the owner's
 * process id for the message another run prints.
 *
 * <pre>{@code
 * try (FolderLock lock = FolderLock.acquire(outDir.resolve(".hydra.lock"), "report folder " + outDir)) {
 *     ... write into outDir ...
 * }
 * }</pre>
 */
public final class FolderLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private FolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock, or fails at once if another run (another process, or another run in this one)
     * holds it.
     *
     * @param lockFile the lock file; its folder is created if missing
     * @param what what the lock protects, for the message, e.g. {@code "report folder out/run1"}
     * @return the held lock; close it to release
     * @throws FolderInUseException if another run holds the lock
     * @throws IOException if the lock file cannot be created
     */
    public static FolderLock acquire(Path lockFile, String what) throws IOException {
        Files.createDirectories(lockFile.toAbsolutePath().getParent());
        FileChannel channel =
                FileChannel.open(
                        lockFile,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by another run in this JVM
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String owner = owner(channel);
            channel.close();
            throw new FolderInUseException(
                    "The "
                            + what
                            + " is in use by another hydra run"
                            + (owner.isEmpty() ? "" : " (process " + owner + ")")
                            + ": wait for it to finish, or choose another folder");
        }
        try {
            byte[] pid =
                    Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
        } catch (IOException e) {
            lock.release();
            channel.close();
            throw e;
        }
        return new FolderLock(channel, lock);
    }

    /**
     * Tells whether a lock file is held by a live run, without taking it for long.
     *
     * @param lockFile the lock file
     * @return true if another run holds it
     * @throws IOException if the file cannot be opened
     */
    public static boolean isHeld(Path lockFile) throws IOException {
        try (FileChannel channel =
                FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            try (FileLock lock = channel.tryLock()) {
                return lock == null;
            } catch (OverlappingFileLockException e) {
                return true;
            }
        }
    }

    private static String owner(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            int n = channel.read(buffer, 0);
            return n <= 0 ? "" : new String(buffer.array(), 0, n, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Releases the lock (the lock file stays: deleting it could let two runs in). */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
