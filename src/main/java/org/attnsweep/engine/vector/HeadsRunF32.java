package org.attnsweep.engine.vector;

import org.attnsweep.data.RunData;
import org.attnsweep.engine.Metrics;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Weights;

/**
 * One run of H heads (docs/math.md §7) in either formulation, in this file's precision (the build
 * derives HeadsRunF64 from it): each head is an {@link AttentionRunF32} with its own weights and
 * state, all sharing the run's data and set-up (the span form's G). A step runs every head's
 * forward pass, sums their outputs f = Σ_h f_h in head order, takes the loss of f, then every
 * head's update with the g of that f. With one head the sum is the head's own array: the step is
 * the one-head model's, bit for bit.
 */
final class HeadsRunF32 implements LockstepBatch.Run {
    final AttentionRunF32[] heads;   // package-visible for ForwardReuseTest, which checks each head's forwardCurrent
    private final float[] f;   // N  f(X_n) = Σ_h f_h(X_n), the array every head's gather reads

    private HeadsRunF32(AttentionRunF32[] heads, float[] f) {
        this.heads = heads;
        this.f = f;
    }

    /** The run in the span form of docs/math.md §4. */
    static HeadsRunF32 span(RunData data) {
        float[] f = new float[data.train().N()];
        return new HeadsRunF32(SpanRunF32.open(data, f), f);
    }

    /**
     * Opens one batch's runs in the direct form of docs/math.md §7: runs on the same token sets share
     * their token arrays ({@link DirectRunF32.Tokens}); a new opener for each batch.
     */
    static java.util.function.Function<RunData, LockstepBatch.Run> direct() {
        java.util.Map<java.util.List<Object>, DirectRunF32.Tokens> shared = new java.util.HashMap<>();
        return data -> {
            float[] f = new float[data.train().N()];
            return new HeadsRunF32(DirectRunF32.open(data, f, shared), f);
        };
    }

    @Override
    public void parallel(Par par) {
        for (AttentionRunF32 h : heads) h.par = par;
    }

    @Override
    public double step() {
        for (AttentionRunF32 h : heads) h.forward();
        if (heads.length > 1) {
            for (int n = 0; n < f.length; n++) {
                float s = 0;
                for (AttentionRunF32 h : heads) s += h.fh[n];
                f[n] = s;
            }
        }
        AttentionRunF32 first = heads[0];
        double loss = first.lossReduce();
        if (!first.go(loss)) return loss;   // no update: the forward stays current for the final evaluation
        for (AttentionRunF32 h : heads) {
            h.forwardCurrent = false;
            h.update();
        }
        return loss;
    }

    /**
     * The metrics from every head's projections, evaluated head by head in this file's precision
     * ({@link EvalF32}); the training samples' softmax and f_h read from the forward pass where it
     * ran at these weights (a run that stopped without an update: {@link AttentionRunF32#trainForward}).
     */
    @Override
    public void metrics(double[] out) {
        metrics(out, true);
    }

    /** {@link #metrics(double[])}, the training samples scored again unless {@code reuseForward} (ForwardReuseTest compares the two). */
    void metrics(double[] out, boolean reuseForward) {
        AttentionRunF32 first = heads[0];
        int H = heads.length;
        EvalF32 eval = new EvalF32(first.train, first.data.test(), H, out.length >= Metric.width(H));
        for (AttentionRunF32 h : heads) eval.add(h.projections(), reuseForward ? h.trainForward() : null);
        Metrics.assemble(first.c, first.train, first.data.test(), eval.parts(), out);
    }

    @Override
    public Weights weights() {
        java.util.List<Weights> w = new java.util.ArrayList<>(heads.length);
        for (AttentionRunF32 h : heads) w.add(h.weights());
        return Weights.stack(w);
    }
}
