package org.attnsweep.report;

import java.awt.Color;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.attnsweep.model.Loss;
import org.attnsweep.model.Metric;
import org.attnsweep.sweep.Aggregate;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.ValueMarker;

/**
 * Decides which figures of docs/math.md §6 a results directory supports and draws them:
 * <ul>
 * <li>{@code heatmap[-group]}: mean test loss over (SNR, N), one per group of the other varying
 * columns (p, usually) whose cells form a grid, beside the map thresholded at the cutoff, both with
 * the fitted N·SNR² = C (A Fig. 1, B Figs. 2–3);</li>
 * <li>{@code critical-c}: the fitted C against p (B Fig. 4); {@code critical-c-loss} and
 * {@code critical-c-batch}: against the training loss and the mini-batch size B (docs/math.md §8, the
 * loss-phase and sgd-phase presets); {@code heads-c}: against the number of heads H (heads-phase,
 * docs/math.md §7);</li>
 * <li>{@code factors}: final test loss against N, p, ‖μ‖ and σ_p where they vary (B Fig. 7), and test
 * error against the test-set shifts θ, test σ scale and test p (ood-angle);</li>
 * <li>{@code compare-<column>}: training curves per value when one column varies over a few cells,
 * e.g. η (B Fig. 5), σ_V (B Fig. 6), p (B Fig. 1);</li>
 * <li>{@code dynamics[-cell]}: per cell with few cells, losses, attention, V and QK curves as
 * mean ± 2σ over repeats with the stage boundaries marked (A Fig. 3, B Fig. 1).</li>
 * </ul>
 */
public final class Figures {
    /** Curves are drawn for at most this many cells (a heatmap sweep has thousands). */
    static final int MAX_CURVE_CELLS = 8;
    /** A factor panel needs at least this many values of its column in one series. */
    static final int MIN_FACTOR_VALUES = 3;
    /** The columns of B Fig. 7's factor panels. */
    static final List<String> FACTORS = List.of("N", "p", "mu", "sigma_p", "test_signal_angle", "test_sigma_scale", "test_p");
    /** The factors that shift the test set only: their panels show test error, what a shift moves. */
    static final List<String> SHIFTS = List.of("test_signal_angle", "test_sigma_scale", "test_p");

    private static final int PANEL_W = 720, PANEL_H = 520;
    private static final String STEP = Notation.of("step");

    private final Results r;
    private final List<String> axes;
    private final Map<Aggregate.Cell, Band> bands = new LinkedHashMap<>();
    /** " (hinge loss)" when every run trained one loss other than the logistic, else "": loss axes say which loss. */
    private final String lossWords;

    /** Reads the curves of the cells that get curve figures (at most {@value #MAX_CURVE_CELLS} cells). */
    public Figures(Results r) {
        this.r = r;
        this.axes = axes(r.varying());
        List<String> losses = r.cells().stream().map(c -> c.config().get("loss")).distinct().toList();
        lossWords = losses.size() == 1 && losses.get(0) != null && !losses.get(0).equals(Loss.LOGISTIC.key())
                ? " (" + losses.get(0) + " loss)" : "";
        if (r.cells().size() <= MAX_CURVE_CELLS) {
            List<Integer> runs = new ArrayList<>();
            for (Aggregate.Cell c : r.cells()) runs.addAll(r.runsOf(c));
            Map<Integer, List<double[]>> curves = r.curves(runs);
            for (Aggregate.Cell c : r.cells()) {
                List<List<double[]>> mine = new ArrayList<>();
                for (int run : r.runsOf(c)) if (curves.containsKey(run)) mine.add(curves.get(run));
                if (!mine.isEmpty()) bands.put(c, Band.of(mine));
            }
        }
    }

    /**
     * The varying columns a reader thinks of as the sweep's axes: SNR is derived from ‖μ‖, σ_p and
     * d, and σ_p is the readable name of σ when the σ list varies.
     */
    static List<String> axes(List<String> varying) {
        List<String> a = new ArrayList<>(varying);
        if (a.stream().anyMatch(k -> List.of("mu", "sigma", "sigma_p", "d").contains(k))) a.remove("snr");
        if (a.contains("sigma_p")) a.remove("sigma");
        return a;
    }

    /** The mean curves of the cells with curve figures, in cell order. */
    Map<Aggregate.Cell, Band> bands() {
        return bands;
    }

