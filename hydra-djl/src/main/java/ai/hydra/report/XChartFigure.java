package ai.hydra.report;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/** A report figure drawn by XChart: rendering and atomic PNG writing shared by the charts. */
interface XChartFigure {

    /**
     * Builds the XChart chart.
     *
     * @return a new chart
     */
    Chart<?, ?> toChart();

    /**
     * Renders the figure.
     *
     * @return an image of the configured size
     */
    default BufferedImage render() {
        return BitmapEncoder.getBufferedImage(toChart());
    }

    /**
     * Writes the figure as a PNG, atomically: a failure never leaves a truncated file behind.
     *
     * @param file the file; missing parent folders are created
     * @throws IOException if writing fails
     */
    default void writePng(Path file) throws IOException {
        Drawing.writePng(render(), file);
    }
}
