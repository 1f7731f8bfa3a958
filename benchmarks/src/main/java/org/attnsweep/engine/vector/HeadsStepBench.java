package org.attnsweep.engine.vector;

import java.util.concurrent.TimeUnit;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
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
 * One GD step of the vector engine on a batch of R runs with H heads each (docs/math.md §7), in the
 * span and the direct form: a step is H per-head steps after one shared forward sum, so its time
 * should grow as H times one head's (the heads share G and the tokens, nothing of a step's work).
 * The primary score is the time of one batch step; the ratio to H = 1 is what RESULTS.md records.
 *
 * <p>Shape: paper B's zhang-dynamics run (N = 100, M = 2, d = 512, m_k = m_v = 512, learnable w_O,
 * σ_p = 4, η = 0.1; P = 102), ‖μ‖ = 30, target loss 0 so no run stops; the batch is re-opened
 * before every iteration (weights back to W(0)) and the tear-down fails on a non-finite loss, as a
 * diverged run skips its update and would make steps look cheaper. float32, the engine's pool of
 * {@code threads}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class HeadsStepBench extends BatchStepState {

    @Param({"1", "2", "4"})
    public int heads;

    @Param({"span", "direct"})
    public String form;

    /** R, runs in the batch. */
    @Param({"4"})
    public int R;

    /** Worker threads of the engine. */
    @Param({"2"})
    public int threads;

    @Setup(Level.Trial)
    public void data() {
        RunSpec s = VectorStepBench.spec("zhang");
        s.heads = heads;
        start(s, R, new VectorEngine(Precision.FLOAT32, Formulation.parse(form), threads, null), "H=" + heads);
    }

    @Benchmark
    public double[] step() {
        return stepAll();
    }
}
