package org.attnsweep.engine.vector;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * The engine's own GEMM micro-kernel ({@code SpanBatchF32.gemm}, C += a·A·B) on an n×n×n problem,
 * one independent problem per thread, as the engine runs one run per thread. The {@code flop}
 * counter (2n³ per call) summed over threads is the ceiling of what the engine's kernel reaches.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Threads(2)
public class GemmBench {

    @Param({"512"})
    public int n;

    private float[] A, B, C;

    @Setup(Level.Trial)
    public void data() {
        SplittableRandom rnd = new SplittableRandom(n);
        A = new float[n * n];
        B = new float[n * n];
        C = new float[n * n];
        for (int i = 0; i < n * n; i++) {
            A[i] = (float) rnd.nextDouble(-1, 1);
            B[i] = (float) rnd.nextDouble(-1, 1);
        }
    }

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long flop;

        @Setup(Level.Iteration)
        public void reset() {
            flop = 0;
        }
    }

    @Benchmark
    public float[] gemm(Counters c) {
        // a = −1e−3 keeps C bounded however many calls an iteration makes.
        SpanBatchF32.gemm(C, -1e-3f, A, B, n, n, n);
        c.flop += 2L * n * n * n;
        return C;
    }
}
