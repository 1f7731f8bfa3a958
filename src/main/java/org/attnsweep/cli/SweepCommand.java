package org.attnsweep.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.attnsweep.engine.Engine;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.Grid;
import org.attnsweep.sweep.Plan;
import org.attnsweep.sweep.PlannedRun;
import org.attnsweep.sweep.SpecFile;
import org.attnsweep.sweep.SweepPresets;
import org.attnsweep.sweep.Sweeper;
import org.attnsweep.sweep.OutputDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sweep}: a grid of runs, trained in batches, stored as they finish, resumable and shardable. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a grid of runs (a preset, a YAML spec, or lists and ranges of any run option) "
                + "into --out: summary.csv, metrics.csv (heads.csv with --heads above 1), then cells.csv, boundary.csv and correlation.csv.",
                "Re-running the same command resumes: finished runs are skipped."},
        footer = {"Every run option takes a value, a list or an inclusive range: --p 0,0.1,0.2  --N 2:20:2  --mu 1:100;",
                "a list or range makes an axis of the grid. --sigma lists use '|': --sigma '4|2'.",
                "Sweep presets: jiang-heatmap, zhang-phase, zhang-critical, zhang-lr, zhang-vinit, zhang-factors,",
                "jiang-dynamics-benign, jiang-dynamics-harmful, zhang-dynamics, fashion-heatmap, ood-angle, loss-phase, sgd-phase, heads-phase."})
public final class SweepCommand implements Callable<Integer>, Main.Results {

