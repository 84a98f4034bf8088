package ai.hydra.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.hydra.attribution.ContributionMatrix;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HeatmapTest {

    private static final int RED_END = 0xB2182B;
    private static final int BLUE_END = 0x2166AC;
    private static final int WHITE_MID = 0xF7F7F7;
    private static final int GREY = 0xBDBDBD;

    @TempDir Path dir;

    /** Max (0.8) at train class 2 / test class 0, min (-0.8) at 0 / 2, NaN at 1 / 1. */
    private static final double[][] KNOWN = {
        {0.1, 0.0, -0.8},
        {0.2, Double.NaN, 0.3},
        {0.8, -0.1, 0.4}
    };

    private BufferedImage render(Heatmap heatmap) throws Exception {
        Path file = dir.resolve("h.png");
        heatmap.writePng(file);
        BufferedImage png = ImageIO.read(file.toFile());
        assertEquals(heatmap.width(), png.getWidth());
        assertEquals(heatmap.height(), png.getHeight());
        return png;
    }

    private static int corner(BufferedImage png, Rectangle cell) {
        return png.getRGB(cell.x + 3, cell.y + 3) & 0xFFFFFF;
    }

    @Test
    void extremesAndNanLandInTheRightCells() throws Exception {
        Heatmap heatmap =
                Heatmap.builder().setValues(KNOWN).setClassNames(List.of("a", "b", "c")).build();
        BufferedImage png = render(heatmap);
        assertEquals(RED_END, corner(png, heatmap.cellBounds(2, 0)));
        assertEquals(BLUE_END, corner(png, heatmap.cellBounds(0, 2)));
        assertEquals(GREY, corner(png, heatmap.cellBounds(1, 1)));
        assertEquals(WHITE_MID, corner(png, heatmap.cellBounds(0, 1)));
        assertNotEquals(RED_END, corner(png, heatmap.cellBounds(0, 2)));
        // geometry: test class grows to the right, training class downwards
        Rectangle max = heatmap.cellBounds(2, 0);
        Rectangle min = heatmap.cellBounds(0, 2);
        assertEquals(true, max.x < min.x && max.y > min.y);
        // the only cells of the plot in the red end colour are the max cell
        int redCells = 0;
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                redCells += corner(png, heatmap.cellBounds(a, b)) == RED_END ? 1 : 0;
            }
        }
        assertEquals(1, redCells);
    }

    @Test
    void colourScaleIsSymmetricAroundZero() {
        Heatmap heatmap =
                Heatmap.builder().setValues(KNOWN).setClassNames(List.of("a", "b", "c")).build();
        assertEquals(0.8, heatmap.range(), 0);
        assertEquals(WHITE_MID, heatmap.colorOf(0).getRGB() & 0xFFFFFF);
        assertEquals(
                RED_END, heatmap.colorOf(5).getRGB() & 0xFFFFFF, "values beyond the range clip");
        Heatmap fixed =
                Heatmap.builder()
                        .setValues(KNOWN)
                        .setClassNames(List.of("a", "b", "c"))
                        .optRange(1.6)
                        .build();
        assertNotEquals(RED_END, fixed.colorOf(0.8).getRGB() & 0xFFFFFF);
    }

    @Test
    void normalizedInterClassMatrixIsDrawn() throws Exception {
        // train labels 0,0,1 ; test labels 0,1: class 1 helps class 1 only, class 0 helps class 0
        double[][] c = {{1.0, 0.0}, {1.0, 0.0}, {0.0, 2.0}};
        ContributionMatrix m = new ContributionMatrix(c, new int[] {0, 1, 2}, new int[] {0, 1});
        Heatmap heatmap =
                Heatmap.builder()
                        .setMatrix(m.interClass(new int[] {0, 0, 1}, new int[] {0, 1}, 2))
                        .setClassNames(List.of("x", "y"))
                        .build();
        BufferedImage png = render(heatmap);
        // normalized diagonal = 2/sqrt(2*2) = 1 and 2/sqrt(2*2) = 1: both red ends; off-diagonal 0
        assertEquals(RED_END, corner(png, heatmap.cellBounds(0, 0)));
        assertEquals(RED_END, corner(png, heatmap.cellBounds(1, 1)));
        assertEquals(WHITE_MID, corner(png, heatmap.cellBounds(0, 1)));
    }

    @Test
    void rejectsMismatchedNames() {
        assertThrows(
                IllegalArgumentException.class,
                () -> Heatmap.builder().setValues(KNOWN).setClassNames(List.of("a", "b")).build());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        Heatmap.builder()
                                .setValues(new double[][] {{1, 2}})
                                .setClassNames(List.of("a"))
                                .build());
    }
}
