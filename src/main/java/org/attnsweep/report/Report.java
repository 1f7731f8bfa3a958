package org.attnsweep.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.attnsweep.Version;
import org.attnsweep.model.Metric;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.Bootstrap;
import org.attnsweep.sweep.ResultStore;
import org.attnsweep.sweep.OutputDir;

/**
 * The HTML report of a results directory: one self-contained file (figures embedded as base64
 * PNG, no scripts, no external resources) with what ran, the verdicts next to the theory's
 * prediction, every figure of {@link Figures}, the boundary fits, the stage boundaries of the
 * dynamics and the final test error of every cell against the Bayes error p.
 */
public final class Report {
    private Report() {
    }

    /** Above this many cells the verdict is summarized per p and the cell table is folded. */
    private static final int MAX_LISTED_CELLS = 12, MAX_OPEN_TABLE = 40;

    /**
     * How verdicts are made.
     *
     * @param paperC the paper's C of the prediction "benign iff N·SNR² ≥ C" (paper A's 1000 by default)
     */
    public record Options(double paperC) {
        /** Paper A's C = 1000. */
        public static final Options DEFAULT = new Options(Verdicts.PAPER_A_C);

        public Options {
            if (!(paperC > 0 && Double.isFinite(paperC))) throw new IllegalArgumentException("--paper-c must be finite and > 0: got " + paperC);
        }
    }

    /** Writes DIR/report.html with the default options; returns its path. */
    public static Path write(Path dir) {
        return write(dir, Options.DEFAULT);
    }

    /** Writes DIR/report.html; returns its path. */
    public static Path write(Path dir, Options options) {
        Path out = dir.resolve("report.html");
        OutputDir.writeAtomically(out, html(Results.load(dir), options));
        return out;
    }

    /** The report's HTML. */
    static String html(Results r, Options o) {
        Figures figures = new Figures(r);
        List<Verdicts.Verdict> verdicts = Verdicts.of(r, o.paperC());
        String name = r.dir().toAbsolutePath().normalize().getFileName() == null ? r.dir().toString()
                : r.dir().toAbsolutePath().normalize().getFileName().toString();
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>attnsweep report: ").append(esc(name))
                .append("</title>\n<style>").append(CSS).append("</style></head>\n<body>\n");
        h.append("<h1>attnsweep report: ").append(esc(name)).append("</h1>\n<p class=\"sub\">results directory <code>")
                .append(esc(r.dir().toAbsolutePath().normalize().toString())).append("</code></p>\n");
        whatRan(h, r);
        verdict(h, r, figures, verdicts, o);
        // The boundary's constant against the loss or the batch size has a section of its own, after the fits.
        List<Figure> all = new ArrayList<>(figures.all()), beyond = new ArrayList<>();
        all.removeIf(f -> BEYOND.containsKey(f.name()) && beyond.add(f));
        figures(h, all, "figures", "Figures");
        boundary(h, r);
        for (Figure f : beyond) figures(h, List.of(f), BEYOND.get(f.name())[0], BEYOND.get(f.name())[1]);
        heads(h, r);
        stages(h, figures);
        cells(h, r, verdicts);
        h.append("<footer>Written by attnsweep ").append(esc(Version.get())).append(" from the results of attnsweep ")
                .append(esc(r.config().path("version").asText("?"))).append(".</footer>\n</body></html>\n");
        return h.toString();
    }

    private static final String CSS = """
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;max-width:1240px;margin:16px auto;padding:0 16px;color:#111;line-height:1.4}
            h1{font-size:26px;margin:8px 0 2px}h2{font-size:20px;border-bottom:1px solid #bbb;margin:22px 0 8px}
            .sub{color:#555;margin:0 0 8px}code{font-size:90%}
            table{border-collapse:collapse;font-size:14px;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
            th{background:#f2f2f2}table.kv td:first-child{font-weight:bold;background:#fafafa}
            figure{margin:14px 0}img{max-width:100%;height:auto;border:1px solid #ddd}figcaption{font-size:14px;margin-top:4px}
            .benign{color:#1a6e1a;font-weight:bold}.harmful{color:#a01010;font-weight:bold}.diverged{color:#7a4a00;font-weight:bold}
            footer{color:#666;font-size:13px;margin:24px 0}
            """;

