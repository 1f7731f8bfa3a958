package org.attnsweep.sweep;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.attnsweep.model.Metric;
import org.attnsweep.train.Trainer;

/**
 * Aggregates a sweep's summary.csv: per grid cell (runs equal in every config column but seed and
 * repeat) the mean, std and mean ± 2 std over repeats of every final metric → cells.csv; the
 * benign/harmful boundary fit of docs/math.md §6 per p (and any other varying key) → boundary.csv; the
 * correlation between the test-loss heatmaps of different p → correlation.csv. A diverged run is
 * counted in its cell ({@code runs}, {@code n_diverged}) and left out of every mean, std and fit.
 */
public final class Aggregate {
    private Aggregate() {
    }

    /** One run of a cell: its plan index, final metrics, whether it diverged, its stop step. */
    public record Run(int index, double[] metrics, boolean diverged, int stopStep) {
    }

    /**
     * One grid cell: its config values and its runs. Statistics ({@link #mean}, {@link #std}) are
     * over the runs that did not diverge; {@link #diverged} counts the others.
     */
    public record Cell(Map<String, String> config, List<Run> runs) {
        /** The final metrics of every run, diverged ones included (their size is the cell's run count). */
        public List<double[]> metrics() {
            return runs.stream().map(Run::metrics).toList();
        }

        /** How many of its runs diverged. */
        public int diverged() {
            return (int) runs.stream().filter(Run::diverged).count();
        }

        /** The mean stop step over all its runs. */
        public double stopStepMean() {
            return runs.stream().mapToInt(Run::stopStep).average().orElse(Double.NaN);
        }

        /** The mean over the runs that did not diverge; NaN when every run diverged. */
        public double mean(Metric m) {
            return runs.stream().filter(r -> !r.diverged()).mapToDouble(r -> r.metrics()[m.ordinal()]).average().orElse(Double.NaN);
        }

        /** The sample standard deviation over the runs that did not diverge (0 for one run). */
        public double std(Metric m) {
            double mu = mean(m);
            List<Run> ok = runs.stream().filter(r -> !r.diverged()).toList();
            if (ok.size() < 2) return ok.isEmpty() ? Double.NaN : 0;
            double s = 0;
            for (Run r : ok) s += (r.metrics()[m.ordinal()] - mu) * (r.metrics()[m.ordinal()] - mu);
            return Math.sqrt(s / (ok.size() - 1));
        }

        public double num(String key) {
            return OutputDir.parseNum(config.get(key)); // as summary.csv writes it: NaN, Inf and -Inf included
        }
    }

    /**
     * A boundary fit: SNR² = C/N through the points (N, smallest SNR with mean test loss below the
     * cutoff), and the {@link Bootstrap} interval [cLo, cHi] of C over resampled repeats.
     */
    public record Fit(Map<String, String> group, double C, double r2, int points, double cLo, double cHi) {
    }

    /**
     * The one benign/harmful criterion of the boundary fit and the report's verdicts: a cell is
     * benign when its mean final test loss exceeds the Bayes loss H(p) by less than {@code cutoff}
     * (with p = 0, a test loss below the cutoff, as paper A thresholds its map); a cell whose mean is
     * not a number (its runs diverged) is neither.
     */
    public static boolean benign(Cell c, double cutoff) {
        return c.mean(Metric.TEST_LOSS) - bayesLoss(c.num("p")) < cutoff;
    }

    /** Reads summary.csv into cells, in first-appearance order; bad lines are skipped, each named to {@code warn}. */
    public static List<Cell> cells(Path summaryCsv, Consumer<String> warn) {
        return read(summaryCsv, false, warn);
    }

    /** Reads summary.csv with every run its own cell (seed and repeat kept in the config). */
    public static List<Cell> runs(Path summaryCsv, Consumer<String> warn) {
        return read(summaryCsv, true, warn);
    }

