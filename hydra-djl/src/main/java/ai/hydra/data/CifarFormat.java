package ai.hydra.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Reads CIFAR-10 as binary batches or as an image-folder tree. */
final class CifarFormat {

    static final int IMAGE_BYTES = 3 * 32 * 32;
    static final int RECORD_BYTES = 1 + IMAGE_BYTES;

    private CifarFormat() {}

    /** Reads binary batch files in order: per record 1 label byte, then the R, G and B planes. */
    static ImageData readBatches(List<Path> files) throws IOException {
        checkBatchSizes(files);
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        List<String> classes = DatasetName.CIFAR10.classNames();
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
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
     * Refuses an empty batch, a size that is not a whole number of records, and batches of unequal
     * sizes (CIFAR-10's five training batches hold 10,000 records each): each of them means a
     * truncated or mixed-up copy that would otherwise train on part of the data.
     */
    private static void checkBatchSizes(List<Path> files) throws IOException {
        List<String> counts = new ArrayList<>();
        long first = -1;
        boolean equal = true;
        for (Path file : files) {
            long size = Files.size(file);
            if (size == 0) {
                throw new IOException(
                        "File "
                                + file
                                + " is empty; a CIFAR-10 binary batch holds records of "
                                + RECORD_BYTES
                                + " bytes (1 label + 3072 pixels); copy or download it again");
            }
            if (size % RECORD_BYTES != 0) {
                throw new IOException(
                        "File "
                                + file
                                + " has "
                                + size
                                + " bytes, not a multiple of the "
                                + RECORD_BYTES
                                + "-byte CIFAR-10 record (1 label + 3072 pixels);"
                                + " it is truncated or not a CIFAR-10 binary batch");
            }
            long records = size / RECORD_BYTES;
            first = first < 0 ? records : first;
            equal &= records == first;
            counts.add(file.getFileName() + ": " + records);
        }
        if (!equal) {
            throw new IOException(
                    "The CIFAR-10 batches in "
                            + files.get(0).getParent()
                            + " hold different numbers of records ("
                            + String.join(", ", counts)
                            + "); the five training batches of CIFAR-10 hold 10,000 each, so one"
                            + " is truncated or from another copy (data of another size belongs"
                            + " in one data_batch.bin or in train/<class>/ image folders)");
        }
    }

    /**
     * Reads {@code splitDir/<class>/*.jpg|jpeg|png}, class-major: classes in label order, files
     * within a class sorted by file name.
     */
    static ImageData readFolder(Path splitDir) throws IOException {
        List<String> classes = DatasetName.CIFAR10.classNames();
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        checkNoForeignEntries(splitDir, classes);
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

    /** Refuses folders and images in the split folder that no class would read. */
    private static void checkNoForeignEntries(Path splitDir, List<String> classes)
            throws IOException {
        for (Path entry : list(splitDir)) {
            String name = entry.getFileName().toString();
            boolean unread = Files.isDirectory(entry) ? !classes.contains(name) : isImage(entry);
            if (unread && !name.startsWith(".")) {
                throw new IOException(
                        (Files.isDirectory(entry) ? "Folder " : "Image ")
                                + entry
                                + " is not a CIFAR-10 class folder and would be ignored;"
                                + " images belong in one folder per class: "
                                + String.join(", ", classes));
            }
        }
    }

    private static List<Path> listImages(Path classDir) throws IOException {
        List<Path> images = list(classDir).stream().filter(CifarFormat::isImage).toList();
        if (images.isEmpty()) {
            throw new IOException(
                    "CIFAR-10 class folder "
                            + classDir
                            + " holds no .jpg, .jpeg or .png images; every class needs at least"
                            + " one (is the copy incomplete?)");
        }
        return images;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted().toList();
        }
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(file)
                && (name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png"));
    }

    /** Decodes one 32x32 image into R, G, B planes. */
    private static byte[] readPlanes(Path file) throws IOException {
        BufferedImage image = decode(file);
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

    /**
     * Decodes an image, refusing damage: ImageIO's JPEG reader fills a truncated file's missing
     * pixels with grey and only warns, so any warning is an error here.
     */
    private static BufferedImage decode(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers =
                    in == null ? Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException("File " + file + " is not a readable JPEG or PNG image");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName();
            List<String> problems = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> problems.add(warning));
            BufferedImage image = null;
            try {
                reader.setInput(in, true, true);
                image = reader.read(0);
            } catch (IOException | RuntimeException e) {
                problems.add(0, String.valueOf(e.getMessage()));
            } finally {
                reader.dispose();
            }
            if (!problems.isEmpty()) {
                throw new IOException(
                        "File "
                                + file
                                + " is a damaged or truncated "
                                + format
                                + " image ("
                                + problems.get(0)
                                + "); replace it");
            }
            return image;
        }
    }
}
