package org.attnsweep.report;

import java.util.Locale;
import org.attnsweep.model.Metric;

/**
 * The stage boundaries of paper B's training dynamics, read off a cell's mean attention curves.
 * The learned token is the one whose attention grows more from the first to the last recorded
 * step: the signal token (benign: initialization → signal learning → convergence) or noise token 2
 * (harmful: initialization → noise learning → divergence). With x(t) its mean attention and
 * Δ = x(T) − x(0), f(t) = (x(t) − x(0)) / Δ is the fraction of the total change done by step t;
 * initialization ends at the first recorded t with f(t) ≥ {@value #INIT_FRACTION}, and signal
 * (or noise) learning ends at the first recorded t with f(t) ≥ {@value #LEARNED_FRACTION}.
 * When the attention moves by less than {@value #MIN_CHANGE} in total there are no stages to find.
 *
 * @param signal  whether the signal token is the learned one (else noise token 2)
 * @param delta   Δ, the total change of the learned token's attention
 * @param from    x(0)
 * @param to      x(T)
 * @param initEnd t₁, the end of initialization (NaN when the attention did not move)
 * @param learnEnd t₂, the end of signal or noise learning (NaN when the attention did not move)
 */
record Stages(boolean signal, double delta, double from, double to, double initEnd, double learnEnd) {
    /** Initialization ends when the attention has done this fraction of its total change. */
    static final double INIT_FRACTION = 0.1;
    /** Signal (noise) learning ends when the attention has done this fraction of its total change. */
    static final double LEARNED_FRACTION = 0.9;
    /** Below this total change of attention (out of 1) the curves are flat: no stages. */
    static final double MIN_CHANGE = 0.02;
    /** The definition above in words, for captions and the report. */
    static final String DEFINITION = "Stages (from the mean attention curves): the learned token is the one whose attention "
            + "grows more from t = 0 to the last step (signal token: benign; noise token 2: harmful); with x(t) its attention and "
            + "Δ = x(T) − x(0), initialization ends at t₁, the first recorded step where x has done " + Math.round(100 * INIT_FRACTION)
            + "% of Δ, and signal (noise) learning ends at t₂, the first recorded step where it has done " + Math.round(100 * LEARNED_FRACTION)
            + "% of Δ; then convergence (benign) or divergence (harmful), B's names. A total change below " + MIN_CHANGE
            + " means no stages.";

    /** The stages of a cell's band. */
    static Stages of(Band b) {
        double[] s = b.mean(Metric.ATTN_SIGNAL), n = b.mean(Metric.ATTN_NOISE);
        int last = b.t().length - 1;
        boolean signal = !(n[last] - n[0] > s[last] - s[0]);
        double[] x = signal ? s : n;
        double delta = x[last] - x[0];
        if (!(Math.abs(delta) >= MIN_CHANGE)) return new Stages(signal, delta, x[0], x[last], Double.NaN, Double.NaN);
        return new Stages(signal, delta, x[0], x[last], first(b.t(), x, delta, INIT_FRACTION), first(b.t(), x, delta, LEARNED_FRACTION));
    }

    private static double first(double[] t, double[] x, double delta, double fraction) {
        for (int i = 0; i < t.length; i++) if ((x[i] - x[0]) / delta >= fraction) return t[i];
        return t[t.length - 1];
    }

    /** Whether the attention moved enough to have stages. */
    boolean found() {
        return !Double.isNaN(initEnd);
    }

    /** "signal learning" or "noise learning". */
    String learning() {
        return signal ? "signal learning" : "noise learning";
    }

    /** B's name for the third stage of this regime. */
    String third() {
        return signal ? "convergence" : "divergence";
    }

    /** One line for tables and captions. */
    String describe() {
        if (!found()) return String.format(Locale.ROOT, "attention moved by %.3g (< %.2g): no stages", delta, MIN_CHANGE);
        return String.format(Locale.ROOT, "initialization until t₁ = %.0f, %s until t₂ = %.0f, then %s", initEnd, learning(), learnEnd, third());
    }
}