    @Option(names = "--preset", description = "a sweep preset (docs/math.md §6)") String preset;
    @Option(names = "--spec", description = "a YAML sweep spec (keys of the run options; lists/ranges make axes)") Path specFile;
    @Option(names = "--out", required = true, description = "result directory (resumed if it holds this sweep)") Path out;
    @Option(names = "--shard", defaultValue = "0/1", description = "run only shard i of n: i/n (default ${DEFAULT-VALUE})") String shard;
    @picocli.CommandLine.Mixin
    EngineOptions engine;
    @Option(names = "--memory-mb", defaultValue = "0", description = "memory budget for a batch in MiB (0 = half the heap)") long memoryMb;
    @picocli.CommandLine.Mixin
    FormulationOption formulation;
    @picocli.CommandLine.Mixin
    CutoffOption cutoff;
    @picocli.CommandLine.Mixin
    MaxRunsOption maxRuns;
    @Option(names = "--dry-run", description = "print the plan (runs, batches, memory, time estimate) and stop") boolean dryRun;
    @Option(names = "--check-options", description = "check every option (the engine's precision and formulation too) and count the plan's runs, then stop: "
            + "no memory plan and no device probed, which depend on the machine that will run it (scripts/slurm/submit runs this before queueing)")
    boolean checkOptions;
    @Option(names = "--report", description = "write report.html (figures, fits, verdicts) into --out at the end") boolean report;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Path results() {
        return out;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintStream err = new PrintStream(new WriterStream(spec.commandLine().getErr()), true);
        // Everything is resolved and checked before any work, --dry-run included: the shard, the
        // output path, the memory budget, the plan (its size, then each run's memory), the engine.
        int[] sh = parseShard(shard);
        RunOptions.checkOut("--out", this.out);
        RunOptions.checkResultsOut(this.out, false);
        engine.check(formulation.value());
        long heap = Runtime.getRuntime().maxMemory();
        if (checkOptions) {
            // The options' own checks, the engine's with them, and the plan's size (all the same on
            // any machine); the batch budget against this heap and the device are the compute node's.
            if (dryRun) throw new IllegalArgumentException("--check-options and --dry-run: choose one");
            if (memoryMb < 0) throw new IllegalArgumentException("--memory-mb must be >= 0 (0 = half the heap): got " + memoryMb);
            Plan plan = Plan.of(grids(), maxRuns.limits(Long.MAX_VALUE, "not checked here").in(formulation.value()));
            engine.check(plan.runs());
            // The inputs the runs read (--images: the directory, its IDX files, each class's count)
            // are on the file system the nodes share, and generated tokens' range depends only on
            // the precision, which the options fix: both refused here as the sweep would refuse them.
            RunOptions.inputs(plan, null);
            RunOptions.checkGeneratedRange(plan.shard(sh[0], sh[1]), engine.computes());
            out.printf(Locale.ROOT, "options ok: %d runs (%d in shard %s); memory and device not checked%n", plan.size(),
                    plan.shard(sh[0], sh[1]).size(), shard);
            out.flush();
            return 0;
        }
        if (memoryMb < 0 || memoryMb > heap >> 20) {
            throw new IllegalArgumentException("--memory-mb must be in [0, " + (heap >> 20) + "], the heap (0 = half of it; for more, "
                    + RunOptions.MORE_HEAP + "): got " + memoryMb);
        }
        long memory = memoryMb > 0 ? memoryMb << 20 : heap / 2;
        String budget = memoryMb > 0 ? "--memory-mb " + memoryMb : "half the " + (heap >> 20) + " MiB heap; raise --memory-mb up to the heap";
        org.attnsweep.engine.Formulation form = formulation.value();
        if (!dryRun) engine.warmUpAhead();
        Plan plan = Plan.of(grids(), maxRuns.limits(memory, budget + ", or " + RunOptions.MORE_HEAP).in(form));
        engine.check(plan.runs());
        List<PlannedRun> mine = plan.shard(sh[0], sh[1]);
        Sweeper.Inputs inputs = RunOptions.inputs(plan, null);
        Engine eng = engine.select(form, plan.runs(), err);
        Plan.checkEngine(mine, eng::maxBatch, eng.name());
        RunOptions.checkGeneratedRange(mine, eng.precision());
        if (dryRun) {
            printPlan(out, plan, mine, memory, eng, inputs);
            return 0;
        }
        try (OutputDir dir = OutputDir.open(this.out, "sweep")) {
            Map<String, Object> about = new LinkedHashMap<>();
            about.put("command", "sweep");
            about.put("preset", preset);
            if (preset != null) about.put("preset_notes", SweepPresets.notes(preset));
            Sweeper.Outcome o = Sweeper.execute(plan, sh, eng, dir, about, memory, err, inputs, null);
            out.printf(Locale.ROOT, "%d runs trained in %.1f s (%.1f runs/s); %d runs of this shard stored in %s%n",
                    o.trained(), o.seconds(), o.trained() / Math.max(o.seconds(), 1e-9), o.stored(), dir.path());
            if (sh[1] == 1) {
                out.print(Aggregate.write(dir.path(), cutoff.value(), err::println));
            }
            if (report) out.println("wrote " + org.attnsweep.report.Report.write(dir.path()));
        }
        out.flush();
        return 0;
    }

    /** Preset grids (or one default grid), then the spec file's entries, then the command line's. */
    List<Grid> grids() {
        Map<String, String> given = new LinkedHashMap<>();
        String p = preset;
        if (specFile != null) {
            SpecFile.Parsed f = SpecFile.read(specFile);
            if (p == null) p = f.preset();
            given.putAll(f.entries());
        }
        given.putAll(RunOptions.given(spec.commandLine().getParseResult()));
        RunOptions.checkMuSnr(given.keySet());
        List<Grid> grids = p == null ? List.of(new Grid(new RunSpec(), Map.of())) : SweepPresets.grids(p, new RunSpec());
        List<Grid> out = new ArrayList<>();
        for (Grid g : grids) {
            RunSpec base = g.base().copy();
            Map<String, List<String>> axes = new LinkedHashMap<>(g.axes());
            // --mu and --snr set the same |mu|: the one the user gives replaces a preset's axis of the other.
            if (given.containsKey("mu")) axes.remove("snr");
            if (given.containsKey("snr")) axes.remove("mu");
            for (Map.Entry<String, String> e : given.entrySet()) {
                List<String> values = Grid.values(e.getKey(), e.getValue());
                if (e.getKey().equals("repeats") && values.size() != 1) {
                    throw new IllegalArgumentException("--repeats takes one value: got '" + e.getValue() + "'");
                }
                if (RunOptions.ONE_PER_SWEEP.contains(e.getKey()) && values.size() != 1) {
                    throw new IllegalArgumentException("--" + e.getKey() + " takes one value per sweep (summary.csv has no column "
                            + "to tell its runs apart): got '" + e.getValue() + "'");
                }
                if (values.size() == 1) {
                    axes.remove(e.getKey());
                    base.set(e.getKey(), values.get(0));
                } else {
                    axes.put(e.getKey(), values);
                }
            }
            RunOptions.checkImageOptions(base.images != null || axes.containsKey("images"), given.keySet());
            java.util.Set<String> set = new java.util.HashSet<>(given.keySet());
            set.addAll(axes.keySet());
            RunOptions.checkInitParams(axes.containsKey("init") ? axes.get("init").stream().map(v -> v.toLowerCase(Locale.ROOT)).toList()
                    : List.of(base.init.name().toLowerCase(Locale.ROOT)), set);
            out.add(new Grid(base, axes));
        }
        return out;
    }

