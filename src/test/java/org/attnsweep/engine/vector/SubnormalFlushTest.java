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
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * KernelsF32.flushSubnormals (and the generated KernelsF64's): exactly the subnormal entries of
 * [from, from + n) become zeros of their sign; normals (±MIN_NORMAL included), zeros, infinities and
 * NaN keep their bits, and entries outside the range are not touched. The gathers, which flush each
 * row they store: bit for bit against a plain loop that flushes each stored sum. And the gather phase
 * on a run whose samples sit at margins where the logistic loss's derivative is near float32's
 * smallest normal: no subnormal left in α, β, γ.
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
            void apply(double[] x, int from, int n) {
                float[] f = new float[x.length];
                for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
                KernelsF32.flushSubnormals(f, from, n);
                for (int i = 0; i < x.length; i++) x[i] = f[i];
            }
        },
        FLOAT64(Double.MIN_NORMAL, Double.MIN_VALUE) {
            @Override
            double round(double v) {
                return v;
            }

            @Override
            void apply(double[] x, int from, int n) {
                KernelsF64.flushSubnormals(x, from, n);
            }
        };

        final double minNormal, minValue;

        Flush(double minNormal, double minValue) {
            this.minNormal = minNormal;
            this.minValue = minValue;
        }

        abstract double round(double v);

        abstract void apply(double[] x, int from, int n);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Flush.class)
    void flushesExactlyTheSubnormals(Flush k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int flushed = 0;
        for (int n : SIZES) {
            int from = rnd.nextInt(5);
            double[] x = new double[from + n + 5];
            for (int i = 0; i < x.length; i++) x[i] = k.round(draw(rnd, k.minNormal, k.minValue));
            double[] before = x.clone();
            k.apply(x, from, n);
            for (int i = 0; i < x.length; i++) {
                double b = before[i];
                boolean sub = i >= from && i < from + n && b != 0 && Math.abs(b) < k.minNormal;
                double want = sub ? Math.copySign(0.0, b) : b;
                if (sub) flushed++;
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(x[i]),
                        k + " n=" + n + " from=" + from + " i=" + i + ": " + b + " became " + x[i] + tag(seed));
            }
        }
        assertTrue(flushed > 20, "the draws held subnormals to flush: " + flushed + tag(seed));
    }

    /** float32's flush of one value, written out: a subnormal becomes a zero of its sign. */
    private static float flushed(float x) {
        return x != 0 && Math.abs(x) < Float.MIN_NORMAL ? Math.copySign(0f, x) : x;
    }

    /**
     * The float32 gathers (gather, gatherRows row-major and tile-major, gatherRowsTo) with
     * coefficients near 2^−124, so that their sums straddle float32's smallest normal: every output
     * element bit for bit the plain loop's, which runs the same fma chain over t in order from the
     * stored value and stores the sum flushed, row by row in order (rows of one token one after the
     * other). Widths cover the wide block, single vectors and the scalar tail; maps repeat tokens.
     */
    @Test
    void gathersStoreTheirSumsFlushed() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int flushedCount = 0;
        for (int trial = 0; trial < 120; trial++) {
            int M = 2 + rnd.nextInt(15);
            int m = trial % 3 == 0 ? KernelsF32.W * (1 + rnd.nextInt(4)) : SIZES[1 + rnd.nextInt(SIZES.length - 1)] + rnd.nextInt(3);
            boolean rows = rnd.nextBoolean();
            int rowStep = rows ? M : 1, stride = rows ? 1 : M;
            int P = 1 + rnd.nextInt(2 * M), mo = rnd.nextInt(4);
            int[] map = new int[mo + M];
            for (int t = 0; t < map.length; t++) map[t] = rnd.nextInt(P);
            float[] src = new float[P * m], coef = new float[M * M], start = new float[P * m];
            for (int i = 0; i < src.length; i++) src[i] = (float) rnd.nextDouble(-1, 1);
            for (int i = 0; i < coef.length; i++) coef[i] = (float) (rnd.nextDouble(-1, 1) * 0x1p-124);
            for (int i = 0; i < start.length; i++) start[i] = rnd.nextInt(4) == 0 ? (float) (rnd.nextDouble(-1, 1) * 0x1p-125) : 0f;
            // The plain loop: rows in order, each element's chain from its stored value, the sum stored flushed.
            float[] want = start.clone();
            for (int r = 0; r < M; r++) {
                int j = map[mo + r];
                for (int c = 0; c < m; c++) {
                    float acc = want[j * m + c];
                    for (int t = 0; t < M; t++) acc = Math.fma(src[map[mo + t] * m + c], coef[r * rowStep + t * stride], acc);
                    float f = flushed(acc);
                    if (Float.floatToRawIntBits(f) != Float.floatToRawIntBits(acc)) flushedCount++;
                    want[j * m + c] = f;
                }
            }
            String what = "M=" + M + " m=" + m + " P=" + P + " rowStep=" + rowStep + " stride=" + stride + " map=" + Arrays.toString(map) + tag(seed);
            float[] got = start.clone();
            KernelsF32.gatherRows(got, coef, rowStep, stride, src, map, mo, M, m);
            float[] tiles = new float[P * m];
            for (int j = 0; j < P; j++) for (int c = 0; c < m; c++) tiles[GemmF32.tiledAt(j, c, P, m, KernelsF32.W)] = start[j * m + c];
            KernelsF32.gatherRowsTiled(tiles, P, coef, rowStep, stride, src, map, mo, M, m);
            for (int j = 0; j < P; j++) {
                for (int c = 0; c < m; c++) {
                    int at = j * m + c;
                    assertEquals(Float.floatToRawIntBits(want[at]), Float.floatToRawIntBits(got[at]),
                            "gatherRows (" + j + ", " + c + "): " + got[at] + " vs " + want[at] + " " + what);
                    float tv = tiles[GemmF32.tiledAt(j, c, P, m, KernelsF32.W)];
                    assertEquals(Float.floatToRawIntBits(want[at]), Float.floatToRawIntBits(tv),
                            "gatherRowsTiled (" + j + ", " + c + "): " + tv + " vs " + want[at] + " " + what);
                }
            }
            // gatherRowsTo: row r of M contiguous rows from zero; gather: one row from zero.
            float[] to = new float[M * m], toWant = new float[M * m], one = new float[m];
            KernelsF32.gatherRowsTo(to, 0, coef, rowStep, stride, src, map, mo, M, m);
            KernelsF32.gather(one, 0, coef, 0, stride, src, map, mo, M, m);
            for (int r = 0; r < M; r++) {
                for (int c = 0; c < m; c++) {
                    float acc = 0;
                    for (int t = 0; t < M; t++) acc = Math.fma(src[map[mo + t] * m + c], coef[r * rowStep + t * stride], acc);
                    toWant[r * m + c] = flushed(acc);
                }
            }
            for (int i = 0; i < M * m; i++) {
                assertEquals(Float.floatToRawIntBits(toWant[i]), Float.floatToRawIntBits(to[i]), "gatherRowsTo entry " + i + ": " + to[i] + " vs " + toWant[i] + " " + what);
            }
            for (int c = 0; c < m; c++) {
                assertEquals(Float.floatToRawIntBits(toWant[c]), Float.floatToRawIntBits(one[c]), "gather column " + c + ": " + one[c] + " vs " + toWant[c] + " " + what);
            }
        }
        assertTrue(flushedCount > 100, "the sums straddled the smallest normal: " + flushedCount + " flushed" + tag(seed));
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
