package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * KernelsF32.flushSubnormals (and the generated KernelsF64's): exactly the subnormal entries of the
 * first n become zeros of their sign; normals (±MIN_NORMAL included), zeros, infinities and NaN keep
 * their bits, and entries past n are not touched. And the gather phase, which
 * flushes α, β and γ once a step's gathers are done, on a run whose samples sit at margins where the
 * logistic loss's derivative is near float32's smallest normal: no subnormal left.
 */
class SubnormalFlushTest {
    private static final int[] SIZES = {0, 1, 3, 7, 13, 16, 17, 31, 33, 127, 257};

    /** A value of every kind, drawn: subnormals (largest, smallest, random), normals near and far from the boundary, specials. */
    private static double draw(SplittableRandom rnd, double minNormal, double minValue) {
        double sign = rnd.nextBoolean() ? 1 : -1;
        return switch (rnd.nextInt(10)) {
            case 0 -> sign * Math.nextDown(minNormal);
            case 1 -> sign * minValue;
            case 2, 3 -> sign * minNormal * rnd.nextDouble();   // subnormal, or 0 when the draw is 0
            case 4 -> sign * minNormal;
            case 5 -> sign * minNormal * (1 + 3 * rnd.nextDouble());
            case 6 -> sign * 0.0;
            case 7 -> rnd.nextBoolean() ? Double.NaN : sign * Double.POSITIVE_INFINITY;
            default -> sign * Math.exp(rnd.nextDouble(-80, 80));
        };
    }

    /**
     * Each precision's flushSubnormals on values held as doubles: float32 takes them rounded to
     * float and hands back its floats widened, which keeps every bit that matters here (sign, zero,
     * subnormal value, NaN, infinity).
     */
    enum Flush {
        FLOAT32(Float.MIN_NORMAL, Float.MIN_VALUE) {
            @Override
            double round(double v) {
                return (float) v;
            }

            @Override
            void apply(double[] x, int n) {
                float[] f = new float[x.length];
                for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
                KernelsF32.flushSubnormals(f, n);
                for (int i = 0; i < x.length; i++) x[i] = f[i];
            }
        },
        FLOAT64(Double.MIN_NORMAL, Double.MIN_VALUE) {
            @Override
            double round(double v) {
                return v;
            }

            @Override
            void apply(double[] x, int n) {
                KernelsF64.flushSubnormals(x, n);
            }
        };

        final double minNormal, minValue;

        Flush(double minNormal, double minValue) {
            this.minNormal = minNormal;
            this.minValue = minValue;
        }

        abstract double round(double v);

        abstract void apply(double[] x, int n);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Flush.class)
    void flushesExactlyTheSubnormals(Flush k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int flushed = 0;
        for (int n : SIZES) {
            double[] x = new double[n + 5];
            for (int i = 0; i < x.length; i++) x[i] = k.round(draw(rnd, k.minNormal, k.minValue));
            double[] before = x.clone();
            k.apply(x, n);
            for (int i = 0; i < x.length; i++) {
                double b = before[i];
                boolean sub = i < n && b != 0 && Math.abs(b) < k.minNormal;
                double want = sub ? Math.copySign(0.0, b) : b;
                if (sub) flushed++;
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(x[i]),
                        k + " n=" + n + " i=" + i + ": " + b + " became " + x[i] + tag(seed));
            }
        }
        assertTrue(flushed > 20, "the draws held subnormals to flush: " + flushed + tag(seed));
    }

    /**
     * The gather phase of a float32 head (span form, or direct with {@code direct}) at margins y·f
     * in [75, 100], where ℓ′ = −σ(−y·f) runs from about 3e-33 down into float32's subnormals (the
     * gathers without a flush left 0.2% of α and β subnormal at paper A's shape, s34): after
     * {@link AttentionRunF32#gather} no entry of α, β or γ is subnormal, and some are below 2^−100,
     * so the phase ran where the flush matters.
     */
    @ParameterizedTest(name = "direct={0}")
    @ValueSource(booleans = {false, true})
    void gatherLeavesNoSubnormal(boolean direct) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunSpec s = Fixtures.smallSpec(rnd, 24, 4, 16, 8, 12);
        s.heads = 1;
        RunData data = Fixtures.data(s);
        HeadsRunF32 run = direct ? (HeadsRunF32) HeadsRunF32.direct().apply(data) : HeadsRunF32.span(data);
        AttentionRunF32 h = run.heads[0];
        h.forward();
        // Sample 0 at margin 75 (ℓ′ ≈ 3e-33: its terms normal, below 2^−100), the rest drawn in [75, 100]
        // (past ~85 their terms are subnormal): with margins all above ~85 every entry would flush to zero.
        for (int n = 0; n < h.N; n++) h.f[n] = h.y[n] * (float) (n == 0 ? 75 : rnd.nextDouble(75, 100));
        h.gather();
        float[][] got = {h.alpha, h.beta, h.gamma};
        String[] names = {"alpha", "beta", "gamma"};
        int tiny = 0;
        for (int a = 0; a < 3; a++) {
            for (int i = 0; i < got[a].length; i++) {
                float x = got[a][i];
                assertTrue(x == 0 || !(Math.abs(x) < Float.MIN_NORMAL), names[a] + "[" + i + "] is subnormal: " + x + tag(seed));
                if (x != 0 && Math.abs(x) < 0x1p-100f) tiny++;
            }
        }
        assertTrue(tiny > 0, "the gathers ran near float32's smallest normal" + tag(seed));
    }
}
