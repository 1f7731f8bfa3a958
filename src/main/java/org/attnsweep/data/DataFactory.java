package org.attnsweep.data;

import java.util.function.Supplier;
import org.attnsweep.model.InitScheme;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.SignalBasis;
import org.attnsweep.model.Weights;

/**
 * Draws a run's data and initial weights exactly as docs/math.md §1–2 (image runs: {@link ImageData}), every draw from its own stream keyed
 * by (seed, repeat, stream name) and then by sample and position. Nothing depends on N except how
 * many samples are drawn, so runs that differ only in N share their first min(N) samples; nothing
 * depends on ‖μ‖, σ or p except through scaling and thresholds of the same draws.
 */
public final class DataFactory {
    private DataFactory() {
    }

    /**
     * The whole run: training set, fresh test set, signals and initial weights. The noise and
     * W(0) come from the run's {@link Family}, drawn once for all runs that share them. A shifted
     * test set (--test-sigma-scale s, --test-signal-angle θ, --test-p q) changes
     * only the test split: the same test streams, its noise times s, its signals turned by θ, its
     * flips thresholded at q; the training set is the unshifted run's, bit for bit.
     */
    public static RunData generate(RunConfig c) {
        if (c.images() != null) return ImageData.generate(c);
        Family f = Family.of(c);
        double[][] e = f.directions();
        double[][] mu = {e[0].clone(), e[1].clone()};
        scale(mu[0], c.mu());
        scale(mu[1], c.mu());
        int N = c.N();
        TokenSet train = samples(c, N, mu, c.p(), () -> f.trainNoise(N), "train");
        if (!c.shiftedTestTokens()) {
            TokenSet test = samples(c, c.testN(), mu, c.testP(), f::testNoise, "test");
            return new RunData(c, train, test, mu[0], mu[1], f.init(), f);
        }
        TokenSet test = samples(c, c.testN(), testSignals(c, e), c.testP(), () -> {
            double[] noise = f.testNoise().clone();
            scale(noise, c.testSigmaScale());
            return noise;
        }, "test");
        // Its test tokens are not the family's [‖μ‖e₊, ‖μ‖e₋, test noise], which engines may
        // share across a family: without a family they project this run's own tokens.
        return new RunData(c, train, test, mu[0], mu[1], f.init(), null);
    }

    /**
     * The test signals of a shifted run (2×d): μ±' = ‖μ‖(cos θ e± + sin θ o±), so each is at
     * angle θ to its training signal, with norm ‖μ‖. o₊, o₋ are orthonormal and orthogonal to
     * e₊, e₋: e₃ and e₄ for axis signals; for random signals, Gram–Schmidt on the next two
     * Gaussian vectors of the signal-basis stream (sub-streams 2 and 3, after e₊, e₋'s 0 and 1).
     */
    static double[][] testSignals(RunConfig c, double[][] e) {
        int d = c.d();
        double[] o1 = new double[d], o2 = new double[d];
        if (c.signals() == SignalBasis.AXIS) {
            o1[2] = 1;
            o2[3] = 1;
        } else {
            Stream s = Stream.of(c.seed(), c.repeat(), "signal-basis");
            Stream a = s.sub(2), b = s.sub(3);
            for (int i = 0; i < d; i++) {
                o1[i] = a.normal(i);
                o2[i] = b.normal(i);
            }
            orthonormalise(o1, e[0], e[1]);
            orthonormalise(o2, e[0], e[1], o1);
        }
        double th = Math.toRadians(c.testSignalAngle()), cos = Math.cos(th), sin = Math.sin(th);
        double[][] mu = new double[2][d];
        for (int i = 0; i < d; i++) {
            mu[0][i] = c.mu() * (cos * e[0][i] + sin * o1[i]);
            mu[1][i] = c.mu() * (cos * e[1][i] + sin * o2[i]);
        }
        return mu;
    }

    /** v minus its projections on the orthonormal {@code basis}, then normalised (twice, for round-off). */
    private static void orthonormalise(double[] v, double[]... basis) {
        for (int pass = 0; pass < 2; pass++) {
            for (double[] u : basis) {
                double proj = dot(v, u);
                for (int i = 0; i < v.length; i++) v[i] -= proj * u[i];
            }
        }
        scale(v, 1 / norm(v));
    }

    /** The unit directions of μ₊ and μ₋ (each d long). */
    static double[][] directions(RunConfig c) {
        int d = c.d();
        double[] e1 = new double[d], e2 = new double[d];
        if (c.signals() == SignalBasis.AXIS) {
            e1[0] = 1;
            e2[1] = 1;
        } else {
            // Gram–Schmidt on two Gaussian vectors of the run's own stream.
            Stream s = Stream.of(c.seed(), c.repeat(), "signal-basis");
            Stream a = s.sub(0), b = s.sub(1);
            for (int i = 0; i < d; i++) {
                e1[i] = a.normal(i);
                e2[i] = b.normal(i);
            }
            scale(e1, 1 / norm(e1));
            double proj = dot(e1, e2);
            for (int i = 0; i < d; i++) e2[i] -= proj * e1[i];
            scale(e2, 1 / norm(e2));
        }
        return new double[][] {e1, e2};
    }

