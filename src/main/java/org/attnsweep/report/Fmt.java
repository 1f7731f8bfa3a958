package org.attnsweep.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;

/** Numbers as people read them in figures and the report: three significant digits, no exponent clutter. */
final class Fmt {
    private Fmt() {
    }

    /** 0.2 → "0.2", 2.80316 → "2.8", 1234.5 → "1230", 1.5e-5 → "1.5e-05"; NaN → "—". */
    static String num(double v) {
        if (Double.isNaN(v)) return "—";
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "−∞";
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e5) return new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
        return String.format(Locale.ROOT, "%.2e", v).replaceFirst("\\.?0+e", "e");
    }

    /** A mean ± standard deviation pair. */
    static String pm(double mean, double std) {
        return num(mean) + " ± " + num(std);
    }
}
