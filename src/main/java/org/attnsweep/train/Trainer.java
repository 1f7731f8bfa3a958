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
 * stopped or diverged run costs nothing further and never stops the others.
 */
public final class Trainer {
    private Trainer() {
    }

    /** Called as runs finish, so results can be stored while the batch goes on. */
    public interface Listener {
        void finished(int run, RunResult result);
    }

    /** Trains every run of {@code batch} (built from {@code runs}) to its stop; results in run order. */
    public static List<RunResult> train(EngineBatch batch, List<RunData> runs, boolean keepWeights, Listener listener) {
        int R = runs.size();
        List<RunConfig> cfg = runs.stream().map(RunData::config).toList();
        boolean[] active = new boolean[R], eval = new boolean[R], stepping = new boolean[R], ending = new boolean[R];
        java.util.Arrays.fill(active, true);
        double[][] m = new double[R][Metric.COUNT];
        double[] loss = new double[R];
        List<List<double[]>> curves = new ArrayList<>();
        for (int r = 0; r < R; r++) curves.add(new ArrayList<>());
        RunResult[] results = new RunResult[R];
        int left = R;
        for (int t = 0; left > 0; t++) {
            boolean anyEval = false, anyStep = false;
            for (int r = 0; r < R; r++) {
                eval[r] = active[r] && t % cfg.get(r).evalEvery() == 0;
                stepping[r] = active[r] && t < cfg.get(r).steps();
                anyEval |= eval[r];
                anyStep |= stepping[r];
            }
            if (anyEval) {
                batch.metrics(eval, m);
                for (int r = 0; r < R; r++) if (eval[r]) curves.get(r).add(row(t, m[r]));
            }
            if (anyStep) batch.step(stepping, loss);
            boolean anyEnding = false;
            for (int r = 0; r < R; r++) {
                ending[r] = active[r] && (!stepping[r] || !Double.isFinite(loss[r]) || loss[r] < cfg.get(r).targetLoss());
                anyEnding |= ending[r];
            }
            if (!anyEnding) continue;
            // Runs that end here were not updated by this step: their weights are those of step t.
            boolean[] need = new boolean[R];
            boolean anyNeed = false;
            for (int r = 0; r < R; r++) {
                need[r] = ending[r] && !eval[r];
                anyNeed |= need[r];
            }
            if (anyNeed) {
                batch.metrics(need, m);
                for (int r = 0; r < R; r++) if (need[r]) curves.get(r).add(row(t, m[r]));
            }
            for (int r = 0; r < R; r++) {
                if (!ending[r]) continue;
                boolean diverged = stepping[r] && !Double.isFinite(loss[r]);
                boolean reached = stepping[r] && !diverged;
                if (!stepping[r]) {
                    // Ended by the step budget: it may have met its target at this very step too.
                    double l = m[r][Metric.TRAIN_LOSS.ordinal()];
                    diverged = !Double.isFinite(l);
                    reached = !diverged && l < cfg.get(r).targetLoss();
                }
                results[r] = new RunResult(cfg.get(r), t, reached, diverged, m[r].clone(), curves.get(r),
                        keepWeights ? batch.weights(r) : null);
                active[r] = false;
                left--;
                if (listener != null) listener.finished(r, results[r]);
            }
        }
        return java.util.Arrays.asList(results);
    }

    private static double[] row(int step, double[] metrics) {
        double[] row = new double[Metric.COUNT + 1];
        row[0] = step;
        System.arraycopy(metrics, 0, row, 1, Metric.COUNT);
        return row;
    }
}
