package org.attnsweep.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.attnsweep.data.NpyData;
import org.attnsweep.engine.Engine;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunSpec;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.Grid;
import org.attnsweep.sweep.Plan;
import org.attnsweep.sweep.PlannedRun;
import org.attnsweep.sweep.Sweeper;
import org.attnsweep.sweep.OutputDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code train}: one config, {@code --repeats} runs of it in one lockstep batch. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains --repeats runs of one configuration in lockstep and writes config.json, "
                + "metrics.csv (heads.csv with --heads above 1) and summary.csv to --out (re-running the same command resumes).",
                "Defaults are paper B's setting; a --preset replaces them and explicit options override both."},
        footer = {"Run options are listed above the engine options; boolean ones take true/false (bare = true)."})
public final class TrainCommand implements Callable<Integer>, Main.Results {

    @Option(names = "--preset", description = "jiang-heatmap, jiang-dynamics-benign, jiang-dynamics-harmful or zhang-dynamics")
    String preset;

    @picocli.CommandLine.Mixin
    EngineOptions engine;
    @picocli.CommandLine.Mixin
    FormulationOption formulation;
    @Option(names = "--out", required = true, description = "output directory") Path out;
    @Option(names = "--data-from", description = "read train_x.npy [N,M,d], train_y.npy [N], test_x.npy, test_y.npy "
            + "(optional: train_y_clean.npy, test_y_clean.npy, mu.npy [2,d]); N, M, d and test-n come from the files, "
            + "and an explicit one that disagrees is refused") Path dataFrom;
    @Option(names = "--init-from", description = "read the initial W_Q.npy [m_k,d], W_K.npy [m_k,d], W_V.npy [m_v,d], w_O.npy [m_v] "
            + "(H heads: [H,m_k,d], [H,m_k,d], [H,m_v,d], [H,m_v]); m_k, m_v, d and H come from the files, and an explicit one "
            + "that disagrees is refused") Path initFrom;
    @Option(names = "--save-data", description = "write each run's data as NPY files (DIR, or DIR/run-K with several runs); mini-batch runs also batch_order.npy [steps, B]") Path saveData;
    @Option(names = "--save-weights", description = "write each run's final weights as NPY files (DIR, or DIR/run-K)") Path saveWeights;
    @Option(names = "--report", description = "write report.html (figures, verdicts) into --out at the end") boolean report;
    @picocli.CommandLine.Mixin
    MaxRunsOption maxRuns;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Path results() {
        return out;
    }

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintStream err = new PrintStream(new WriterStream(spec.commandLine().getErr()), true);
        // Everything is resolved and checked before any work starts: paths, the plan (its size,
        // then each run's memory), the inputs' files, the engine.
        checkPaths();
        checkSaveDirs();
        engine.check(formulation.value());
        RunSpec runSpec = resolve();
        Map<String, String> given = RunOptions.given(spec.commandLine().getParseResult());
        RunOptions.checkImageOptions(runSpec.images != null, given.keySet());
        if (dataFrom != null && runSpec.images != null) {
            throw new IllegalArgumentException("--data-from and --images both give the data: choose one");
        }
        RunOptions.checkFileInputs(given.keySet(), dataFrom, initFrom);
        RunOptions.checkMuSnr(given.keySet());
        RunOptions.checkInitParams(List.of(runSpec.init.name().toLowerCase(Locale.ROOT)), given.keySet());
        engine.warmUpAhead();
        // Each file is read once here, for every run of the command.
        NpyData.Inputs files = dataFrom == null && initFrom == null ? null : NpyData.read(dataFrom, initFrom);
        if (files != null) RunOptions.shapesFromFiles(runSpec, given, files, dataFrom, initFrom);
        long heap = Runtime.getRuntime().maxMemory();
        org.attnsweep.engine.Formulation form = formulation.value();
        Plan plan = Plan.of(List.of(new Grid(runSpec, Map.of())),
                maxRuns.limits(heap / 2, "half the " + (heap >> 20) + " MiB heap; " + RunOptions.MORE_HEAP).in(form));
        engine.check(plan.runs());
        Sweeper.Inputs inputs = RunOptions.inputs(plan, files);
        Engine eng = engine.select(form, plan.runs(), err);
        Plan.checkEngine(plan.runs(), eng::maxBatch, eng.name());
        if (files != null) files.checkRange(eng.precision(), dataFrom, initFrom);
        if (dataFrom == null) RunOptions.checkGeneratedRange(plan.runs(), eng.precision());
        checkSavedOnResume(plan.runs());
        if (saveData != null) OutputDir.writable("--save-data", saveData);
        if (saveWeights != null) OutputDir.writable("--save-weights", saveWeights);
        try (OutputDir dir = OutputDir.open(this.out, "train")) {
            Map<String, Object> about = new LinkedHashMap<>();
            about.put("command", "train");
            about.put("preset", preset);
            if (preset != null) about.put("preset_notes", Presets.notes(preset));
            if (dataFrom != null) about.put("data_from", dataFrom.toAbsolutePath().toString());
            if (initFrom != null) about.put("init_from", initFrom.toAbsolutePath().toString());
            boolean many = plan.size() > 1;
            Sweeper.Outcome o = Sweeper.execute(plan, new int[] {0, 1}, eng, dir, about, Runtime.getRuntime().maxMemory() / 2,
                    err, inputs, saveData == null && saveWeights == null ? null : (run, res) -> {
                        String sub = subdir(run, many);
                        Path at = null;
                        try {
                            if (saveData != null) {
                                at = saveData.resolve(sub);
                                NpyData.saveData(at, inputs.source().apply(run.config()));
                                if (run.config().miniBatch()) NpyData.saveBatchOrder(at, run.config(), res.stopStep());
                            }
                            if (saveWeights != null) {
                                at = saveWeights.resolve(sub);
                                NpyData.saveWeights(at, res.finalWeights());
                            }
                        } catch (java.io.IOException e) {
                            // One line naming the directory (the bare exception read "java.io.IOException: No space left on device").
                            throw new java.io.UncheckedIOException("cannot save run " + run.index() + "'s files in " + at + ": "
                                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
                        }
                    });

            List<Aggregate.Cell> runs = Aggregate.runs(dir.path().resolve("summary.csv"), err::println);
            long steps = runs.stream().mapToLong(r -> Math.round(r.stopStepMean())).sum();
            out.printf(Locale.ROOT, "%d runs, %d run-steps in %.1f s (%.0f run-steps/s) -> %s%n",
                    o.trained(), steps, o.seconds(), steps / Math.max(o.seconds(), 1e-9), dir.path());
            out.printf(Locale.ROOT, "%4s %5s %6s %10s %11s %10s %10s %11s %9s%n", "run", "N", "snr", "stop_step",
                    "train_loss", "test_loss", "test_error", "attn_signal", "diverged");
            for (int r = 0; r < runs.size(); r++) {
                Aggregate.Cell c = runs.get(r);
                out.printf(Locale.ROOT, "%4d %5s %6.3f %10.0f %11.4g %10.4g %10.3f %11.3f %9s%n", r, c.config().get("N"),
                        c.num("snr"), c.stopStepMean(), c.mean(Metric.TRAIN_LOSS), c.mean(Metric.TEST_LOSS),
                        c.mean(Metric.TEST_ERROR), c.mean(Metric.ATTN_SIGNAL), c.diverged() > 0);
            }
            List<String> losses = runs.stream().map(c -> c.config().get("loss")).distinct().toList();
            if (!losses.equals(List.of("logistic"))) {
                out.println("train_loss, test_loss: the " + String.join(", ", losses) + " loss (summary.csv's train_loss_logistic and"
                        + " test_loss_logistic hold the logistic loss)");
            }
            if (report) out.println("wrote " + org.attnsweep.report.Report.write(dir.path()));
        }
        out.flush();
        return 0;
    }

