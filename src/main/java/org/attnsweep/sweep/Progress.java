package org.attnsweep.sweep;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a sweep on stderr: runs done/total, runs/s, ETA and the engine. On a terminal it
 * redraws one line at most every 0.5 s; otherwise (logs, CI, SLURM) it prints a line every 15 s.
 */
final class Progress {
    private final PrintStream err;
    private final int total;
    private final String engine;
    private final boolean tty = System.console() != null;
    private final long start = System.nanoTime();
    private long last;
    private int done;

    Progress(PrintStream err, int total, String engine) {
        this.err = err;
        this.total = total;
        this.engine = engine;
    }

    synchronized void add(int runs) {
        done += runs;
        long now = System.nanoTime();
        if (done == total || now - last > (tty ? 500_000_000L : 15_000_000_000L)) {
            last = now;
            err.print((tty ? "\r" : "") + line(now) + (tty && done < total ? "" : "\n"));
            err.flush();
        }
    }

    private String line(long now) {
        double secs = (now - start) / 1e9;
        double rate = done / Math.max(secs, 1e-9);
        long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        return String.format(Locale.ROOT, "sweep: %d/%d runs  %.1f runs/s  elapsed %s  ETA %s  %s", done, total, rate,
                clock(Math.round(secs)), clock(eta), engine);
    }

    static String clock(long s) {
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