    private static void whatRan(StringBuilder h, Results r) {
        JsonNode c = r.config();
        int runs = r.cells().stream().mapToInt(x -> x.metrics().size()).sum();
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("command", c.path("command").asText("—"));
        kv.put("preset", c.path("preset").isTextual() ? c.get("preset").asText() : "none");
        if (c.path("preset_notes").isTextual()) kv.put("preset notes", c.get("preset_notes").asText());
        kv.put("version", c.path("version").asText("—"));
        kv.put("engine", c.path("engine").asText("—"));
        kv.put("runs", runs + " finished (" + r.cells().size() + " cells" + (c.has("plan_runs") ? ", " + c.get("plan_runs").asInt() + " in the plan" : "")
                + (c.has("runs_trained") ? ", " + c.get("runs_trained").asInt() + " trained by the last command" : "") + ")");
        if (c.has("wall_seconds")) kv.put("wall time", Fmt.num(c.get("wall_seconds").asDouble()) + " s");
        if (c.has("runs_per_second")) kv.put("throughput", Fmt.num(c.get("runs_per_second").asDouble()) + " runs/s");
        if (c.has("shard")) kv.put("shard", c.get("shard").asText());
        if (c.has("shards")) kv.put("merged shards", c.get("shards").toString());
        if (c.has("plan_fingerprint")) kv.put("plan fingerprint", c.get("plan_fingerprint").asText());
        h.append("<section id=\"ran\"><h2>What ran</h2>\n<table class=\"kv\">");
        kv.forEach((k, v) -> h.append("<tr><td>").append(esc(k)).append("</td><td>").append(esc(v)).append("</td></tr>"));
        h.append("</table>\n");
        List<String> fixed = new ArrayList<>();
        Aggregate.Cell first = r.cells().get(0);
        for (String k : ResultStore.CONFIG_COLUMNS) {
            if (!first.config().containsKey(k) || r.varying().contains(k)) continue;
            fixed.add(Notation.is(k, first.config().get(k)));
        }
        // a sweep still running (or stopped) shows only what finished: a parameter the plan varies can look fixed
        int planned = c.path("plan_runs").asInt(0);
        String which = planned > runs ? " (in the " + runs + " finished runs of " + planned + " planned: the plan may vary more)" : "";
        h.append("<p><b>Fixed").append(esc(which)).append(":</b> ").append(esc(String.join(", ", fixed))).append("; ").append(first.metrics().size())
                .append(" repeat(s) per cell.</p>\n");
        if (!r.varying().isEmpty()) {
            List<String> axes = new ArrayList<>();
            for (String k : r.varying()) {
                Set<String> vs = new LinkedHashSet<>();
                for (Aggregate.Cell x : r.cells()) vs.add(x.config().get(k));
                List<String> v = new ArrayList<>(vs);
                axes.add(Notation.of(k) + " ∈ {" + (v.size() <= 12 ? String.join(", ", v)
                        : v.get(0) + ", " + v.get(1) + ", …, " + v.get(v.size() - 1)) + "} (" + v.size() + " values)");
            }
            h.append("<p><b>Varied:</b> ").append(esc(String.join("; ", axes))).append(".</p>\n");
        }
        h.append("</section>\n");
    }

    /** Figures with a section of their own (docs/math.md §8): name → {section id, heading}. */
    private static final Map<String, String[]> BEYOND = Map.of(
            "critical-c-loss", new String[] {"loss-phase", "Beyond the papers: the boundary per training loss"},
            "critical-c-batch", new String[] {"sgd-phase", "Beyond the papers: the boundary under mini-batch SGD"});

