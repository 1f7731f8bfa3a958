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
 * A batch of runs stepped in lockstep, each run's state its own, the runs spread over a pool of
 * threads. The formulation and precision live in the runs ({@link SpanRunF32}, {@link DirectRunF32}
 * and their float64 twins); a run never reads another's state, so its results do not depend on its
 * batch or on the thread that steps it.
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
    }

    private final Run[] runs;
    private final ExecutorService pool;

    /** Opens every run (its set-up) with {@code open}, spread over the pool. */
    LockstepBatch(List<RunData> data, ExecutorService pool, Function<RunData, Run> open) {
        this.pool = pool;
        runs = new Run[data.size()];
        parallel(r -> runs[r] = open.apply(data.get(r)));
    }

    @Override
    public int size() {
        return runs.length;
    }

    @Override
    public void step(boolean[] active, double[] loss) {
        parallel(r -> {
            if (active[r]) loss[r] = runs[r].step();
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
