package org.attnsweep.train;

import java.util.ArrayList;
import java.util.List;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunConfig;

/**
 * The GD loop over a batch of runs in lockstep. At step t (after t updates) a run records its
 * metrics when t is a multiple of its eval-every; it stops at t = its steps, at the first t whose
 * training loss is below its target, or at the first non-finite loss (flagged as diverged). A
 * run whose final losses or errors come out non-finite beside a finite training loss is flagged
 * diverged too, and names them ({@link RunResult#overflowed}). A stopped or diverged run costs
 * nothing further and never stops the others.
 */
public final class Trainer {
    /** Most steps asked of the batch at once: an engine on a device reads its losses back once per stretch. */
    static final int STRETCH = 32;

    private Trainer() {
    }

    /** Called as runs finish, so results can be stored while the batch goes on. */
    public interface Listener {
        void finished(int run, RunResult result);
    }

    /** Trains every run of {@code batch} (built from {@code runs}) to its stop; results in run order. */
    public static List<RunResult> train(EngineBatch batch, List<RunData> runs, boolean keepWeights, Listener listener) {
        return train(batch, runs, keepWeights, listener, Runtime.getRuntime().availableProcessors());
    }

    /** As {@link #train(EngineBatch, List, boolean, Listener)}, the evaluations flushed for {@code cores} cores. */
    static List<RunResult> train(EngineBatch batch, List<RunData> runs, boolean keepWeights, Listener listener, int cores) {
        int R = runs.size();
        List<RunConfig> cfg = runs.stream().map(RunData::config).toList();
        boolean[] active = new boolean[R], eval = new boolean[R], stepping = new boolean[R];
        java.util.Arrays.fill(active, true);
        // A run of H > 1 heads also gets each head's values (Metric.width): one head's run asks for nothing more.
        double[][] m = new double[R][];
        for (int r = 0; r < R; r++) m[r] = new double[Metric.width(cfg.get(r).heads())];
        double[][] losses = new double[STRETCH][R];
        double[] target = new double[R];
        for (int r = 0; r < R; r++) target[r] = cfg.get(r).targetLoss();
        List<List<double[]>> curves = new ArrayList<>(), headCurves = new ArrayList<>();
        for (int r = 0; r < R; r++) {
            curves.add(new ArrayList<>());
            headCurves.add(new ArrayList<>());
        }
        RunResult[] results = new RunResult[R];
        // A run that ends at a step its eval-every does not record is frozen (its weights no longer
        // change) and its final metrics are computed later, together with other such runs, so
        // evaluations run in parallel instead of one run at a time as runs end one by one; unless
        // the engine took them inside the stretch, right after the step the run stopped at
        // (EngineBatch.steps: evaluated, their metrics in atStop).
        int[] endStep = new int[R], evalFrom = new int[R];
        boolean[] evaluated = new boolean[R];
        double[][] atStop = new double[R][];
        for (int r = 0; r < R; r++) atStop[r] = new double[m[r].length];
        double[] endLoss = new double[R];
        boolean[] pending = new boolean[R], endedStepping = new boolean[R], flush = new boolean[R];
        int flushAt = Math.min(R, 2 * cores);
        int left = R, pendingCount = 0;
        for (int t = 0; left > 0; ) {
            boolean anyEval = false, anyStep = false;
            // The stretch of steps [t, t + k) ends before any stepping run's next evaluation or step
            // budget, so within it runs only end by their loss, and only at t are metrics due.
            int k = STRETCH;
            for (int r = 0; r < R; r++) {
                RunConfig c = cfg.get(r);
                eval[r] = active[r] && t % c.evalEvery() == 0;
                stepping[r] = active[r] && t < c.steps();
                anyEval |= eval[r];
                anyStep |= stepping[r];
                if (stepping[r]) k = Math.min(k, Math.min(c.steps() - t, c.evalEvery() - t % c.evalEvery()));
            }
            if (anyEval) {
                batch.metrics(eval, m);
                for (int r = 0; r < R; r++) if (eval[r]) record(t, m[r], curves.get(r), headCurves.get(r));
            }
            if (anyStep) {
                // A run stopping at the stretch's first step has its metrics from the evaluation at t where one was due.
                for (int r = 0; r < R; r++) evalFrom[r] = eval[r] ? 1 : 0;
                batch.steps(stepping, k, target, losses, evalFrom, atStop, evaluated);
            } else {
                k = 1;
                java.util.Arrays.fill(evaluated, false);
            }
            for (int i = 0; i < k; i++, t++) {
                double[] loss = losses[i];
                for (int r = 0; r < R; r++) {
                    if (!active[r] || stepping[r] && Double.isFinite(loss[r]) && loss[r] >= cfg.get(r).targetLoss()) continue;
                    // Ends at t; not updated by this step, so its weights are those of step t.
                    active[r] = false;
                    endStep[r] = t;
                    endLoss[r] = loss[r];
                    endedStepping[r] = stepping[r];
                    if (eval[r] && i == 0 || evaluated[r]) {
                        double[] fin = evaluated[r] ? atStop[r] : m[r];
                        if (evaluated[r]) record(t, fin, curves.get(r), headCurves.get(r));
                        results[r] = finish(batch, cfg.get(r), r, t, stepping[r], loss[r], fin, curves.get(r), headCurves.get(r),
                                keepWeights);
                        left--;
                        if (listener != null) listener.finished(r, results[r]);
                    } else {
                        pending[r] = true;
                        pendingCount++;
                    }
                }
                if (pendingCount > 0 && (pendingCount >= flushAt || pendingCount == left)) {
                    // A flush evaluates its runs one per core at a time: while other runs go on, a
                    // multiple of the cores is flushed and the rest held back for the next flush
                    // (frozen, their metrics come out the same later), where an odd flush on 2 cores
                    // left one idle for an evaluation. The last runs of the batch go all at once.
                    int count = pendingCount == left ? pendingCount : pendingCount - pendingCount % cores;
                    for (int r = 0, taken = 0; r < R; r++) {
                        flush[r] = pending[r] && taken < count;
                        if (flush[r]) taken++;
                    }
                    batch.metrics(flush, m);
                    for (int r = 0; r < R; r++) {
                        if (!flush[r]) continue;
                        record(endStep[r], m[r], curves.get(r), headCurves.get(r));
                        results[r] = finish(batch, cfg.get(r), r, endStep[r], endedStepping[r], endLoss[r], m[r], curves.get(r),
                                headCurves.get(r), keepWeights);
                        pending[r] = false;
                        left--;
                        if (listener != null) listener.finished(r, results[r]);
                    }
                    pendingCount -= count;
                }
            }
        }
        return java.util.Arrays.asList(results);
    }

