package ai.hydra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

    @TempDir Path dir;

    private static ImageData small() {
        return BundledData.test().subset(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    }

    private static void assertSameData(ImageData expected, ImageData actual) {
        assertEquals(expected.size(), actual.size());
        assertArrayEquals(expected.pixels(), actual.pixels());
        assertArrayEquals(expected.labels(), actual.labels());
    }

    @Test
    void idxRoundTripGzippedPlainAndDjlLayout() throws IOException {
        ImageData data = small();
        Path gz = Files.createDirectory(dir.resolve("gz"));
        IdxFormat.write(
                data,
                gz.resolve("t10k-images-idx3-ubyte.gz"),
                gz.resolve("t10k-labels-idx1-ubyte.gz"),
                true);
        assertSameData(data, DatasetLoader.load(DatasetName.FASHION_MNIST, Split.TEST, gz));

        Path plain = Files.createDirectory(dir.resolve("plain"));
        IdxFormat.write(
                data,
                plain.resolve("train-images-idx3-ubyte"),
                plain.resolve("train-labels-idx1-ubyte"),
                false);
        assertSameData(data, DatasetLoader.load(DatasetName.MNIST, Split.TRAIN, plain));

        Path djl = Files.createDirectory(dir.resolve("djl"));
        IdxFormat.write(data, djl.resolve("test_data"), djl.resolve("test_labels"), false);
        ImageData loaded = DatasetLoader.load(DatasetName.MNIST, Split.TEST, djl);
        assertSameData(data, loaded);
        assertEquals(DatasetName.MNIST.classNames(), loaded.classNames());
    }

    @Test
    void truncatedImageFileNamesFileAndByteCounts() throws IOException {
        ImageData data = small();
        Path images = dir.resolve("train-images-idx3-ubyte");
        IdxFormat.write(data, images, dir.resolve("train-labels-idx1-ubyte"), false);
        byte[] full = Files.readAllBytes(images);
        assertEquals(16 + 12 * 784, full.length);
        Files.write(images, Arrays.copyOf(full, full.length - 100));
        IOException e = loadFails(DatasetName.MNIST, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("expected " + full.length + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains((full.length - 100) + " bytes"), e.getMessage());
    }

    @Test
    void truncatedGzipIsReported() throws IOException {
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        IdxFormat.write(small(), images, dir.resolve("train-labels-idx1-ubyte.gz"), true);
        byte[] full = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(full, full.length / 2));
        IOException e = loadFails(DatasetName.FASHION_MNIST, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void wrongMagicNumberIsReported() throws IOException {
        writeIdx(dir, "t10k", 2049, 3, 28, new int[] {1, 2, 3});
        IOException e = loadFails(DatasetName.MNIST, Split.TEST, dir);
        assertTrue(e.getMessage().contains("magic number 2049, expected 2051"), e.getMessage());
    }

    @Test
    void countMismatchIsReported() throws IOException {
        writeIdx(dir, "t10k", 2051, 3, 28, new int[] {1, 2});
        IOException e = loadFails(DatasetName.MNIST, Split.TEST, dir);
        assertTrue(e.getMessage().contains("3 images"), e.getMessage());
        assertTrue(e.getMessage().contains("2 labels"), e.getMessage());
    }

    @Test
    void labelOutOfRangeIsReported() throws IOException {
        writeIdx(dir, "t10k", 2051, 3, 28, new int[] {1, 12, 3});
        IOException e = loadFails(DatasetName.MNIST, Split.TEST, dir);
        assertTrue(e.getMessage().contains("label 12 at index 1"), e.getMessage());
    }

    @Test
    void wrongImageSizeIsReported() throws IOException {
        writeIdx(dir, "t10k", 2051, 2, 32, new int[] {1, 2});
        IOException e = loadFails(DatasetName.FASHION_MNIST, Split.TEST, dir);
        assertTrue(e.getMessage().contains("32x32"), e.getMessage());
        assertTrue(e.getMessage().contains("28x28"), e.getMessage());
    }

    @Test
    void missingFilesListWhatWasLookedFor() {
        IOException e = loadFails(DatasetName.MNIST, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("train_data"), e.getMessage());
        e = loadFails(DatasetName.CIFAR10, Split.TEST, dir);
        assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("cifar-10-batches-bin"), e.getMessage());
        Path missing = dir.resolve("nope");
        e = loadFails(DatasetName.MNIST, Split.TRAIN, missing);
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void cifarBinaryBatchesAreParsedInRgbPlaneOrder() throws IOException {
        Path bin = Files.createDirectory(dir.resolve("cifar-10-batches-bin"));
        // record r of batch b: label (b + r) % 10; pixel p of channel c = (7b + 3r + 5c + p) % 256
        for (int b = 1; b <= 5; b++) {
            Files.write(bin.resolve("data_batch_" + b + ".bin"), cifarRecords(b, 2));
        }
        Files.write(bin.resolve("test_batch.bin"), cifarRecords(9, 3));
        ImageData train = DatasetLoader.load(DatasetName.CIFAR10, Split.TRAIN, dir);
        assertEquals(10, train.size());
        assertEquals(3, train.channels());
        assertEquals(32, train.height());
        assertEquals(DatasetName.CIFAR10.classNames(), train.classNames());
        assertArrayEquals(new int[] {1, 2, 2, 3, 3, 4, 4, 5, 5, 6}, train.labels());
        // image 7 = batch 4, record 1; channel 2 (blue), row 3, column 4
        assertEquals((7 * 4 + 3 + 10 + 3 * 32 + 4) % 256, train.pixel(7, 2, 3, 4));
        ImageData test = DatasetLoader.load(DatasetName.CIFAR10, Split.TEST, dir);
        assertArrayEquals(new int[] {9, 0, 1}, test.labels());
        assertEquals((63 + 6 + 0 + 31 * 32 + 31) % 256, test.pixel(2, 0, 31, 31));
    }

    @Test
    void cifarTruncatedBatchIsReported() throws IOException {
        byte[] records = cifarRecords(1, 2);
        Path file = dir.resolve("test_batch.bin");
        Files.write(file, Arrays.copyOf(records, records.length - 5));
        IOException e = loadFails(DatasetName.CIFAR10, Split.TEST, dir);
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("3073"), e.getMessage());
    }

    @Test
    void cifarPartialTrainingBatchesAreReported() throws IOException {
        Files.write(dir.resolve("data_batch_1.bin"), cifarRecords(1, 1));
        IOException e = loadFails(DatasetName.CIFAR10, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains("only 1 of the 5"), e.getMessage());
    }

    @Test
    void cifarImageFolderIsReadClassMajorSortedByName() throws IOException {
        Path test = dir.resolve("test");
        writeClassFolders(test);
        Files.delete(test.resolve("airplane/0001.png"));
        Files.delete(test.resolve("bird/0001.png"));
        writePng(test.resolve("bird/0003.png"), 20);
        writePng(test.resolve("bird/0002.png"), 10);
        writePng(test.resolve("airplane/0005.png"), 30);
        Files.writeString(test.resolve("bird/notes.txt"), "ignored");
        ImageData data = DatasetLoader.load(DatasetName.CIFAR10, Split.TEST, dir);
        assertArrayEquals(new int[] {0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9}, data.labels());
        int[] seeds = {30, 101, 10, 20, 103};
        for (int i = 0; i < seeds.length; i++) {
            for (int c = 0; c < 3; c++) {
                assertEquals(colour(seeds[i], c, 5, 7), data.pixel(i, c, 5, 7));
            }
        }
        Files.delete(test.resolve("truck/0001.png"));
        Files.delete(test.resolve("truck"));
        IOException e = loadFails(DatasetName.CIFAR10, Split.TEST, dir);
        assertTrue(e.getMessage().contains("lacks the class folder truck"), e.getMessage());
    }

    @Test
    void cifarEmptyTrainingBatchIsRefusedNamingIt() throws IOException {
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), cifarRecords(b, 40));
        }
        Path empty = dir.resolve("data_batch_2.bin");
        Files.write(empty, new byte[0]);
        IOException e = loadFails(DatasetName.CIFAR10, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("is empty"), e.getMessage());
    }

    @Test
    void cifarTrainingBatchesOfUnequalSizeAreRefused() throws IOException {
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), cifarRecords(b, b == 4 ? 1 : 2));
        }
        IOException e = loadFails(DatasetName.CIFAR10, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(
                e.getMessage().contains("data_batch_4.bin: 1, data_batch_5.bin: 2"),
                e.getMessage());
    }

    @Test
    void emptySplitIsRefused() throws IOException {
        Files.write(dir.resolve("test_batch.bin"), new byte[0]);
        IOException e = loadFails(DatasetName.CIFAR10, Split.TEST, dir);
        assertTrue(
                e.getMessage().contains(dir.resolve("test_batch.bin").toString()), e.getMessage());
        writeIdx(dir, "t10k", 2051, 0, 28, new int[0]);
        e = loadFails(DatasetName.MNIST, Split.TEST, dir);
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("no images"), e.getMessage());
    }

    @Test
    void cifarEmptyClassFolderIsRefusedNamingIt() throws IOException {
        Path train = dir.resolve("train");
        writeClassFolders(train);
        assertEquals(10, DatasetLoader.load(DatasetName.CIFAR10, Split.TRAIN, dir).size());
        Files.delete(train.resolve("cat/0001.png"));
        Files.writeString(train.resolve("cat/notes.txt"), "not an image");
        IOException e = loadFails(DatasetName.CIFAR10, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(train.resolve("cat").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no .jpg, .jpeg or .png"), e.getMessage());
    }

    @Test
    void cifarFolderThatIsNoClassIsRefused() throws IOException {
        Path train = dir.resolve("train");
        writeClassFolders(train);
        writePng(Files.createDirectories(train.resolve("cats")).resolve("0002.png"), 2);
        Files.createDirectories(train.resolve(".thumbnails")); // hidden folders are ignored
        IOException e = loadFails(DatasetName.CIFAR10, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(train.resolve("cats").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not a CIFAR-10 class"), e.getMessage());
    }

    @Test
    void truncatedImagesAreRefusedNamingTheFile() throws IOException {
        Path test = dir.resolve("test");
        writeClassFolders(test);
        Files.delete(test.resolve("dog/0001.png"));
        Path jpeg = test.resolve("dog/0001.jpg");
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                image.setRGB(x, y, (x * 8) << 16 | (y * 8) << 8 | (x * y) % 256);
            }
        }
        ImageIO.write(image, "jpg", jpeg.toFile());
        assertEquals(10, DatasetLoader.load(DatasetName.CIFAR10, Split.TEST, dir).size());
        byte[] full = Files.readAllBytes(jpeg);
        // cut inside the scan data: ImageIO.read returns a partly grey image without an error
        for (int length : new int[] {full.length - 40, full.length / 4, 3}) {
            Files.write(jpeg, Arrays.copyOf(full, length));
            IOException e =
                    assertThrows(
                            IOException.class,
                            () -> DatasetLoader.load(DatasetName.CIFAR10, Split.TEST, dir),
                            "cut at " + length + " of " + full.length);
            assertTrue(e.getMessage().contains(jpeg.toString()), e.getMessage());
        }
        Files.delete(jpeg);
        Path png = test.resolve("dog/0001.png");
        writePng(png, 5);
        byte[] pngBytes = Files.readAllBytes(png);
        Files.write(png, Arrays.copyOf(pngBytes, pngBytes.length / 2));
        IOException e = loadFails(DatasetName.CIFAR10, Split.TEST, dir);
        assertTrue(e.getMessage().contains(png.toString()), e.getMessage());
    }

    @Test
    void gzipWithTrailingGarbageIsRefused() throws IOException {
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        IdxFormat.write(small(), images, dir.resolve("train-labels-idx1-ubyte.gz"), true);
        byte[] good = Files.readAllBytes(images);
        Files.write(images, concat(good, "garbage".getBytes(StandardCharsets.US_ASCII)));
        IOException e = loadFails(DatasetName.FASHION_MNIST, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("7 bytes after the end"), e.getMessage());
        // garbage that starts like a gzip member but is none
        Files.write(images, concat(good, new byte[] {0x1f, (byte) 0x8b, 8, 0, 1, 2}));
        e = loadFails(DatasetName.FASHION_MNIST, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
    }

    @Test
    void concatenatedGzipMembersAreOneFile() throws IOException {
        ImageData data = small();
        Path plain = Files.createDirectory(dir.resolve("plain"));
        IdxFormat.write(
                data,
                plain.resolve("train-images-idx3-ubyte"),
                plain.resolve("train-labels-idx1-ubyte"),
                false);
        byte[] raw = Files.readAllBytes(plain.resolve("train-images-idx3-ubyte"));
        int cut = raw.length / 3;
        Path gz = Files.createDirectory(dir.resolve("gz"));
        // gzip's spec allows members one after another ("cat a.gz b.gz > c.gz")
        Files.write(
                gz.resolve("train-images-idx3-ubyte.gz"),
                concat(
                        gzip(Arrays.copyOf(raw, cut)),
                        gzip(Arrays.copyOfRange(raw, cut, raw.length))));
        Files.write(
                gz.resolve("train-labels-idx1-ubyte.gz"),
                gzip(Files.readAllBytes(plain.resolve("train-labels-idx1-ubyte"))));
        assertSameData(data, DatasetLoader.load(DatasetName.MNIST, Split.TRAIN, gz));
    }

    @Test
    void gzipWithWrongChecksumIsRefused() throws IOException {
        Path images = dir.resolve("train-images-idx3-ubyte.gz");
        IdxFormat.write(small(), images, dir.resolve("train-labels-idx1-ubyte.gz"), true);
        byte[] bytes = Files.readAllBytes(images);
        bytes[bytes.length - 6] ^= 1; // inside the CRC-32 of the trailer
        Files.write(images, bytes);
        IOException e = loadFails(DatasetName.FASHION_MNIST, Split.TRAIN, dir);
        assertTrue(e.getMessage().contains(images.toString()), e.getMessage());
    }

    private static IOException loadFails(DatasetName name, Split split, Path dir) {
        return assertThrows(IOException.class, () -> DatasetLoader.load(name, split, dir));
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void defaultLocationPrefersTheConfiguredRoot() throws IOException {
        Path root = dir.resolve("root");
        Path debian = Files.createDirectories(dir.resolve("debian"));
        assertEquals(
                Optional.of(debian),
                DatasetLoader.defaultLocation(DatasetName.FASHION_MNIST, null, null, debian));
        Files.createDirectories(root.resolve("fashion-mnist"));
        Files.createDirectories(root.resolve("cifar10"));
        assertEquals(
                Optional.of(root.resolve("fashion-mnist")),
                DatasetLoader.defaultLocation(
                        DatasetName.FASHION_MNIST, null, root.toString(), debian));
        assertEquals(
                Optional.of(root.resolve("cifar10")),
                DatasetLoader.defaultLocation(
                        DatasetName.CIFAR10, root.toString(), "/elsewhere", debian));
        assertEquals(
                Optional.empty(),
                DatasetLoader.defaultLocation(DatasetName.MNIST, root.toString(), null, debian));
        assertEquals(
                Optional.empty(),
                DatasetLoader.defaultLocation(
                        DatasetName.FASHION_MNIST, null, null, dir.resolve("absent")));
    }

    @Test
    void offlineDjlDownloadFailsWithAClearMessage() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                Boolean.getBoolean("ai.djl.offline"), "only meaningful with -Dai.djl.offline=true");
        try {
            // succeeds only if DJL's cache already holds MNIST
            assertEquals(10_000, DatasetLoader.loadWithDjl(DatasetName.MNIST, Split.TEST).size());
        } catch (IOException e) {
            assertTrue(e.getMessage().contains("local directory"), e.getMessage());
            assertTrue(e.getMessage().contains("hydra.data.dir"), e.getMessage());
        }
    }

    private static byte[] cifarRecords(int batch, int count) {
        byte[] bytes = new byte[count * 3073];
        for (int r = 0; r < count; r++) {
            bytes[r * 3073] = (byte) ((batch + r) % 10);
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < 1024; p++) {
                    bytes[r * 3073 + 1 + c * 1024 + p] = (byte) (7 * batch + 3 * r + 5 * c + p);
                }
            }
        }
        return bytes;
    }

    private static int colour(int seed, int channel, int y, int x) {
        return (seed + 40 * channel + 3 * y + x) % 256;
    }

    /** Creates one folder per class holding one image, {@code 0001.png} with seed 100 + label. */
    private static void writeClassFolders(Path split) throws IOException {
        List<String> classes = DatasetName.CIFAR10.classNames();
        for (int label = 0; label < classes.size(); label++) {
            Path folder = Files.createDirectories(split.resolve(classes.get(label)));
            writePng(folder.resolve("0001.png"), 100 + label);
        }
    }

    private static void writePng(Path file, int seed) throws IOException {
        BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int rgb =
                        colour(seed, 0, y, x) << 16
                                | colour(seed, 1, y, x) << 8
                                | colour(seed, 2, y, x);
                image.setRGB(x, y, rgb);
            }
        }
        ImageIO.write(image, "png", file.toFile());
    }

    /** Writes gzipped IDX files by hand (independent of IdxFormat), all pixels 0. */
    private static void writeIdx(
            Path dir, String prefix, int imageMagic, int count, int size, int[] labels)
            throws IOException {
        ByteArrayOutputStream images = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(images))) {
            out.writeInt(imageMagic);
            out.writeInt(count);
            out.writeInt(size);
            out.writeInt(size);
            out.write(new byte[count * size * size]);
        }
        Files.write(dir.resolve(prefix + "-images-idx3-ubyte.gz"), images.toByteArray());
        ByteArrayOutputStream labelBytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(labelBytes))) {
            out.writeInt(2049);
            out.writeInt(labels.length);
            for (int label : labels) {
                out.writeByte(label);
            }
        }
        Files.write(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), labelBytes.toByteArray());
    }
}