    /** "η = 0.05, p = 0.1": a cell's values of the sweep's axes ("all runs" for a single cell). */
    String label(Aggregate.Cell c) {
        List<String> parts = new ArrayList<>();
        for (String k : axes) parts.add(Notation.is(k, c.config().get(k)));
        return parts.isEmpty() ? "all runs" : String.join(", ", parts);
    }

    /** Every figure the data supports, in the order the report shows them. */
    public List<Figure> all() {
        List<Figure> out = new ArrayList<>();
        Map<Map<String, String>, List<Aggregate.Cell>> grids = grids(r);
        grids.forEach((group, cells) -> out.add(heatmap(group, cells)));
        Figure c = criticalC(grids);
        if (c != null) out.add(c);
        Figure f = factors(!grids.isEmpty());
        if (f != null) out.add(f);
        if (axes.size() == 1 && bands.size() >= 2) out.add(compare(axes.get(0)));
        bands.forEach((cell, band) -> out.add(dynamics(cell, band)));
        return out;
    }

    /**
     * The groups of cells (equal in every varying column but N, ‖μ‖ and SNR — the groups of the
     * boundary fit) that cover at least half of a grid of ≥ 2 N values × ≥ 2 SNR values.
     */
    static Map<Map<String, String>, List<Aggregate.Cell>> grids(Results r) {
        Map<Map<String, String>, List<Aggregate.Cell>> groups = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(r.varying());
        keys.removeAll(List.of("N", "mu", "snr"));
        if (!r.varying().contains("N") || !r.varying().contains("mu")) return groups;
        for (Aggregate.Cell c : r.cells()) {
            Map<String, String> g = new LinkedHashMap<>();
            for (String k : keys) g.put(k, c.config().get(k));
            groups.computeIfAbsent(g, x -> new ArrayList<>()).add(c);
        }
        groups.values().removeIf(cells -> {
            int n = distinct(cells, "N").length, s = distinct(cells, "snr").length;
            return n < 2 || s < 2 || 2 * cells.size() < n * s;
        });
        return groups;
    }

    private static double[] distinct(List<Aggregate.Cell> cells, String key) {
        TreeSet<Double> v = new TreeSet<>();
        for (Aggregate.Cell c : cells) v.add(c.num(key));
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static String slug(Map<String, String> values) {
        StringBuilder sb = new StringBuilder();
        values.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : "-").append(k).append(v));
        return sb.toString().replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String words(Map<String, String> values) {
        List<String> parts = new ArrayList<>();
        values.forEach((k, v) -> parts.add(Notation.is(k, v)));
        return String.join(", ", parts);
    }

