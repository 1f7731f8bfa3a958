package org.attnsweep.sweep;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.attnsweep.train.RunResult;

/**
 * Appends finished runs to a {@link ResultStore} on a thread of its own, so that the thread that
 * trains never waits for the disk. A run's append forces its curve rows to disk before its summary
 * row is written (the store's rule); done on the training thread, each force (~0.2 ms here, seconds
 * over a 10,000-run sweep) and each run's formatting left the engine's workers idle, since the
 * trainer only hands them the next evaluations or steps once the finished runs are stored. Here the
 * runs that finish while a group is being written are written together as the next group, with one
 * force per file for all of them ({@link ResultStore#append(List, List)}), their curve rows still
 * durable before any of their summary rows.
 *
 * <p>What a caller does with a run before it is stored (train's saved data and weights) and after
 * (its batch's bookkeeping, the progress bar) runs here too, in that order, run by run. A failure
 * (a full disk) stops the writer: the runs it had not stored yet are not stored (they are trained
 * again on resume, as runs unfinished at a fault are), and the failure is thrown, as it was thrown,
 * by the next {@link #submit} or {@link #flush} on the caller's thread.
 *
 * <p>The runs it holds are bounded: while the finished runs handed over and not yet stored come to
 * {@link #MAX_HELD_BYTES} (their curves and weights, {@link #bytes}), {@link #submit} waits for the
 * writer, so a disk that stalls (a network file system, a full page cache) slows the training
 * instead of filling the heap with results that an out-of-memory error would then lose. A run larger
 * than the bound alone is still taken when the writer holds nothing else.
 */
final class StoreWriter implements AutoCloseable {
    /** A run to store, with what to run just before and just after it is stored (either may be null), and its {@link #bytes}. */
    private record Job(PlannedRun run, RunResult result, Runnable before, Runnable after, long bytes) {
    }

    /** The bytes of finished runs the writer holds before {@link #submit} waits: thousands of runs' curves, a few runs' large weights. */
    static final long MAX_HELD_BYTES = 64L << 20;

    private final ResultStore store;
    private final Thread thread;
    private final long maxHeld;
    // Guarded by this.
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private int writing;                 // runs taken off the queue and not yet stored
    private long held;                   // bytes of the runs queued and being written ({@link #bytes})
    private boolean closed, exiting;     // exiting: the JVM shuts down, later runs are left to a resume
    private Throwable failure;

    StoreWriter(ResultStore store) {
        this(store, MAX_HELD_BYTES);
    }

    /** A writer that holds at most {@code maxHeld} bytes of runs before {@link #submit} waits (tests use a small bound). */
    StoreWriter(ResultStore store, long maxHeld) {
        this.store = store;
        this.maxHeld = maxHeld;
        thread = Thread.ofPlatform().daemon().name("attnsweep-store").start(this::loop);
    }

    /** What a finished run holds in memory until it is stored, roughly: its curve rows and its weights, 8 bytes a number. */
    static long bytes(RunResult r) {
        long n = 16 + r.finalMetrics().length;
        for (double[] row : r.curve()) n += 2 + row.length;
        for (double[] row : r.headCurve()) n += 2 + row.length;
        if (r.finalWeights() != null) {
            n += r.finalWeights().WQ().length + r.finalWeights().WK().length + r.finalWeights().WV().length + r.finalWeights().wO().length;
        }
        return 8 * n;
    }

    /**
     * Queues a finished run: {@code before}, the append, then {@code after} (null: nothing), on the
     * writer's thread. Waits first while the writer holds its bound of runs not yet stored (not on
     * the writer's own thread). Throws the writer's failure, if it failed. While the JVM shuts down
     * ({@link #drainForExit}) a run is not stored: the next command trains it again.
     */
    synchronized void submit(PlannedRun run, RunResult result, Runnable before, Runnable after) {
        long b = bytes(result);
        boolean interrupted = false;
        while (failure == null && !closed && held > 0 && held + b > maxHeld && Thread.currentThread() != thread) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;   // the run must be handed over all the same: wait on, then say so
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        rethrow();
        if (closed) {
            if (exiting) return;
            throw new IllegalStateException("the store's writer is closed");
        }
        queue.add(new Job(run, result, before, after, b));
        held += b;
        notifyAll();
    }

    /** Returns once every run submitted so far is stored (their {@code after} run); throws the writer's failure. */
    synchronized void flush() {
        boolean interrupted = false;
        while (failure == null && (!queue.isEmpty() || writing > 0)) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;   // the runs must be stored all the same: wait on, then say so
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        rethrow();
    }

    /**
     * For a shutdown hook: takes no more runs, and waits at most {@code millis} for those queued to
     * be stored, so that a sweep stopped by Ctrl-C or SIGTERM keeps the runs it had finished.
     */
    void drainForExit(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (this) {
            closed = exiting = true;
            notifyAll();
            try {
                for (long left; failure == null && (!queue.isEmpty() || writing > 0) && (left = end - System.nanoTime()) > 0; ) {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stores what is queued, then stops the thread; throws the writer's failure. */
    @Override
    public void close() {
        try {
            flush();
        } finally {
            stop();
        }
    }

    /**
     * Stops the thread once it has stored what is queued (at once after a failure); a later
     * {@link #submit} is refused. For a caller leaving on a failure of its own, which {@link
     * #flush} first where it wants the finished runs stored; called again, it returns at once.
     */
    void stop() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void rethrow() {
        if (failure instanceof RuntimeException e) throw e;
        if (failure instanceof Error e) throw e;
    }

    private void loop() {
        while (true) {
            List<Job> jobs;
            synchronized (this) {
                while (queue.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        // Only close ends the writer.
                    }
                }
                if (queue.isEmpty() || failure != null) return;
                jobs = new ArrayList<>(queue);
                queue.clear();
                writing = jobs.size();
            }
            try {
                List<PlannedRun> runs = new ArrayList<>(jobs.size());
                List<RunResult> results = new ArrayList<>(jobs.size());
                for (Job j : jobs) {
                    if (j.before() != null) j.before().run();
                    runs.add(j.run());
                    results.add(j.result());
                }
                store.append(runs, results);
                for (Job j : jobs) if (j.after() != null) j.after().run();
            } catch (Throwable t) {
                synchronized (this) {
                    failure = t;
                    queue.clear();
                    held = 0;
                }
            } finally {
                synchronized (this) {
                    writing = 0;
                    if (failure == null) for (Job j : jobs) held -= j.bytes();
                    notifyAll();
                }
            }
        }
    }
}
