package ai.hydra.data;

import ai.hydra.io.AtomicFiles;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Reads and writes the IDX files of (Fashion-)MNIST, gzipped or not (detected by content). */
final class IdxFormat {

    static final int IMAGES_MAGIC = 2051;
    static final int LABELS_MAGIC = 2049;

    private IdxFormat() {}

    /** Images as read from an IDX3 file. */
    record Images(int count, int rows, int cols, byte[] pixels) {}

    /**
     * Reads the whole content, inflating it if it starts with the gzip magic number; {@code name}
     * is used in error messages.
     */
    static byte[] readAll(InputStream raw, String name) throws IOException {
        byte[] bytes;
        try (InputStream in = raw) {
            bytes = in.readAllBytes();
        }
        return GzipData.isGzip(bytes, 0) ? GzipData.inflate(bytes, name) : bytes;
    }

    /** Reads an IDX3 image file. */
    static Images readImages(byte[] bytes, String name) throws IOException {
        checkHeader(bytes, name, 16, IMAGES_MAGIC, "images (idx3-ubyte)");
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        int count = buf.getInt(4);
        int rows = buf.getInt(8);
        int cols = buf.getInt(12);
        if (count < 0 || rows <= 0 || cols <= 0) {
            throw new IOException(
                    "File "
                            + name
                            + " has an invalid header: "
                            + count
                            + " images of "
                            + rows
                            + "x"
                            + cols);
        }
        long expected = 16L + (long) count * rows * cols;
        checkLength(bytes, name, expected, count + " images of " + rows + "x" + cols);
        byte[] pixels = new byte[bytes.length - 16];
        System.arraycopy(bytes, 16, pixels, 0, pixels.length);
        return new Images(count, rows, cols, pixels);
    }

    /** Reads an IDX1 label file. */
    static int[] readLabels(byte[] bytes, String name) throws IOException {
        checkHeader(bytes, name, 8, LABELS_MAGIC, "labels (idx1-ubyte)");
        int count = ByteBuffer.wrap(bytes).getInt(4);
        if (count < 0) {
            throw new IOException("File " + name + " has a negative label count " + count);
        }
        checkLength(bytes, name, 8L + count, count + " labels");
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = bytes[8 + i] & 0xff;
        }
        return labels;
    }

    private static void checkHeader(byte[] bytes, String name, int size, int magic, String kind)
            throws IOException {
        if (bytes.length < size) {
            throw new IOException(
                    "File "
                            + name
                            + " is truncated: expected at least a "
                            + size
                            + "-byte IDX header but the file has "
                            + bytes.length
                            + " bytes");
        }
        int actual = ByteBuffer.wrap(bytes).getInt(0);
        if (actual != magic) {
            throw new IOException(
                    "File "
                            + name
                            + " is not an IDX "
                            + kind
                            + " file: magic number "
                            + actual
                            + ", expected "
                            + magic);
        }
    }

    private static void checkLength(byte[] bytes, String name, long expected, String what)
            throws IOException {
        if (bytes.length < expected) {
            throw new IOException(
                    "File "
                            + name
                            + " is truncated: its header declares "
                            + what
                            + ", so expected "
                            + expected
                            + " bytes but the file has "
                            + bytes.length
                            + " bytes (after decompression); download it again");
        }
        if (bytes.length > expected) {
            throw new IOException(
                    "File "
                            + name
                            + " is too long: its header declares "
                            + what
                            + ", so expected "
                            + expected
                            + " bytes but the file has "
                            + bytes.length
                            + " bytes (after decompression)");
        }
    }

    /** Writes a split (one channel) as an images and a labels IDX file, gzipped if asked. */
    static void write(ImageData data, Path images, Path labels, boolean gzip) throws IOException {
        if (data.channels() != 1) {
            throw new IllegalArgumentException(
                    "IDX files hold one channel, the data has " + data.channels());
        }
        writeIdx(
                images,
                gzip,
                out -> {
                    out.writeInt(IMAGES_MAGIC);
                    out.writeInt(data.size());
                    out.writeInt(data.height());
                    out.writeInt(data.width());
                    out.write(data.pixels());
                });
        writeIdx(
                labels,
                gzip,
                out -> {
                    out.writeInt(LABELS_MAGIC);
                    out.writeInt(data.size());
                    for (int label : data.labels()) {
                        out.writeByte(label);
                    }
                });
    }

    /** Writes the body of an IDX file. */
    private interface Body {
        void writeTo(DataOutputStream out) throws IOException;
    }

    /** Writes an IDX file atomically; gzip streams carry mtime 0, so the bytes are reproducible. */
    private static void writeIdx(Path file, boolean gzip, Body body) throws IOException {
        AtomicFiles.write(
                file,
                stream -> {
                    DataOutputStream out =
                            new DataOutputStream(gzip ? new GZIPOutputStream(stream) : stream);
                    body.writeTo(out);
                    out.close(); // ends the gzip stream; AtomicFiles' stream only flushes
                });
    }

    /** Reads an image and a label file and checks they agree. */
    static ImageData read(
            byte[] imageBytes,
            String imageName,
            byte[] labelBytes,
            String labelName,
            DatasetName dataset)
            throws IOException {
        Images images = readImages(imageBytes, imageName);
        int[] labels = readLabels(labelBytes, labelName);
        if (images.count() == 0) {
            throw new IOException(
                    "File "
                            + imageName
                            + " holds no images (its header declares 0); a split needs at least"
                            + " one image");
        }
        if (images.count() != labels.length) {
            throw new IOException(
                    "Image file "
                            + imageName
                            + " holds "
                            + images.count()
                            + " images but label file "
                            + labelName
                            + " holds "
                            + labels.length
                            + " labels; they must come from the same split");
        }
        if (images.rows() != dataset.height() || images.cols() != dataset.width()) {
            throw new IOException(
                    "File "
                            + imageName
                            + " holds "
                            + images.rows()
                            + "x"
                            + images.cols()
                            + " images, expected "
                            + dataset.height()
                            + "x"
                            + dataset.width()
                            + " for "
                            + dataset);
        }
        checkLabelRange(labels, dataset.classNames(), labelName);
        return ImageData.wrap(
                images.pixels(), labels, 1, images.rows(), images.cols(), dataset.classNames());
    }

    static void checkLabelRange(int[] labels, List<String> classes, String name)
            throws IOException {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] >= classes.size()) {
                throw new IOException(
                        "File "
                                + name
                                + " has label "
                                + labels[i]
                                + " at index "
                                + i
                                + ", outside 0.."
                                + (classes.size() - 1));
            }
        }
    }
}
