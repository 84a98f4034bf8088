package ai.hydra.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks on the folders a run will write into, made before the run starts rather than after. */
public final class Folders {

    private Folders() {}

    /**
     * Creates a folder if missing and checks that files can be created in it, by creating and
     * deleting one: a path that is a file, a read-only folder or a full disk fails here, before any
     * work is done.
     *
     * @param folder the folder
     * @param what what the folder is for, for the message, e.g. {@code "report folder (--out)"}
     * @return the folder
     * @throws IOException naming the folder, what it is for and why it cannot be written
     */
    public static Path requireWritable(Path folder, String what) throws IOException {
        try {
            if (Files.exists(folder) && !Files.isDirectory(folder)) {
                throw new IOException("it is a file, not a folder");
            }
            Files.createDirectories(folder);
            Path probe = Files.createTempFile(folder, ".hydra-write-test", ".tmp");
            Files.delete(probe);
            return folder;
        } catch (IOException e) {
            throw new IOException(
                    "Cannot write to the "
                            + what
                            + " "
                            + folder
                            + " ("
                            + describe(e)
                            + "): choose a writable folder",
                    e);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException
                || e instanceof java.nio.file.NotDirectoryException) {
            return "a file is in the way: " + message;
        }
        return message == null ? e.getClass().getSimpleName() : message;
    }
}