    private static List<Cell> read(Path summaryCsv, boolean perRun, Consumer<String> warn) {
        Map<String, List<StoreCsv.Row>> byCell = new LinkedHashMap<>();
        StoreCsv.read(summaryCsv, StoreCsv.Kind.SUMMARY, r -> {
            StringBuilder k = new StringBuilder(perRun ? r.run() + "," : "");
            for (String c : ResultStore.CONFIG_COLUMNS) {
                if (c.equals("seed") || c.equals("repeat")) continue;
                k.append(configValue(r, c)).append(',');
            }
            byCell.computeIfAbsent(k.toString(), x -> new ArrayList<>()).add(r);
        }, b -> warn.accept("attnsweep: warning: " + b.describe() + ": skipped"));
        List<Cell> out = new ArrayList<>();
        for (List<StoreCsv.Row> rows : byCell.values()) {
            Map<String, String> cfg = new LinkedHashMap<>();
            for (String c : ResultStore.CONFIG_COLUMNS) {
                if (perRun || !c.equals("seed") && !c.equals("repeat")) cfg.put(c, configValue(rows.get(0), c));
            }
            List<Run> runs = new ArrayList<>();
            for (StoreCsv.Row r : rows) {
                // A run stored with a non-finite loss or error beside diverged=false (before the trainer
                // flagged such runs) is counted as diverged too: its NaN never enters a mean.
                double[] m = r.metrics();
                boolean diverged = Boolean.parseBoolean(r.get("diverged")) || !Trainer.nonFinite(m).isEmpty();
                runs.add(new Run(r.run(), m, diverged, r.integer("stop_step")));
            }
            out.add(new Cell(cfg, runs));
        }
        return out;
    }

    /** What a cell calls a batch of every sample (B = N, full-batch GD), whatever its N. */
    public static final String FULL_BATCH = "full";

    /**
     * A config column of a summary row as cells group by it: the stored text, except that a
     * batch_size equal to N is {@link #FULL_BATCH}, so full-batch runs of every N form one group
     * (and a sweep over N alone varies no batch size).
     */
    private static String configValue(StoreCsv.Row r, String column) {
        String v = r.get(column);
        return column.equals("batch_size") && v.equals(r.get("N")) ? FULL_BATCH : v;
    }

    /** The config columns whose value differs between cells: the sweep's axes. */
    public static List<String> varying(List<Cell> cells) {
        List<String> out = new ArrayList<>();
        for (String c : cells.isEmpty() ? List.<String>of() : cells.get(0).config().keySet()) {
            if (cells.stream().map(x -> x.config().get(c)).distinct().count() > 1) out.add(c);
        }
        // The test flip rate follows p unless a run sets its own: then it is no axis of its own.
        if (cells.stream().allMatch(x -> java.util.Objects.equals(x.config().get("test_p"), x.config().get("p")))) out.remove("test_p");
        return out;
    }

    /**
     * The smallest expected logistic loss any predictor reaches on labels flipped with probability
     * p: the binary entropy H(p) in nats (0 at p = 0).
     */
    public static double bayesLoss(double p) {
        return p <= 0 ? 0 : -p * Math.log(p) - (1 - p) * Math.log(1 - p);
    }

    /**
     * For each group of cells equal in every varying column but N, μ and SNR: for each N, the
     * smallest SNR whose mean test loss exceeds the Bayes loss H(p) by less than {@code cutoff}
     * (with p = 0 this is the plain test loss, as in paper A's map); then the least-squares C of
     * SNR² = C·(1/N) through the origin (the line N·SNR² = C), with its R².
     */
    public static List<Fit> boundary(List<Cell> cells, double cutoff) {
        List<String> keys = new ArrayList<>(varying(cells));
        keys.removeAll(List.of("N", "mu", "snr"));
        Map<Map<String, String>, List<Cell>> groups = new LinkedHashMap<>();
        for (Cell c : cells) {
            Map<String, String> g = new LinkedHashMap<>();
            for (String k : keys) g.put(k, c.config().get(k));
            groups.computeIfAbsent(g, x -> new ArrayList<>()).add(c);
        }
        List<Fit> out = new ArrayList<>();
        groups.forEach((g, members) -> {
            double[] f = fit(members, cutoff);
            Bootstrap.Interval ci = Bootstrap.of(members, resampled -> fit(resampled, cutoff)[0]);
            out.add(new Fit(g, f[0], f[1], (int) f[2], ci.lo(), ci.hi()));
        });
        return out;
    }

    /** {C, R², points} of one group's cells (C and R² NaN without points). */
    private static double[] fit(List<Cell> cells, double cutoff) {
        TreeMap<Integer, Double> perN = new TreeMap<>();
        for (Cell c : cells) if (benign(c, cutoff)) perN.merge((int) c.num("N"), c.num("snr"), Math::min);
        double sxy = 0, sxx = 0, ybar = 0;
        for (var e : perN.entrySet()) {
            double x = 1.0 / e.getKey(), y = e.getValue() * e.getValue();
            sxy += x * y;
            sxx += x * x;
            ybar += y;
        }
        int n = perN.size();
        if (n == 0) return new double[] {Double.NaN, Double.NaN, 0};
        ybar /= n;
        double C = sxy / sxx, ssRes = 0, ssTot = 0;
        for (var e : perN.entrySet()) {
            double x = 1.0 / e.getKey(), y = e.getValue() * e.getValue();
            ssRes += (y - C * x) * (y - C * x);
            ssTot += (y - ybar) * (y - ybar);
        }
        return new double[] {C, ssTot > 0 ? 1 - ssRes / ssTot : Double.NaN, n};
    }

