package org.attnsweep.engine.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.Weights;

/**
 * A batch of runs stepped in lockstep a stretch of steps at a time (each run takes its steps of a
 * stretch in one task: {@link #steps}), each run's state its own, the runs spread over a pool of
 * threads. The formulation and precision live in the runs ({@link SpanRunF32}, {@link DirectRunF32}
 * and their float64 twins); a run never reads another's state, so its results do not depend on its
 * batch or on the thread that steps it. When fewer runs step than there are threads, each active
 * run gets a share of the idle ones for its own row-parallel work ({@link Par}).
 */
final class LockstepBatch implements EngineBatch {

    /** One run's state in some formulation and precision. */
    interface Run {
        /** Training loss at the current weights; then one GD step unless it is non-finite or below target. */
        double step();

        /** Every metric of docs/math.md §5 at the current weights, as {@link EngineBatch#metrics} fills one run's. */
        void metrics(double[] out);

        /** The current weights in float64. */
        Weights weights();

        /** The threads the run's next steps may use inside it ({@link Par#SERIAL} unless told). */
        void parallel(Par par);
    }

    private final Run[] runs;
    private final ExecutorService pool;
    private final int threads;
    private final Par[] pars;   // pars[w]: w ways on the pool (w = 1..threads)

    /** Opens every run (its set-up) with {@code open}, spread over the pool of {@code threads} threads (null: one). */
    LockstepBatch(List<RunData> data, ExecutorService pool, int threads, Function<RunData, Run> open) {
        this.pool = pool;
        this.threads = pool == null ? 1 : threads;
        pars = new Par[this.threads + 1];
        for (int w = 1; w <= this.threads; w++) pars[w] = w == 1 ? Par.SERIAL : new Par(pool, w);
        runs = new Run[data.size()];
        parallel(r -> runs[r] = open.apply(data.get(r)));
    }

    @Override
    public int size() {
        return runs.length;
    }

    @Override
    public void step(boolean[] active, double[] loss) {
        int stepping = 0;
        for (int r = 0; r < runs.length; r++) if (active[r]) stepping++;
        Par par = pars[Math.max(1, threads / Math.max(1, stepping))];
        for (int r = 0; r < runs.length; r++) if (active[r]) runs[r].parallel(par);
        if (stepping == 1) {
            for (int r = 0; r < runs.length; r++) if (active[r]) loss[r] = runs[r].step();   // in this thread, the pool all its own
            return;
        }
        parallel(r -> {
            if (active[r]) loss[r] = runs[r].step();
        });
    }

    /**
     * k steps run by run: each active run takes its steps of the stretch in one task, up to and
     * including the first whose loss is not finite or below target, as k calls of {@link #step}
     * would (a run's steps never read another run, so the same bits). Step by step, a batch's runs
     * each wrote their Q, K, A_Q, A_K, α, β (~4 MB a run at paper A's shape) a whole lap of the batch
     * before reading them again, so every step read them from memory; run by run they are read
     * back from the caches the step before left them in. A lone run keeps {@link #step}'s pool.
     */
    @Override
    public void steps(boolean[] active, int k, double[] target, double[][] loss) {
        steps(active, k, target, loss, null, null, new boolean[runs.length]);
    }

    /**
     * {@link #steps(boolean[], int, double[], double[][])}, a run's wanted metrics taken in its own
     * task right after the step it stops at: its rows (Q, K, A_Q, A_K, α, β, the forward the
     * evaluation reuses) are still in the caches that step left them in, where after the stretch
     * the other runs' steps had evicted them, and the evaluation overlaps the other runs' steps
     * instead of waiting for a barrier of its own (on the ways its steps had: threads/stepping, as
     * {@link #step} gives them). {@code evalFrom} null: none wanted. A lone run or a stretch of one
     * step takes the interface's step-by-step path and is evaluated by the caller.
     */
    @Override
    public void steps(boolean[] active, int k, double[] target, double[][] loss, int[] evalFrom, double[][] out, boolean[] evaluated) {
        java.util.Arrays.fill(evaluated, false);
        int stepping = 0;
        for (int r = 0; r < runs.length; r++) if (active[r]) stepping++;
        if (stepping <= 1 || k == 1) {
            EngineBatch.super.steps(active, k, target, loss);
            return;
        }
        Par par = pars[Math.max(1, threads / stepping)];
        for (int r = 0; r < runs.length; r++) if (active[r]) runs[r].parallel(par);
        parallel(r -> {
            if (!active[r]) return;
            for (int i = 0; i < k; i++) {
                double l = runs[r].step();
                loss[i][r] = l;
                if (!(Double.isFinite(l) && l >= target[r])) {
                    if (evalFrom != null && i >= evalFrom[r]) {
                        runs[r].metrics(out[r]);
                        evaluated[r] = true;
                    }
                    return;
                }
            }
        });
    }

    @Override
    public void metrics(boolean[] which, double[][] out) {
        parallel(r -> {
            if (which[r]) runs[r].metrics(out[r]);
        });
    }

    @Override
    public Weights weights(int r) {
        return runs[r].weights();
    }

    @Override
    public void close() {
        java.util.Arrays.fill(runs, null);
    }

    private interface RunTask {
        void run(int r);
    }

    private void parallel(RunTask task) {
        int n = runs.length;
        if (n == 1 || pool == null) {
            for (int r = 0; r < n; r++) task.run(r);
            return;
        }
        List<Callable<Void>> jobs = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            int rr = r;
            jobs.add(() -> {
                task.run(rr);
                return null;
            });
        }
        try {
            for (var f : pool.invokeAll(jobs)) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }
}