    static int[] parseShard(String s) {
        String[] f = s.split("/");
        try {
            if (f.length == 2) {
                int i = Integer.parseInt(f[0].trim()), n = Integer.parseInt(f[1].trim());
                if (n >= 1 && i >= 0 && i < n) return new int[] {i, n};
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("--shard must be i/n with 0 <= i < n: got '" + s + "'");
    }

    private static void printPlan(PrintWriter out, Plan plan, List<PlannedRun> mine, long memory, Engine engine, Sweeper.Inputs inputs) {
        org.attnsweep.engine.Formulation asked = engine.formulation();
        List<List<PlannedRun>> batches = Sweeper.batches(mine, engine, memory, inputs);
        double flops = 0;
        long peak = 0;
        Map<String, Integer> forms = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
        for (List<PlannedRun> b : batches) {
            for (PlannedRun r : b) {
                Plan.Footprint f = Plan.Footprint.of(r.config(), asked);
                forms.merge(f.form().label(), 1, Integer::sum);
                RunConfig c = r.config();
                // each run counted in the form it trains in: docs/math.md §4's span count, §7's direct count
                flops += c.steps() * (f.form() == org.attnsweep.engine.Formulation.DIRECT
                        ? org.attnsweep.engine.vector.CostModel.directStepFlops(c.N(), c.M(), c.d(), c.mk(), c.mv(), c.tokenCount(), c.heads())
                        : c.stepFlops());
            }
            peak = Math.max(peak, Sweeper.batchBytes(b, asked, inputs));   // as the batches were sized: data and families once
        }
        int threads = Runtime.getRuntime().availableProcessors();
        // Rough rate of the vector engine's GEMMs per core (see benchmarks/RESULTS.md); runs that
        // stop at a target loss finish sooner than this worst case.
        double rate = 40e9 * threads;
        out.printf(Locale.ROOT, "plan: %d runs (%d in this shard) in %d batches%n", plan.size(), mine.size(), batches.size());
        // The form each run is sized in (the one it trains in, per run under auto: a batch's own
        // choice sums its runs), e.g. "direct form" or "span form (40 runs) and direct form (500 runs)".
        String sized = forms.size() == 1 ? forms.keySet().iterator().next() + " form"
                : String.join(" and ", forms.entrySet().stream().map(e -> e.getKey() + " form (" + e.getValue() + " runs)").toList());
        out.printf(Locale.ROOT, "memory: at most %.1f MiB per batch, runs sized in the %s (budget %.0f MiB)%n",
                peak / 1048576.0, sized, memory / 1048576.0);
        boolean early = mine.stream().anyMatch(r -> r.config().targetLoss() > 0);
        out.printf(Locale.ROOT, "time: at most %.3g TFLOP of GD steps (%s), about %s on %d cores at %.0f GFLOP/s%s%n",
                flops / 1e12, forms.containsKey("direct") ? forms.size() > 1 ? "docs/math.md §4 and §7 counts" : "docs/math.md §7's direct count"
                        : "docs/math.md §4 count", clock(flops / rate), threads, rate / 1e9,
                early ? " if no run stops early (runs with a target loss usually stop far sooner)" : "");
    }

    private static String clock(double secs) {
        long s = Math.round(secs);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
