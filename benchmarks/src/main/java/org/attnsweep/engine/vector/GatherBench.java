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
 * The span step's gathers ({@code KernelsF32.gatherRowsTiled} for each of the N samples: α_{j_l} +=
 * Σ_a D_la k_{j_a} over the M×M coefficients D of the sample, and β_{j_a} += Σ_l D_la q_{j_l}, into
 * P rows held tile-major), one thread, at paper A's shape (N = 20, M = 16, P = 302, m_k = 512;
 * {@code -p M=8}: P = 142). {@code flop} (4·N·M²·m_k a step: two gathers of N·M² rows of m_k
 * multiply-adds) over {@code cpuNs} (the thread's CPU time inside the gathers) is the kernel's
 * rate per core, as AttentionRunF32.gatherSample calls it. Run as the other benchmarks:
 * {@code java --add-modules jdk.incubator.vector -cp
 * benchmarks/target/benchmarks.jar:target/attnsweep.jar org.openjdk.jmh.Main GatherBench}.
 *
 * <p>Sample n holds token n mod 2 (the two signal tokens every sample shares) and M − 1 tokens of
 * its own, as the jiang data's samples do, so every group of four rows is distinct and takes the
 * four-row block. α and β are zeroed before each step (not timed), as the step's own pass does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
@Threads(1)
public class GatherBench {

    /** Tokens a sample. */
    @Param({"16"})
    public int M;

    private static final int N = 20, MK = 512;

    private int P;
    private int[] map;
    private float[] Q, K, alpha, beta;
    private float[][] D;   // each sample's M×M coefficients D_la (row-major)

    @Setup(Level.Trial)
    public void data() {
        if (M < 2) throw new IllegalArgumentException("M must be at least 2: got " + M);
        P = 2 + N * (M - 1);
        map = new int[N * M];
        for (int n = 0; n < N; n++) {
            map[n * M] = n % 2;
            for (int t = 1; t < M; t++) map[n * M + t] = 2 + n * (M - 1) + t - 1;
        }
        SplittableRandom rnd = new SplittableRandom(M);
        Q = new float[P * MK];
        K = new float[P * MK];
        alpha = new float[P * MK];
        beta = new float[P * MK];
        D = new float[N][M * M];
        for (int i = 0; i < Q.length; i++) {
            Q[i] = (float) rnd.nextDouble(-1, 1);
            K[i] = (float) rnd.nextDouble(-1, 1);
        }
        for (float[] d : D) {
            for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextDouble(-1e-3, 1e-3);
        }
    }

    @Benchmark
    public float[] gather(FlopCounter c) {
        java.util.Arrays.fill(alpha, 0);
        java.util.Arrays.fill(beta, 0);
        long t0 = FlopCounter.threadCpuNs();
        for (int n = 0; n < N; n++) {
            int base = n * M;
            KernelsF32.gatherRowsTiled(alpha, P, D[n], M, 1, K, map, base, M, MK);
            KernelsF32.gatherRowsTiled(beta, P, D[n], 1, M, Q, map, base, M, MK);
        }
        c.cpuNs += FlopCounter.threadCpuNs() - t0;
        c.flop += 4L * N * M * M * MK;
        return alpha;
    }
}
