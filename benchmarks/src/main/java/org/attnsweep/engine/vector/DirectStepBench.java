package org.attnsweep.engine.vector;

import java.util.concurrent.TimeUnit;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Precision;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunConfig;
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
 * One GD step of the vector engine's direct formulation ({@link EngineBatch#step} on all R runs of
 * a batch, float32) at the shape of loaded image patches, where the span form would hold a
 * 15002×15002 Gram matrix per run: N = 1000, M = 16, d = 49, m_k = m_v = 64 (P = 15002), paper A's
 * heatmap setting otherwise (σ = (4, 0.2×14), fixed w_O, torch init ÷16, η = 0.1), ‖μ‖ = 5, target
 * loss 0 so no run stops. R = 1 (one run alone) and R = 16 (a batch), on one data set or each run
 * on its own ({@link #data}); the primary score is
 * batch-steps/s, the counters run-steps/s and FLOP/s of CostModel's direct count (its multiply-adds ×2: at
 * this shape the bilinear order's, d·d_p·P + N·M·d·(M_p + d_p) + N·M²·d_p + 3·d²·m_k + 2·d·P + 3·m_v·d). The batch is re-opened before every iteration (weights back to
 * step 0) and the tear-down fails the benchmark if any loss is non-finite. Beside
 * {@link VectorStepBench}, which times the span form at the papers' shapes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DirectStepBench extends BatchStepState {

    /** R, runs in the batch. */
    @Param({"1", "16"})
    public int R;

    /** Worker threads of the engine. */
    @Param({"2"})
    public int threads;

    /**
     * The runs' data: "shared", one training and test set for all R runs, each with its own initial
     * weights, as a batch from the CLI on one data directory (`train --data-from … --repeats 16`),
     * whose runs share one set of token arrays ({@link DirectRunF32.Tokens}); or "own", each run's
     * own draw (16 token sets of ~10 MB each at R = 16, streamed from memory every step).
     */
    @Param({"shared", "own"})
    public String data;

    private long flopPerRunStep;

    /** The benchmark's run: paper A's heatmap cell at N = 1000, d = 49, m_k = m_v = 64. */
    static RunSpec spec() {
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        s.N = 1000;
        s.d = 49;
        s.mk = 64;
        s.mv = 64;
        s.mu = 5;
        s.targetLoss = 0;
        s.testN = 4;
        return s;
    }

    @Setup(Level.Trial)
    public void data() {
        start(spec(), R, new VectorEngine(Precision.FLOAT32, Formulation.DIRECT, threads, null), "direct data=" + data);
        if (data.equals("shared")) {
            RunData first = runs.getFirst();
            for (int r = 1; r < R; r++) {
                RunConfig c = runs.get(r).config();
                runs.set(r, new RunData(c, first.train(), first.test(), first.muPos(), first.muNeg(), DataFactory.initialWeights(c)));
            }
        } else if (!data.equals("own")) {
            throw new IllegalArgumentException("data must be shared or own: got " + data);
        }
        RunConfig c = runs.getFirst().config();
        int P = runs.getFirst().train().P();
        flopPerRunStep = Math.round(2 * CostModel.directFma(c.N(), c.M(), c.d(), c.mk(), c.mv(), P, c.heads()));
    }

    /**
     * Run-steps, counted FLOPs and the process's CPU nanoseconds spent in the steps, reported by JMH
     * as rates next to the primary score. runSteps / cpuNanos · 10⁹ is run-steps per CPU-second:
     * on a machine shared with other jobs the wall-clock rate moves with the CPU share the scheduler
     * gives the benchmark, that ratio much less (it still moves with the cache and memory they share).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long runSteps;
        public long flop;
        public long cpuNanos;

        @Setup(Level.Iteration)
        public void reset() {
            runSteps = 0;
            flop = 0;
            cpuNanos = 0;
        }
    }

    @Benchmark
    public double[] step(Counters n) {
        long cpu0 = FlopCounter.processCpuNs();
        batch.step(active, loss);
        n.cpuNanos += FlopCounter.processCpuNs() - cpu0;
        n.runSteps += R;
        n.flop += R * flopPerRunStep;
        return loss;
    }
}
