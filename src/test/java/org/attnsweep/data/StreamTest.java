package org.attnsweep.data;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * The counter-based streams: moments of uniforms and normals on {@link #N} draws, determinism, and
 * independence of sub-streams and of streams with different keys.
 *
 * <p>Every statistical check allows {@link #Z} standard errors of the estimate (its sampling
 * spread for a correct generator, derived in each comment): a correct stream fails one check with
 * probability ~6e-7, while a wrong variance, a shifted mean or a reused stream misses by far more.
 */
class StreamTest {
    /** Draws per statistical check: at 5 standard errors, resolves a 0.7% error in the normal variance. */
    private static final int N = 1_000_000;
    /** Standard errors allowed per statistical check. */
    private static final double Z = 5;

    private static Stream fresh(SplittableRandom rnd) {
        return Stream.of(rnd.nextLong(), rnd.nextInt(1000), "test-" + rnd.nextInt());
    }

    @Test
    void uniformsLieInUnitIntervalWithRightMeanAndVariance() {
        long seed = Fixtures.seed();
        Stream s = fresh(new SplittableRandom(seed));
        double sum = 0, sum2 = 0;
        for (int i = 0; i < N; i++) {
            double u = s.uniform(i);
            assertTrue(u >= 0 && u < 1, "uniform(" + i + ") = " + u + " outside [0, 1)" + tag(seed));
            sum += u;
            sum2 += (u - 0.5) * (u - 0.5);
        }
        // U(0,1): mean 1/2 with standard error √(1/12/N); E(U−½)² = 1/12 with Var((U−½)²) = 1/80 − 1/144 = 1/180.
        Fixtures.assertClose(0.5, sum / N, Z * Math.sqrt(1.0 / 12 / N), 0, () -> "uniform mean" + tag(seed));
        Fixtures.assertClose(1.0 / 12, sum2 / N, Z * Math.sqrt(1.0 / 180 / N), 0, () -> "uniform variance" + tag(seed));
    }

    @Test
    void normalsHaveRightMeanVarianceKurtosisAndTails() {
        long seed = Fixtures.seed();
        Stream s = fresh(new SplittableRandom(seed));
        double m1 = 0, m2 = 0, m4 = 0, below1 = 0, beyond2 = 0;
        for (int i = 0; i < N; i++) {
            double z = s.normal(i);
            assertTrue(Double.isFinite(z), "normal(" + i + ") = " + z + tag(seed));
            m1 += z;
            m2 += z * z;
            m4 += z * z * z * z;
            if (z < 1) below1++;
            if (Math.abs(z) > 2) beyond2++;
        }
        m1 /= N;
        m2 /= N;
        m4 /= N;
        double kurt = m4 / (m2 * m2);
        // N(0,1): SE of the mean 1/√N, of the second moment √(2/N), of the kurtosis √(24/N).
        Fixtures.assertClose(0, m1, Z / Math.sqrt(N), 0, () -> "normal mean" + tag(seed));
        Fixtures.assertClose(1, m2, Z * Math.sqrt(2.0 / N), 0, () -> "normal variance" + tag(seed));
        Fixtures.assertClose(3, kurt, Z * Math.sqrt(24.0 / N), 0, () -> "normal kurtosis" + tag(seed));
        // Φ(1) and P(|Z| > 2) as binomial proportions, SE √(q(1−q)/N).
        double phi1 = 0.8413447460685429, tail2 = 0.04550026389635842;
        Fixtures.assertClose(phi1, below1 / N, Z * Math.sqrt(phi1 * (1 - phi1) / N), 0, () -> "P(Z < 1)" + tag(seed));
        Fixtures.assertClose(tail2, beyond2 / N, Z * Math.sqrt(tail2 * (1 - tail2) / N), 0, () -> "P(|Z| > 2)" + tag(seed));
    }

    @Test
    void valuesArePureFunctionsOfKeyAndIndex() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        long root = rnd.nextLong();
        int repeat = rnd.nextInt(100);
        Stream a = Stream.of(root, repeat, "train-noise").sub(3).sub(1);
        double[] forward = new double[1000];
        for (int i = 0; i < forward.length; i++) forward[i] = a.normal(i);
        Stream b = Stream.of(root, repeat, "train-noise").sub(3).sub(1);
        assertEquals(a.key(), b.key(), "same derivation, same key" + tag(seed));
        for (int i = forward.length - 1; i >= 0; i--) {
            assertEquals(Double.doubleToLongBits(forward[i]), Double.doubleToLongBits(b.normal(i)),
                    "normal(" + i + ") depends on call order" + tag(seed));
        }
    }

    @Test
    void subStreamsAndDifferentKeysAreIndependent() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        long root = rnd.nextLong();
        Stream base = Stream.of(root, 0, "train-noise");
        Stream[] others = {base.sub(1), base.sub(2), Stream.of(root, 1, "train-noise"), Stream.of(root, 0, "test-noise"),
                Stream.of(root + 1, 0, "train-noise")};
        String[] names = {"sub(1)", "sub(2)", "repeat 1", "name test-noise", "seed + 1"};
        Stream ref = base.sub(0);
        for (int k = 0; k < others.length; k++) {
            Stream o = others[k];
            String what = "sub(0) vs " + names[k];
            double sxy = 0;
            for (int i = 0; i < N; i++) {
                long x = ref.bits(i), y = o.bits(i);
                if (i < 1000) assertTrue(x != y, what + ": equal bits at " + i + tag(seed));
                sxy += (ref.uniform(i) - 0.5) * (o.uniform(i) - 0.5);
            }
            // Correlation of independent uniforms: mean 0, SE 1/√N.
            double corr = sxy / N * 12;
            Fixtures.assertClose(0, corr, Z / Math.sqrt(N), 0, () -> what + " correlation" + tag(seed));
        }
        assertTrue(base.sub(0).key() != base.key(), "sub(0) must differ from its parent" + tag(seed));
    }
}
