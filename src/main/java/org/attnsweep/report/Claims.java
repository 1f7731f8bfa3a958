package org.attnsweep.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.attnsweep.model.Metric;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.Bootstrap;
import org.attnsweep.sweep.OutputDir;

/**
 * The papers' claims against our results, each with a verdict computed from the numbers — never
 * written by hand. A claim is one of three kinds, each with its rule stated in {@code why}:
 * a <b>value</b> (ours within a stated tolerance of the paper's), a <b>direction</b> (the
 * {@link Bootstrap} interval of our statistic lies wholly on the claimed side of 0) or a
 * <b>threshold</b> (our statistic at or above a stated level). A claim whose preset was not run or
 * whose statistic cannot be computed is "not measurable", with the reason.
 */
public final class Claims {
    private Claims() {
    }

    /** "Near 1000": the fitted C within this factor of paper A's C. */
    static final double NEAR_FACTOR = 2;
    /** A benign final test error within this of p (the test sets' sampling error is about 0.03 at 100 test samples). */
    static final double ERROR_TOLERANCE = 0.05;
    /** The boundary N·SNR² = C describes a map when its fit explains at least this share of the variance. */
    static final double MIN_R2 = 0.5;
    /** Heatmaps of different p are "highly correlated" at this Pearson r or above. */
    static final double MIN_CORRELATION = 0.8;

    /** A claim's outcome. */
    public enum Verdict {
        HOLDS("holds"), DIFFERS("differs"), NOT_MEASURABLE("not measurable");

        public final String word;

        Verdict(String word) {
            this.word = word;
        }
    }

    /**
     * One claim and how it came out.
     *
     * @param paperValue the paper's value ("" where it states a direction only)
     * @param mean       our statistic (NaN where none)
     * @param lo         its interval's lower end (NaN where none)
     * @param hi         its interval's upper end
     */
    public record Claim(String id, String paper, String figure, String statement, String paperValue, double mean, double lo, double hi,
            Verdict verdict, String why) {
    }

    /** The claim with its source fields, before it is measured. */
    record About(String id, String paper, String figure, String statement, String paperValue) {
        Claim with(double mean, double lo, double hi, Verdict v, String why) {
            return new Claim(id, paper, figure, statement, paperValue, mean, lo, hi, v, why);
        }

        Claim notMeasurable(String why) {
            return with(Double.NaN, Double.NaN, Double.NaN, Verdict.NOT_MEASURABLE, why);
        }
    }

    // ---- the three rules -------------------------------------------------------------------

    /** Direction: holds when the bootstrap interval of the mean of {@code perRun} lies wholly on the side of {@code sign}. */
    static Claim direction(About a, double[] perRun, int sign, String what) {
        double[] x = java.util.Arrays.stream(perRun).filter(Double::isFinite).toArray();
        if (x.length < 2) return a.notMeasurable(what + ": " + x.length + " finite run(s), need 2 for an interval");
        double mean = java.util.Arrays.stream(x).average().orElseThrow();
        Bootstrap.Interval ci = Bootstrap.ofMean(x);
        return direction(a, mean, ci, sign, what + " over " + x.length + " runs");
    }

    /** Direction of a statistic with a given interval. */
    static Claim direction(About a, double mean, Bootstrap.Interval ci, int sign, String what) {
        if (!ci.known()) return a.notMeasurable(what + ": no interval (too few repeats)");
        boolean holds = sign > 0 ? ci.lo() > 0 : ci.hi() < 0;
        String side = sign > 0 ? "above 0" : "below 0";
        return a.with(mean, ci.lo(), ci.hi(), holds ? Verdict.HOLDS : Verdict.DIFFERS, what + " = " + Fmt.num(mean) + ", "
                + pct() + " interval [" + Fmt.num(ci.lo()) + ", " + Fmt.num(ci.hi()) + "] " + (holds ? "lies wholly " + side
                : "is not wholly " + side) + " (rule: holds when the interval lies wholly " + side + ")");
    }

