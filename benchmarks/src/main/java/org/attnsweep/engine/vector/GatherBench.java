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
 * <p>Its samples have paper A's token layout ({@link JiangSamples}), a sample's tokens distinct,
 * so every group of four rows takes the four-row block. α and β are zeroed before each step, as the
 * step's own pass does, outside the CPU time counted.
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
        P = JiangSamples.tokens(N, M);
        map = JiangSamples.map(N, M);
        SplittableRandom rnd = new SplittableRandom(M);
        Q = JiangSamples.random(rnd, P * MK, 1);
        K = JiangSamples.random(rnd, P * MK, 1);
        alpha = new float[P * MK];
        beta = new float[P * MK];
        D = new float[N][];
        for (int n = 0; n < N; n++) D[n] = JiangSamples.random(rnd, M * M, 1e-3);
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