    /**
     * n samples of the split named {@code split} ("train" or "test"): token 0 is the signal of the
     * true label, tokens 1..M−1 are noise (the first n·(M−1) tokens of {@code noise}'s array), each
     * label flipped with probability {@code flip}. Tokens are stored as P = 2 + n(M−1) distinct
     * tokens, μ₊ first, μ₋ second; the labels are drawn now, the token array (P×d, 12.3 MB for a test
     * split at paper A's shape) only when something reads it ({@link TokenSet#tokens}), and then
     * from {@code mu} and {@code noise} as they are now: neither is ever modified.
     */
    static TokenSet samples(RunConfig c, int n, double[][] mu, double flip, Supplier<double[]> noise, String split) {
        int d = c.d(), M = c.M();
        int[] yClean = trueLabels(c, n, split);
        int[] y = flips(c, yClean, split, flip);

        int P = 2 + n * (M - 1);
        int[] map = new int[n * M];
        for (int s = 0; s < n; s++) {
            map[s * M] = yClean[s] > 0 ? 0 : 1;
            for (int l = 1; l < M; l++) map[s * M + l] = 2 + s * (M - 1) + (l - 1);
        }
        return new TokenSet(n, M, d, P, () -> {
            double[] tokens = new double[P * d];
            System.arraycopy(mu[0], 0, tokens, 0, d);
            System.arraycopy(mu[1], 0, tokens, d, d);
            System.arraycopy(noise.get(), 0, tokens, 2 * d, (P - 2) * d);
            return tokens;
        }, map, y, yClean);
    }

    /**
     * Draws the noise tokens of samples [from, to) of a split into {@code out} (sample-major,
     * (M−1) tokens of d per sample): position l of sample s is σ_l·z with z from the stream
     * (split-noise, s, l), projected off span(e₊, e₋) when the run asks for orthogonal noise.
     */
    static void noise(RunConfig c, String split, int from, int to, double[][] e, double[] out) {
        int d = c.d(), M = c.M();
        double[] u1 = c.orthogonalNoise() ? e[0] : null, u2 = e[1];
        Stream noise = Stream.of(c.seed(), c.repeat(), split + "-noise");
        for (int s = from; s < to; s++) {
            Stream sample = noise.sub(s);
            for (int l = 1; l < M; l++) {
                Stream pos = sample.sub(l);
                double sig = c.sigmaAt(l + 1);
                int off = (s * (M - 1) + (l - 1)) * d;
                for (int i = 0; i < d; i++) out[off + i] = sig * pos.normal(i);
                if (u1 != null) {
                    double a = 0, b = 0;
                    for (int i = 0; i < d; i++) {
                        a += out[off + i] * u1[i];
                        b += out[off + i] * u2[i];
                    }
                    for (int i = 0; i < d; i++) out[off + i] -= a * u1[i] + b * u2[i];
                }
            }
        }
    }

    /** Observed labels y: each true label flipped with probability {@code flip} (p, or the test set's q), independently (stream split-flips). */
    static int[] flips(RunConfig c, int[] yClean, String split, double flip) {
        Stream flips = Stream.of(c.seed(), c.repeat(), split + "-flips");
        int[] y = new int[yClean.length];
        for (int i = 0; i < y.length; i++) y[i] = flips.uniform(i) < flip ? -yClean[i] : yClean[i];
        return y;
    }

    /** True labels ỹ of the first n samples; a prefix of a longer draw is the shorter draw. */
    static int[] trueLabels(RunConfig c, int n, String split) {
        Stream s = Stream.of(c.seed(), c.repeat(), split + "-labels");
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            if (c.labels() == LabelMode.RADEMACHER) {
                y[i] = (s.bits(i) & 1) == 0 ? 1 : -1;
            } else {
                // Balanced: each pair (2k, 2k+1) holds one +1 and one −1 in random order, so every
                // even prefix is exactly balanced and extending N never changes earlier labels.
                int first = (s.bits(i / 2) & 1) == 0 ? 1 : -1;
                y[i] = i % 2 == 0 ? first : -first;
            }
        }
        return y;
    }

    /**
     * Initial weights of docs/math.md §2, each matrix from its own stream (entry index = row·d + col);
     * with H heads (§7) head h ≥ 1 draws from the streams named "init-WQ@h" and so on, head 0 from the
     * unsuffixed ones, so a one-head run's W(0) is the same with or without the option.
     */
    public static Weights initialWeights(RunConfig c) {
        int d = c.d(), mk = c.mk(), mv = c.mv();
        java.util.List<Weights> heads = new java.util.ArrayList<>();
        for (int h = 0; h < c.heads(); h++) {
            String at = h == 0 ? "" : "@" + h;
            heads.add(new Weights(d, mk, mv,
                    initMatrix(c, "init-WQ" + at, mk * d, c.sigma0()),
                    initMatrix(c, "init-WK" + at, mk * d, c.sigma0()),
                    initMatrix(c, "init-WV" + at, mv * d, c.sigmaV()),
                    initWo(c, "init-wO" + at)));
        }
        return Weights.stack(heads);
    }

    private static double[] initMatrix(RunConfig c, String name, int size, double theorySigma) {
        Stream s = Stream.of(c.seed(), c.repeat(), name);
        double[] w = new double[size];
        if (c.init() == InitScheme.THEORY) {
            for (int i = 0; i < size; i++) w[i] = theorySigma * s.normal(i);
        } else {
            double bound = 1 / Math.sqrt(c.d()) / c.initDivisor();
            for (int i = 0; i < size; i++) w[i] = bound * (2 * s.uniform(i) - 1);
        }
        return w;
    }

    private static double[] initWo(RunConfig c, String name) {
        Stream s = Stream.of(c.seed(), c.repeat(), name);
        double[] w = new double[c.mv()];
        double bound = 1 / Math.sqrt(c.mv());
        for (int i = 0; i < w.length; i++) {
            w[i] = c.init() == InitScheme.THEORY ? c.sigmaO() * s.normal(i) : bound * (2 * s.uniform(i) - 1);
        }
        return w;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static void scale(double[] a, double f) {
        for (int i = 0; i < a.length; i++) a[i] *= f;
    }
}