    private Figure heatmap(Map<String, String> group, List<Aggregate.Cell> cells) {
        double[][] rows = new double[cells.size()][];
        for (int i = 0; i < rows.length; i++) {
            Aggregate.Cell c = cells.get(i);
            rows[i] = new double[] {c.num("snr"), c.num("N"), c.mean(Metric.TEST_LOSS)};
        }
        Aggregate.Fit fit = r.fitOf(cells.get(0));
        double C = fit == null ? Double.NaN : fit.C();
        String interval = fit != null && Double.isFinite(fit.cLo()) ? " [" + Fmt.num(fit.cLo()) + ", " + Fmt.num(fit.cHi()) + "]" : "";
        // Image runs (docs/math.md §7) record SNR = μ, the image weight: say so rather than the synthetic
        // formula, and draw no paper-A curve, whose constant is in the synthetic SNR's units.
        boolean images = cells.stream().allMatch(c -> c.num("snr") == c.num("mu"));
        Charts.Curve fitted = new Charts.Curve(C, "fit: N·SNR² = " + Fmt.num(C) + interval + (fit == null ? "" : ", R² = " + Fmt.num(fit.r2())),
                Charts.THEORY, false);
        List<Charts.Curve> curves = images ? List.of(fitted)
                : List.of(new Charts.Curve(Verdicts.PAPER_A_C, "paper A: N·SNR² = 1000", Charts.PAPER, true), fitted);
        // The boundary fit's rule (Aggregate.benign): benign when the test loss exceeds the Bayes
        // loss H(p) by less than the cutoff, so the map is thresholded at H(p) + cutoff.
        double h = group.containsKey("p") ? Aggregate.bayesLoss(Double.parseDouble(group.get("p"))) : 0;
        double threshold = h + r.cutoff();
        List<JFreeChart> panels = Charts.heatmap(images ? "SNR = μ (image weight)" : "SNR = ‖μ‖ / (σ_p √d)", "N (training samples)", name(Metric.TEST_LOSS),
                distinct(cells, "snr"), distinct(cells, "N"), rows, threshold, curves);
        String where = group.isEmpty() ? "" : ", " + words(group);
        int repeats = cells.get(0).metrics().size();
        long diverged = cells.stream().filter(c -> c.diverged() > 0 || Double.isNaN(c.mean(Metric.TEST_LOSS))).count();
        String at = h > 0 ? "H(p) + cutoff = " + Fmt.num(h) + " + " + Fmt.num(r.cutoff()) : "the cutoff " + Fmt.num(r.cutoff());
        double maxN = distinct(cells, "N")[distinct(cells, "N").length - 1], maxSnr = distinct(cells, "snr")[distinct(cells, "snr").length - 1];
        String caption = "Left: mean final test loss over " + repeats + " repeat(s) per cell (N, SNR); grey cells have no finite value"
                + (diverged > 0 ? " (" + diverged + " of " + cells.size() + " cells have diverged runs)" : "") + ". "
                + "Right: the same map thresholded at " + at + " (dark: below, the benign side). "
                + (images ? "" : "Dashed magenta: paper A's curve N·SNR² = 1000"
                        + (maxN * maxSnr * maxSnr < Verdicts.PAPER_A_C ? " (outside this grid: every cell has N·SNR² < 1000)" : "") + ". ")
                + (Double.isFinite(C)
                        ? "Solid red: N·SNR² = C with C = " + Fmt.num(C) + interval + " (" + Math.round(100 * org.attnsweep.sweep.Bootstrap.LEVEL)
                                + "% bootstrap interval over repeats), the least-squares fit through, for each N, the smallest SNR whose mean test loss is below that threshold."
                        : "No cell's mean test loss fell below that threshold, so no C was fitted.");
        return new Figure(group.isEmpty() ? "heatmap" : "heatmap-" + slug(group), "Test loss over (SNR, N)" + where, caption, panels, 2,
                PANEL_W, PANEL_H + 40);
    }

    /**
     * The columns whose groups of heatmaps get a figure of their fitted C: p (B Fig. 4), the loss and B
     * (docs/math.md §8), the number of heads H (§7).
     */
    static final List<String> C_AGAINST = List.of("p", "loss", "batch_size", "heads");

    /** The figure of the fitted C against {@code key} ({@link #C_AGAINST}): critical-c for p, critical-c-loss, critical-c-batch, heads-c. */
    static String criticalName(String key) {
        return switch (key) {
            case "p" -> "critical-c";
            case "loss" -> "critical-c-loss";
            case "heads" -> "heads-c";
            default -> "critical-c-batch";
        };
    }

