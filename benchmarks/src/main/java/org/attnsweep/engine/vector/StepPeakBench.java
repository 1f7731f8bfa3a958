package org.attnsweep.engine.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.attnsweep.model.Precision;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The step against the FMA peak in alternation, in one JVM: each invocation is {@code stretch} GD
 * steps of the batch ({@link VectorStepBench}'s workload: R runs, the engine's {@code threads}
 * threads; 1, or the trainer's 32 run by run) followed by {@link FmaPeakBench}'s twelve FMA chains
 * on as many threads, {@code peakShare} times the steps' counted FLOP (1: both halves last about as
 * long at a ratio near 1). Both halves are timed by the process's CPU time, so each counter pair
 * gives a rate per busy core, and both come from the same seconds of the machine: on a VM whose
 * speed moves by a fifth or more from one minute to the next (and flips between slow and fast
 * phases every few seconds), a step measured in one JMH run and the peak in another can land in
 * different phases, where here each iteration's ratio (stepFlop / stepCpuNs) / (peakFlop /
 * peakCpuNs) compares like with like.
 * scripts/width-bench reports the median of those ratios as the step's fraction of the FMA peak.
 * {@code peakThreadCpuNs}, the FMA threads' own CPU time, checks that no other thread (the
 * engine's pool, the JIT, the GC) ran during the FMA half: peakFlop over it and over peakCpuNs
 * should agree.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 10, time = 1)
public class StepPeakBench extends BatchStepState {

    /** The shape, as {@link VectorStepBench#spec} names them. */
    @Param({"jiang"})
    public String shape;

    /** R, runs in the batch. */
    @Param({"8"})
    public int R;

    /** Steps of each run per call, as {@link VectorStepBench#stretch}: 1, or the trainer's 32. */
    @Param({"1"})
    public int stretch;

    /** Worker threads of the engine, and threads of the FMA half. */
    @Param({"2"})
    public int threads;

    /** The FMA half's FLOP as a multiple of the step's counted FLOP. */
    @Param({"1"})
    public double peakShare;

    private long stepFlop;
    private long peakCalls;
    private ExecutorService peakPool;

    @Setup(Level.Trial)
    public void data() {
        start(VectorStepBench.spec(shape), R, new VectorEngine(Precision.FLOAT32, threads), "shape=" + shape);
        stepFlop = (long) R * stretch * (long) runs.getFirst().config().stepFlops();
        // Each thread's share of peakShare × the step's counted FLOP, in calls of the chains (at least one).
        peakCalls = Math.max(1, Math.round(peakShare * stepFlop / threads / FmaPeakBench.flopInCalls(1)));
        peakPool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "fma-peak");
            t.setDaemon(true);
            return t;
        });
    }

    @TearDown(Level.Trial)
    public void stopPool() {
        peakPool.shutdownNow();
    }

    /** The two halves' FLOP and process CPU time, and the FMA threads' own CPU time, reported by JMH per iteration. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long stepFlop;
        public long stepCpuNs;
        public long peakFlop;
        public long peakCpuNs;
        public long peakThreadCpuNs;

        @Setup(Level.Iteration)
        public void reset() {
            stepFlop = 0;
            stepCpuNs = 0;
            peakFlop = 0;
            peakCpuNs = 0;
            peakThreadCpuNs = 0;
        }
    }

    @Benchmark
    public float pair(Counters n) throws InterruptedException, ExecutionException {
        long t0 = FlopCounter.processCpuNs();
        steps(stretch);
        long t1 = FlopCounter.processCpuNs();
        List<Future<double[]>> parts = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            parts.add(peakPool.submit(() -> {
                long c0 = FlopCounter.threadCpuNs();
                float sum = FmaPeakBench.chainsInCalls(0.999999f, 1e-7f, peakCalls);
                return new double[] {sum, FlopCounter.threadCpuNs() - c0};
            }));
        }
        float s = 0;
        long threadNs = 0;
        for (Future<double[]> p : parts) {
            double[] r = p.get();
            s += (float) r[0];
            threadNs += (long) r[1];
        }
        long t2 = FlopCounter.processCpuNs();
        n.peakThreadCpuNs += threadNs;
        n.stepFlop += stepFlop;
        n.stepCpuNs += t1 - t0;
        n.peakFlop += threads * FmaPeakBench.flopInCalls(peakCalls);
        n.peakCpuNs += t2 - t1;
        return s;
    }
}
