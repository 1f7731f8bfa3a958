package org.attnsweep.report;

import java.awt.Color;
import java.awt.Paint;
import org.jfree.chart.renderer.PaintScale;

/**
 * A perceptually uniform colour scale (matplotlib's viridis, sampled at nine stops and
 * interpolated linearly in RGB) from {@code lower} (dark purple) to {@code upper} (yellow).
 * Values outside are clamped; NaN (a cell whose runs all diverged) is grey.
 */
final class ColourScale implements PaintScale {
    private static final Color[] STOPS = {new Color(0x440154), new Color(0x472d7b), new Color(0x3b528b),
            new Color(0x2c728e), new Color(0x21918c), new Color(0x28ae80), new Color(0x5ec962), new Color(0xaddc30),
            new Color(0xfde725)};
    /** The colour of a value that is not a number. */
    static final Color MISSING = new Color(0xbdbdbd);

    private final double lower, upper;

    ColourScale(double lower, double upper) {
        this.lower = lower;
        this.upper = upper > lower ? upper : lower + 1;
    }

    /** The colour at fraction f ∈ [0, 1] of the scale. */
    static Color at(double f) {
        double x = Math.clamp(f, 0, 1) * (STOPS.length - 1);
        int i = Math.min((int) x, STOPS.length - 2);
        double w = x - i;
        Color a = STOPS[i], b = STOPS[i + 1];
        return new Color((int) Math.round(a.getRed() + w * (b.getRed() - a.getRed())),
                (int) Math.round(a.getGreen() + w * (b.getGreen() - a.getGreen())),
                (int) Math.round(a.getBlue() + w * (b.getBlue() - a.getBlue())));
    }

    @Override
    public double getLowerBound() {
        return lower;
    }

    @Override
    public double getUpperBound() {
        return upper;
    }

    @Override
    public Paint getPaint(double value) {
        if (Double.isNaN(value)) return MISSING;
        return at((value - lower) / (upper - lower));
    }
}
