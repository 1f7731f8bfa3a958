package org.attnsweep.engine.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
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
import org.openjdk.jmh.annotations.TearDown;
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
public class HeadsStepBench {

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

    private List<RunData> runs;
    private VectorEngine engine;
    private EngineBatch batch;
    private boolean[] active;
    private double[] loss;

    @Setup(Level.Trial)
    public void data() {
        RunSpec s = VectorStepBench.spec("zhang");
        s.heads = heads;
        runs = new ArrayList<>(R);
        for (int r = 0; r < R; r++) runs.add(DataFactory.generate(s.build(r)));
        engine = new VectorEngine(Precision.FLOAT32, Formulation.parse(form), threads, null);
        active = new boolean[R];
        java.util.Arrays.fill(active, true);
        loss = new double[R];
        System.err.println(engine.describe() + " H=" + heads + " R=" + R + " P=" + runs.getFirst().config().tokenCount());
    }

    @Setup(Level.Iteration)
    public void open() {
        if (batch != null) batch.close();
        batch = engine.open(runs);
        java.util.Arrays.fill(loss, 0);
    }

    @TearDown(Level.Iteration)
    public void checkFinite() {
        for (int r = 0; r < R; r++) {
            if (!Double.isFinite(loss[r])) {
                throw new IllegalStateException("run " + r + " with H=" + heads + " diverged (loss " + loss[r]
                        + "): its steps skip the update, so the timing would be wrong");
            }
        }
    }

    @Benchmark
    public double[] step() {
        batch.step(active, loss);
        return loss;
    }
}
