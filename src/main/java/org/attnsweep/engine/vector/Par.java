package org.attnsweep.engine.vector;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The threads one run may use inside its step: all of them for a batch's only active run (one run
 * from the CLI, the last straggler of a batch), a share when fewer runs than threads are active, one
 * otherwise. Only work whose pieces write disjoint outputs in the order a single thread would is
 * split (rows of a GEMM's C, the samples of the attention forward), so a run's bits never depend on
 * how many threads it got.
 *
 * <p>The caller runs the first piece itself and waits for the others on the batch's pool. The pool
 * never deadlocks on it: a run is only given w ways when at most threads/w runs are stepping, so at
 * least as many pool threads are free as pieces are queued.
 */
final class Par {
    /** One thread: every piece runs in the caller, in order. */
    static final Par SERIAL = new Par(null, 1);

    private final ExecutorService pool;
    final int ways;

    Par(ExecutorService pool, int ways) {
        this.pool = pool;
        this.ways = pool == null ? 1 : Math.max(1, ways);
    }

    /** Work on rows [from, to) of something n rows long. */
    interface Rows {
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over [0, n) in at most {@link #ways} contiguous pieces of at least
     * {@code grain} rows each (fewer pieces for small n, one piece below 2·grain).
     */
    void rows(int n, int grain, Rows task) {
        int pieces = Math.min(ways, n / Math.max(1, grain));
        if (pieces <= 1) {
            task.run(0, n);
            return;
        }
        int per = (n + pieces - 1) / pieces;
        @SuppressWarnings("unchecked")
        Future<?>[] rest = new Future<?>[pieces - 1];
        for (int i = 1; i < pieces; i++) {
            int from = Math.min(n, i * per), to = Math.min(n, (i + 1) * per);
            rest[i - 1] = pool.submit(() -> task.run(from, to));
        }
        RuntimeException failed = null;
        try {
            task.run(0, Math.min(n, per));
        } catch (RuntimeException e) {
            failed = e;
        }
        for (Future<?> f : rest) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failed == null) failed = new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                if (failed == null) failed = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            }
        }
        if (failed != null) throw failed;
    }
}
