package ai.hydra.io;

import java.io.IOException;

/** Thrown when a folder a run would write into is claimed by another run ({@link FolderLock}). */
public final class FolderInUseException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message which folder, who holds it and what to do
     */
    public FolderInUseException(String message) {
        super(message);
    }
}
