package org.attnsweep.sweep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * Percentile bootstrap over repeats: every cell's runs are drawn with replacement (the cells
 * themselves, the grid, stay fixed), a statistic of the cells is recomputed on each of
 * {@value #RESAMPLES} resamples, and the interval is the central {@value #LEVEL} of the values.
 * The generator is seeded with {@link #SEED}, so the same results always give the same interval.
 */
public final class Bootstrap {
    private Bootstrap() {
    }

    /** Resamples per interval: fixed, so intervals are comparable across reports. */
    public static final int RESAMPLES = 400;
    /** Coverage of the interval. */
    public static final double LEVEL = 0.95;
    /** The generator's seed. */
    public static final long SEED = 20241001L;

    /** An interval [lo, hi]; NaN ends when it cannot be computed (no repeats, or the statistic is rarely finite). */
    public record Interval(double lo, double hi) {
        public static final Interval NONE = new Interval(Double.NaN, Double.NaN);

        public boolean known() {
            return Double.isFinite(lo) && Double.isFinite(hi);
        }
    }

    /**
     * The interval of {@code stat} over resamples of the cells' runs. It is {@link Interval#NONE}
     * when no cell has two runs (nothing to resample) or when fewer than half the resamples give a
     * finite value (a fit that mostly fails has no meaningful interval).
     */
    public static Interval of(List<Aggregate.Cell> cells, ToDoubleFunction<List<Aggregate.Cell>> stat) {
        if (cells.stream().noneMatch(c -> c.metrics().size() > 1)) return Interval.NONE;
        SplittableRandom rng = new SplittableRandom(SEED);
        double[] v = new double[RESAMPLES];
        int n = 0;
        for (int b = 0; b < RESAMPLES; b++) {
            List<Aggregate.Cell> draw = new ArrayList<>(cells.size());
            for (Aggregate.Cell c : cells) {
                List<Aggregate.Run> runs = c.runs();
                List<Aggregate.Run> picked = new ArrayList<>(runs.size());
                for (int i = 0; i < runs.size(); i++) picked.add(runs.get(rng.nextInt(runs.size())));
                draw.add(new Aggregate.Cell(c.config(), picked));
            }
            double s = stat.applyAsDouble(draw);
            if (Double.isFinite(s)) v[n++] = s;
        }
        return 2 * n < RESAMPLES ? Interval.NONE : percentiles(Arrays.copyOf(v, n));
    }

    /** The interval of the mean of {@code values} (non-finite values left out), resampling the values. */
    public static Interval ofMean(double[] values) {
        double[] x = Arrays.stream(values).filter(Double::isFinite).toArray();
        if (x.length < 2) return Interval.NONE;
        SplittableRandom rng = new SplittableRandom(SEED);
        double[] v = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) s += x[rng.nextInt(x.length)];
            v[b] = s / x.length;
        }
        return percentiles(v);
    }

    private static Interval percentiles(double[] v) {
        Arrays.sort(v);
        double tail = (1 - LEVEL) / 2;
        return new Interval(quantile(v, tail), quantile(v, 1 - tail));
    }

    /** Linear interpolation between order statistics (type 7, numpy's default) of sorted {@code v}. */
    static double quantile(double[] v, double q) {
        double h = (v.length - 1) * q;
        int i = (int) Math.floor(h);
        return i + 1 < v.length ? v[i] + (h - i) * (v[i + 1] - v[i]) : v[i];
    }
}
