package ai.hydra.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a reader, or a run that is killed or runs out of disk space, never finds a
 * partial file under the final name: the content goes to a temporary file in the same folder, is
 * flushed to the disk ({@code fsync}), and then replaces the target in one atomic rename. On
 * failure the temporary file is removed and the previous file, if any, is left as it was.
 *
 * <pre>{@code
 * AtomicFiles.writeString(dir.resolve("summary.md"), text);
 * AtomicFiles.write(dir.resolve("image.png"), out -> ImageIO.write(image, "png", out));
 * }</pre>
 */
public final class AtomicFiles {

    private static final int BUFFER = 1 << 16;

    private AtomicFiles() {}

    /** Writes a file's content to a stream, which it must not close. */
    @FunctionalInterface
    public interface Content {

        /**
         * Writes the content.
         *
         * @param out the stream (closing it only flushes it)
         * @throws IOException if writing fails
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes a file's content as text, to a writer it must not close. */
    @FunctionalInterface
    public interface TextContent {

        /**
         * Writes the content.
         *
         * @param out the writer (UTF-8; closing it only flushes it)
         * @throws IOException if writing fails
         */
        void writeTo(Writer out) throws IOException;
    }

    /**
     * Writes a file atomically, creating its folder if missing.
     *
     * @param file the file to create or replace
     * @param content writes the bytes
     * @throws IOException if writing fails; {@code file} is then unchanged
     */
    public static void write(Path file, Content content) throws IOException {
        Path target = file.toAbsolutePath();
        Path parent = target.getParent();
        Files.createDirectories(parent);
        Path temporary = Files.createTempFile(parent, "." + target.getFileName() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                OutputStream out =
                        new KeepOpen(
                                new BufferedOutputStream(
                                        Channels.newOutputStream(channel), BUFFER));
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            moveIntoPlace(temporary, target);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Writes a UTF-8 text file atomically, creating its folder if missing.
     *
     * @param file the file to create or replace
     * @param content writes the text
     * @throws IOException if writing fails; {@code file} is then unchanged
     */
    public static void writeText(Path file, TextContent content) throws IOException {
        write(
                file,
                out -> {
                    Writer writer =
                            new OutputStreamWriter(new KeepOpen(out), StandardCharsets.UTF_8);
                    content.writeTo(writer);
                    writer.flush();
                });
    }

    /**
     * Writes a UTF-8 string to a file atomically, creating its folder if missing.
     *
     * @param file the file to create or replace
     * @param text the text
     * @throws IOException if writing fails; {@code file} is then unchanged
     */
    public static void writeString(Path file, CharSequence text) throws IOException {
        write(file, out -> out.write(text.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Renames a finished file or folder onto its final name in one atomic step (replacing a file
     * there) and makes the rename durable by flushing the folder.
     *
     * @param finished the finished file or folder, in the same folder as {@code target}
     * @param target the final name
     * @throws IOException if the rename fails or the file system cannot rename atomically
     */
    public static void moveIntoPlace(Path finished, Path target) throws IOException {
        try {
            Files.move(
                    finished,
                    target,
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "The file system of "
                            + target.getParent()
                            + " cannot rename files atomically, which hydra-djl needs to replace "
                            + target.getFileName()
                            + " safely; write to a local disk",
                    e);
        }
        syncFolder(target.toAbsolutePath().getParent());
    }

    /**
     * Flushes a folder's entries (renames, new files) to the disk where the platform allows it
     * (Linux, macOS); elsewhere does nothing.
     *
     * @param folder the folder
     */
    public static void syncFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a folder as a channel; its renames are durable enough here
        }
    }

    /** A stream whose {@code close()} only flushes: the caller owns the underlying channel. */
    private static final class KeepOpen extends FilterOutputStream {

        KeepOpen(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
