package org.attnsweep.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link TokenSet#fromDense} against a plain map keyed by each token's list of bits. */
class TokenSetTest {

    /** The distinct tokens in order of first appearance, found with one boxed key per token. */
    private static TokenSet reference(int N, int M, int d, double[] x) {
        Map<List<Long>, Integer> index = new HashMap<>();
        List<double[]> distinct = new ArrayList<>();
        int[] map = new int[N * M];
        for (int t = 0; t < N * M; t++) {
            List<Long> key = new ArrayList<>();
            for (int i = 0; i < d; i++) key.add(Double.doubleToLongBits(x[t * d + i]));
            double[] token = java.util.Arrays.copyOfRange(x, t * d, t * d + d);
            map[t] = index.computeIfAbsent(key, k -> {
                distinct.add(token);
                return distinct.size() - 1;
            });
        }
        double[] tokens = new double[distinct.size() * d];
        for (int j = 0; j < distinct.size(); j++) System.arraycopy(distinct.get(j), 0, tokens, j * d, d);
        return new TokenSet(N, M, d, tokens, map, new int[N], new int[N]);
    }

    /**
     * Random samples drawn from a small pool of tokens (so most repeat) plus fresh ones, with
     * tokens that differ only in the sign of a zero (distinct) or in a NaN's payload (equal, as
     * Double.equals has it), and float32 values widened (their low bits all zero).
     */
    @Test
    void mergesExactlyTheTokensEqualBitForBit() {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        for (int round = 0; round < 20; round++) {
            int N = 1 + r.nextInt(200), M = 1 + r.nextInt(8), d = 1 + r.nextInt(12);
            double[][] pool = new double[1 + r.nextInt(30)][d];
            for (double[] p : pool) {
                for (int i = 0; i < d; i++) {
                    p[i] = switch (r.nextInt(5)) {
                        case 0 -> 0.0;
                        case 1 -> -0.0;
                        case 2 -> Double.longBitsToDouble(0x7ff8000000000000L | r.nextInt(4));
                        case 3 -> (float) r.nextGaussian();
                        default -> r.nextGaussian();
                    };
                }
            }
            double[] x = new double[N * M * d];
            for (int t = 0; t < N * M; t++) {
                if (r.nextInt(4) == 0) {
                    for (int i = 0; i < d; i++) x[t * d + i] = (float) r.nextGaussian();
                } else {
                    System.arraycopy(pool[r.nextInt(pool.length)], 0, x, t * d, d);
                }
            }
            TokenSet got = TokenSet.fromDense(N, M, d, x, new int[N], new int[N]), want = reference(N, M, d, x);
            String what = "seed " + seed + ", round " + round;
            assertEquals(want.P(), got.P(), what);
            assertArrayEquals(want.map(), got.map(), what);
            assertArrayEquals(NpyTest.bits(want.tokens()), NpyTest.bits(got.tokens()), what);
            assertArrayEquals(x, got.dense(), what);
        }
    }
}