    /** Value: holds when the interval of the mean of {@code perRun} overlaps target ± tolerance. */
    static Claim near(About a, double[] perRun, double target, double tolerance, String what) {
        double[] x = java.util.Arrays.stream(perRun).filter(Double::isFinite).toArray();
        if (x.length < 2) return a.notMeasurable(what + ": " + x.length + " finite run(s), need 2 for an interval");
        double mean = java.util.Arrays.stream(x).average().orElseThrow();
        Bootstrap.Interval ci = Bootstrap.ofMean(x);
        boolean holds = ci.hi() >= target - tolerance && ci.lo() <= target + tolerance;
        return a.with(mean, ci.lo(), ci.hi(), holds ? Verdict.HOLDS : Verdict.DIFFERS, what + " over " + x.length + " runs = "
                + Fmt.num(mean) + ", " + pct() + " interval [" + Fmt.num(ci.lo()) + ", " + Fmt.num(ci.hi()) + "] "
                + (holds ? "overlaps " : "misses ") + Fmt.num(target) + " ± " + Fmt.num(tolerance)
                + " (rule: holds when the interval overlaps the paper's value ± " + Fmt.num(tolerance) + ")");
    }

    private static String pct() {
        return Math.round(100 * Bootstrap.LEVEL) + "%";
    }

    // ---- the claims ------------------------------------------------------------------------

    /** A Fig. 1: the boundary N·SNR² = C with C near 1000 (within {@value #NEAR_FACTOR}×). */
    static Claim boundaryA(List<Aggregate.Cell> cells, double cutoff) {
        About a = new About("A-boundary", "A", "Fig. 1", "benign iff N·SNR² exceeds a constant: the boundary N·SNR² = C with C near 1000",
                "C = 1000");
        if (cells.isEmpty()) return a.notMeasurable("jiang-heatmap was not run");
        List<Aggregate.Fit> fits = Aggregate.boundary(cells, cutoff);
        if (fits.size() != 1 || !Double.isFinite(fits.get(0).C())) {
            return a.notMeasurable("no cell's mean test loss is below the cutoff " + Fmt.num(cutoff) + ": no C to fit");
        }
        Aggregate.Fit f = fits.get(0);
        double ratio = f.C() / Verdicts.PAPER_A_C;
        boolean holds = ratio >= 1 / NEAR_FACTOR && ratio <= NEAR_FACTOR;
        return a.with(f.C(), f.cLo(), f.cHi(), holds ? Verdict.HOLDS : Verdict.DIFFERS, "fitted C = " + Fmt.num(f.C()) + " ("
                + pct() + " bootstrap interval [" + Fmt.num(f.cLo()) + ", " + Fmt.num(f.cHi()) + "], R² = " + Fmt.num(f.r2()) + ", "
                + f.points() + " points) is " + Fmt.num(ratio) + "× paper A's 1000 (rule: holds within a factor " + Fmt.num(NEAR_FACTOR) + ")");
    }

    /** The change x(T) − x(0) of a metric over each run's curve. */
    static double[] change(Map<Integer, List<double[]>> curves, Metric m) {
        return curves.values().stream().mapToDouble(c -> c.get(c.size() - 1)[1 + m.ordinal()] - c.get(0)[1 + m.ordinal()]).toArray();
    }

    /** A metric's value in each run's curve at the first recorded step at or after {@code step}. */
    static double[] at(Map<Integer, List<double[]>> curves, Metric m, double step) {
        return curves.values().stream().mapToDouble(c -> c.stream().filter(row -> row[0] >= step).findFirst()
                .orElse(c.get(c.size() - 1))[1 + m.ordinal()]).toArray();
    }

    /** Every claim of the given papers on the results under {@code dir} (one directory per preset). */
    public static List<Claim> evaluate(Path dir, List<String> papers) {
        Map<String, Results> res = new LinkedHashMap<>();
        for (String preset : List.of("jiang-heatmap", "jiang-dynamics-benign", "jiang-dynamics-harmful", "zhang-dynamics", "zhang-phase",
                "zhang-lr", "zhang-vinit", "zhang-factors")) {
            Path d = dir.resolve(preset);
            if (Files.isRegularFile(d.resolve("summary.csv"))) {
                try {
                    res.put(preset, Results.load(d));
                } catch (IllegalArgumentException e) {
                    // no finished runs: its claims are not measurable
                }
            }
        }
        List<Claim> out = new ArrayList<>();
        if (papers.contains("A")) out.addAll(paperA(res));
        if (papers.contains("B")) out.addAll(paperB(res));
        return out;
    }

    private static Map<Integer, List<double[]>> curvesOf(Results r, Aggregate.Cell c) {
        return r.curves(r.runsOf(c));
    }

