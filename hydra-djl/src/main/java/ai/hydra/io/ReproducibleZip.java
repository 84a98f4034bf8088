package ai.hydra.io;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.LocalDateTime;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Rewrites a zip archive (e.g. a NumPy {@code .npz}) so that the same content always gives the same
 * bytes: zip writers stamp every entry with the current time, which this replaces with a fixed one.
 */
public final class ReproducibleZip {

    /** The time every entry gets: the earliest a zip file can record. */
    static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private ReproducibleZip() {}

    /**
     * Copies every entry of an archive, in order, with its content and name, to a new archive whose
     * entries all carry {@link #ENTRY_TIME} and no other metadata.
     *
     * @param zip the archive's bytes
     * @param out receives the new archive (left open)
     * @throws IOException if the archive cannot be read or written
     */
    public static void copy(byte[] zip, OutputStream out) throws IOException {
        ZipOutputStream target = new ZipOutputStream(out);
        try (ZipInputStream source = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = source.getNextEntry();
                    entry != null;
                    entry = source.getNextEntry()) {
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTimeLocal(ENTRY_TIME);
                target.putNextEntry(copy);
                source.transferTo(target);
                target.closeEntry();
            }
        }
        target.finish();
        target.flush();
    }
}
