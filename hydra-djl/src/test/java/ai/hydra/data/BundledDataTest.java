package ai.hydra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class BundledDataTest {

    @Test
    void trainSubsetIsBalancedAndStartsLikeFashionMnist() {
        ImageData train = BundledData.train();
        assertEquals(2000, train.size());
        assertEquals(1, train.channels());
        assertEquals(28, train.height());
        assertEquals(28, train.width());
        assertEquals(DatasetName.FASHION_MNIST.classNames(), train.classNames());
        int[] counts = new int[10];
        Arrays.fill(counts, 200);
        assertArrayEquals(counts, train.classCounts());
        // the first Fashion-MNIST training labels; they are all kept, so they lead the subset
        assertArrayEquals(
                new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, Arrays.copyOf(train.labels(), 10));
        // row 14 of original training image 0 (an ankle boot), read with an independent tool
        int[] row = new int[28];
        Arrays.setAll(row, x -> train.pixel(0, 0, 14, x));
        assertArrayEquals(
                new int[] {
                    0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217, 223, 222, 219, 222, 221, 216,
                    223, 229, 215, 218, 255, 77, 0
                },
                row);
    }

    @Test
    void testSubsetIsBalancedAndStartsLikeFashionMnist() {
        ImageData test = BundledData.test();
        assertEquals(400, test.size());
        int[] counts = new int[10];
        Arrays.fill(counts, 40);
        assertArrayEquals(counts, test.classCounts());
        assertArrayEquals(
                new int[] {9, 2, 1, 1, 6, 1, 4, 6, 5, 7}, Arrays.copyOf(test.labels(), 10));
    }

    @Test
    void indicesAreAscendingAndMatchTheSizes() {
        int[] train = BundledData.trainIndices();
        int[] test = BundledData.testIndices();
        assertEquals(2000, train.length);
        assertEquals(400, test.length);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, Arrays.copyOf(train, 10));
        for (int i = 1; i < train.length; i++) {
            assertEquals(true, train[i] > train[i - 1]);
        }
        assertEquals(true, train[train.length - 1] < 60_000);
        assertEquals(true, test[test.length - 1] < 10_000);
    }

    @Test
    void loaderAgreesWithAPlainIdxParser() throws IOException {
        ImageData train = BundledData.train();
        String dir = BundledData.RESOURCE_DIR;
        try (DataInputStream images = gunzip(dir + "train-images-idx3-ubyte.gz");
                DataInputStream labels = gunzip(dir + "train-labels-idx1-ubyte.gz")) {
            assertEquals(2051, images.readInt());
            assertEquals(2000, images.readInt());
            assertEquals(28, images.readInt());
            assertEquals(28, images.readInt());
            assertEquals(2049, labels.readInt());
            assertEquals(2000, labels.readInt());
            byte[] pixels = images.readAllBytes();
            assertArrayEquals(pixels, train.pixels());
            byte[] raw = labels.readAllBytes();
            int[] expected = new int[raw.length];
            Arrays.setAll(expected, i -> raw[i] & 0xff);
            assertArrayEquals(expected, train.labels());
        }
    }

    private static DataInputStream gunzip(String resource) throws IOException {
        InputStream in = BundledDataTest.class.getResourceAsStream(resource);
        return new DataInputStream(new GZIPInputStream(in));
    }
}