    /**
     * The fitted C against the one column that tells the heatmaps apart: p, the loss (one point per
     * loss, in {@link Loss} order), the batch size B (full-batch GD, B = N, drawn as a dashed level) or
     * the number of heads H.
     */
    private Figure criticalC(Map<Map<String, String>, List<Aggregate.Cell>> grids) {
        if (grids.isEmpty() || grids.keySet().iterator().next().size() != 1) return null;
        String key = grids.keySet().iterator().next().keySet().iterator().next();
        if (!C_AGAINST.contains(key)) return null;
        List<double[]> pts = new ArrayList<>();
        double[] full = null;
        for (Map.Entry<Map<String, String>, List<Aggregate.Cell>> e : grids.entrySet()) {
            if (!e.getKey().keySet().equals(java.util.Set.of(key))) return null;
            Aggregate.Fit f = r.fitOf(e.getValue().get(0));
            if (f == null || !Double.isFinite(f.C())) continue;
            String v = e.getKey().get(key);
            if (v.equals(Aggregate.FULL_BATCH)) {
                full = new double[] {f.C(), f.cLo(), f.cHi()};
                continue;
            }
            double x = key.equals("loss") ? Loss.valueOf(v.toUpperCase(java.util.Locale.ROOT)).ordinal() : Double.parseDouble(v);
            pts.add(new double[] {x, f.C(), f.cLo(), f.cHi()});
        }
        if (pts.size() + (full == null ? 0 : 1) < 2) return null;
        pts.sort((a, b) -> Double.compare(a[0], b[0]));
        double[] x = pts.stream().mapToDouble(v -> v[0]).toArray(), y = pts.stream().mapToDouble(v -> v[1]).toArray();
        double[] lo = pts.stream().mapToDouble(v -> v[2]).toArray(), hi = pts.stream().mapToDouble(v -> v[3]).toArray();
        List<Charts.Line> lines = new ArrayList<>(List.of(new Charts.Line("fitted C", x, y, lo, hi, Charts.PALETTE[0], Charts.Style.POINTS)));
        if (full != null) {
            double x0 = x.length > 0 ? x[0] : 1, x1 = x.length > 0 ? x[x.length - 1] : 1;
            lines.add(new Charts.Line("full batch (B = N): C = " + Fmt.num(full[0]), new double[] {x0, x1}, new double[] {full[0], full[0]},
                    null, null, Color.BLACK, Charts.Style.DASHED));
        }
        String xLabel = switch (key) {
            case "p" -> "p (label-flip rate)";
            case "loss" -> "loss ℓ";
            case "heads" -> "H (attention heads)";
            default -> "B (samples per SGD step)";
        };
        JFreeChart c = Charts.lines(null, xLabel, "C  (boundary N·SNR² = C)", lines, false, List.of());
        if (key.equals("loss")) {
            String[] names = java.util.Arrays.stream(Loss.values()).map(Loss::key).toArray(String[]::new);
            c.getXYPlot().setDomainAxis(new org.jfree.chart.axis.SymbolAxis(xLabel, names));
        }
        String interval = Math.round(100 * org.attnsweep.sweep.Bootstrap.LEVEL) + "% bootstrap interval over repeats";
        String caption = switch (key) {
            case "p" -> "C fitted per p from the heatmaps (cutoff " + Fmt.num(r.cutoff()) + " on the test loss above H(p)), shaded: its "
                    + interval + "; p without a fit are left out.";
            case "loss" -> "C fitted per training loss from its heatmap, each on its own test loss (cutoff " + Fmt.num(r.cutoff())
                    + " above the Bayes loss), shaded: its " + interval + "; losses without a fit are left out. The logistic-loss"
                    + " columns of summary.csv give every run's test loss on the papers' scale too.";
            case "heads" -> "C fitted per number of heads H from the heatmaps (cutoff " + Fmt.num(r.cutoff()) + " on the test loss above"
                    + " H(p); f sums the H heads, docs/math.md §7), shaded: its " + interval + "; H without a fit are left out.";
            default -> "C fitted per mini-batch size B from its heatmap (cutoff " + Fmt.num(r.cutoff()) + "), shaded: its " + interval
                    + (full != null ? "; dashed: full-batch GD (B = N) at the same grid" : "")
                    + ". Each epoch is a seeded permutation of the N samples; a step averages the gradient over the next B of it.";
        };
        String against = switch (key) {
            case "p" -> "p";
            case "loss" -> "the training loss";
            case "heads" -> "the number of heads H";
            default -> "the batch size B";
        };
        return new Figure(criticalName(key), "Fitted C of the boundary N·SNR² = C against " + against, caption,
                List.of(c), 1, PANEL_W + 80, PANEL_H);
    }

