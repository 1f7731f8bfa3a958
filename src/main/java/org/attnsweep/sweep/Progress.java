package org.attnsweep.sweep;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.attnsweep.model.RunConfig;

/**
 * Progress of a sweep on stderr, measured in planned work rather than in runs: each run costs
 * what docs/math.md §4 counts for it ({@link #cost}), so a batch of large runs moves the bar more
 * than a batch of small ones, and the ETA is the remaining work at the rate measured so far. On a
 * terminal it redraws one bar at most every 0.5 s; otherwise (logs, CI, SLURM) it prints a plain
 * line every 15 s and at the end.
 */
final class Progress {
    private static final int BAR = 24;

    private final PrintStream err;
    private final int total;
    private final double totalWork;
    private final String engine;
    private final boolean tty;
    private final long start = System.nanoTime();
    private long last;
    private int done;
    private double work;

    Progress(PrintStream err, List<PlannedRun> runs, String engine) {
        this(err, runs, engine, System.console() != null && System.console().isTerminal());
    }

    Progress(PrintStream err, List<PlannedRun> runs, String engine, boolean tty) {
        this.err = err;
        this.total = runs.size();
        this.totalWork = runs.stream().mapToDouble(r -> cost(r.config())).sum();
        this.engine = engine;
        this.tty = tty;
    }

    /**
     * The planned floating-point work of a run: T steps of the span form (2·m_k·P² multiply-adds,
     * {@link Plan#stepFlops}) plus its set-up, the projections Q, K, V = W(0)·T of the P training
     * tokens ((2·m_k + m_v)·d·P multiply-adds). A run that stops early does less, but so do its
     * like, and the rate is measured in the same units.
     */
    static double cost(RunConfig c) {
        return Plan.stepFlops(c) * c.steps() + 2.0 * (2.0 * c.mk() + c.mv()) * c.d() * c.tokenCount();
    }

    synchronized void add(PlannedRun run) {
        done++;
        work += cost(run.config());
        long now = System.nanoTime();
        if (done == total || now - last > (tty ? 500_000_000L : 15_000_000_000L)) {
            last = now;
            err.print((tty ? "\r" : "") + line(now) + (tty && done < total ? "" : "\n"));
            err.flush();
        }
    }

    String line(long now) {
        double secs = (now - start) / 1e9, f = totalWork > 0 ? work / totalWork : (double) done / Math.max(total, 1);
        long eta = f > 0 ? Math.round(secs * (1 - f) / f) : 0;
        String head = tty ? "[" + "#".repeat((int) Math.round(BAR * f)) + "-".repeat(BAR - (int) Math.round(BAR * f)) + "] " : "sweep: ";
        return String.format(Locale.ROOT, "%s%3.0f%% of the work  %d/%d runs  %.1f runs/s  elapsed %s  ETA %s  %s", head, 100 * f, done,
                total, done / Math.max(secs, 1e-9), clock(Math.round(secs)), clock(eta), engine);
    }

    static String clock(long s) {
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
