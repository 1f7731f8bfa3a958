package org.attnsweep.engine.cuda;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import jcuda.CudaException;
import org.attnsweep.cli.Main;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;

/**
 * The cuda engine's benchmark, for the GPU kit (scripts/gpu-kit) and scripts/cpu-bench's peers.
 * Three modes; results go to stdout as {@code key=value} lines the kit's run script reads, the
 * performance model's table as plain lines, diagnostics to stderr:
 *
 * <pre>
 *   step [--preset P] [--runs R] [--steps S] [--KEY VALUE...]   lockstep GD steps of R runs of one shape:
 *         run-steps/s, GFLOP/s (RunConfig.stepFlops) and {@link PerfModel}'s table, with each kernel's
 *         measured device time (CUDA events) next to its roofline where the driver has events
 *   workload DIR SWEEP-ARGS...    `attnsweep sweep SWEEP-ARGS --out DIR` as a user runs it (any engine),
 *         then its wall time, runs/s, run-steps and GFLOP/s from DIR's config.json and summary.csv
 *   check                         one full step and one metrics pass at a real shape (M = 16,
 *         m_k = m_v = 128, N up to 20, mixed N): what compute-sanitizer watches
 *   table DIR                     the GPU kit's summary from the files its run wrote into DIR: one
 *         table (ours against PyTorch per shape, the heatmap on cuda and vector) and a verdict line
 * </pre>
 *
 * Other {@code --KEY VALUE} pairs of step set run options on the preset (RunSpec keys: --d 64
 * --mk 32), which is how the emulated kit shrinks the shape.
 */
public final class CudaBench {
    /** Runs of one family in the jiang-heatmap grid (data/Family): its 10 N × 100 ‖μ‖ cells of one repeat. */
    private static final int JIANG_FAMILY = 1000;

