package org.attnsweep.engine.vector;

import java.io.PrintStream;

/**
 * The FMA rate of one core sampled while something else runs: at once and then every
 * {@code period} seconds, a burst of {@link FmaPeakBench}'s twelve FMA chains for about {@code burst}
 * milliseconds on this one thread, its rate per CPU-second of the thread printed as a line
 * "seconds-since-start GFLOP/s". A burst shares its core with whatever runs there by time-slicing,
 * which the per-CPU-second rate does not count, so the lines follow the core's own speed through
 * the phases of a shared VM (scripts/heatmap-bench runs it beside the full preset: the FMA peak
 * measured during the sweep, not only before and after it). Its cost to the other work: burst /
 * period of one core.
 *
 * <p>Usage: {@code FmaProbe [period-s] [burst-ms]} (default 4 s, 40 ms): warms the chains up
 * (compiled by C2) for about two seconds, prints "ready", then samples until it is killed.
 */
public final class FmaProbe {
    /** The chains' sums, kept so that no burst is dead code. */
    private static volatile float kept;

    private FmaProbe() {
    }

    /** args[i] as a number, or {@code otherwise} where absent; a one-line error and exit 2 where it is not a number. */
    private static double number(String[] args, int i, double otherwise) {
        if (args.length <= i) return otherwise;
        try {
            return Double.parseDouble(args[i]);
        } catch (NumberFormatException e) {
            System.err.println("FmaProbe: not a number: '" + args[i] + "' (usage: FmaProbe [period-s] [burst-ms])");
            System.exit(2);
            return otherwise;
        }
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 2) {
            System.err.println("usage: FmaProbe [period-s] [burst-ms]");
            System.exit(2);
        }
        double period = number(args, 0, 4), burst = number(args, 1, 40);
        if (!(period > 0) || !(burst > 0) || burst >= 1000 * period || period > 3600) {
            System.err.println("FmaProbe: the period must be 0-3600 s and the burst > 0 ms, shorter than the period: got " + period + " s, " + burst + " ms");
            System.exit(2);
        }
        PrintStream out = System.out;
        float sink = 0;
        // Warm-up: C2 compiles the chains; then the calls that last about `burst` ms.
        long start = System.nanoTime();
        while (System.nanoTime() - start < 2_000_000_000L) sink += FmaPeakBench.chainsInCalls(0.999999f, 1e-7f, 1);
        int calibration = 64;
        long t0 = FlopCounter.threadCpuNs();
        sink += FmaPeakBench.chainsInCalls(0.999999f, 1e-7f, calibration);
        long took = Math.max(1, FlopCounter.threadCpuNs() - t0);
        long calls = Math.max(1, Math.round(calibration * (burst * 1e6 / took)));
        kept = sink;
        out.println("ready (" + calls + " calls of the chains a burst)");
        out.flush();
        long epoch = System.nanoTime();
        while (true) {
            long c0 = FlopCounter.threadCpuNs();
            sink += FmaPeakBench.chainsInCalls(0.999999f, 1e-7f, calls);
            long cpu = FlopCounter.threadCpuNs() - c0;
            out.printf("%.1f %.1f%n", (System.nanoTime() - epoch) / 1e9, FmaPeakBench.flopInCalls(calls) / (double) cpu);
            out.flush();
            kept = sink;
            Thread.sleep((long) (period * 1000));
        }
    }
}