    /** @param heatmaps whether (N, SNR) heatmaps were drawn: they already show test loss against N and ‖μ‖ */
    private Figure factors(boolean heatmaps) {
        List<JFreeChart> panels = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String k : FACTORS) {
            if (!r.varying().contains(k) || heatmaps && (k.equals("N") || k.equals("mu"))) continue;
            List<String> others = new ArrayList<>(r.varying());
            others.removeAll(List.of(k, "snr"));
            if (k.equals("sigma_p")) others.remove("sigma");
            Map<Map<String, String>, List<Aggregate.Cell>> series = new LinkedHashMap<>();
            for (Aggregate.Cell c : r.cells()) {
                Map<String, String> g = new LinkedHashMap<>();
                for (String o : others) g.put(o, c.config().get(o));
                series.computeIfAbsent(g, x -> new ArrayList<>()).add(c);
            }
            series.values().removeIf(cells -> distinct(cells, k).length < MIN_FACTOR_VALUES);
            if (series.isEmpty() || series.size() > MAX_CURVE_CELLS) continue;
            Metric m = SHIFTS.contains(k) ? Metric.TEST_ERROR : Metric.TEST_LOSS;
            List<Charts.Line> lines = new ArrayList<>();
            double min = Double.POSITIVE_INFINITY, max = 0;
            int colour = 0;
            for (Map.Entry<Map<String, String>, List<Aggregate.Cell>> e : series.entrySet()) {
                List<Aggregate.Cell> cells = new ArrayList<>(e.getValue());
                cells.sort((a, b) -> Double.compare(a.num(k), b.num(k)));
                double[] x = new double[cells.size()], y = new double[x.length], s = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = cells.get(i).num(k);
                    y[i] = cells.get(i).mean(m);
                    s[i] = cells.get(i).std(m);
                    if (y[i] > 0 && Double.isFinite(y[i])) {
                        min = Math.min(min, y[i]);
                        max = Math.max(max, y[i]);
                    }
                }
                Map<String, String> shown = new LinkedHashMap<>(e.getKey());
                shown.keySet().retainAll(axes);
                // errors live in [0, 1], losses in [0, ∞): the band is clipped to the metric's range
                double[][] band = Charts.band(y, s, 0, m == Metric.TEST_ERROR ? 1 : Double.POSITIVE_INFINITY);
                lines.add(new Charts.Line(shown.isEmpty() ? name(m) : words(shown), x, y, band[0], band[1],
                        Charts.PALETTE[colour++ % Charts.PALETTE.length], Charts.Style.POINTS));
            }
            if (k.equals("p")) {
                double[] x = distinct(r.cells(), "p"), h = new double[x.length];
                for (int i = 0; i < x.length; i++) h[i] = Aggregate.bayesLoss(x[i]);
                lines.add(new Charts.Line("Bayes test loss H(p)", x, h, null, null, Color.BLACK, Charts.Style.DASHED));
            }
            panels.add(Charts.lines(name(m) + " against " + Notation.of(k), Notation.of(k), name(m), lines,
                    m == Metric.TEST_LOSS && Charts.decades(min, max), List.of())); // an error of 0 stays on a linear axis
            names.add(Notation.of(k));
        }
        if (panels.isEmpty()) return null;
        List<String> shifts = SHIFTS.stream().map(Notation::of).toList();
        boolean shift = names.stream().anyMatch(shifts::contains), onlyShift = shift && shifts.containsAll(names);
        return new Figure("factors", "Final test " + (onlyShift ? "error" : shift ? "loss or error" : "loss") + " against " + String.join(", ", names),
                "Mean final test " + (shift ? "loss (error for test-set shifts)" : "loss") + " ± 2σ over repeats (the band clipped to the metric's range) against each varied factor, the others held at their values in each series"
                        + (names.contains("p") ? "; dashed: the Bayes-optimal test loss H(p) = −p ln p − (1−p) ln(1−p)" : "")
                        + (shift ? "; shifted test sets: θ turns each test signal toward its own direction orthogonal"
                                        + " to both training signals, test σ scale multiplies the test noise, test p is the test flip rate."
                                : "."),
                panels, Math.min(2, panels.size()), PANEL_W, PANEL_H);
    }

    private Figure compare(String key) {
        Metric[] shown = {Metric.TRAIN_LOSS, Metric.TEST_LOSS, Metric.ATTN_SIGNAL, Metric.V_NOISE};
        List<JFreeChart> panels = new ArrayList<>();
        for (Metric m : shown) {
            List<Charts.Line> lines = new ArrayList<>();
            int colour = 0;
            for (Map.Entry<Aggregate.Cell, Band> e : bands.entrySet()) {
                Band b = e.getValue();
                double[][] band = band(b, m);
                lines.add(new Charts.Line(Notation.is(key, e.getKey().config().get(key)), b.t(), b.mean(m), band[0], band[1],
                        Charts.PALETTE[colour++ % Charts.PALETTE.length], Charts.Style.BAND));
            }
            panels.add(Charts.lines(name(m), STEP, name(m), lines, isLoss(m) && spansDecades(lines), List.of()));
        }
        return new Figure("compare-" + key, "Training curves per " + Notation.of(key),
                "Mean ± 2σ over repeats at each recorded step t, one colour per " + Notation.of(key) + "; " + BOUNDED + ".", panels, 2, PANEL_W, PANEL_H);
    }

    private Figure dynamics(Aggregate.Cell cell, Band b) {
        Stages st = Stages.of(b);
        List<ValueMarker> marks = st.found()
                ? List.of(Charts.marker(st.initEnd(), "t₁", 0), Charts.marker(st.learnEnd(), "t₂", 1)) : List.of();
        // A run of another loss shows the logistic loss beside its own, the papers' scale.
        Metric[] losses = lossWords.isEmpty() ? new Metric[] {Metric.TRAIN_LOSS, Metric.TEST_LOSS}
                : new Metric[] {Metric.TRAIN_LOSS, Metric.TEST_LOSS, Metric.TRAIN_LOSS_LOGISTIC, Metric.TEST_LOSS_LOGISTIC};
        Metric[][] groups = {losses, {Metric.ATTN_SIGNAL, Metric.ATTN_NOISE},
                {Metric.V_SIGNAL_POS, Metric.V_SIGNAL_NEG, Metric.V_NOISE}, {Metric.QK_SS, Metric.QK_SN, Metric.QK_NS, Metric.QK_NN}};
        String[] titles = {"loss", "attention (averaged over queries)", "V, scalarized: u(x) = w_O·W_V x", "QK inner products"};
        String[] yLabels = {"loss", "attention", "u", "q·k"};
        List<JFreeChart> panels = new ArrayList<>();
        for (int g = 0; g < groups.length; g++) {
            List<Charts.Line> lines = new ArrayList<>();
            for (int i = 0; i < groups[g].length; i++) {
                Metric m = groups[g][i];
                double[][] band = band(b, m);
                lines.add(new Charts.Line(isLoss(m) ? name(m) : Notation.of(m, (int) cell.num("M")), b.t(), b.mean(m), band[0], band[1], Charts.PALETTE[i],
                        Charts.Style.BAND));
            }
            panels.add(Charts.lines(titles[g], STEP, yLabels[g], lines,
                    g == 0 && spansDecades(lines), marks));
        }
        String label = label(cell);
        Map<String, String> values = new LinkedHashMap<>();
        for (String k : axes) values.put(k, cell.config().get(k));
        return new Figure(values.isEmpty() ? "dynamics" : "dynamics-" + slug(values),
                "Training dynamics, " + label + " (" + b.runs() + " runs, mean ± 2σ)",
                "Mean ± 2σ over " + b.runs() + " runs at each recorded step t (" + BOUNDED + ")" + divergedWords(b)
                        + "; dashed lines: the stage boundaries t₁ and t₂ "
                        + "(defined under Stages). Here: " + st.describe() + ".",
                panels, 2, PANEL_W, PANEL_H);
    }

    /** Mean ± 2σ of a metric, kept inside the range the metric can take (see {@link #BOUNDED}). */
    private static double[][] band(Band b, Metric m) {
        boolean rate = m == Metric.ATTN_SIGNAL || m == Metric.ATTN_NOISE || m == Metric.TRAIN_ERROR || m == Metric.TEST_ERROR
                || m == Metric.TEST_ERROR_CLEAN;
        return Charts.band(b.mean(m), b.std(m), isLoss(m) || rate ? 0 : Double.NEGATIVE_INFINITY, rate ? 1 : Double.POSITIVE_INFINITY);
    }

    /** "; k of R runs diverged, …" when runs of the band end non-finite, else "". */
    private static String divergedWords(Band b) {
        int last = b.t().length - 1, finite = b.finite()[Metric.TRAIN_LOSS.ordinal()][last];
        return finite == b.runs() ? "" : "; " + (b.runs() - finite) + " of " + b.runs()
                + " runs diverged (non-finite loss): from then on the curves rest on the finite runs";
    }

    /** How a caption says the bands are clipped. */
    static final String BOUNDED = "bands of attention and error rates are clipped to [0, 1] and of losses to ≥ 0, the ranges those take";

    private static boolean isLoss(Metric m) {
        return m == Metric.TRAIN_LOSS || m == Metric.TEST_LOSS || m == Metric.TRAIN_LOSS_LOGISTIC || m == Metric.TEST_LOSS_LOGISTIC;
    }

    /** A metric's name; the run's own losses say which loss where it is not the logistic. */
    private String name(Metric m) {
        return m == Metric.TRAIN_LOSS || m == Metric.TEST_LOSS ? Notation.of(m) + lossWords : Notation.of(m);
    }

    private static boolean spansDecades(List<Charts.Line> lines) {
        double min = Double.POSITIVE_INFINITY, max = 0;
        for (Charts.Line l : lines) {
            for (double y : l.y()) {
                if (y > 0 && Double.isFinite(y)) {
                    min = Math.min(min, y);
                    max = Math.max(max, y);
                }
            }
        }
        return Charts.decades(min, max);
    }
}
