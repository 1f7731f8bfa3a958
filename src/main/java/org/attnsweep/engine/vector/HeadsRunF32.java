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
 *
 * <p>Where a head's forward is {@link AttentionRunF32#attentionForward}'s row-major pass (the span
 * form, and the direct form through W_Q, W_K: {@link #ahead}), each head's update is followed at
 * once by its forward at the new weights, the next step's, in the same task: its scores then read
 * the rows of Q and K that the update's GEMMs have just written, from cache, where a forward at
 * the start of the next step read them a whole lap of the batch later, from memory (a lap's runs
 * hold tens of MB; benchmarks/RESULTS.md, issue 11, "s22, the scores"). A step then runs the
 * forward itself only where none is current (its first step): the same kernels on the same
 * weights, so the same bits, and the final evaluation, or one at an eval-every step, reads the
 * forward made ahead ({@link AttentionRunF32#trainForward}), so none is computed in vain.
 */
final class HeadsRunF32 implements LockstepBatch.Run {
    final AttentionRunF32[] heads;   // package-visible for ForwardReuseTest, which checks each head's forwardCurrent
    private final float[] f;   // N  f(X_n) = Σ_h f_h(X_n), the array every head's gather reads
    /**
     * Whether each head's forward runs right after its update, the next step's ahead of it: where
     * it is attentionForward's row-major pass, which marks itself current for the evaluation. Not
     * the direct form's bilinear forward, which does the gradient's work with it and is never
     * read by the evaluation: it stays at the start of its step.
     */
    private final boolean ahead;

    private HeadsRunF32(AttentionRunF32[] heads, float[] f, boolean ahead) {
        this.heads = heads;
        this.f = f;
        this.ahead = ahead;
    }

    /** The run in the span form of docs/math.md §4. */
    static HeadsRunF32 span(RunData data) {
        float[] f = new float[data.train().N()];
        return new HeadsRunF32(SpanRunF32.open(data, f), f, true);
    }

    /**
     * Opens one batch's runs in the direct form of docs/math.md §7: runs on the same token sets share
     * their token arrays ({@link DirectRunF32.Tokens}); a new opener for each batch.
     */
    static java.util.function.Function<RunData, LockstepBatch.Run> direct() {
        java.util.Map<java.util.List<Object>, DirectRunF32.Tokens> shared = new java.util.HashMap<>();
        return data -> {
            float[] f = new float[data.train().N()];
            DirectRunF32[] heads = DirectRunF32.open(data, f, shared);
            return new HeadsRunF32(heads, f, !heads[0].bilinear);   // one scoring order for all of a run's heads
        };
    }

    @Override
    public void parallel(Par par) {
        for (AttentionRunF32 h : heads) h.par = par;
    }

    @Override
    public double step() {
        AttentionRunF32 first = heads[0];
        if (!ahead || !first.forwardCurrent) {   // the heads' forwards are current together or not at all
            for (AttentionRunF32 h : heads) h.forward();
            sumHeads();
        }
        double loss = first.lossReduce();
        if (!first.go(loss)) return loss;   // no update: the forward stays current for the final evaluation
        for (AttentionRunF32 h : heads) {
            h.forwardCurrent = false;
            h.update();
            // The next step's forward while the update's Q, K are in cache: it writes only this
            // head's Sm, ubar and f_h (and u), none of which a later head's update reads; f, which
            // they read, is summed after the last (with one head f_h is f, and no update follows).
            if (ahead) h.forward();
        }
        if (ahead) sumHeads();
        return loss;
    }

    /** f = Σ_h f_h in head order (with one head f_h is f itself). */
    private void sumHeads() {
        if (heads.length == 1) return;
        for (int n = 0; n < f.length; n++) {
            float s = 0;
            for (AttentionRunF32 h : heads) s += h.fh[n];
            f[n] = s;
        }
    }

    /**
     * The metrics from every head's projections, evaluated head by head in this file's precision
     * ({@link EvalF32}); the training samples' softmax and f_h read from the forward pass where it
     * ran at these weights (made ahead by the last update, or by a step that stopped without one:
     * {@link AttentionRunF32#trainForward}).
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
