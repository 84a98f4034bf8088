package ai.hydra.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class ChartsTest {

    private static final double[] EPOCHS = {4, 8, 12, 16};

    private static LinePlot errorPlot() {
        return LinePlot.builder()
                .setTitle("Fig. 3: approximation error")
                .optAxisTitles("epoch", "mean l2 error")
                .addSeries("HYDRA", EPOCHS, new double[] {0.2, 0.5, 0.7, 0.72})
                .addSeries("other", new double[] {8, 20}, new double[] {0.1, 0.3})
                .addReferenceLevel("paper: 0.74", 0.74)
                .optSize(640, 400)
                .build();
    }

    private static GroupedBarChart table3() {
        return GroupedBarChart.builder()
                .setTitle("Table 3")
                .setCategories(List.of("MNIST", "Fashion-MNIST", "CIFAR-10"))
                .optYAxisTitle("accuracy (%)")
                .addMethod(
                        "HYDRA",
                        new double[] {97.5, 84.1, Double.NaN},
                        new double[] {0.3, 1.2, Double.NaN},
                        new double[] {98.31, 86.72, 72.01})
                .addMethod(
                        "random",
                        new double[] {71.0, 77.9, 30.2},
                        new double[] {2.0, 1.5, Double.NaN},
                        null)
                .build();
    }

    @Test
    void linePlotHoldsTheSeriesAndTheReferenceLevel() {
        XYChart chart = errorPlot().toChart();
        XYSeries hydra = chart.getSeriesMap().get("HYDRA");
        assertArrayEquals(EPOCHS, hydra.getXData());
        assertArrayEquals(new double[] {0.2, 0.5, 0.7, 0.72}, hydra.getYData());
        XYSeries paper = chart.getSeriesMap().get("paper: 0.74");
        assertArrayEquals(new double[] {4, 20}, paper.getXData(), "spans all measured x values");
        assertArrayEquals(new double[] {0.74, 0.74}, paper.getYData());
        assertEquals(3, chart.getSeriesMap().size());
    }

    @Test
    void barChartPutsPublishedValuesBesideMeasuredOnes() {
        CategoryChart chart = table3().toChart();
        assertEquals(
                List.of("HYDRA", "HYDRA (paper)", "random"),
                List.copyOf(chart.getSeriesMap().keySet()));
        CategorySeries hydra = chart.getSeriesMap().get("HYDRA");
        assertEquals(Arrays.asList(97.5, 84.1, null), new ArrayList<>(hydra.getYData()));
        assertEquals(null, hydra.getExtraValues(), "a series with a gap has no error bars");
        CategorySeries random = chart.getSeriesMap().get("random");
        assertEquals(List.of(71.0, 77.9, 30.2), List.copyOf(random.getYData()));
        assertEquals(List.of(2.0, 1.5, 0.0), List.copyOf(random.getExtraValues()));
        assertEquals(
                List.of(98.31, 86.72, 72.01),
                List.copyOf(chart.getSeriesMap().get("HYDRA (paper)").getYData()));
        assertEquals(List.of("MNIST", "Fashion-MNIST", "CIFAR-10"), List.copyOf(hydra.getXData()));
    }

    @Test
    void pngsHaveTheRequestedSizeAndNoTemporaryFilesRemain(@TempDir Path dir) throws IOException {
        Path line = dir.resolve("sub/fig3.png");
        errorPlot().writePng(line);
        Path bars = dir.resolve("table3.png");
        table3().writePng(bars);
        assertPng(line, 640, 400);
        String view = System.getProperty("hydra.test.chartDir"); // to look at the charts
        if (view != null) {
            errorPlot().writePng(Path.of(view, "line.png"));
            table3().writePng(Path.of(view, "bars.png"));
        }
        assertPng(bars, 900, 500);
        table3().writePng(bars); // replaces
        assertPng(bars, 900, 500);
        try (Stream<Path> files = Files.walk(dir)) {
            assertEquals(
                    List.of("fig3.png", "table3.png"),
                    files.filter(Files::isRegularFile)
                            .map(p -> p.getFileName().toString())
                            .sorted()
                            .toList());
        }
    }

    @Test
    void aFailedWriteLeavesNoTruncatedFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("plot.png");
        Files.createDirectories(target.resolve("blocker")); // a non-empty folder cannot be replaced
        assertThrows(IOException.class, () -> errorPlot().writePng(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList(), "the temporary file was removed");
        }
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> LinePlot.builder().addSeries("s", EPOCHS, new double[] {1}));
        assertTrue(e.getMessage().contains("4 x values and 1 y values"), e.getMessage());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                LinePlot.builder()
                                        .addSeries(
                                                "s", new double[] {1}, new double[] {Double.NaN}));
        assertTrue(e.getMessage().contains("'s'"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> LinePlot.builder().build());
        e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                GroupedBarChart.builder()
                                        .setCategories(List.of("a", "b"))
                                        .addMethod("m", new double[] {1}, null, null));
        assertEquals("method 'm': mean has 1 values for 2 categories", e.getMessage());
        assertThrows(
                IllegalStateException.class,
                () -> GroupedBarChart.builder().addMethod("m", new double[] {1}, null, null));
    }

    private static void assertPng(Path file, int width, int height) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        assertArrayEquals(
                new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
                Arrays.copyOf(bytes, 8));
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(width, image.getWidth());
        assertEquals(height, image.getHeight());
    }
}