    /** Pearson correlation of the mean test-loss maps over (N, μ) between every pair of p values. */
    public static List<String[]> correlations(List<Cell> cells) {
        Map<String, Map<String, Double>> maps = new TreeMap<>();
        for (Cell c : cells) {
            maps.computeIfAbsent(c.config().get("p"), x -> new LinkedHashMap<>())
                    .put(c.config().get("N") + "/" + c.config().get("mu"), c.mean(Metric.TEST_LOSS));
        }
        List<String> ps = new ArrayList<>(maps.keySet());
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            for (int j = i + 1; j < ps.size(); j++) {
                Map<String, Double> a = maps.get(ps.get(i)), b = maps.get(ps.get(j));
                List<double[]> pairs = new ArrayList<>();
                a.forEach((k, v) -> {
                    if (b.containsKey(k) && Double.isFinite(v) && Double.isFinite(b.get(k))) pairs.add(new double[] {v, b.get(k)});
                });
                out.add(new String[] {ps.get(i), ps.get(j), OutputDir.num(pearson(pairs)), Integer.toString(pairs.size())});
            }
        }
        return out;
    }

    static double pearson(List<double[]> xy) {
        int n = xy.size();
        if (n < 2) return Double.NaN;
        double mx = 0, my = 0;
        for (double[] v : xy) {
            mx += v[0];
            my += v[1];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (double[] v : xy) {
            sxy += (v[0] - mx) * (v[1] - my);
            sxx += (v[0] - mx) * (v[0] - mx);
            syy += (v[1] - my) * (v[1] - my);
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /**
     * Writes cells.csv, boundary.csv and (when p varies) correlation.csv into {@code dir}; returns
     * the text for stdout: the test-loss map and the boundary fits.
     */
    public static String write(Path dir, double cutoff, Consumer<String> warn) {
        Tables t = of(dir, cutoff, warn);
        t.files().forEach((name, text) -> OutputDir.writeAtomically(dir.resolve(name), text));
        return t.text();
    }

    /** The aggregates of a directory's summary.csv: each file's name and text, in the order written, and the text for stdout. */
    public record Tables(Map<String, String> files, String text) {
    }

    /** The aggregates {@link #write} writes, computed without writing (aggregate on a sweep still running prints them only). */
    public static Tables of(Path dir, double cutoff, Consumer<String> warn) {
        Map<String, String> files = new LinkedHashMap<>();
        List<Cell> cells = cells(dir.resolve("summary.csv"), warn);
        List<String> axes = varying(cells);
        StringBuilder sb = new StringBuilder(String.join(",", axes));
        sb.append(axes.isEmpty() ? "" : ",").append("runs,n_diverged,stop_step_mean");
        for (Metric m : Metric.values()) {
            for (String s : List.of("_mean", "_std", "_lo2", "_hi2")) sb.append(',').append(m.column()).append(s);
        }
        sb.append('\n');
        for (Cell c : cells) {
            for (String a : axes) sb.append(c.config().get(a)).append(',');
            sb.append(c.runs().size()).append(',').append(c.diverged()).append(',').append(OutputDir.num(c.stopStepMean()));
            for (Metric m : Metric.values()) {
                double mu = c.mean(m), sd = c.std(m);
                sb.append(',').append(OutputDir.num(mu)).append(',').append(OutputDir.num(sd))
                        .append(',').append(OutputDir.num(mu - 2 * sd)).append(',').append(OutputDir.num(mu + 2 * sd));
            }
            sb.append('\n');
        }
        files.put("cells.csv", sb.toString());

        List<Fit> fits = List.of();
        if (axes.contains("N") && (axes.contains("mu") || axes.contains("snr"))) {
            fits = boundary(cells, cutoff);
            List<String> gk = fits.isEmpty() ? List.of() : new ArrayList<>(fits.get(0).group().keySet());
            // C_lo, C_hi: the bootstrap interval of C (Bootstrap: LEVEL coverage, RESAMPLES resamples of the repeats)
            StringBuilder b = new StringBuilder(String.join(",", gk)).append(gk.isEmpty() ? "" : ",")
                    .append("cutoff,C,r2,points,C_lo,C_hi,resamples\n");
            for (Fit f : fits) {
                for (String k : gk) b.append(f.group().get(k)).append(',');
                b.append(OutputDir.num(cutoff)).append(',').append(OutputDir.num(f.C())).append(',')
                        .append(OutputDir.num(f.r2())).append(',').append(f.points()).append(',').append(OutputDir.num(f.cLo()))
                        .append(',').append(OutputDir.num(f.cHi())).append(',').append(Bootstrap.RESAMPLES).append('\n');
            }
            files.put("boundary.csv", b.toString());
            if (axes.contains("p")) {
                StringBuilder c = new StringBuilder("p_a,p_b,pearson_r,cells\n");
                for (String[] row : correlations(cells)) c.append(String.join(",", row)).append('\n');
                files.put("correlation.csv", c.toString());
            }
        }
        return new Tables(files, textMap(cells) + describe(fits, cutoff));
    }

    /**
     * The mean test-loss map over (N, ‖μ‖) as text, one map per value of every other varying key:
     * a row per N, a column per ‖μ‖, each cell the first decimal digit of min(test loss, 0.99)
     * ('0' is benign territory, '6' is chance at p = 0, '?' a cell whose every run diverged); empty when N
     * or ‖μ‖ does not vary.
     */
    static String textMap(List<Cell> cells) {
        List<String> axes = varying(cells);
        if (!axes.contains("N") || !axes.contains("mu")) return "";
        List<String> others = new ArrayList<>(axes);
        others.removeAll(List.of("N", "mu", "snr"));
        Map<String, TreeMap<Integer, TreeMap<Double, Double>>> maps = new LinkedHashMap<>();
        TreeMap<Double, Double> snrOf = new TreeMap<>();
        for (Cell c : cells) {
            StringBuilder g = new StringBuilder();
            for (String k : others) g.append(g.isEmpty() ? "" : " ").append(k).append('=').append(c.config().get(k));
            maps.computeIfAbsent(g.toString(), x -> new TreeMap<>()).computeIfAbsent((int) c.num("N"), x -> new TreeMap<>())
                    .put(c.num("mu"), c.mean(Metric.TEST_LOSS));
            snrOf.put(c.num("mu"), c.num("snr"));
        }
        StringBuilder sb = new StringBuilder();
        maps.forEach((g, byN) -> {
            sb.append(String.format(Locale.ROOT, "test loss x10 over N (rows) and |mu| %s..%s (SNR %.3g..%.3g)%s; ? = diverged%n",
                    OutputDir.num(snrOf.firstKey()), OutputDir.num(snrOf.lastKey()), snrOf.firstEntry().getValue(),
                    snrOf.lastEntry().getValue(), g.isEmpty() ? "" : " at " + g));
            for (var row : byN.descendingMap().entrySet()) {
                sb.append(String.format(Locale.ROOT, "  N=%-4d ", row.getKey()));
                for (double loss : row.getValue().values()) {
                    sb.append(Double.isFinite(loss) ? (char) ('0' + (int) (10 * Math.min(Math.max(loss, 0), 0.99))) : '?');
                }
                sb.append('\n');
            }
        });
        return sb.toString();
    }

    /**
     * A short text of the fits for stdout. What a fit cannot give is said in words, as the report
     * shows a dash: no point (no N has a cell within the cutoff), no interval, no R² (one point),
     * where NaN was printed ("C = NaN [NaN, NaN] (R^2 = NaN, 0 points").
     */
    static String describe(List<Fit> fits, double cutoff) {
        StringBuilder sb = new StringBuilder();
        for (Fit f : fits) {
            String c = f.points() == 0 ? "no C (no N has a cell within the cutoff)"
                    : String.format(Locale.ROOT, "C = %.4g", f.C()) + (Double.isFinite(f.cLo()) && Double.isFinite(f.cHi())
                            ? String.format(Locale.ROOT, " [%.4g, %.4g]", f.cLo(), f.cHi()) : " (no interval)");
            String r2 = Double.isFinite(f.r2()) ? String.format(Locale.ROOT, "R^2 = %.3f", f.r2()) : "no R^2";
            sb.append(String.format(Locale.ROOT, "boundary%s: N*SNR^2 = C with %s (%s, %d point%s, excess test-loss cutoff %.3g)%n",
                    f.group().isEmpty() ? "" : " " + f.group(), c, r2, f.points(), f.points() == 1 ? "" : "s", cutoff));
        }
        return sb.toString();
    }
}