    static List<Claim> paperA(Map<String, Results> res) {
        List<Claim> out = new ArrayList<>();
        Results heat = res.get("jiang-heatmap");
        out.add(boundaryA(heat == null ? List.of() : heat.cells(), heat == null ? Results.DEFAULT_CUTOFF : heat.cutoff()));
        Results benign = res.get("jiang-dynamics-benign"), harmful = res.get("jiang-dynamics-harmful");
        About attn = new About("A-benign-attention", "A", "Fig. 3", "benign regime: attention moves to the signal token", "");
        About v = new About("A-benign-v-signal", "A", "Fig. 3", "benign regime: V on the signal, u(μ₊), grows", "");
        About hAttn = new About("A-harmful-attention", "A", "Fig. 3",
                "harmful regime: attention moves to the noise token more than to the signal", "");
        About hV = new About("A-harmful-noise-memorised", "A", "Fig. 3", "harmful regime: the noise tokens memorise the labels (v_noise grows)", "");
        About stages = new About("A-three-stages", "A", "Fig. 3",
                "three stages: initialization, then signal (benign) or noise (harmful) learning, then convergence", "");
        if (benign == null) {
            out.add(attn.notMeasurable("jiang-dynamics-benign was not run"));
            out.add(v.notMeasurable("jiang-dynamics-benign was not run"));
        } else {
            Map<Integer, List<double[]>> c = curvesOf(benign, benign.cells().get(0));
            out.add(direction(attn, change(c, Metric.ATTN_SIGNAL), 1, "change of the signal token's attention x(T) − x(0)"));
            out.add(direction(v, change(c, Metric.V_SIGNAL_POS), 1, "change of u(μ₊)"));
        }
        if (harmful == null) {
            out.add(hAttn.notMeasurable("jiang-dynamics-harmful was not run"));
            out.add(hV.notMeasurable("jiang-dynamics-harmful was not run"));
        } else {
            Map<Integer, List<double[]>> c = curvesOf(harmful, harmful.cells().get(0));
            double[] n = change(c, Metric.ATTN_NOISE), s = change(c, Metric.ATTN_SIGNAL), d = new double[n.length];
            for (int i = 0; i < d.length; i++) d[i] = n[i] - s[i];
            out.add(direction(hAttn, d, 1, "change of noise-token attention minus change of signal-token attention"));
            out.add(direction(hV, change(c, Metric.V_NOISE), 1, "change of v_noise"));
        }
        if (benign == null || harmful == null) {
            out.add(stages.notMeasurable("needs both jiang-dynamics presets"));
        } else {
            Stages b = Stages.of(new Figures(benign).bands().values().iterator().next());
            Stages h = Stages.of(new Figures(harmful).bands().values().iterator().next());
            boolean holds = b.found() && h.found() && b.signal() && !h.signal();
            out.add(stages.with(Double.NaN, Double.NaN, Double.NaN, holds ? Verdict.HOLDS : Verdict.DIFFERS,
                    "benign: " + b.describe() + "; harmful: " + h.describe() + " (rule: holds when both show stages, the benign run "
                            + "learning the signal token and the harmful one the noise token; stages as docs/math.md §5 defines them)"));
        }
        return out;
    }

