package ai.hydra.report;

import java.awt.Font;
import org.knowm.xchart.style.Styler;

/** Style and argument checks shared by the XChart-based report charts. */
final class Charts {

    private Charts() {}

    /** White background, the reports' font, no chart border, the legend below the plot. */
    static void style(Styler styler) {
        styler.setChartBackgroundColor(Drawing.BACKGROUND);
        styler.setPlotBackgroundColor(Drawing.BACKGROUND);
        styler.setChartFontColor(Drawing.TEXT);
        styler.setChartTitleFont(Drawing.font(Font.BOLD, 16));
        styler.setLegendFont(Drawing.font(Font.PLAIN, 12));
        styler.setLegendBorderColor(Drawing.BACKGROUND);
        styler.setPlotBorderVisible(false);
        styler.setAntiAlias(true);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
    }

    static int checkSize(String name, int value, int min) {
        if (value < min || value > 10_000) {
            throw new IllegalArgumentException(
                    name + " must be from " + min + " to 10000 pixels, got " + value);
        }
        return value;
    }

    static void checkFinite(String series, double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Double.isFinite(values[i])) {
                throw new IllegalArgumentException(
                        "series '"
                                + series
                                + "': value "
                                + values[i]
                                + " at index "
                                + i
                                + " is not finite");
            }
        }
    }
}