    /** A section of figures, each an embedded PNG with its caption. */
    static void figures(StringBuilder h, List<Figure> all, String id, String heading) {
        h.append("<section id=\"").append(id).append("\"><h2>").append(esc(heading)).append("</h2>\n");
        if (all.isEmpty()) h.append("<p>These results support no figure (their cells have no recorded curves).</p>\n");
        for (Figure f : all) {
            h.append("<figure id=\"fig-").append(f.name()).append("\"><img alt=\"").append(esc(f.title())).append("\" width=\"")
                    .append(f.width()).append("\" height=\"").append(f.height()).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(f.png())).append("\">\n<figcaption><b>").append(esc(f.title()))
                    .append(".</b> ").append(esc(f.caption())).append("</figcaption></figure>\n");
        }
        h.append("</section>\n");
    }

    /** The report's one benign/harmful criterion, in words. */
    static String criterion(double cutoff) {
        return "a cell is benign when its mean final test loss exceeds the Bayes loss H(p) = −p ln p − (1−p) ln(1−p) by less than "
                + Fmt.num(cutoff) + " (at p = 0: a test loss below " + Fmt.num(cutoff) + ", paper A's threshold), harmful otherwise; "
                + "the boundary fit uses the same rule";
    }

    private static void verdict(StringBuilder h, Results r, Figures figures, List<Verdicts.Verdict> verdicts, Options o) {
        h.append("<section id=\"verdict\"><h2>Verdict</h2>\n<p><b>Criterion:</b> ").append(esc(criterion(r.cutoff())))
                .append(". A cell with a diverged run (non-finite loss) is counted as <span class=\"diverged\">diverged</span> and not judged. "
                        + "<b>Predictions</b> (paper A: benign iff N·SNR² = Ω(1)), side by side: from ")
                .append(esc(Verdicts.paperSource(r, o.paperC())))
                .append(", and from the C fitted per group of this sweep (boundary.csv).</p>\n");
        Map<String, List<Verdicts.Verdict>> byP = new LinkedHashMap<>();
        for (Verdicts.Verdict v : verdicts) byP.computeIfAbsent(v.cell().config().get("p"), k -> new ArrayList<>()).add(v);
        h.append("<table><tr><th>p</th><th>cells</th><th>observed benign</th><th>harmful</th><th>diverged</th>"
                + "<th>paper's C: predicts benign</th><th>agrees</th><th>fitted C: predicts benign</th><th>agrees</th></tr>\n");
        byP.forEach((p, vs) -> {
            long benign = vs.stream().filter(v -> v.observed() == Verdicts.Outcome.BENIGN).count();
            long diverged = vs.stream().filter(v -> v.observed() == Verdicts.Outcome.DIVERGED).count();
            Verdicts.Tally paper = Verdicts.Tally.of(vs, true), fit = Verdicts.Tally.of(vs, false);
            h.append("<tr><td>").append(esc(p)).append("</td><td>").append(vs.size()).append("</td><td class=\"benign\">").append(benign)
                    .append("</td><td class=\"harmful\">").append(vs.size() - benign - diverged).append("</td><td class=\"diverged\">")
                    .append(diverged).append("</td><td>").append(paper.predictedBenign()).append("</td><td>").append(tally(paper))
                    .append("</td><td>").append(fit.judged() == 0 ? "no fit" : Integer.toString(fit.predictedBenign())).append("</td><td>")
                    .append(tally(fit)).append("</td></tr>\n");
        });
        h.append("</table>\n");
        if (verdicts.size() <= MAX_LISTED_CELLS) {
            h.append("<ul>\n");
            for (Verdicts.Verdict v : verdicts) {
                h.append("<li><b>").append(esc(figures.label(v.cell()))).append("</b>: <span class=\"").append(v.observed().word()).append("\">")
                        .append(v.observed().word()).append("</span> — ").append(esc(observedWords(v, r.cutoff())))
                        .append(" N·SNR² = ").append(Fmt.num(v.nSnr2())).append("; the paper predicts ").append(Verdicts.Verdict.word(v.paper()))
                        .append(" (").append(v.agreement(v.paper())).append("), the fit ").append(Verdicts.Verdict.word(v.fit()))
                        .append(" (").append(v.agreement(v.fit())).append(").</li>\n");
            }
            h.append("</ul>\n");
        }
        h.append("</section>\n");
    }

    private static String tally(Verdicts.Tally t) {
        return t.judged() == 0 ? "—" : t.agree() + " of " + t.judged();
    }

    private static String observedWords(Verdicts.Verdict v, double cutoff) {
        Aggregate.Cell c = v.cell();
        double h = Aggregate.bayesLoss(v.p());
        String loss = "final test loss " + Fmt.pm(c.mean(Metric.TEST_LOSS), c.std(Metric.TEST_LOSS)) + " over " + c.metrics().size()
                + " run(s) (test error " + Fmt.num(c.mean(Metric.TEST_ERROR)) + ")";
        return switch (v.observed()) {
            case BENIGN -> loss + " is within " + Fmt.num(cutoff) + " of the Bayes loss H(p) = " + Fmt.num(h) + ".";
            case HARMFUL -> loss + " exceeds the Bayes loss H(p) = " + Fmt.num(h) + " by " + Fmt.num(cutoff) + " or more.";
            case DIVERGED -> c.diverged() + " of " + c.metrics().size() + " runs diverged.";
        };
    }

    /**
     * When the number of heads H varies (heads-phase, docs/math.md §7): the model, how the metrics
     * combine heads, and the fitted C per H beside its ratio to one head's.
     */
    private static void heads(StringBuilder h, Results r) {
        if (!r.varying().contains("heads")) return;
        h.append("<section id=\"heads\"><h2>Heads</h2>\n<p>With H heads the model output is f(X) = Σ_h f_h(X), each head a "
                + "softmax attention layer with its own W_Q, W_K, W_V and w_O drawn from its own streams, trained by the shared "
                + "g = ∂L/∂f (docs/math.md §7); H = 1 is the papers' model. attn_* and qk_* are averaged over the heads, v_* "
                + "summed like f.</p>\n");
        Map<Map<String, String>, List<Aggregate.Cell>> grids = Figures.grids(r);
        if (grids.isEmpty() || !grids.keySet().iterator().next().keySet().equals(java.util.Set.of("heads"))) {
            h.append("<p>The heads vary together with other settings here, so C is tabulated per group under the boundary "
                    + "above.</p></section>\n");
            return;
        }
        Map<Integer, Aggregate.Fit> byH = new java.util.TreeMap<>();
        grids.forEach((g, cells) -> byH.put(Integer.parseInt(g.get("heads")), r.fitOf(cells.get(0))));
        Aggregate.Fit one = byH.get(1);
        h.append("<table><tr><th>H</th><th>C</th><th>C, " + Math.round(100 * Bootstrap.LEVEL)
                + "% bootstrap interval</th><th>C / C(H = 1)</th></tr>\n");
        byH.forEach((heads, f) -> {
            boolean fit = f != null && Double.isFinite(f.C());
            h.append("<tr><td>").append(heads).append("</td><td>").append(fit ? Fmt.num(f.C()) : "—").append("</td><td>")
                    .append(fit && Double.isFinite(f.cLo()) ? "[" + Fmt.num(f.cLo()) + ", " + Fmt.num(f.cHi()) + "]" : "—")
                    .append("</td><td>").append(fit && one != null && Double.isFinite(one.C()) && one.C() > 0 ? Fmt.num(f.C() / one.C()) : "—")
                    .append("</td></tr>\n");
        });
        h.append("</table>\n<p>Figure <a href=\"#fig-heads-c\">C against H</a> draws these with their intervals.</p></section>\n");
    }

    private static void boundary(StringBuilder h, Results r) {
        Map<Map<String, String>, List<Aggregate.Cell>> grids = Figures.grids(r);
        if (grids.isEmpty()) return;
        h.append("<section id=\"boundary\"><h2>Boundary N·SNR² = C</h2>\n<p>For each N, the smallest SNR whose mean test loss "
                + "exceeds the Bayes loss H(p) by less than the cutoff ").append(Fmt.num(r.cutoff())).append("; C is the least-squares fit of N·SNR² = C through "
                        + "those points, R² its coefficient of determination; the interval is the percentile bootstrap over repeats ("
                        + Bootstrap.RESAMPLES + " resamples of every cell's runs, seeded). Paper A's curve is N·SNR² = 1000.</p>\n<table><tr>");
        List<String> keys = new ArrayList<>(grids.keySet().iterator().next().keySet());
        for (String k : keys) h.append("<th>").append(esc(Notation.of(k))).append("</th>");
        h.append("<th>cutoff</th><th>C</th><th>C, " + Math.round(100 * Bootstrap.LEVEL) + "% bootstrap interval</th><th>R²</th><th>points</th>").append(keys.contains("p") ? "<th>Bayes test loss H(p)</th>" : "")
                .append("</tr>\n");
        grids.forEach((g, cells) -> {
            Aggregate.Fit f = r.fitOf(cells.get(0));
            h.append("<tr>");
            for (String k : keys) h.append("<td>").append(esc(g.get(k))).append("</td>");
            h.append("<td>").append(Fmt.num(r.cutoff())).append("</td><td>").append(f == null ? "—" : Fmt.num(f.C())).append("</td><td>")
                    .append(f == null || !Double.isFinite(f.cLo()) ? "—" : "[" + Fmt.num(f.cLo()) + ", " + Fmt.num(f.cHi()) + "]").append("</td><td>")
                    .append(f == null ? "—" : Fmt.num(f.r2())).append("</td><td>").append(f == null ? 0 : f.points()).append("</td>");
            if (keys.contains("p")) h.append("<td>").append(Fmt.num(Aggregate.bayesLoss(Double.parseDouble(g.get("p"))))).append("</td>");
            h.append("</tr>\n");
        });
        h.append("</table>\n");
        if (keys.equals(List.of("p"))) {
            h.append("<p>Pearson correlation between the mean test-loss maps of different p (over the cells both have):</p>\n"
                    + "<table><tr><th>p</th><th>p′</th><th>r</th><th>cells</th></tr>\n");
            for (String[] row : Aggregate.correlations(r.cells())) {
                h.append("<tr><td>").append(esc(row[0])).append("</td><td>").append(esc(row[1])).append("</td><td>")
                        .append(Fmt.num(Double.parseDouble(row[2]))).append("</td><td>").append(esc(row[3])).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        h.append("</section>\n");
    }

    private static void stages(StringBuilder h, Figures figures) {
        if (figures.bands().isEmpty()) return;
        h.append("<section id=\"stages\"><h2>Stages of the training dynamics</h2>\n<p>").append(esc(Stages.DEFINITION))
                .append("</p>\n<table><tr><th>cell</th><th>runs</th><th>learned token</th><th>its attention x(0) → x(T)</th>"
                        + "<th>t₁ (end of initialization)</th><th>t₂ (end of learning)</th><th>then</th></tr>\n");
        figures.bands().forEach((c, b) -> {
            Stages s = Stages.of(b);
            h.append("<tr><td>").append(esc(figures.label(c))).append("</td><td>").append(b.runs()).append("</td><td>")
                    .append(s.signal() ? "signal" : "noise 2").append("</td><td>").append(Fmt.num(s.from())).append(" → ")
                    .append(Fmt.num(s.to())).append("</td>");
            if (s.found()) {
                h.append("<td>").append(Fmt.num(s.initEnd())).append("</td><td>").append(Fmt.num(s.learnEnd())).append(" (")
                        .append(s.learning()).append(")</td><td>").append(s.third()).append(" until t = ").append(Fmt.num(b.lastStep()))
                        .append("</td>");
            } else {
                h.append("<td colspan=\"3\">").append(esc(s.describe())).append("</td>");
            }
            h.append("</tr>\n");
        });
        h.append("</table></section>\n");
    }

    private static void cells(StringBuilder h, Results r, List<Verdicts.Verdict> verdicts) {
        List<String> axes = Figures.axes(r.varying());
        h.append("<section id=\"cells\"><h2>Every cell: test loss and test error against the Bayes values</h2>\n");
        boolean fold = verdicts.size() > MAX_OPEN_TABLE;
        if (fold) h.append("<details><summary>all ").append(verdicts.size()).append(" cells</summary>\n");
        h.append("<table><tr>");
        for (String k : axes) h.append("<th>").append(esc(Notation.of(k))).append("</th>");
        h.append("<th>runs</th><th>N·SNR²</th><th>test loss</th><th>H(p)</th><th>test error (vs y)</th><th>test error (vs ỹ)</th>"
                + "<th>observed</th><th>paper's C</th><th></th><th>fitted C</th><th></th></tr>\n");
        for (Verdicts.Verdict v : verdicts) {
            Aggregate.Cell c = v.cell();
            h.append("<tr>");
            for (String k : axes) h.append("<td>").append(esc(c.config().get(k))).append("</td>");
            h.append("<td>").append(c.metrics().size()).append(c.diverged() > 0 ? " (" + c.diverged() + " diverged)" : "").append("</td><td>")
                    .append(Fmt.num(v.nSnr2())).append("</td><td>").append(Fmt.pm(c.mean(Metric.TEST_LOSS), c.std(Metric.TEST_LOSS)))
                    .append("</td><td>").append(Fmt.num(Aggregate.bayesLoss(v.p()))).append("</td><td>")
                    .append(Fmt.pm(c.mean(Metric.TEST_ERROR), c.std(Metric.TEST_ERROR))).append("</td><td>")
                    .append(Fmt.pm(c.mean(Metric.TEST_ERROR_CLEAN), c.std(Metric.TEST_ERROR_CLEAN))).append("</td><td class=\"")
                    .append(v.observed().word()).append("\">").append(v.observed().word()).append("</td><td>")
                    .append(Verdicts.Verdict.word(v.paper())).append("</td><td>").append(v.agreement(v.paper())).append("</td><td>")
                    .append(Verdicts.Verdict.word(v.fit())).append("</td><td>").append(v.agreement(v.fit())).append("</td></tr>\n");
        }
        h.append("</table>\n").append(fold ? "</details>\n" : "").append("<p>Mean ± standard deviation over each cell's runs. Criterion: ")
                .append(esc(criterion(r.cutoff()))).append(".</p></section>\n");
    }

    /**
     * Writes DIR/report.html of a reproduction: the scorecard of every claim first, then, per
     * preset run under DIR, its verdict counts and its figures (each preset also keeps its own
     * report.html). Returns its path.
     */
    public static Path writeReproduction(Path dir, List<Claims.Claim> claims, List<String> presets, String scale) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>attnsweep reproduction</title>\n<style>")
                .append(CSS).append(".holds{color:#1a6e1a;font-weight:bold}.differs{color:#a01010;font-weight:bold}.not{color:#666;font-weight:bold}")
                .append("</style></head>\n<body>\n<h1>attnsweep reproduction: papers A and B</h1>\n<p class=\"sub\">results directory <code>")
                .append(esc(dir.toAbsolutePath().normalize().toString())).append("</code>, scale <b>").append(esc(scale)).append("</b></p>\n");
        long holds = claims.stream().filter(c -> c.verdict() == Claims.Verdict.HOLDS).count();
        long differs = claims.stream().filter(c -> c.verdict() == Claims.Verdict.DIFFERS).count();
        h.append("<section id=\"scorecard\"><h2>Scorecard</h2>\n<p>").append(claims.size()).append(" claims: <span class=\"holds\">")
                .append(holds).append(" hold</span>, <span class=\"differs\">").append(differs).append(" differ</span>, <span class=\"not\">")
                .append(claims.size() - holds - differs).append(" not measurable</span>. Every verdict is computed from the results by the rule "
                        + "its row states; intervals are " + Math.round(100 * Bootstrap.LEVEL) + "% percentile bootstraps over repeats ("
                        + Bootstrap.RESAMPLES + " seeded resamples). The same table is in claims.csv.</p>\n")
                .append("<table><tr><th>claim</th><th>paper</th><th>figure</th><th>statement</th><th>paper's value</th><th>ours</th>"
                        + "<th>verdict</th><th>why</th></tr>\n");
        for (Claims.Claim c : claims) {
            String ours = Double.isNaN(c.mean()) ? "—" : Fmt.num(c.mean())
                    + (Double.isFinite(c.lo()) ? " [" + Fmt.num(c.lo()) + ", " + Fmt.num(c.hi()) + "]" : "");
            String cls = c.verdict() == Claims.Verdict.HOLDS ? "holds" : c.verdict() == Claims.Verdict.DIFFERS ? "differs" : "not";
            h.append("<tr><td>").append(esc(c.id())).append("</td><td>").append(esc(c.paper())).append("</td><td>").append(esc(c.figure()))
                    .append("</td><td>").append(esc(c.statement())).append("</td><td>").append(esc(c.paperValue().isEmpty() ? "—" : c.paperValue()))
                    .append("</td><td>").append(esc(ours)).append("</td><td class=\"").append(cls).append("\">").append(esc(c.verdict().word))
                    .append("</td><td>").append(esc(c.why())).append("</td></tr>\n");
        }
        h.append("</table></section>\n");
        for (String preset : presets) {
            Path d = dir.resolve(preset);
            Results r;
            try {
                r = Results.load(d);
            } catch (IllegalArgumentException e) {
                h.append("<section id=\"preset-").append(esc(preset)).append("\"><h2>").append(esc(preset)).append("</h2><p>No results: ")
                        .append(esc(e.getMessage())).append("</p></section>\n");
                continue;
            }
            h.append("<h2 id=\"").append(esc(preset)).append("\">").append(esc(preset)).append("</h2>\n<p>")
                    .append(esc(r.config().path("preset_notes").asText(""))).append(". ")
                    .append(r.cells().stream().mapToInt(c -> c.metrics().size()).sum()).append(" runs in ").append(r.cells().size())
                    .append(" cells; its own report: <a href=\"").append(esc(preset)).append("/report.html\">").append(esc(preset))
                    .append("/report.html</a>.</p>\n");
            figures(h, new Figures(r).all(), "figures-" + preset, preset + ": figures");
        }
        h.append("<footer>Written by attnsweep ").append(esc(Version.get())).append(".</footer>\n</body></html>\n");
        Path out = dir.resolve("report.html");
        OutputDir.writeAtomically(out, h.toString());
        return out;
    }

    /** Text made safe for HTML element content and attribute values. */
    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