    static List<Claim> paperB(Map<String, Results> res) {
        List<Claim> out = new ArrayList<>();
        Results dyn = res.get("zhang-dynamics");
        if (dyn == null) {
            out.add(new About("B-benign-error", "B", "Fig. 1", "benign regime: the final test error tends to p", "p")
                    .notMeasurable("zhang-dynamics was not run"));
        } else {
            for (Aggregate.Cell c : dyn.cells()) {
                double p = c.num("p");
                About a = new About("B-benign-error-p" + Fmt.num(p), "B", "Fig. 1", "benign regime: the final test error tends to p = " + Fmt.num(p),
                        Fmt.num(p));
                out.add(near(a, c.metrics().stream().mapToDouble(m -> m[Metric.TEST_ERROR.ordinal()]).toArray(), p, ERROR_TOLERANCE,
                        "final test error"));
            }
        }
        Results phase = res.get("zhang-phase");
        About grows = new About("B-harmful-loss-grows", "B", "Figs. 1-2", "harmful regime: the test loss grows during training", "");
        About corr = new About("B-heatmaps-correlated", "B", "Fig. 4", "the test-loss heatmaps of different p are highly correlated",
                "r ≥ " + Fmt.num(MIN_CORRELATION));
        if (phase == null) {
            out.add(grows.notMeasurable("zhang-phase was not run"));
            out.add(new About("B-C-per-p", "B", "Fig. 4", "a boundary N·SNR² = C at every p", "").notMeasurable("zhang-phase was not run"));
            out.add(corr.notMeasurable("zhang-phase was not run"));
        } else {
            // harmful cells: those the one criterion calls harmful; their runs' test loss x(T) − x(0)
            List<Integer> runs = new ArrayList<>();
            for (Aggregate.Cell c : phase.cells()) if (!Aggregate.benign(c, phase.cutoff()) && c.diverged() == 0) runs.addAll(phase.runsOf(c));
            out.add(runs.isEmpty() ? grows.notMeasurable("no cell of zhang-phase is harmful by the criterion")
                    : direction(grows, change(phase.curves(runs), Metric.TEST_LOSS), 1, "test loss x(T) − x(0) in the harmful cells"));
            for (Aggregate.Fit f : phase.fits()) {
                String p = f.group().getOrDefault("p", "?");
                About a = new About("B-C-p" + p, "B", "Fig. 4", "a boundary N·SNR² = C describes the map at p = " + p, "");
                out.add(!Double.isFinite(f.C()) ? a.notMeasurable("no cell at p = " + p + " is below the cutoff: no C")
                        : a.with(f.C(), f.cLo(), f.cHi(), f.r2() >= MIN_R2 ? Verdict.HOLDS : Verdict.DIFFERS, "C = " + Fmt.num(f.C())
                                + " [" + Fmt.num(f.cLo()) + ", " + Fmt.num(f.cHi()) + "], R² = " + Fmt.num(f.r2()) + " (rule: holds when R² ≥ "
                                + Fmt.num(MIN_R2) + "; B states no value of C)"));
            }
            ToDoubleFunction<List<Aggregate.Cell>> minR = cells -> Aggregate.correlations(cells).stream()
                    .mapToDouble(row -> Double.parseDouble(row[2])).min().orElse(Double.NaN);
            double r = minR.applyAsDouble(phase.cells());
            Bootstrap.Interval ci = Bootstrap.of(phase.cells(), minR);
            out.add(!Double.isFinite(r) ? corr.notMeasurable("fewer than two p with a common grid")
                    : corr.with(r, ci.lo(), ci.hi(), r >= MIN_CORRELATION ? Verdict.HOLDS : Verdict.DIFFERS, "smallest Pearson r between the "
                            + "mean test-loss maps of two p = " + Fmt.num(r) + " [" + Fmt.num(ci.lo()) + ", " + Fmt.num(ci.hi())
                            + "] (rule: holds when r ≥ " + Fmt.num(MIN_CORRELATION) + ")"));
        }
        out.add(paired(res.get("zhang-lr"), "lr", new About("B-learning-rate", "B", "Fig. 5",
                "a larger learning rate drives the training loss down sooner", ""), Metric.TRAIN_LOSS, 0.1, -1));
        out.add(paired(res.get("zhang-vinit"), "sigma_v", new About("B-v-init", "B", "Fig. 6",
                "a larger initialization of V (σ_V) ends with a larger test loss (direction as we read B's Fig. 6)", ""),
                Metric.TEST_LOSS, 1, 1));
        Results fac = res.get("zhang-factors");
        String[][] factors = {{"N", "-1", "decreases with N"}, {"p", "1", "increases with p"}, {"mu", "-1", "decreases with ‖μ‖"},
                {"sigma_p", "1", "increases with σ_p"}};
        for (String[] f : factors) {
            About a = new About("B-factor-" + f[0], "B", "Fig. 7", "the final test loss " + f[2], "");
            out.add(fac == null ? a.notMeasurable("zhang-factors was not run") : trend(fac, f[0], Integer.parseInt(f[1]), a));
        }
        return out;
    }