    /**
     * Inputs must be directories, and no output may be or hold an input (or lie inside one): saving
     * data into --data-from would overwrite the files being read. Paths are compared resolved
     * (absolute, normalised, symbolic links followed where they exist).
     */
    void checkPaths() {
        for (Object[] in : new Object[][] {{"--data-from", dataFrom}, {"--init-from", initFrom}}) {
            Path p = (Path) in[1];
            if (p == null) continue;
            if (p.toString().isBlank()) throw new IllegalArgumentException(in[0] + " must name a directory: got ''");
            if (!java.nio.file.Files.isDirectory(p)) {
                throw new IllegalArgumentException(in[0] + " " + p + (java.nio.file.Files.exists(p) ? " is not a directory" : " does not exist"));
            }
        }
        for (Object[] o : new Object[][] {{"--out", out}, {"--save-data", saveData}, {"--save-weights", saveWeights}}) {
            Path p = (Path) o[1];
            if (p == null) continue;
            RunOptions.checkOut((String) o[0], p);
            for (Object[] in : new Object[][] {{"--data-from", dataFrom}, {"--init-from", initFrom}}) {
                if (in[1] == null) continue;
                Path a = RunOptions.resolved(p), b = RunOptions.resolved((Path) in[1]);
                // --out only writes its own file names, so it may sit inside an input; it may not be one.
                boolean clash = o[0].equals("--out") ? a.equals(b) : a.startsWith(b) || b.startsWith(a);
                if (clash) {
                    throw new IllegalArgumentException(o[0] + " " + p + (a.equals(b) ? " is " : a.startsWith(b) ? " is inside " : " holds ")
                            + in[0] + " " + in[1] + ": outputs must not overwrite inputs; choose another " + o[0]);
                }
            }
        }
        RunOptions.checkResultsOut(out, false);
    }

