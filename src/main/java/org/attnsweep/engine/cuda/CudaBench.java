package org.attnsweep.engine.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.cuda.Kernels.Operand;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.train.RunResult;
import org.attnsweep.train.Trainer;

/**
 * Timing entry point of the cuda engine for scripts/gpu-bench and scripts/gpu-check. Three modes:
 *
 * <pre>
 *   throughput [--preset P] [--N n] [--runs R] [--steps S]   run-steps/s and GFLOP/s of the span step
 *   workload   [--fraction f] [--batch B]                    wall time of (a fraction of) jiang-heatmap
 *   check                                                    one full step + metrics on a small mixed batch
 * </pre>
 *
 * FLOPs are counted with SPEC §4's span formula: 2·m_k·P² multiply-adds per run-step (the two
 * P×P×m_k update GEMMs), 2 FLOPs each; the O((m_k+m_v)·P·M) rest is not counted. Results go to
 * stdout as {@code key=value} lines the scripts parse; diagnostics to stderr.
 */
public final class CudaBench {
    private CudaBench() {
    }

    public static void main(String[] args) {
        String mode = args.length > 0 ? args[0] : "throughput";
        java.util.Map<String, String> opt = new java.util.HashMap<>();
        for (int i = 1; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) throw new IllegalArgumentException("options are --name value pairs: got '" + args[i] + "'");
            opt.put(args[i].substring(2), args[i + 1]);
        }
        CudaEngine.Availability a = CudaEngine.probe();
        if (!a.available()) {
            System.err.println("cuda-bench: no usable GPU: " + a.reason());
            System.exit(2);
        }
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            System.err.println(cuda.describe());
            switch (mode) {
                case "throughput" -> throughput(cuda, opt);
                case "workload" -> workload(cuda, opt);
                case "check" -> check(cuda);
                default -> throw new IllegalArgumentException("mode must be throughput, workload or check: got '" + mode + "'");
            }
        }
    }

    private static RunSpec preset(java.util.Map<String, String> opt) {
        RunSpec s = new RunSpec();
        Presets.apply(opt.getOrDefault("preset", "jiang-heatmap"), s);
        if (opt.containsKey("N")) s.N = Integer.parseInt(opt.get("N"));
        s.targetLoss = 0; // every run takes every timed step
        return s;
    }

    /** The data of every config, drawn on all cores (DataFactory, as every engine gets it). */
    private static List<RunData> generate(List<RunConfig> configs) {
        RunData[] out = new RunData[configs.size()];
        IntStream.range(0, out.length).parallel().forEach(i -> out[i] = DataFactory.generate(configs.get(i)));
        return List.of(out);
    }

    private static double spanFlops(RunConfig c) {
        double P = c.tokenCount();
        return 2.0 * (2.0 * c.mk() * P * P);
    }

    private static void throughput(CudaEngine cuda, java.util.Map<String, String> opt) {
        RunSpec s = preset(opt);
        RunConfig shape = s.build(0);
        int R = Integer.parseInt(opt.getOrDefault("runs", Integer.toString(Math.min(512, cuda.maxBatch(shape)))));
        int steps = Integer.parseInt(opt.getOrDefault("steps", "20"));
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
            java.util.Arrays.fill(active, true);
            double[] loss = new double[R];
            for (int i = 0; i < 3; i++) b.step(active, loss); // warm-up: JIT of the PTX, caches
            long t3 = System.nanoTime();
            for (int i = 0; i < steps; i++) b.step(active, loss);
            long t4 = System.nanoTime();
            double sec = (t4 - t3) * 1e-9, runSteps = (double) R * steps;
            double[][] m = new double[R][Metric.COUNT];
            long t5 = System.nanoTime();
            b.metrics(active, m);
            long t6 = System.nanoTime();
            System.out.printf(Locale.ROOT, "shape=d=%d,M=%d,m_k=%d,m_v=%d,N=%d,P=%d%n", shape.d(), shape.M(), shape.mk(), shape.mv(),
                    shape.N(), shape.tokenCount());
            System.out.printf(Locale.ROOT, "runs=%d%nsteps=%d%nstep_ms=%.3f%nrun_steps_per_s=%.1f%n", R, steps, 1e3 * sec / steps,
                    runSteps / sec);
            System.out.printf(Locale.ROOT, "gflops_span=%.1f%nflop_count=2 FLOP per multiply-add of SPEC 4's 2*m_k*P^2 per run-step%n",
                    runSteps * spanFlops(shape) / sec * 1e-9);
            System.out.printf(Locale.ROOT, "generate_s=%.2f%nsetup_s=%.2f%nmetrics_ms=%.1f%n", (t1 - t0) * 1e-9, (t2 - t1) * 1e-9,
                    (t6 - t5) * 1e-6);
        }
        gemmCeiling(cuda);
    }

    /** Our SGEMM kernel alone on one 4096³ product: the ceiling the span step's GEMMs can reach. */
    private static void gemmCeiling(CudaEngine cuda) {
        int n = 4096, reps = 10;
        CudaContext ctx = cuda.context();
        Kernels k = ctx.kernels();
        try (DeviceBuffer A = ctx.alloc(4L * n * n); DeviceBuffer B = ctx.alloc(4L * n * n); DeviceBuffer C = ctx.alloc(4L * n * n)) {
            Operand a = new Operand(A.ptr(), 0, n), b = new Operand(B.ptr(), 0, n), c = new Operand(C.ptr(), 0, n);
            k.gemm(false, null, 1, null, null, null, n, n, n, a, b, null, c, null, 1f);
            ctx.synchronize();
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) k.gemm(false, null, 1, null, null, null, n, n, n, a, b, null, c, null, 1f);
            ctx.synchronize();
            double sec = (System.nanoTime() - t0) * 1e-9;
            System.out.printf(Locale.ROOT, "gemm_kernel_gflops_4096=%.1f%n", reps * 2.0 * n * n * (double) n / sec * 1e-9);
        }
    }

    /**
     * jiang-heatmap (SPEC §6): N ∈ {2, 4, …, 20} × ‖μ‖ ∈ {1, …, 100} × 10 repeats, stop at train loss
     * < 0.01 or 1000 steps, metrics at the stop. Runs every k-th cell (k = round(1/fraction)) in batches
     * of mixed N through the Trainer, and extrapolates the wall time to the whole grid.
     */
    private static void workload(CudaEngine cuda, java.util.Map<String, String> opt) {
        double fraction = Double.parseDouble(opt.getOrDefault("fraction", "0.02"));
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("--fraction must be in (0, 1]: got " + fraction);
        int every = (int) Math.round(1 / fraction);
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        int batch = Integer.parseInt(opt.getOrDefault("batch", Integer.toString(Math.min(256, cuda.maxBatch(s.build(0))))));
        List<RunConfig> cells = new ArrayList<>();
        int index = 0;
        for (int rep = 0; rep < 10; rep++) {
            for (int mu = 1; mu <= 100; mu++) {
                for (int N = 2; N <= 20; N += 2) {
                    if (index++ % every != 0) continue;
                    s.N = N;
                    s.mu = mu;
                    cells.add(s.build(rep));
                }
            }
        }
        long t0 = System.nanoTime(), gen = 0, train = 0, runSteps = 0;
        int reached = 0, diverged = 0;
        double flops = 0;
        for (int from = 0; from < cells.size(); from += batch) {
            List<RunConfig> part = cells.subList(from, Math.min(cells.size(), from + batch));
            long g0 = System.nanoTime();
            List<RunData> runs = generate(part);
            long g1 = System.nanoTime();
            try (EngineBatch b = cuda.open(runs)) {
                for (RunResult r : Trainer.train(b, runs, false, null)) {
                    runSteps += r.stopStep();
                    flops += r.stopStep() * spanFlops(r.config());
                    if (r.reachedTarget()) reached++;
                    if (r.diverged()) diverged++;
                }
            }
            gen += g1 - g0;
            train += System.nanoTime() - g1;
            System.err.printf(Locale.ROOT, "workload: %d/%d runs done%n", Math.min(cells.size(), from + batch), cells.size());
        }
        double wall = (System.nanoTime() - t0) * 1e-9;
        System.out.printf(Locale.ROOT, "workload=jiang-heatmap%nfraction=1/%d%nworkload_runs=%d%nworkload_run_steps=%d%n", every,
                cells.size(), runSteps);
        System.out.printf(Locale.ROOT, "reached_target=%d%ndiverged=%d%n", reached, diverged);
        System.out.printf(Locale.ROOT, "workload_wall_s=%.2f%nworkload_generate_s=%.2f%nworkload_train_s=%.2f%n", wall, gen * 1e-9,
                train * 1e-9);
        System.out.printf(Locale.ROOT, "workload_train_gflops_span=%.1f%nfull_grid_wall_s_extrapolated=%.1f%n", flops / (train * 1e-9) * 1e-9,
                wall * every);
    }

    /** One full step and one metrics pass on a small batch mixing M > 2, fixed and learnable w_O and N. */
    private static void check(CudaEngine cuda) {
        List<RunConfig> configs = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            RunSpec s = new RunSpec();
            s.d = 40;
            s.M = 4;
            s.mk = 24;
            s.mv = 20;
            s.N = 3 + 2 * r;
            s.sigma = new double[] {1, 0.5, 0.5};
            s.mu = 3;
            s.p = 0.2;
            s.trainWo = r % 2 == 0;
            s.testN = 5;
            configs.add(s.build(r));
        }
        List<RunData> runs = generate(configs);
        try (EngineBatch b = cuda.open(runs)) {
            boolean[] active = {true, true, false, true};
            double[] loss = new double[4];
            b.step(active, loss);
            double[][] m = new double[4][Metric.COUNT];
            b.metrics(new boolean[] {true, true, true, true}, m);
            for (int r = 0; r < 4; r++) {
                System.out.printf(Locale.ROOT, "check run %d: step loss %.6f, train_loss %.6f, test_loss %.6f%n", r, loss[r],
                        m[r][Metric.TRAIN_LOSS.ordinal()], m[r][Metric.TEST_LOSS.ordinal()]);
            }
        }
    }
}
