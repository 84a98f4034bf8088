package ai.hydra.report;

import ai.hydra.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Small Java2D helpers shared by the report figures (headless). */
final class Drawing {

    static final String FONT_FAMILY = Font.SANS_SERIF;
    static final Color TEXT = new Color(0x22, 0x22, 0x22);
    static final Color BACKGROUND = Color.WHITE;

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Drawing() {}

    /** Creates a white RGB canvas and its anti-aliased graphics (text only; shapes stay crisp). */
    static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(
                RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(
                RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setColor(BACKGROUND);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }

    /** Draws text horizontally centred on {@code centerX} with its baseline at {@code baseline}. */
    static void centered(Graphics2D g, String text, int centerX, int baseline) {
        FontMetrics metrics = g.getFontMetrics();
        g.drawString(text, centerX - metrics.stringWidth(text) / 2, baseline);
    }

    /** Shortens text with an ellipsis until it fits {@code maxWidth} pixels. */
    static String fit(Graphics2D g, String text, int maxWidth) {
        FontMetrics metrics = g.getFontMetrics();
        if (metrics.stringWidth(text) <= maxWidth) {
            return text;
        }
        String shortened = text;
        while (shortened.length() > 1 && metrics.stringWidth(shortened + "…") > maxWidth) {
            shortened = shortened.substring(0, shortened.length() - 1);
        }
        return shortened + "…";
    }

    /** Formats a score compactly with its sign, e.g. {@code +1.2e-03}. */
    static String score(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        return String.format(Locale.ROOT, "%+.1e", value);
    }

    /**
     * Writes a PNG, creating the parent folder, replacing {@code file} atomically ({@link
     * AtomicFiles}): a failure (e.g. a full disk) never leaves a truncated PNG under the final
     * name.
     */
    static void writePng(BufferedImage image, Path file) throws IOException {
        AtomicFiles.write(
                file,
                out -> {
                    if (!ImageIO.write(image, "png", out)) {
                        throw new IOException("No PNG writer is available to write " + file);
                    }
                });
    }

    /** Returns a font of the shared family. */
    static Font font(int style, int size) {
        return new Font(FONT_FAMILY, style, size);
    }
}