    /**
     * Refuses a --save-data or --save-weights directory that already holds saved files (NPY files,
     * or the run-K directories of several runs) unless --out is being resumed (it holds a
     * config.json; a resume trains, and so saves, only the runs not yet finished, beside the ones
     * saved before). A fresh command wrote over another command's data or weights without a word.
     */
    void checkSaveDirs() throws java.io.IOException {
        if (java.nio.file.Files.isRegularFile(out.resolve("config.json"))) return;
        for (Object[] o : new Object[][] {{"--save-data", saveData}, {"--save-weights", saveWeights}}) {
            Path p = (Path) o[1];
            if (p == null || !java.nio.file.Files.isDirectory(p)) continue;
            try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(p)) {
                java.util.Optional<String> saved = entries.map(e -> e.getFileName().toString())
                        .filter(n -> n.endsWith(".npy") || n.matches("run-[0-9]{4,}")).sorted().findFirst();
                if (saved.isPresent()) {
                    throw new IllegalArgumentException(o[0] + " " + p + " already holds " + saved.get() + " (saved by another command), and "
                            + "--out " + out + " is not a resume: choose a new or empty " + o[0] + " directory");
                }
            }
        }
    }

    /** Where a run's saved files go in --save-data/--save-weights: DIR itself for one run, DIR/run-K with several. */
    private static String subdir(PlannedRun run, boolean many) {
        return many ? String.format(Locale.ROOT, "run-%04d", run.index()) : "";
    }

    /**
     * On a resume, refuses --save-data/--save-weights where a run already stored has no files
     * there: a resume does not train it again, so its files would never be written, and the command
     * ended as if they had been (an earlier train without the option stored it). A run trained with
     * the option has them, written before it was stored, so the same command still resumes.
     */
    void checkSavedOnResume(List<PlannedRun> runs) throws java.io.IOException {
        Path summary = out.resolve("summary.csv");
        if (saveData == null && saveWeights == null || !java.nio.file.Files.isRegularFile(summary)) return;
        java.util.Set<String> stored = new java.util.HashSet<>();
        // run,key,...: the key is the second field, before any quoted one (keys are hex; any bytes read)
        for (String l : java.nio.file.Files.readAllLines(summary, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            String[] f = l.split(",", 3);
            if (f.length > 1) stored.add(f[1]);
        }
        for (PlannedRun r : runs) {
            if (!stored.contains(r.key())) continue;
            for (Object[] o : new Object[][] {{"--save-data", saveData}, {"--save-weights", saveWeights}}) {
                if (o[1] == null) continue;
                Path at = ((Path) o[1]).resolve(subdir(r, runs.size() > 1));
                boolean saved = false;
                if (java.nio.file.Files.isDirectory(at)) {
                    try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(at)) {
                        saved = entries.anyMatch(e -> e.getFileName().toString().endsWith(".npy"));
                    }
                }
                if (!saved) {
                    throw new IllegalArgumentException(o[0] + " " + o[1] + ": run " + r.index() + " is already stored in --out " + out
                            + " but has no files in " + at + " (it was trained without " + o[0] + "), and a resume does not train it "
                            + "again: choose a new --out to train and save it");
                }
            }
        }
    }

    /** Defaults, then the preset, then every option the user gave. */
    RunSpec resolve() {
        RunSpec s = new RunSpec();
        if (preset != null) Presets.apply(preset, s);
        RunOptions.given(spec.commandLine().getParseResult()).forEach(s::set);
        return s;
    }
}
