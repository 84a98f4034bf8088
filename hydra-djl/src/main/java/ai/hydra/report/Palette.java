package ai.hydra.report;

import java.awt.Color;

/**
 * The series colours of the report charts (Tableau 10), and the lighter tint of published values.
 */
final class Palette {

    private static final Color[] COLORS = {
        new Color(0x4E, 0x79, 0xA7),
        new Color(0xF2, 0x8E, 0x2B),
        new Color(0xE1, 0x57, 0x59),
        new Color(0x76, 0xB7, 0xB2),
        new Color(0x59, 0xA1, 0x4F),
        new Color(0xED, 0xC9, 0x48),
        new Color(0xB0, 0x7A, 0xA1),
        new Color(0xFF, 0x9D, 0xA7),
        new Color(0x9C, 0x75, 0x5F),
        new Color(0xBA, 0xB0, 0xAC)
    };

    /** Colour of reference levels (published values) in line plots. */
    static final Color REFERENCE = new Color(0x55, 0x55, 0x55);

    private Palette() {}

    /** Returns the colour of the i-th series (cycling). */
    static Color color(int index) {
        return COLORS[index % COLORS.length];
    }

    /** Returns a lighter tint: the colour mixed with white, {@code amount} in [0, 1]. */
    static Color tint(Color color, double amount) {
        return new Color(
                mix(color.getRed(), amount),
                mix(color.getGreen(), amount),
                mix(color.getBlue(), amount));
    }

    private static int mix(int channel, double amount) {
        return (int) Math.round(channel + (255 - channel) * amount);
    }
}