    /** The result of run r, ended at {@code step} with final metrics m. */
    private static RunResult finish(EngineBatch batch, RunConfig c, int r, int step, boolean stepped, double loss,
                                    double[] m, List<double[]> curve, List<double[]> headCurve, boolean keepWeights) {
        boolean diverged = stepped && !Double.isFinite(loss);
        boolean reached = stepped && !diverged;
        if (!stepped) {
            // Ended by the step budget: it may have met its target at this very step too.
            double l = m[Metric.TRAIN_LOSS.ordinal()];
            diverged = !Double.isFinite(l);
            reached = !diverged && l < c.targetLoss();
        }
        double[] fin = java.util.Arrays.copyOf(m, Metric.COUNT);
        // A finite training loss with a non-finite loss or error beside it (an evaluation of finite
        // inputs that overflowed the precision: test tokens too large for float32, say) is no result
        // either: flagged diverged like a non-finite training loss, so no table averages its NaN, and
        // named apart (overflowed) so the user is told what to change.
        List<String> overflowed = diverged ? List.of() : nonFinite(fin);
        if (!overflowed.isEmpty()) {
            diverged = true;
            reached = false;
        }
        if (diverged) {
            // Outputs that overflowed to ±∞ without a NaN still classify; a diverged run's errors are
            // meaningless all the same, so they are NaN (never counted as hits), in the summary and in
            // its stop step's curve row.
            for (Metric e : new Metric[] {Metric.TRAIN_ERROR, Metric.TEST_ERROR, Metric.TEST_ERROR_CLEAN}) {
                fin[e.ordinal()] = Double.NaN;
                if (!curve.isEmpty() && curve.get(curve.size() - 1)[0] == step) curve.get(curve.size() - 1)[1 + e.ordinal()] = Double.NaN;
            }
        }
        return new RunResult(c, step, reached, diverged, overflowed, fin, curve, headCurve, keepWeights ? batch.weights(r) : null);
    }

    /** The losses and errors a run's evaluation must give finite, by the class comment: those of {@code m} that are not. */
    public static List<String> nonFinite(double[] m) {
        List<String> out = new ArrayList<>();
        for (Metric e : CHECKED) if (!Double.isFinite(m[e.ordinal()])) out.add(e.column());
        return out;
    }

    /** Every evaluation's losses and errors: never NaN or infinite for a run whose arithmetic held. */
    private static final Metric[] CHECKED = {Metric.TRAIN_LOSS, Metric.TRAIN_ERROR, Metric.TEST_LOSS, Metric.TEST_ERROR,
            Metric.TRAIN_LOSS_LOGISTIC, Metric.TEST_LOSS_LOGISTIC};

    /**
     * The rows of one evaluation at {@code step}: the run's metrics to {@code curve}, and with H > 1
     * heads ({@code metrics} of length {@link Metric#width}(H)) one row per head to {@code headCurve}.
     */
    private static void record(int step, double[] metrics, List<double[]> curve, List<double[]> headCurve) {
        double[] row = new double[Metric.COUNT + 1];
        row[0] = step;
        System.arraycopy(metrics, 0, row, 1, Metric.COUNT);
        curve.add(row);
        int K = Metric.PER_HEAD.size();
        for (int h = 0; Metric.headIndex(h, 0) < metrics.length; h++) {
            double[] hr = new double[2 + K];
            hr[0] = step;
            hr[1] = h;
            System.arraycopy(metrics, Metric.headIndex(h, 0), hr, 2, K);
            headCurve.add(hr);
        }
    }
}