    private CudaBench() {
    }

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "step";
        try {
            switch (mode) {
                case "step" -> step(options(args));
                case "workload" -> {
                    if (args.length < 2) throw new IllegalArgumentException("workload needs DIR then the sweep's options");
                    workload(Path.of(args[1]), Arrays.copyOfRange(args, 2, args.length));
                }
                case "check" -> check();
                case "table" -> {
                    if (args.length != 2) throw new IllegalArgumentException("table needs the kit's results DIR");
                    table(Path.of(args[1]));
                }
                default -> throw new IllegalArgumentException("mode must be step, workload, check or table: got '" + mode + "'");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("cuda-bench: " + e.getMessage());
            System.exit(2);
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("options are --name value pairs: got '" + args[i] + "'");
            }
            opt.put(args[i].substring(2), args[i + 1]);
        }
        return opt;
    }

    private static CudaEngine openEngine() {
        CudaEngine.Availability a = CudaEngine.probe();
        if (!a.available()) {
            System.err.println("cuda-bench: no usable GPU: " + a.reason());
            System.exit(2);
        }
        return new CudaEngine(System.err);
    }

    /** The data of every config, drawn on all cores (DataFactory, as every engine gets it). */
    private static List<RunData> generate(List<RunConfig> configs) {
        RunData[] out = new RunData[configs.size()];
        IntStream.range(0, out.length).parallel().forEach(i -> out[i] = DataFactory.generate(configs.get(i)));
        return List.of(out);
    }

    /**
     * R runs of the preset's shape (‖μ‖ varied over runs, every run active for every step: target
     * loss 0), 3 warm-up steps (the driver's JIT of PTX, caches), then S timed steps; then the same S
     * steps again with every launch timed by events, for the per-kernel column of the model's table.
     */
    private static void step(Map<String, String> opt) {
        RunSpec s = new RunSpec();
        Presets.apply(opt.getOrDefault("preset", "jiang-heatmap"), s);
        int steps = Integer.parseInt(opt.getOrDefault("steps", "20"));
        for (Map.Entry<String, String> e : opt.entrySet()) {
            if (!List.of("preset", "steps", "runs").contains(e.getKey())) s.set(e.getKey(), e.getValue());
        }
        s.targetLoss = 0;
        RunConfig shape = s.build(0).validate();
        try (CudaEngine cuda = openEngine()) {
            int R = Integer.parseInt(opt.getOrDefault("runs", Integer.toString(Math.min(512, cuda.maxBatch(shape)))));
            List<RunConfig> configs = new ArrayList<>();
            for (int r = 0; r < R; r++) {
                s.mu = 1 + r % 100;
                configs.add(s.build(r));
            }
            long t0 = System.nanoTime();
            List<RunData> runs = generate(configs);
            long t1 = System.nanoTime();
            try (EngineBatch b = cuda.open(runs)) {
                long t2 = System.nanoTime();
                boolean[] active = new boolean[R];
                Arrays.fill(active, true);
                double[] loss = new double[R];
                for (int i = 0; i < 3; i++) b.step(active, loss);
                cuda.context().synchronize();
                long t3 = System.nanoTime();
                for (int i = 0; i < steps; i++) b.step(active, loss);
                cuda.context().synchronize();
                long t4 = System.nanoTime();
                double sec = (t4 - t3) * 1e-9, runSteps = (double) R * steps;
                double[][] m = new double[R][Metric.COUNT];
                long t5 = System.nanoTime();
                b.metrics(active, m);
                long t6 = System.nanoTime();
                Map<String, Double> perKernel = kernelTimes(cuda, b, active, loss, steps);
                String device = cuda.context().name();
                PerfModel.Device dev = PerfModel.device(device);
                GemmKind gemm = cuda.context().kernels().gemmKind();
                System.out.printf(Locale.ROOT, "device=%s%nshape=d=%d,M=%d,m_k=%d,m_v=%d,N=%d,P=%d,train_wo=%s%ngemm=%s%n", device, shape.d(),
                        shape.M(), shape.mk(), shape.mv(), shape.N(), shape.tokenCount(), shape.trainWo(), gemm.label);
                System.out.printf(Locale.ROOT, "runs=%d%nsteps=%d%nstep_ms=%.3f%nrun_steps_per_s=%.1f%n", R, steps, 1e3 * sec / steps,
                        runSteps / sec);
                System.out.printf(Locale.ROOT, "gflops=%.1f%n", runSteps * shape.stepFlops() / sec * 1e-9);
                PerfModel.Device at = dev == null ? PerfModel.DEFAULT : dev;
                if (perKernel.containsKey("gemm")) System.out.printf(Locale.ROOT, "gemm_ms=%.3f%n", 1e3 * perKernel.get("gemm"));
                System.out.printf(Locale.ROOT, "predicted_step_ms=%.3f%nmodel_device=%s%n", 1e3 * PerfModel.stepSeconds(shape, at, R, gemm),
                        at.name() + (dev == null ? " (device unknown to the model)" : ""));
                System.out.printf(Locale.ROOT, "generate_s=%.2f%nsetup_s=%.2f%nmetrics_ms=%.1f%n", (t1 - t0) * 1e-9, (t2 - t1) * 1e-9,
                        (t6 - t5) * 1e-6);
                // A family shares its draws across N and ‖μ‖: in the jiang-heatmap, 10 N × 100 ‖μ‖ per repeat.
                for (String line : PerfModel.table(shape, R, at, perKernel, JIANG_FAMILY, gemm)) System.out.println(line);
            }
        }
    }

    /** Seconds per step of the whole batch, per kernel, from CUDA events; empty where the driver has none. */
    private static Map<String, Double> kernelTimes(CudaEngine cuda, EngineBatch b, boolean[] active, double[] loss, int steps) {
        Map<String, Double> per = new LinkedHashMap<>();
        try (KernelTimer timer = KernelTimer.install()) {
            for (int i = 0; i < steps; i++) b.step(active, loss);
            timer.drain().forEach((k, v) -> per.put(k, v / steps));
        } catch (CudaException e) {
            System.err.println("cuda-bench: no per-kernel times (CUDA events: " + e.getMessage() + ")");
            per.clear();
        }
        cuda.context().synchronize();
        return per;
    }

    /**
     * Runs {@code attnsweep sweep ARGS --out DIR} in this process, as a user would, and reads back
     * what it stored: wall seconds and runs/s (config.json) and each run's stop step (summary.csv),
     * whose sum times RunConfig.stepFlops is the GD work done.
     */
    private static void workload(Path dir, String[] sweepArgs) {
        List<String> args = new ArrayList<>(List.of("sweep"));
        args.addAll(List.of(sweepArgs));
        args.addAll(List.of("--out", dir.toString()));
        int rc = Main.run(args.toArray(String[]::new), new PrintWriter(System.err, true), new PrintWriter(System.err, true));
        if (rc != 0) {
            System.err.println("cuda-bench: the sweep failed (exit " + rc + ")");
            System.exit(rc);
        }
        try {
            var cfg = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile());
            List<String> lines = Files.readAllLines(dir.resolve("summary.csv"));
            List<String> head = List.of(lines.getFirst().split(","));
            int iN = head.indexOf("N"), iM = head.indexOf("M"), iMk = head.indexOf("mk"), iStop = head.indexOf("stop_step");
            long runSteps = 0;
            double flops = 0;
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                RunSpec shape = new RunSpec();
                shape.M = Integer.parseInt(f[iM]);
                shape.N = Integer.parseInt(f[iN]);
                shape.mk = Integer.parseInt(f[iMk]);
                shape.sigma = new double[shape.M - 1];
                Arrays.fill(shape.sigma, 1);
                long stop = Long.parseLong(f[iStop]);
                runSteps += stop;
                flops += stop * shape.build(0).stepFlops();
            }
            double wall = cfg.get("wall_seconds").asDouble();
            System.out.printf(Locale.ROOT, "engine=%s%nworkload_runs=%d%nworkload_run_steps=%d%nworkload_wall_s=%.2f%nruns_per_s=%.1f%n"
                    + "workload_gflops=%.1f%n", cfg.get("engine").asText().replaceFirst("^engine=", ""), lines.size() - 1, runSteps, wall,
                    cfg.get("runs_per_second").asDouble(), flops / wall * 1e-9);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the sweep's results in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * One full step and one metrics pass at a real shape: M = 16, m_k = m_v = 128 (GEMMs of several
     * tiles, several attention chunks), N from 20 down to 11 in one batch (padding), fixed and
     * learnable w_O and label noise mixed; run 2 sits the step out.
     */
    private static void check() {
        List<RunConfig> configs = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            RunSpec s = new RunSpec();
            Presets.apply("jiang-heatmap", s);
            s.d = 256;
            s.mk = 128;
            s.mv = 128;
            s.N = 20 - 3 * r;
            s.p = r % 2 == 0 ? 0 : 0.2;
            s.trainWo = r % 2 == 0;
            s.testN = 7;
            configs.add(s.build(r));
        }
        List<RunData> runs = generate(configs);
        try (CudaEngine cuda = openEngine(); EngineBatch b = cuda.open(runs)) {
            boolean[] active = {true, true, false, true};
            double[] loss = new double[4];
            b.step(active, loss);
            double[][] m = new double[4][Metric.COUNT];
            b.metrics(new boolean[] {true, true, true, true}, m);
            for (int r = 0; r < 4; r++) {
                System.out.printf(Locale.ROOT, "check run %d (N=%d): step loss %.6f, train_loss %.6f, test_loss %.6f%n", r,
                        configs.get(r).N(), loss[r], m[r][Metric.TRAIN_LOSS.ordinal()], m[r][Metric.TEST_LOSS.ordinal()]);
            }
        }
    }

    /** The targets of issue 8 the verdict checks: ours over PyTorch (step at shape A), cuda over vector (heatmap). */
    private static final double OVER_BMM = 20, OVER_ONE = 100, OVER_SPAN = 2, OVER_VECTOR = 5, HEATMAP_FULL_S = 10;

    /** key=value lines of DIR/NAME, or an empty map when the file is missing. */
    private static Map<String, String> keys(Path dir, String name) {
        Map<String, String> m = new LinkedHashMap<>();
        Path f = dir.resolve(name);
        if (!Files.exists(f)) return m;
        try {
            for (String line : Files.readAllLines(f)) {
                int eq = line.indexOf('=');
                if (eq > 0 && !line.substring(0, eq).contains(" ")) m.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
        return m;
    }

    private static String text(Path dir, String name) {
        try {
            Path f = dir.resolve(name);
            return Files.exists(f) ? Files.readString(f).trim() : "missing (" + name + ")";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double num(Map<String, String> m, String key) {
        String v = m.get(key);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    private static String ratio(double ours, double theirs) {
        return Double.isNaN(ours) || Double.isNaN(theirs) ? "-" : String.format(Locale.ROOT, "%.1fx", ours / theirs);
    }

    private static String target(List<String> verdicts, String what, double got, double want) {
        if (Double.isNaN(got)) return what + ": not measured";
        boolean met = got >= want;
        verdicts.add(met ? "met" : "missed");
        return String.format(Locale.ROOT, "%s %.1fx (target %.0fx: %s)", what, got, want, met ? "met" : "missed");
    }

    private static void table(Path dir) {
        List<String> targets = new ArrayList<>(), verdicts = new ArrayList<>();
        System.out.printf(Locale.ROOT, "%-26s %14s %14s %14s %14s %9s %9s %9s%n", "run-steps/s", "ours (cuda)", "PyTorch 1 run",
                "PyTorch bmm", "PyTorch span", "x 1 run", "x bmm", "x span");
        for (String shape : List.of("A", "B")) {
            Map<String, String> ours = keys(dir, "step-" + shape + ".txt"), torch = keys(dir, "torch-" + shape + ".txt");
            if (ours.isEmpty()) continue;
            double o = num(ours, "run_steps_per_s"), one = num(torch, "torch_one_run_steps_per_s");
            double bmm = num(torch, "torch_bmm_run_steps_per_s"), span = num(torch, "torch_span_run_steps_per_s");
            System.out.printf(Locale.ROOT, "%-26s %14.1f %14s %14s %14s %9s %9s %9s%n", "step " + shape + " (R=" + ours.get("runs") + ")", o,
                    torch.isEmpty() ? "-" : String.format(Locale.ROOT, "%.2f", one), torch.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f", bmm),
                    torch.isEmpty() ? "-" : String.format(Locale.ROOT, "%.1f", span), ratio(o, one), ratio(o, bmm), ratio(o, span));
            System.out.printf(Locale.ROOT, "%-26s %s, %s GFLOP/s (4*m_k*P^2 per run-step), model %s ms/step on %s, measured %s ms%n", "",
                    ours.get("shape"), ours.get("gflops"), ours.get("predicted_step_ms"), ours.get("model_device"), ours.get("step_ms"));
            if (shape.equals("A") && !torch.isEmpty()) {
                targets.add(target(verdicts, "step A vs bmm", o / bmm, OVER_BMM));
                targets.add(target(verdicts, "vs one run", o / one, OVER_ONE));
                targets.add(target(verdicts, "vs span", o / span, OVER_SPAN));
            }
        }
        // Shape A with the 3xTF32 GEMM against the FP32 one: the step and the gemm kernel alone (events).
        Map<String, String> tf = keys(dir, "step-A-tf32x3.txt"), fp = keys(dir, "step-A.txt");
        if (!tf.isEmpty()) {
            double t = num(tf, "run_steps_per_s"), f = num(fp, "run_steps_per_s");
            System.out.printf(Locale.ROOT, "%-26s %14.1f  (%s the fp32 GEMM's step; gemm kernel %s ms a step against %s ms: %s)%n",
                    "step A, gemm=tf32x3 (R=" + tf.get("runs") + ")", t, ratio(t, f), tf.getOrDefault("gemm_ms", "-"), fp.getOrDefault("gemm_ms", "-"),
                    ratio(num(fp, "gemm_ms"), num(tf, "gemm_ms")) + " faster");
        }
        Map<String, String> torchA = keys(dir, "torch-A.txt");
        if (torchA.containsKey("torch_fp32_ceiling_gflops")) {
            System.out.println("PyTorch FP32 ceiling (torch.mm, TF32 off): " + torchA.get("torch_fp32_ceiling_gflops") + " GFLOP/s; span baseline "
                    + keys(dir, "torch-check.txt").getOrDefault("torch_span_check", "unchecked") + " against autograd");
        }
        Map<String, String> hc = keys(dir, "heatmap-cuda.txt"), hv = keys(dir, "heatmap-vector.txt");
        double wc = num(hc, "workload_wall_s"), wv = num(hv, "workload_wall_s"), runs = num(hc, "workload_runs");
        System.out.printf(Locale.ROOT, "jiang-heatmap, %.0f runs: cuda %.2f s (%s runs/s), vector %.2f s (%s runs/s, %s): cuda %s vector;"
                + " whole grid (10,000 runs) at this rate: %.1f s%n", runs, wc, hc.get("runs_per_s"), wv, hv.get("runs_per_s"), hv.get("engine"),
                ratio(wv, wc), wc * 10000 / runs);
        double full = wc * 10000 / runs;
        if (!Double.isNaN(full)) {
            String v = full <= HEATMAP_FULL_S ? "met" : "missed";
            verdicts.add(v);
            targets.add(String.format(Locale.ROOT, "heatmap whole grid %.1f s (target %.0f s: %s)", full, HEATMAP_FULL_S, v));
        }
        targets.add(target(verdicts, "heatmap cuda vs vector", wv / wc, OVER_VECTOR));
        long met = verdicts.stream().filter("met"::equals).count();
        boolean emulated = keys(dir, "step-A.txt").getOrDefault("device", "").contains("emulation");
        // The run's budget (kit-run --budget): which benchmarks it skipped or stopped, when any.
        String budget = Files.exists(dir.resolve("status-budget.txt")) ? "; budget " + text(dir, "status-budget.txt") : "";
        System.out.println("verdict: " + (emulated ? "EMULATED, speeds mean nothing; " : "") + "tests " + text(dir, "status-tests.txt") + "; sanitizer " + text(dir, "status-sanitizer.txt") + "; "
                + String.join(", ", targets) + "; " + met + "/" + verdicts.size() + " targets met" + budget);
    }
}
