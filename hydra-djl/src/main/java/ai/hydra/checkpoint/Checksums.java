package ai.hydra.checkpoint;

import ai.hydra.io.Sha256;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The SHA-256 checksum of every file of a checkpoint, in {@value #FILE} ({@code sha256sum}'s
 * format, so {@code sha256sum -c checksums.sha256} checks a checkpoint by hand). Files are hashed
 * while they are written and flushed to the disk when closed; the list is written last, so a
 * checkpoint folder is complete exactly when it holds the list.
 */
final class Checksums {

    /** The list of checksums. */
    static final String FILE = "checksums.sha256";

    private static final int BUFFER = 1 << 16;

    private final Path folder;
    private final Map<String, String> sums = new TreeMap<>();

    /**
     * Starts the checksums of a folder being written.
     *
     * @param folder the folder
     */
    Checksums(Path folder) {
        this.folder = folder;
    }

    /**
     * Creates a file in the folder whose checksum is recorded when the stream is closed, after its
     * content is flushed to the disk.
     *
     * @param name the file name
     * @return the stream
     * @throws IOException if the file cannot be created
     */
    OutputStream create(String name) throws IOException {
        FileChannel channel =
                FileChannel.open(
                        folder.resolve(name),
                        StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
        MessageDigest digest = Sha256.digest();
        OutputStream file = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
        return new FilterOutputStream(new DigestOutputStream(file, digest)) {
            private boolean closed;

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    out.flush();
                    channel.force(true);
                } finally {
                    channel.close();
                }
                sums.put(name, Sha256.hex(digest));
            }
        };
    }

    /**
     * Writes the list, last: from now on the folder is a complete checkpoint.
     *
     * @throws IOException if writing fails
     */
    void finish() throws IOException {
        StringBuilder text = new StringBuilder();
        sums.forEach((name, sum) -> text.append(sum).append("  ").append(name).append('\n'));
        try (OutputStream out = create(FILE)) {
            out.write(text.toString().getBytes(StandardCharsets.US_ASCII));
        }
    }

    /**
     * Tells whether a folder holds a complete checkpoint (its list of checksums).
     *
     * @param folder the folder
     * @return true if the list is there
     */
    static boolean complete(Path folder) {
        return Files.isRegularFile(folder.resolve(FILE));
    }

    /**
     * Checks files of a checkpoint against its list, before anything is read from them.
     *
     * @param folder the checkpoint folder
     * @param only the file to check, or null for every file (and no file beside them)
     * @throws IOException naming the damaged, missing or unexpected file
     */
    static void verify(Path folder, String only) throws IOException {
        Map<String, String> expected = read(folder);
        if (only == null) {
            try (Stream<Path> files = Files.list(folder)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    String name = file.getFileName().toString();
                    if (!name.equals(FILE) && !expected.containsKey(name)) {
                        throw damaged(folder, name, "is not in " + FILE + " (a foreign file)");
                    }
                }
            }
        }
        for (Map.Entry<String, String> entry : expected.entrySet()) {
            if (only != null && !only.equals(entry.getKey())) {
                continue;
            }
            Path file = folder.resolve(entry.getKey());
            if (!Files.isRegularFile(file)) {
                throw damaged(folder, entry.getKey(), "is missing");
            }
            if (!hash(file).equals(entry.getValue())) {
                throw damaged(
                        folder,
                        entry.getKey(),
                        "is damaged: its SHA-256 differs from the one recorded when it was"
                                + " written");
            }
        }
    }

    private static Map<String, String> read(Path folder) throws IOException {
        Path list = folder.resolve(FILE);
        if (!Files.isRegularFile(list)) {
            throw new IOException(
                    "The checkpoint in "
                            + folder
                            + " has no "
                            + FILE
                            + ": it was not completely written (or by a hydra-djl without"
                            + " checksums); start afresh without resuming");
        }
        Map<String, String> sums = new TreeMap<>();
        for (String line : Files.readAllLines(list, StandardCharsets.US_ASCII)) {
            int gap = line.indexOf("  ");
            if (gap != 64) {
                throw damaged(folder, FILE, "is damaged (line '" + line + "')");
            }
            sums.put(line.substring(gap + 2), line.substring(0, gap));
        }
        return sums;
    }

    private static String hash(Path file) throws IOException {
        MessageDigest digest = Sha256.digest();
        byte[] buffer = new byte[BUFFER];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return Sha256.hex(digest);
    }

    private static IOException damaged(Path folder, String name, String problem) {
        return new IOException(
                "Checkpoint file "
                        + folder.resolve(name)
                        + " "
                        + problem
                        + ": the checkpoint cannot be trusted. Restore the folder from a copy, or"
                        + " start afresh without resuming.");
    }
}