    /**
     * The largest value of {@code key} against the smallest, repeat by repeat (runs of equal repeat
     * share their draws): {@code metric} at the fraction {@code atFraction} of the steps, the
     * difference's direction tested against {@code sign}.
     */
    static Claim paired(Results r, String key, About a, Metric metric, double atFraction, int sign) {
        if (r == null) return a.notMeasurable("its preset was not run");
        List<Aggregate.Cell> cells = new ArrayList<>(r.cells());
        if (cells.size() < 2) return a.notMeasurable("fewer than two values of " + Notation.of(key));
        cells.sort(Comparator.comparingDouble(c -> c.num(key)));
        Aggregate.Cell lo = cells.get(0), hi = cells.get(cells.size() - 1);
        double step = atFraction * hi.num("steps");
        double[] a0 = at(curvesOf(r, lo), metric, step), a1 = at(curvesOf(r, hi), metric, step);
        int n = Math.min(a0.length, a1.length);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = a1[i] - a0[i];
        return direction(a, d, sign, Notation.of(metric) + " at step " + Fmt.num(step) + ", " + Notation.is(key, hi.config().get(key))
                + " minus " + Notation.is(key, lo.config().get(key)));
    }

    /** Spearman's rank correlation between {@code key} and the mean final test loss over the cells of the grid that varies it. */
    static Claim trend(Results r, String key, int sign, About a) {
        // the factor's own grid: the largest group of cells equal in every other varying column
        List<String> others = new ArrayList<>(r.varying());
        others.removeAll(List.of(key, "snr", "sigma", "sigma_p"));
        if (!key.equals("sigma_p")) others.add("sigma_p");
        Map<List<String>, List<Aggregate.Cell>> groups = new LinkedHashMap<>();
        for (Aggregate.Cell c : r.cells()) {
            List<String> g = new ArrayList<>();
            for (String o : others) if (c.config().containsKey(o)) g.add(c.config().get(o));
            groups.computeIfAbsent(g, x -> new ArrayList<>()).add(c);
        }
        List<Aggregate.Cell> grid = groups.values().stream().max(Comparator.comparingInt(List::size)).orElse(List.of());
        if (grid.stream().map(c -> c.config().get(key)).distinct().count() < 3) {
            return a.notMeasurable("fewer than three values of " + Notation.of(key));
        }
        ToDoubleFunction<List<Aggregate.Cell>> rho = cells -> spearman(cells.stream().mapToDouble(c -> c.num(key)).toArray(),
                cells.stream().mapToDouble(c -> c.mean(Metric.TEST_LOSS)).toArray());
        return direction(a, rho.applyAsDouble(grid), Bootstrap.of(grid, rho), sign,
                "Spearman's ρ of " + Notation.of(key) + " and the mean final test loss over " + grid.size() + " cells");
    }

    static double spearman(double[] x, double[] y) {
        double[] rx = ranks(x), ry = ranks(y);
        List<double[]> pairs = new ArrayList<>();
        for (int i = 0; i < x.length; i++) if (Double.isFinite(y[i])) pairs.add(new double[] {rx[i], ry[i]});
        if (pairs.size() < 3) return Double.NaN;
        double mx = 0, my = 0;
        for (double[] p : pairs) {
            mx += p[0];
            my += p[1];
        }
        mx /= pairs.size();
        my /= pairs.size();
        double sxy = 0, sxx = 0, syy = 0;
        for (double[] p : pairs) {
            sxy += (p[0] - mx) * (p[1] - my);
            sxx += (p[0] - mx) * (p[0] - mx);
            syy += (p[1] - my) * (p[1] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /** Average ranks (ties share their mean rank). */
    private static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
            for (int k = i; k <= j; k++) r[idx[k]] = (i + j) / 2.0 + 1;
            i = j + 1;
        }
        return r;
    }

    /** claims.csv: one row per claim. */
    public static String csv(List<Claim> claims) {
        StringBuilder sb = new StringBuilder("id,paper,figure,statement,paper_value,ours_mean,ours_lo,ours_hi,verdict,why\n");
        for (Claim c : claims) {
            sb.append(String.join(",", q(c.id()), q(c.paper()), q(c.figure()), q(c.statement()), q(c.paperValue()), OutputDir.num(c.mean()),
                    OutputDir.num(c.lo()), OutputDir.num(c.hi()), q(c.verdict().word), q(c.why()))).append('\n');
        }
        return sb.toString();
    }

    /** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
    private static String q(String s) {
        return s.matches("[^,\"\\n\\r]*") ? s : "\"" + s.replace("\"", "\"\"") + "\"";
    }
}
