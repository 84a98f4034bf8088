package ai.hydra.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** Reads CIFAR-10 as binary batches or as an image-folder tree. */
final class CifarFormat {

    static final int IMAGE_BYTES = 3 * 32 * 32;
    static final int RECORD_BYTES = 1 + IMAGE_BYTES;

    private CifarFormat() {}

    /** Reads binary batch files in order: per record 1 label byte, then the R, G and B planes. */
    static ImageData readBatches(List<Path> files) throws IOException {
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        List<String> classes = DatasetName.CIFAR10.classNames();
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length % RECORD_BYTES != 0) {
                throw new IOException(
                        "File "
                                + file
                                + " has "
                                + bytes.length
                                + " bytes, not a multiple of the "
                                + RECORD_BYTES
                                + "-byte CIFAR-10 record (1 label + 3072 pixels);"
                                + " it is truncated or not a CIFAR-10 binary batch");
            }
            for (int offset = 0; offset < bytes.length; offset += RECORD_BYTES) {
                int label = bytes[offset] & 0xff;
                if (label >= classes.size()) {
                    throw new IOException(
                            "File "
                                    + file
                                    + " has label "
                                    + label
                                    + " in record "
                                    + offset / RECORD_BYTES
                                    + ", outside 0.."
                                    + (classes.size() - 1)
                                    + "; is it CIFAR-100?");
                }
                labels.add(label);
                pixels.write(bytes, offset + 1, IMAGE_BYTES);
            }
        }
        return ImageData.wrap(
                pixels.toByteArray(),
                labels.stream().mapToInt(i -> i).toArray(),
                3,
                32,
                32,
                classes);
    }

    /**
     * Reads {@code splitDir/<class>/*.jpg|jpeg|png}, class-major: classes in label order, files
     * within a class sorted by file name.
     */
    static ImageData readFolder(Path splitDir) throws IOException {
        List<String> classes = DatasetName.CIFAR10.classNames();
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            Path classDir = splitDir.resolve(classes.get(label));
            if (!Files.isDirectory(classDir)) {
                throw new IOException(
                        "CIFAR-10 image folder "
                                + splitDir
                                + " lacks the class folder "
                                + classes.get(label)
                                + "; expected one folder per class: "
                                + String.join(", ", classes));
            }
            for (Path file : listImages(classDir)) {
                pixels.write(readPlanes(file));
                labels.add(label);
            }
        }
        return ImageData.wrap(
                pixels.toByteArray(),
                labels.stream().mapToInt(i -> i).toArray(),
                3,
                32,
                32,
                classes);
    }

    private static List<Path> listImages(Path classDir) throws IOException {
        try (Stream<Path> files = Files.list(classDir)) {
            return files.filter(CifarFormat::isImage).sorted().toList();
        }
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(file)
                && (name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png"));
    }

    /** Decodes one 32x32 image into R, G, B planes. */
    private static byte[] readPlanes(Path file) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new IOException("File " + file + " is not a readable JPEG or PNG image");
        }
        if (image.getWidth() != 32 || image.getHeight() != 32) {
            throw new IOException(
                    "File "
                            + file
                            + " is "
                            + image.getWidth()
                            + "x"
                            + image.getHeight()
                            + ", CIFAR-10 images must be 32x32");
        }
        byte[] planes = new byte[IMAGE_BYTES];
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int rgb = image.getRGB(x, y);
                int at = y * 32 + x;
                planes[at] = (byte) (rgb >> 16);
                planes[1024 + at] = (byte) (rgb >> 8);
                planes[2048 + at] = (byte) rgb;
            }
        }
        return planes;
    }
}
