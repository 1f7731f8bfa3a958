package org.attnsweep.data;

/**
 * A set of N samples of M tokens stored as its P distinct tokens (docs/math.md §4): {@code tokens} is
 * P×d row-major, and {@code map[n*M + l]} is the token index of position l of sample n. Generated
 * data puts μ₊ at index 0, μ₋ at index 1 and the noise tokens after them.
 *
 * @param N      samples
 * @param M      tokens per sample
 * @param d      token dimension
 * @param tokens P×d distinct tokens, row-major
 * @param map    N·M token indices
 * @param y      observed labels ±1 (used for training and the noisy metrics)
 * @param yClean true labels ±1 (before flips)
 */
public record TokenSet(int N, int M, int d, double[] tokens, int[] map, int[] y, int[] yClean) {

    public TokenSet {
        if (tokens.length % d != 0) throw new IllegalArgumentException("tokens length " + tokens.length + " is not a multiple of d=" + d);
        if (map.length != N * M) throw new IllegalArgumentException("map length " + map.length + " != N*M=" + N * M);
        if (y.length != N || yClean.length != N) throw new IllegalArgumentException("label length != N=" + N);
    }

    /** P, the number of distinct tokens. */
    public int P() {
        return tokens.length / d;
    }

    /** Token index of position l (0-based) of sample n. */
    public int token(int n, int l) {
        return map[n * M + l];
    }

    /** Coordinate i of token j. */
    public double at(int j, int i) {
        return tokens[j * d + i];
    }

    /** The dense N×M×d array of samples (the layout of train_x.npy). */
    public double[] dense() {
        double[] x = new double[N * M * d];
        for (int n = 0; n < N; n++) {
            for (int l = 0; l < M; l++) {
                System.arraycopy(tokens, token(n, l) * d, x, (n * M + l) * d, d);
            }
        }
        return x;
    }

    /**
     * Builds a token set from dense samples x (N×M×d row-major), merging tokens that are equal bit
     * for bit: loaded data has its repeated signal tokens recognised, so P stays small.
     */
    public static TokenSet fromDense(int N, int M, int d, double[] x, int[] y, int[] yClean) {
        java.util.HashMap<java.util.List<Long>, Integer> index = new java.util.HashMap<>();
        double[] tokens = new double[N * M * d];
        int[] map = new int[N * M];
        int P = 0;
        for (int t = 0; t < N * M; t++) {
            Long[] bits = new Long[d];
            for (int i = 0; i < d; i++) bits[i] = Double.doubleToLongBits(x[t * d + i]);
            java.util.List<Long> k = java.util.Arrays.asList(bits);
            Integer j = index.get(k);
            if (j == null) {
                j = P++;
                index.put(k, j);
                System.arraycopy(x, t * d, tokens, j * d, d);
            }
            map[t] = j;
        }
        return new TokenSet(N, M, d, java.util.Arrays.copyOf(tokens, P * d), map, y, yClean);
    }
}
