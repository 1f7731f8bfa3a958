package org.attnsweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.model.InitScheme;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.SignalBasis;
import org.attnsweep.model.Weights;

/**
 * Shared test plumbing: fresh seeds that can be replayed, small well-conditioned run specs, and the
 * one tolerance check every test uses, |got − ref| ≤ atol + rtol·|ref|.
 *
 * <p>Every test draws a fresh seed; to replay a failure, pass the seed its message printed:
 * {@code mvn -B -q test -Dtest=SomeTest -Dattnsweep.seed=123}.
 */
public final class Fixtures {
    private Fixtures() {
    }

    /** The replay seed if {@code -Dattnsweep.seed} is set, else a fresh one. */
    public static long seed() {
        String s = System.getProperty("attnsweep.seed");
        if (s != null && !s.isBlank()) return Long.parseLong(s.trim());
        return new SplittableRandom(System.nanoTime()).nextLong();
    }

    /** "[seed=…, replay with -Dattnsweep.seed=…]": appended to every assertion message. */
    public static String tag(long seed) {
        return " [seed=" + seed + "; replay with -Dattnsweep.seed=" + seed + "]";
    }

    /**
     * A small spec with moderate data, init and step size (token norms and weights of order one),
     * so that 100 GD steps move the weights visibly without blowing up. Callers override fields.
     */
    public static RunSpec smallSpec(SplittableRandom rnd, int d, int M, int mk, int mv, int N) {
        RunSpec s = shape(d, M, mk, mv, N);
        s.sigma = new double[M - 1];
        // σ_j·√d is the noise-token norm: keep it in [0.5, 2] whatever d is.
        for (int j = 0; j < M - 1; j++) s.sigma[j] = uniform(rnd, 0.5, 2.0) / Math.sqrt(d);
        s.mu = uniform(rnd, 0.5, 2.5);
        s.sigma0 = uniform(rnd, 0.2, 0.6);
        s.sigmaV = uniform(rnd, 0.2, 0.6);
        s.sigmaO = uniform(rnd, 0.3, 1.0);
        s.initDivisor = uniform(rnd, 0.5, 2.0);
        s.lr = uniform(rnd, 0.05, 0.3);
        s.steps = 100;
        s.targetLoss = 0;
        s.evalEvery = 10;
        s.testN = 1 + rnd.nextInt(12);
        s.seed = rnd.nextLong();
        return s;
    }

    /** The default spec with shape d, M, m_k, m_v, N: the fields only (σ is not resized to M − 1 as --M resizes it). */
    public static RunSpec shape(int d, int M, int mk, int mv, int N) {
        RunSpec s = new RunSpec();
        s.d = d;
        s.M = M;
        s.mk = mk;
        s.mv = mv;
        s.N = N;
        return s;
    }

    /**
     * R runs that share d, M, m_k, m_v and differ in everything else: N (distinct where 2..10
     * allows), η, ‖μ‖, σ's, seeds, and the six switches p > 0, trainable w_O, orthogonal noise,
     * random signals, Rademacher labels and theory init. Switch k of run r is on when
     * ⌊(r + k + shift)/2⌋ is odd, so with R ≥ 4 every switch is both on and off in every batch.
     */
    public static List<RunData> mixedBatch(SplittableRandom rnd, int d, int M, int mk, int mv, int R) {
        return mixedBatch(rnd, d, M, mk, mv, R, 10);
    }

    /** As {@link #mixedBatch(SplittableRandom, int, int, int, int, int)} with N drawn from 2..nMax, run 0 at nMax. */
    public static List<RunData> mixedBatch(SplittableRandom rnd, int d, int M, int mk, int mv, int R, int nMax) {
        return mixedBatch(rnd, d, M, mk, mv, R, nMax, 1);
    }

    /** As {@link #mixedBatch(SplittableRandom, int, int, int, int, int, int)} with H heads in every run (docs/math.md §7). */
    public static List<RunData> mixedBatch(SplittableRandom rnd, int d, int M, int mk, int mv, int R, int nMax, int heads) {
        int shift = rnd.nextInt(4);
        List<Integer> ns = new ArrayList<>();
        for (int n = 2; n < nMax; n++) ns.add(n);
        java.util.Collections.shuffle(ns, new java.util.Random(rnd.nextLong()));
        ns.addFirst(nMax);
        List<RunData> runs = new ArrayList<>();
        for (int r = 0; r < R; r++) {
            RunSpec s = smallSpec(rnd, d, M, mk, mv, ns.get(r % ns.size()));
            boolean[] on = new boolean[6];
            for (int k = 0; k < 6; k++) on[k] = ((r + k + shift) / 2) % 2 == 1;
            s.p = on[0] ? uniform(rnd, 0.1, 0.45) : 0;
            s.trainWo = on[1];
            s.orthogonalNoise = on[2];
            s.signals = on[3] ? SignalBasis.RANDOM : SignalBasis.AXIS;
            s.labels = on[4] ? LabelMode.RADEMACHER : LabelMode.BALANCED;
            s.init = on[5] ? InitScheme.THEORY : InitScheme.TORCH;
            s.heads = heads;
            runs.add(data(s));
        }
        return runs;
    }

    public static RunData data(RunSpec s) {
        return DataFactory.generate(s.build(0));
    }

    public static RunData data(RunConfig c) {
        return DataFactory.generate(c);
    }

    public static double uniform(SplittableRandom rnd, double lo, double hi) {
        return lo + (hi - lo) * rnd.nextDouble();
    }

    /** The four weight blocks of {@code actual} are {@code expected}'s bit for bit; a failure names the block, then {@code what}. */
    public static void assertSameWeights(Weights expected, Weights actual, String what) {
        assertArrayEquals(expected.WQ(), actual.WQ(), "W_Q " + what);
        assertArrayEquals(expected.WK(), actual.WK(), "W_K " + what);
        assertArrayEquals(expected.WV(), actual.WV(), "W_V " + what);
        assertArrayEquals(expected.wO(), actual.wO(), "w_O " + what);
    }

    /** True when |got − ref| ≤ atol + rtol·|ref|; false for any NaN. */
    public static boolean close(double ref, double got, double atol, double rtol) {
        return Math.abs(got - ref) <= atol + rtol * Math.abs(ref);
    }

    /** Fails unless {@link #close}; the message gets ref, got, the tolerance and the context. */
    public static void assertClose(double ref, double got, double atol, double rtol, Supplier<String> what) {
        if (!close(ref, got, atol, rtol)) {
            throw new AssertionError(what.get() + ": expected " + ref + ", got " + got + " (|diff| = "
                    + Math.abs(got - ref) + " > atol " + atol + " + rtol " + rtol + "·|ref|)");
        }
    }
}
