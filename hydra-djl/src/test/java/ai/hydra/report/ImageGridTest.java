package ai.hydra.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.hydra.data.ImageData;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {

    // Layout constants as documented, written out so that a layout change fails here.
    private static final int MARGIN = 16;
    private static final int TOP = 16 + 34 + 24; // margin + title + header
    private static final int FRAME = 4;

    @TempDir Path dir;

    private final ImageData train = Synthetic.images(8, 1, 28, 0);
    private final ImageData test = Synthetic.images(3, 1, 28, 1);

    private ImageGrid grid(int k, int... columns) {
        return ImageGrid.builder()
                .setTrainImages(train)
                .setTestImages(test)
                .setContributions(Synthetic.matrix())
                .optTopK(k)
                .optTestColumns(columns)
                .build();
    }

    @Test
    void pngHasTheDocumentedSize() throws Exception {
        Path file = dir.resolve("sub/grid.png");
        grid(2, 0, 1).writePng(file);
        BufferedImage png = ImageIO.read(file.toFile());
        int cellWidth = 28 * 4 + 2 * 4; // 120
        int cellHeight = 28 * 4 + 2 * 4 + 50; // 170
        assertEquals(2 * 16 + 5 * cellWidth + 2 * 1 * 6 + 2 * 26, png.getWidth());
        assertEquals(2 * 16 + 34 + 24 + 2 * cellHeight + 12, png.getHeight());
    }

    @Test
    void firstCellReproducesTheTestImage() throws Exception {
        BufferedImage png = written(grid(2, 0, 1));
        // row 0 shows column 0 = test index 2; its image starts inside the frame of cell 0
        assertBlock(png, MARGIN + FRAME, TOP + FRAME, 2);
        // row 1 shows column 1 = test index 0, one cell height + row gap lower
        assertBlock(png, MARGIN + FRAME, TOP + 170 + 12 + FRAME, 0);
    }

    @Test
    void helpfulAndHarmfulCellsShowTheRightImagesAndFrames() throws Exception {
        BufferedImage png = written(grid(2, 0));
        int cell1 = MARGIN + 120 + 26; // after the test cell and a group gap
        int cell3 = cell1 + 2 * 120 + 6 + 26; // two helpful cells, one gap, a group gap
        // column 0: most helpful = row 3 -> train index 7; most harmful = row 5 -> train index 0
        assertEquals(0x1A9E3A, png.getRGB(cell1 + 1, TOP + 1) & 0xFFFFFF, "helpful frame green");
        assertEquals(0xD62728, png.getRGB(cell3 + 1, TOP + 1) & 0xFFFFFF, "harmful frame red");
        assertBlockOf(png, train, cell1 + FRAME, TOP + FRAME, 7);
        assertBlockOf(png, train, cell3 + FRAME, TOP + FRAME, 0);
        // second helpful = row 0 -> train index 6
        assertBlockOf(png, train, cell1 + 120 + 6 + FRAME, TOP + FRAME, 6);
    }

    @Test
    void shownRowsFollowTheRanking() {
        assertArrayEquals(new int[] {3, 0, 5, 1}, grid(2, 0).shownRows(0));
        assertArrayEquals(new int[] {1, 5, 4, 3}, grid(2, 1).shownRows(0));
    }

    @Test
    void rgbImagesKeepTheirColours() throws Exception {
        ImageData rgbTrain = Synthetic.images(8, 3, 8, 0);
        ImageData rgbTest = Synthetic.images(3, 3, 8, 0);
        ImageGrid grid =
                ImageGrid.builder()
                        .setTrainImages(rgbTrain)
                        .setTestImages(rgbTest)
                        .setContributions(Synthetic.matrix())
                        .optTopK(1)
                        .optScale(2)
                        .build();
        BufferedImage png = written(grid);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int expected =
                        Synthetic.expectedPixel(2, 0, y, x) << 16
                                | Synthetic.expectedPixel(2, 1, y, x) << 8
                                | Synthetic.expectedPixel(2, 2, y, x);
                assertEquals(
                        expected,
                        png.getRGB(MARGIN + FRAME + 2 * x + 1, TOP + FRAME + 2 * y + 1) & 0xFFFFFF);
            }
        }
        assertEquals(2, grid.testColumns().length, "defaults to the first min(4, columns) columns");
    }

    @Test
    void rejectsBadInputsClearly() {
        ImageData twoChannels = Synthetic.images(8, 2, 4, 0);
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ImageGrid.builder()
                                        .setTrainImages(twoChannels)
                                        .setTestImages(twoChannels)
                                        .setContributions(Synthetic.matrix())
                                        .build());
        assertTrue(e.getMessage().contains("3-channel"), e.getMessage());
        ImageData tooFew = Synthetic.images(5, 1, 28, 0);
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                ImageGrid.builder()
                                        .setTrainImages(tooFew)
                                        .setTestImages(test)
                                        .setContributions(Synthetic.matrix())
                                        .build());
        assertTrue(e.getMessage().contains("training index 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> grid(2, 2));
    }

    private BufferedImage written(ImageGrid grid) throws Exception {
        Path file = dir.resolve("g.png");
        grid.writePng(file);
        return ImageIO.read(file.toFile());
    }

    private void assertBlock(BufferedImage png, int left, int top, int testIndex) {
        assertBlockOf(png, test, left, top, testIndex);
    }

    /** Every output pixel of the 4x block of image pixel (y, x) has that pixel's gray value. */
    private static void assertBlockOf(
            BufferedImage png, ImageData data, int left, int top, int index) {
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = Synthetic.expectedPixel(index, 0, y, x);
                for (int d = 0; d < 4; d++) {
                    int rgb = png.getRGB(left + 4 * x + d, top + 4 * y + (3 - d)) & 0xFFFFFF;
                    assertEquals(
                            v << 16 | v << 8 | v,
                            rgb,
                            "image " + index + " pixel (" + y + "," + x + ")");
                }
            }
        }
    }
}
