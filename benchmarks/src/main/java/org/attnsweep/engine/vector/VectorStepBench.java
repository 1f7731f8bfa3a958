package org.attnsweep.engine.vector;

import java.util.concurrent.TimeUnit;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.Precision;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunSpec;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * One GD step of the vector engine ({@link EngineBatch#step} on all R runs of a batch; with
 * {@code stretch} k > 1, k steps of each run, {@link EngineBatch#steps}, as the trainer asks for
 * them) at the two shapes the papers use. The primary score is calls/s; the counters give run-steps/s
 * (R × k × calls/s) and FLOP/s of docs/math.md §4's leading term, 4·m_k·P² FLOP per run-step (the two
 * P×P×m_k updates Q −= η G α and K −= η G β). The O((m_k+m_v)·P·M) work of the sample loops is done
 * but not counted.
 *
 * <p>Shapes (float32, the engine's own thread pool of {@code threads}):
 * <ul>
 * <li>{@code zhang}: paper B, preset zhang-dynamics — N=100, M=2, d=512, m_k=m_v=512, σ_p=4,
 *     learnable w_O, η=0.1; P = 102.</li>
 * <li>{@code jiang}: paper A, preset jiang-heatmap — N=20, M=16, d=1024, m_k=m_v=512,
 *     σ=(4, 0.2×14), fixed w_O, torch init ÷16, η=0.1; P = 302.</li>
 * </ul>
 * Both use ‖μ‖ = 30 and target loss 0, so no run stops; the batch is re-opened (weights back to
 * step 0) before every iteration and the tear-down fails the benchmark if any loss was non-finite,
 * since a diverged run skips its update and would make steps look cheaper than they are. The test
 * set, which a step never touches, is kept small so the per-iteration re-open stays quick.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class VectorStepBench extends BatchStepState {

    @Param({"zhang", "jiang"})
    public String shape;

    /** R, runs in the batch. */
    @Param({"8"})
    public int R;

    /**
     * Steps of each run per call: 1, one step of every run (EngineBatch.step: each run's next step
     * comes a lap of the batch later, its rows evicted by the other runs' in between); 32, the
     * stretch the trainer asks for between evaluations (Trainer.STRETCH, EngineBatch.steps: each
     * run's 32 steps one after another, as jiang-heatmap trains).
     */
    @Param({"1"})
    public int stretch;

    /** Worker threads of the engine. */
    @Param({"2"})
    public int threads;

    /** FLOP of docs/math.md §4's leading term per run-step: 4·m_k·P². */
    private long flopPerRunStep;

    /** The two shapes as presets with the benchmark's overrides. */
    static RunSpec spec(String shape) {
        RunSpec s = new RunSpec();
        switch (shape) {
            case "zhang" -> Presets.apply("zhang-dynamics", s);
            case "jiang" -> Presets.apply("jiang-heatmap", s);
            default -> throw new IllegalArgumentException("shape must be zhang or jiang: got '" + shape + "'");
        }
        s.mu = 30;
        s.targetLoss = 0;
        s.testN = 4;
        return s;
    }

    @Setup(Level.Trial)
    public void data() {
        start(spec(shape), R, new VectorEngine(Precision.FLOAT32, threads), "shape=" + shape);
        flopPerRunStep = (long) runs.getFirst().config().stepFlops();
    }

    /**
     * Run-steps and counted FLOPs, reported by JMH as rates next to the primary score, and the CPU
     * time the whole process spent on them (cpuNs: the engine's pool threads do the work; JIT and GC
     * threads are idle in steady state). flop / cpuNs is the rate per busy core, which other work on
     * a shared machine lowers far less than the wall-clock rate.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long runSteps;
        public long flop;
        public long cpuNs;

        @Setup(Level.Iteration)
        public void reset() {
            runSteps = 0;
            flop = 0;
            cpuNs = 0;
        }
    }

    @Benchmark
    public double[] step(Counters n) {
        long t0 = FlopCounter.processCpuNs();
        double[] last = steps(stretch);
        n.cpuNs += FlopCounter.processCpuNs() - t0;
        n.runSteps += (long) R * stretch;
        n.flop += (long) R * stretch * flopPerRunStep;
        return last;
    }
}
