package org.attnsweep.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.attnsweep.engine.Engine;
import org.attnsweep.report.Claims;
import org.attnsweep.report.Report;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.Plan;
import org.attnsweep.sweep.Reproduction;
import org.attnsweep.sweep.SweepPresets;
import org.attnsweep.sweep.Sweeper;
import org.attnsweep.sweep.OutputDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code reproduce}: every figure preset of both papers, then every claim checked, in one scorecard. */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs every figure preset of paper A (Jiang et al.) and paper B (Zhang et al.), each into DIR/<preset>/ "
                + "(resumable and shardable like sweep), then writes DIR/claims.csv (each claim of the papers, the paper's value, ours "
                + "with its bootstrap interval over repeats, and a computed verdict: holds, differs or not measurable) and "
                + "DIR/report.html (the scorecard, then each preset's figures)."})
public final class ReproduceCommand implements Callable<Integer>, Main.Results {
    @Option(names = "--scale", defaultValue = "quick",
            description = "quick (coarser grids, fewer repeats: about 150 s of CPU, under 15 minutes on a loaded 2-core machine), paper (the papers' full sizes) or smoke "
                    + "(tiny models, for tests) (default ${DEFAULT-VALUE})") String scale;
    @Option(names = "--papers", defaultValue = "A,B", split = ",", description = "which papers: A, B or A,B (default ${DEFAULT-VALUE})")
    List<String> papers;
    @Option(names = "--out", required = true, description = "result directory (resumed if it holds this reproduction)") Path out;
    @Option(names = "--shard", defaultValue = "0/1", description = "run only shard i of n of every preset: i/n (default ${DEFAULT-VALUE})") String shard;
    @picocli.CommandLine.Mixin
    EngineOptions engine;
    @picocli.CommandLine.Mixin
    CutoffOption cutoff;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Path results() {
        return out;
    }

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut();
        PrintStream err = new PrintStream(new WriterStream(spec.commandLine().getErr()), true);
        Reproduction.Scale sc = Reproduction.Scale.parse(scale);
        for (String p : papers) {
            if (!p.equals("A") && !p.equals("B")) throw new IllegalArgumentException("--papers must be a list of A, B: got '" + p + "'");
            // as every list option: one value twice is a slip (A,A ran A once), not a request
            if (papers.indexOf(p) != papers.lastIndexOf(p)) {
                throw new IllegalArgumentException("--papers lists one paper twice ('" + p + "') in '" + String.join(",", papers) + "'");
            }
        }
        int[] sh = SweepCommand.parseShard(shard);
        refuseOthersResults();
        engine.check(org.attnsweep.engine.Formulation.AUTO);
        double cut = cutoff.value();
        engine.warmUpAhead();
        List<String> presets = Reproduction.presets(papers);
        Map<String, Plan> plans = new LinkedHashMap<>();
        for (String preset : presets) plans.put(preset, Plan.of(Reproduction.grids(preset, sc)));
        Engine eng = engine.select(org.attnsweep.engine.Formulation.AUTO, err);
        long memory = Runtime.getRuntime().maxMemory() / 2;
        // The whole command holds DIR's lock (claims.csv and report.html are written there), each
        // preset its own directory's.
        try (OutputDir top = OutputDir.open(out, "reproduce")) {
            long t0 = System.nanoTime();
            for (Map.Entry<String, Plan> e : plans.entrySet()) {
                String preset = e.getKey();
                err.printf(Locale.ROOT, "reproduce: %s (%d runs, scale %s)%n", preset, e.getValue().size(), sc.word());
                Map<String, Object> about = new LinkedHashMap<>();
                about.put("command", "reproduce");
                about.put("preset", preset);
                about.put("preset_notes", SweepPresets.notes(preset) + (sc == Reproduction.Scale.PAPER ? "" : "; reproduce --scale " + sc.word()));
                about.put("scale", sc.word());
                try (OutputDir dir = OutputDir.open(out.resolve(preset), "reproduce")) {
                    Sweeper.Outcome done = Sweeper.execute(e.getValue(), sh, eng, dir, about, memory, err, Sweeper.Inputs.GENERATED, null);
                    o.printf(Locale.ROOT, "%-24s %5d runs (%d trained now) in %.1f s%n", preset, done.stored(), done.trained(), done.seconds());
                    o.flush();
                    if (sh[1] == 1) {
                        Aggregate.write(dir.path(), cut, err::println);
                        Report.write(dir.path());
                    }
                }
            }
            // Every preset's plan (this shard's) is stored: a failure recorded at the top is recovered.
            org.attnsweep.sweep.FailureTrace.retire(out, err);
            if (sh[1] > 1) {
                o.printf("shard %d/%d done: merge each preset's shards (attnsweep merge), then run reproduce again without --shard "
                        + "into the merged directory for claims.csv and report.html%n", sh[0], sh[1]);
                o.flush();
                return 0;
            }
            List<Claims.Claim> claims = Claims.evaluate(out, papers);
            OutputDir.writeAtomically(out.resolve("claims.csv"), Claims.csv(claims));
            Path report = Report.writeReproduction(out, claims, presets, sc.word());
            List<String> counts = new ArrayList<>();
            for (Claims.Verdict v : Claims.Verdict.values()) {
                counts.add(claims.stream().filter(c -> c.verdict() == v).count() + " " + v.word);
            }
            o.printf(Locale.ROOT, "%d claims: %s (%.0f s in all)%n", claims.size(), String.join(", ", counts), (System.nanoTime() - t0) / 1e9);
            for (Claims.Claim c : claims) o.printf("  %-28s %-15s %s%n", c.id(), c.verdict().word, c.statement());
            o.println("wrote " + out.resolve("claims.csv"));
            o.println("wrote " + report);
            o.flush();
            return 0;
        }
    }

    /**
     * Refuses an --out that holds a train's, sweep's or merge's results (its summary.csv or
     * config.json): reproduce writes its own report.html and claims.csv there, over theirs, and a
     * directory per preset beside them. Its own top directory holds neither file.
     */
    private void refuseOthersResults() {
        RunOptions.checkOut("--out", out);
        RunOptions.checkResultsOut(out, true);
        for (String f : List.of("summary.csv", "config.json")) {
            if (Files.exists(out.resolve(f), LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException("--out " + out + " holds the results of a train, sweep or merge (" + f
                        + "): reproduce writes a directory per preset, claims.csv and report.html there; choose another --out");
            }
        }
    }
}
