package org.attnsweep.engine.vector;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's float32 FMA ceiling as the Vector API reaches it at this JVM's vector width
 * (the preferred species: 512, 256 or 128 bits, as -XX:UseAVX / -XX:MaxVectorSize leave it):
 * every thread runs 12 independent FMA chains in registers, nothing touches memory. 12 chains
 * cover FMA latency × issue width on current cores (4 cycles × 2 pipes = 8 in flight) and, with
 * the two operands, fit in 16 vector registers, so the ceiling does not spill at AVX2 or SSE
 * widths as 16 chains would. The {@code flop} counter (2 FLOP per lane per FMA) summed over the
 * {@link Threads} threads is the ceiling the step benchmarks are compared with.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Threads(2)
public class FmaPeakBench {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12, ITERATIONS = 1 << 14;

    private float x = 0.999999f, y = 1e-7f;

    @Benchmark
    public float fma(FlopCounter n) {
        long t0 = FlopCounter.threadCpuNs();
        float s = chains(x, y, ITERATIONS);
        n.flop += flop(ITERATIONS);
        n.cpuNs += FlopCounter.threadCpuNs() - t0;
        return s;
    }

    /** FLOP of {@link #chains} over {@code iterations}: 2 per lane per FMA, 12 FMAs an iteration. */
    static long flop(int iterations) {
        return 2L * CHAINS * S.length() * iterations;
    }

    /**
     * {@code calls} calls of {@link #chains} over {@link #ITERATIONS} each, their sums' sum: a long
     * stretch of the chains in calls as short as the benchmark's own, so that a long FMA stretch runs
     * the same calls as {@link #fma} (with one long loop per call, C2 first compiles an
     * on-stack-replacement version of the loop, then the method: -XX:+PrintCompilation).
     */
    static float chainsInCalls(float x, float y, long calls) {
        float s = 0;
        for (long k = 0; k < calls; k++) s += chains(x, y, ITERATIONS);
        return s;
    }

    /** FLOP of {@link #chainsInCalls} over {@code calls}. */
    static long flopInCalls(long calls) {
        return calls * flop(ITERATIONS);
    }

    /** The 12 FMA chains from x, y over {@code iterations}, their sum (so that none is dead code). */
    static float chains(float x, float y, int iterations) {
        FloatVector vx = FloatVector.broadcast(S, x), vy = FloatVector.broadcast(S, y);
        FloatVector a0 = vy, a1 = vy, a2 = vy, a3 = vy, a4 = vy, a5 = vy, a6 = vy, a7 = vy;
        FloatVector a8 = vy, a9 = vy, a10 = vy, a11 = vy;
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(vx, vy); a1 = a1.fma(vx, vy); a2 = a2.fma(vx, vy); a3 = a3.fma(vx, vy);
            a4 = a4.fma(vx, vy); a5 = a5.fma(vx, vy); a6 = a6.fma(vx, vy); a7 = a7.fma(vx, vy);
            a8 = a8.fma(vx, vy); a9 = a9.fma(vx, vy); a10 = a10.fma(vx, vy); a11 = a11.fma(vx, vy);
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7)
                .add(a8).add(a9).add(a10).add(a11);
        return s.reduceLanes(VectorOperators.ADD);
    }
}
