package ai.hydra.cli;

import ai.hydra.io.FolderLock;
import ai.hydra.io.Folders;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The folder a command writes its results into ({@code --out}): checked for writing and claimed for
 * this run before any training starts, so that a full run is never lost to an unwritable folder at
 * the end, and two runs never mix their files.
 */
final class OutputFolder {

    /** The lock file inside the folder (it stays; the lock dies with the process). */
    static final String LOCK = ".hydra.lock";

    private OutputFolder() {}

    /**
     * Creates the folder if missing, checks that files can be created in it and claims it.
     *
     * @param dir the folder
     * @return the claim; close it when the results are written
     * @throws UsageException if the folder cannot be written
     * @throws IOException if another run holds it ({@link ai.hydra.io.FolderInUseException})
     */
    static FolderLock claim(Path dir) throws IOException {
        try {
            Folders.requireWritable(dir, "output folder (--out)");
        } catch (IOException e) {
            throw new UsageException(e.getMessage() + "; give a writable --out DIR");
        }
        return FolderLock.acquire(dir.resolve(LOCK), "output folder (--out) " + dir);
    }
}
