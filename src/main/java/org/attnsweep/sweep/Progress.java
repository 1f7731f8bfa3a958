package org.attnsweep.sweep;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.attnsweep.model.RunConfig;

/**
 * Progress of a sweep on stderr, measured in work rather than in runs: each run costs what
 * docs/math.md §4 counts for it ({@link #cost}), so a batch of large runs moves the bar more than
 * a batch of small ones. Runs with a target loss usually stop long before T: their remaining
 * steps are scaled by the share of the planned steps that the finished ones of that kind actually
 * ran, so the ETA is the remaining work at the rate measured so far. On a terminal it redraws one
 * bar at most every 0.5 s; otherwise (logs, CI, SLURM) it prints a plain line every 15 s and at
 * the end.
 */
final class Progress {
    private static final int BAR = 24;

    private final PrintStream err;
    private final int total;
    private final String engine;
    private final boolean tty;
    private final long start = System.nanoTime();
    /** When the last line was printed; the first waits a whole interval, past start-up and the first batch's set-up. */
    private long last = start;
    private int done;
    /** Work done (steps actually run); work left of runs without a target, and set-up left of all runs. */
    private double work, fixedLeft;
    /** Planned step work of the runs with a target: left, finished (planned) and finished (actually run). */
    private double targetLeft, targetPlanned, targetRan;

    Progress(PrintStream err, List<PlannedRun> runs, String engine) {
        this(err, runs, engine, System.console() != null && System.console().isTerminal());
    }

    Progress(PrintStream err, List<PlannedRun> runs, String engine, boolean tty) {
        this.err = err;
        this.total = runs.size();
        this.engine = engine;
        this.tty = tty;
        for (PlannedRun r : runs) {
            RunConfig c = r.config();
            if (c.targetLoss() > 0) {
                targetLeft += steps(c, c.steps());
                fixedLeft += setup(c);
            } else {
                fixedLeft += cost(c, c.steps());
            }
        }
    }

    /**
     * The floating-point work of a run of {@code steps} steps: each a step of the span form
     * (2·m_k·P² multiply-adds, {@link RunConfig#stepFlops}), plus its set-up, the projections
     * Q, K, V = W(0)·T of the P training tokens ((2·m_k + m_v)·d·P multiply-adds per head).
     */
    static double cost(RunConfig c, int steps) {
        return steps(c, steps) + setup(c);
    }

    private static double steps(RunConfig c, int steps) {
        return c.stepFlops() * steps;
    }

    private static double setup(RunConfig c) {
        return 2.0 * c.heads() * (2.0 * c.mk() + c.mv()) * c.d() * c.tokenCount();
    }

    /** A run finished after {@code stopStep} steps. */
    synchronized void add(PlannedRun run, int stopStep) {
        RunConfig c = run.config();
        done++;
        work += cost(c, stopStep);
        if (c.targetLoss() > 0) {
            targetLeft -= steps(c, c.steps());
            targetPlanned += steps(c, c.steps());
            targetRan += steps(c, stopStep);
            fixedLeft -= setup(c);
        } else {
            fixedLeft -= cost(c, c.steps());
        }
        long now = System.nanoTime();
        if (done == total || now - last > (tty ? 500_000_000L : 15_000_000_000L)) {
            last = now;
            err.print((tty ? "\r" : "") + line(now) + (tty && done < total ? "" : "\n"));
            err.flush();
        }
    }

    /** The work still to do: runs with a target are expected to run the share of T their finished like ran. */
    private double left() {
        double share = targetPlanned > 0 ? targetRan / targetPlanned : 1;
        return done == total ? 0 : Math.max(0, fixedLeft) + share * Math.max(0, targetLeft);
    }

    String line(long now) {
        double secs = (now - start) / 1e9, left = left(), f = work + left > 0 ? work / (work + left) : 1;
        long eta = work > 0 ? Math.round(secs * left / work) : 0;
        // Below 5% of the work the rate still holds the JVM's start and the first batch's set-up, and
        // a lockstep batch's runs all end together: no ETA yet rather than a wild one.
        String etaText = f < 0.05 && done < total ? "--" : clock(eta);
        String head = tty ? "[" + "#".repeat((int) Math.round(BAR * f)) + "-".repeat(BAR - (int) Math.round(BAR * f)) + "] " : "sweep: ";
        return String.format(Locale.ROOT, "%s%3.0f%% of the work  %d/%d runs  %.1f runs/s  elapsed %s  ETA %s  %s", head, 100 * f, done,
                total, done / Math.max(secs, 1e-9), clock(Math.round(secs)), etaText, engine);
    }

    static String clock(long s) {
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
