package org.attnsweep.engine.vector;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The attention scores of one forward pass ({@code KernelsF32.sampleScores} for each of the N
 * samples: M×M logits of m_k-wide rows), one thread, at paper A's shape (N = 20, M = 16, P = 302,
 * m_k = 512; {@code -p M=8}: P = 142). {@code flop} (2·N·M²·m_k a forward) over {@code cpuNs} (the
 * thread's CPU time inside the scores calls only) is the kernel's rate per core. Run as the other
 * benchmarks: {@code java --add-modules jdk.incubator.vector -cp
 * benchmarks/target/benchmarks.jar:target/attnsweep.jar org.openjdk.jmh.Main ScoresBench}.
 *
 * <p>Three places the keys and queries can come from (benchmarks/RESULTS.md, issue 11, s21 and
 * s22: kernels that won on warm rows, or on rows a GEMM has just written, lost in the grid, whose
 * rows come a lap later):
 * <ul>
 * <li>{@code warm}: the same Q and K forward after forward, so a sample's rows are in L1/L2 from
 * the forward before;
 * <li>{@code step}: before each forward the step's two updates Q += a·Gα, K += a·Gβ (P×P by P×m_k,
 * {@code KernelsF32.gemm}, not timed) rewrite all of Q and K (2 × 618 KB): the scores read rows the
 * GEMMs have just written;
 * <li>{@code lap}: {@link #RUNS} runs, each with its own Q and K (40 MB in all, more than the L3),
 * taken in turn as a lockstep batch steps its runs ({@code LockstepBatch}): a run's forward, then
 * its two updates (not timed), then the next run's; a run's rows were written a lap before.
 * </ul>
 * Its samples have paper A's token layout ({@link JiangSamples}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public class ScoresBench {

    /** Tokens a sample. */
    @Param({"16"})
    public int M;

    @Param({"lap", "step", "warm"})
    public String rows;

    private static final int N = 20, MK = 512;
    /** Runs of the {@code lap} mode: about half of a batch of the full heatmap (64 runs, 2 threads). */
    static final int RUNS = 32;

    private int P;
    private boolean flip;
    private int[] map;
    private float[] Q, K, Z, scratch, G, alpha, beta;
    private float[][] lapQ, lapK;
    private int run;

    @Setup(Level.Trial)
    public void data() {
        if (!rows.equals("lap") && !rows.equals("step") && !rows.equals("warm")) {
            throw new IllegalArgumentException("rows must be lap, step or warm: got '" + rows + "'");
        }
        P = JiangSamples.tokens(N, M);
        map = JiangSamples.map(N, M);
        SplittableRandom rnd = new SplittableRandom(M);
        Q = random(rnd, P * MK);
        K = random(rnd, P * MK);
        G = random(rnd, P * P);
        alpha = random(rnd, P * MK);
        beta = random(rnd, P * MK);
        if (rows.equals("lap")) {
            lapQ = new float[RUNS][];
            lapK = new float[RUNS][];
            for (int r = 0; r < RUNS; r++) {
                lapQ[r] = random(rnd, P * MK);
                lapK[r] = random(rnd, P * MK);
            }
        }
        Z = new float[N * M * M];
        scratch = new float[KernelsF32.scoresScratch(M, MK)];
        // The engine's warm-up first, as every engine run does: without it 6 of 11 forks ran the
        // step mode at 8–26 GFLOP/s against 45–69 in the others, and with it 3 of 3 at 50–54 (s22).
        KernelsF32.warmUp();
        System.err.println("ScoresBench: " + KernelsF32.S.vectorBitSize() + "-bit vectors, M = " + M + ", P = " + P + ", rows " + rows);
    }

    private static float[] random(SplittableRandom rnd, int n) {
        return JiangSamples.random(rnd, n, 1);
    }

    @Benchmark
    public float[] forward(FlopCounter c) {
        boolean lap = rows.equals("lap");
        if (lap) {
            run = (run + 1) % RUNS;
            Q = lapQ[run];
            K = lapK[run];
        } else if (rows.equals("step")) {
            update();
        }
        long t0 = FlopCounter.threadCpuNs();
        for (int n = 0; n < N; n++) KernelsF32.sampleScores(Z, n * M, Q, K, map, n * M, M, MK, scratch);
        c.cpuNs += FlopCounter.threadCpuNs() - t0;
        c.flop += 2L * N * M * M * MK;
        if (lap) update();
        return Z;
    }

    /** Q += a·Gα, K += a·Gβ, a = ±1e−4 alternating, which keeps Q and K bounded however many calls an iteration makes. */
    private void update() {
        flip = !flip;
        float a = flip ? 1e-4f : -1e-4f;
        KernelsF32.gemm(Q, a, G, alpha, P, P, MK);
        KernelsF32.gemm(K, a, G, beta, P, P, MK);
    }
}
