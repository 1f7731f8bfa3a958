package org.attnsweep.data;

import org.attnsweep.model.RunConfig;

/**
 * The samples of each step of a mini-batch SGD run (docs/math.md §8): epoch e is a permutation of
 * 0..N−1 drawn from its own stream (the run's "batch-order" stream, sub-stream e: no other draw of
 * the run moves), and step t takes the next B of it. An epoch has ⌊N/B⌋ steps; the last N mod B
 * samples of its permutation wait for a later epoch, so a step's samples are always distinct and
 * every step averages over exactly B of them. A full-batch run (B = N) never asks: its steps take
 * every sample, in order.
 *
 * <p>Each engine's run holds its own instance (it caches the current epoch's permutation), and the
 * order is a pure function of (seed, repeat, N, B, t), so every engine and a replay from
 * batch_order.npy see the same samples.
 */
public final class BatchOrder {
    private final Stream stream;
    private final int N, B, perEpoch;
    private int[] perm;
    private long epoch = -1;
    private int[] step;   // B  scratch of mask: no allocation per step

    public BatchOrder(RunConfig c) {
        stream = Stream.of(c.seed(), c.repeat(), "batch-order");
        N = c.N();
        B = c.batchSize();
        perEpoch = N / B;
    }

    /** B, the samples of one step. */
    public int size() {
        return B;
    }

    /** The B sample indices of step t (t = 0 is the first update), into out[0..B). */
    public void batch(long t, int[] out) {
        long e = t / perEpoch;
        if (e != epoch) {
            perm = permutation(stream.sub(e), N);
            epoch = e;
        }
        System.arraycopy(perm, (int) (t % perEpoch) * B, out, 0, B);
    }

    /** in[n] = whether sample n is in step t's batch (length N). */
    public void mask(long t, boolean[] in) {
        if (step == null) step = new int[B];
        batch(t, step);
        java.util.Arrays.fill(in, false);
        for (int n : step) in[n] = true;
    }

    /**
     * A uniform permutation of 0..n−1 (Fisher–Yates, draw i of the stream for position n−1−i).
     * ImageData.pick shuffles the other way (upward, position i from draw i, as far as needed):
     * from the same draws the two directions give different permutations, so one shared shuffle
     * would change either every mini-batch run's samples or every image run's images, and results
     * stored before would no longer match a rerun; each keeps its own.
     */
    static int[] permutation(Stream s, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = (int) Math.floor(s.uniform(n - 1 - i) * (i + 1));
            int x = p[i];
            p[i] = p[j];
            p[j] = x;
        }
        return p;
    }
}
