package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * KernelsF32.flushSubnormals (and the generated KernelsF64's): exactly the subnormal entries of the
 * first n become zero of their sign; normals (±MIN_NORMAL included), zeros, infinities and NaN keep
 * their bits, and entries past n are not touched. Then the gather phase that calls it: on a run whose
 * samples sit at margins where the logistic loss's derivative is near float32's smallest normal,
 * α, β and γ are the unflushed gathers' bits except where those were subnormal.
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

    @Test
    void float32FlushesExactlyTheSubnormals() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int flushed = 0;
        for (int n : SIZES) {
            float[] x = new float[n + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) draw(rnd, Float.MIN_NORMAL, Float.MIN_VALUE);
            float[] before = x.clone();
            KernelsF32.flushSubnormals(x, n);
            for (int i = 0; i < x.length; i++) {
                float b = before[i];
                boolean sub = i < n && b != 0 && Math.abs(b) < Float.MIN_NORMAL;
                float want = sub ? Math.copySign(0f, b) : b;
                if (sub) flushed++;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(x[i]),
                        "float32 n=" + n + " i=" + i + ": " + b + " became " + x[i] + tag(seed));
            }
        }
        assertTrue(flushed > 20, "the draws held subnormals to flush: " + flushed + tag(seed));
    }

    @Test
    void float64FlushesExactlyTheSubnormals() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int flushed = 0;
        for (int n : SIZES) {
            double[] x = new double[n + 5];
            for (int i = 0; i < x.length; i++) x[i] = draw(rnd, Double.MIN_NORMAL, Double.MIN_VALUE);
            double[] before = x.clone();
            KernelsF64.flushSubnormals(x, n);
            for (int i = 0; i < x.length; i++) {
                double b = before[i];
                boolean sub = i < n && b != 0 && Math.abs(b) < Double.MIN_NORMAL;
                double want = sub ? Math.copySign(0.0, b) : b;
                if (sub) flushed++;
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(x[i]),
                        "float64 n=" + n + " i=" + i + ": " + b + " became " + x[i] + tag(seed));
            }
        }
        assertTrue(flushed > 20, "the draws held subnormals to flush: " + flushed + tag(seed));
    }

    /**
     * The gather phase of a float32 head (span form, or direct with {@code direct}) at margins y·f
     * in [80, 100], where ℓ′ = −σ(−y·f) runs from about 2e-35 down into float32's subnormals: the
     * unflushed gathers (the same sample loop, {@link AttentionRunF32#gatherSample} in order) hold
     * subnormal entries, and {@link AttentionRunF32#gather} leaves each entry with those bits except
     * that every subnormal one is a zero of its sign.
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
        for (int n = 0; n < h.N; n++) h.f[n] = h.y[n] * (float) rnd.nextDouble(80, 100);
        // The gathers without the flush: gather()'s own loop over the (full-batch) samples.
        h.clearGathers();
        Arrays.fill(h.gamma, 0);
        float invM = (float) (1.0 / h.M);
        for (int n = 0; n < h.N; n++) h.gatherSample(n, (float) h.loss.sampleGradient(h.y[n], h.f[n], h.N) * invM);
        float[][] raw = {h.alpha.clone(), h.beta.clone(), h.gamma.clone()};
        h.gather();
        float[][] got = {h.alpha, h.beta, h.gamma};
        String[] names = {"alpha", "beta", "gamma"};
        int subnormal = 0;
        for (int a = 0; a < 3; a++) {
            for (int i = 0; i < raw[a].length; i++) {
                float r = raw[a][i];
                boolean sub = r != 0 && Math.abs(r) < Float.MIN_NORMAL;
                if (sub) subnormal++;
                float want = sub ? Math.copySign(0f, r) : r;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[a][i]),
                        names[a] + "[" + i + "]: unflushed " + r + ", gathered " + got[a][i] + tag(seed));
            }
        }
        assertTrue(subnormal > 0, "the unflushed gathers held subnormal entries" + tag(seed));
    }
}
