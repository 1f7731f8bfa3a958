package org.attnsweep.engine.vector;

import java.util.ArrayList;
import java.util.List;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.RunSpec;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the step benchmarks share: R runs of one spec on an engine, the batch re-opened before every
 * iteration (weights back to W(0)), and an iteration that met a non-finite loss refused, as a
 * diverged run skips its update and would make steps look cheaper. A subclass builds the runs and
 * the engine in its trial set-up ({@link #start}) and times {@link #step}.
 */
abstract class BatchStepState {
    List<RunData> runs;
    VectorEngine engine;
    EngineBatch batch;
    boolean[] active;
    double[] loss;
    /** Each run's losses of a stretch ({@link #steps}): k rows of R. */
    private double[][] stretchLoss = new double[0][];
    /** Target losses of a stretch: 0, which no finite loss is below, so no run stops inside one. */
    private double[] target;
    /** What the benchmark's parameters chose, for the messages. */
    private String label;

    /** R runs of {@code spec} (repeats 0..R−1) on {@code engine}, all active; prints the engine line. */
    final void start(RunSpec spec, int R, VectorEngine engine, String label) {
        runs = new ArrayList<>(R);
        for (int r = 0; r < R; r++) runs.add(DataFactory.generate(spec.build(r)));
        this.engine = engine;
        this.label = label;
        active = new boolean[R];
        java.util.Arrays.fill(active, true);
        loss = new double[R];
        target = new double[R];
        System.err.println(engine.describe() + " " + label + " R=" + R + " P=" + runs.getFirst().train().P());
    }

    @Setup(Level.Iteration)
    public void open() {
        if (batch != null) batch.close();
        batch = engine.open(runs);
        java.util.Arrays.fill(loss, 0);
        for (double[] l : stretchLoss) java.util.Arrays.fill(l, 0);
    }

    @TearDown(Level.Iteration)
    public void checkFinite() {
        for (double[] l : stretchLoss) check(l);
        check(loss);
    }

    private void check(double[] loss) {
        for (int r = 0; r < loss.length; r++) {
            if (!Double.isFinite(loss[r])) {
                throw new IllegalStateException("run " + r + " (" + label + ") diverged (loss " + loss[r]
                        + "): its steps skip the update, so the timing would be wrong");
            }
        }
    }

    /** One GD step of every run of the batch. */
    final double[] stepAll() {
        batch.step(active, loss);
        return loss;
    }

    /**
     * k GD steps of every run of the batch, as the trainer asks for them (EngineBatch.steps, up to
     * Trainer.STRETCH = 32 at a time between evaluations): each run takes its k steps in one task,
     * its rows still in the caches its previous step left them in; k = 1 is {@link #stepAll}, every
     * run's step a lap of the batch after its last one.
     */
    final double[] steps(int k) {
        if (k == 1) return stepAll();
        if (stretchLoss.length != k) stretchLoss = new double[k][active.length];
        batch.steps(active, k, target, stretchLoss);
        return stretchLoss[k - 1];
    }
}
