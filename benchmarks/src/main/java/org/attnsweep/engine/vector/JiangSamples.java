package org.attnsweep.engine.vector;

import java.util.SplittableRandom;

/**
 * The token layout of paper A's samples for the kernel benchmarks (ScoresBench, GatherBench): N
 * samples of M tokens, sample n holding token n mod 2 (one of the two signal tokens every sample
 * shares) at position 0 and M − 1 tokens of its own after it, P = 2 + N·(M − 1) distinct tokens in
 * all, as the jiang data's samples do.
 */
final class JiangSamples {
    private JiangSamples() {
    }

    /** Distinct tokens of N samples of M tokens. */
    static int tokens(int N, int M) {
        return 2 + N * (M - 1);
    }

    /** map[n·M + t]: the token at position t of sample n. */
    static int[] map(int N, int M) {
        int[] map = new int[N * M];
        for (int n = 0; n < N; n++) {
            map[n * M] = n % 2;
            for (int t = 1; t < M; t++) map[n * M + t] = 2 + n * (M - 1) + t - 1;
        }
        return map;
    }

    /** n floats uniform in [−scale, scale). */
    static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble(-scale, scale);
        return x;
    }
}
