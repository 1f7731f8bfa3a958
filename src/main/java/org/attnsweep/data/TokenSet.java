package org.attnsweep.data;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A set of N samples of M tokens stored as its P distinct tokens (docs/math.md §4): {@code tokens} is
 * P×d row-major, and {@code map[n*M + l]} is the token index of position l of sample n. Generated
 * data puts μ₊ at index 0, μ₋ at index 1 and the noise tokens after them.
 *
 * <p>Generated sets build their token array on first read ({@link #tokens}): the span engine's
 * family runs never read a run's own tokens (they project the family's once), and at paper A's
 * shape a test split's array is 1,502×1,024 doubles, 12.3 MB per run. Every reader, on any thread,
 * gets the one array the first read built. Equality is identity: runs share a set by holding the
 * same object (DirectRunF32.Tokens.dataKey).
 */
public final class TokenSet {
    private final int N, M, d, P;
    private final int[] map, y, yClean;
    // The P×d tokens once built (volatile: a reader on another thread sees the whole array or null);
    // make builds them, under this object's lock, once, and is then dropped.
    private volatile double[] tokens;
    private Supplier<double[]> make;

    /**
     * A set whose tokens are given.
     *
     * @param N      samples
     * @param M      tokens per sample
     * @param d      token dimension
     * @param tokens P×d distinct tokens, row-major
     * @param map    N·M token indices
     * @param y      observed labels ±1 (used for training and the noisy metrics)
     * @param yClean true labels ±1 (before flips)
     */
    public TokenSet(int N, int M, int d, double[] tokens, int[] map, int[] y, int[] yClean) {
        this(N, M, d, checkedP(tokens, d), null, map, y, yClean);
        this.tokens = tokens;
    }

    /** A set of P tokens that {@code make} builds (P×d) on the first read of {@link #tokens}. */
    TokenSet(int N, int M, int d, int P, Supplier<double[]> make, int[] map, int[] y, int[] yClean) {
        if (map.length != N * M) throw new IllegalArgumentException("map length " + map.length + " != N*M=" + N * M);
        if (y.length != N || yClean.length != N) throw new IllegalArgumentException("label length != N=" + N);
        this.N = N;
        this.M = M;
        this.d = d;
        this.P = P;
        this.make = make;
        this.map = map;
        this.y = y;
        this.yClean = yClean;
    }

    private static int checkedP(double[] tokens, int d) {
        if (tokens.length % d != 0) throw new IllegalArgumentException("tokens length " + tokens.length + " is not a multiple of d=" + d);
        return tokens.length / d;
    }

    /** Samples. */
    public int N() {
        return N;
    }

    /** Tokens per sample. */
    public int M() {
        return M;
    }

    /** Token dimension. */
    public int d() {
        return d;
    }

    /** P, the number of distinct tokens. */
    public int P() {
        return P;
    }

    /** The N·M token indices. */
    public int[] map() {
        return map;
    }

    /** Observed labels ±1 (used for training and the noisy metrics). */
    public int[] y() {
        return y;
    }

    /** True labels ±1 (before flips). */
    public int[] yClean() {
        return yClean;
    }

    /** The P×d distinct tokens, row-major; built on the first call where the set was made lazily. */
    public double[] tokens() {
        double[] t = tokens;
        return t != null ? t : build();
    }

    private synchronized double[] build() {
        if (tokens == null) {
            double[] t = make.get();
            if (t.length != P * d) throw new IllegalStateException("built " + t.length + " token values, expected P*d=" + P * d);
            tokens = t;
            make = null;
        }
        return tokens;
    }

    /** Whether the token array exists yet (lazily made sets: whether anything has read it). */
    boolean built() {
        return tokens != null;
    }

    /** Token index of position l (0-based) of sample n. */
    public int token(int n, int l) {
        return map[n * M + l];
    }

    /** Coordinate i of token j. */
    public double at(int j, int i) {
        return tokens()[j * d + i];
    }

    /** The dense N×M×d array of samples (the layout of train_x.npy). */
    public double[] dense() {
        double[] tokens = tokens(), x = new double[N * M * d];
        for (int n = 0; n < N; n++) {
            for (int l = 0; l < M; l++) {
                System.arraycopy(tokens, token(n, l) * d, x, (n * M + l) * d, d);
            }
        }
        return x;
    }

    /**
     * Builds a token set from dense samples x (N×M×d row-major), merging tokens that are equal bit
     * for bit ({@link Double#doubleToLongBits}, as {@link Arrays#equals(double[], int, int, double[], int, int)}
     * compares): loaded data has its repeated signal tokens recognised, so P stays small. Token
     * indices follow first appearance.
     */
    public static TokenSet fromDense(int N, int M, int d, double[] x, int[] y, int[] yClean) {
        int T = N * M;
        if (T > MAX_TOKENS) throw new IllegalArgumentException("N*M = " + T + " tokens: at most " + MAX_TOKENS + " are indexed");
        // Open addressing over the distinct tokens found so far: slot = index + 1 (0 = empty), the
        // table at most half full, probing linearly; a token is hashed and compared in place in x
        // and tokens, without a key object per token.
        int slots = Integer.highestOneBit(Math.max(1, T)) << 2, mask = slots - 1;
        int[] table = new int[slots];
        double[] tokens = new double[T * d];
        int[] map = new int[T];
        int P = 0;
        for (int t = 0; t < T; t++) {
            int from = t * d, slot = hash(x, from, d) & mask;
            int j;
            while ((j = table[slot] - 1) >= 0 && !Arrays.equals(tokens, j * d, j * d + d, x, from, from + d)) slot = (slot + 1) & mask;
            if (j < 0) {
                j = P++;
                table[slot] = j + 1;
                System.arraycopy(x, from, tokens, j * d, d);
            }
            map[t] = j;
        }
        return new TokenSet(N, M, d, Arrays.copyOf(tokens, P * d), map, y, yClean);
    }

    /** The most tokens {@link #fromDense} indexes: its table of 4·T slots stays a Java array. */
    static final int MAX_TOKENS = 1 << 28;

    /** A hash of x[from..from+d) consistent with Arrays.equals on doubles, its bits mixed for the table's low bits. */
    private static int hash(double[] x, int from, int d) {
        long h = 1;
        for (int i = from; i < from + d; i++) h = 31 * h + Double.doubleToLongBits(x[i]);
        h *= 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
