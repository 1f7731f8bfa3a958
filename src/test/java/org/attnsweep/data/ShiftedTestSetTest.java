package org.attnsweep.data;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Metrics;
import org.attnsweep.engine.Projected;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.SignalBasis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Shifted test sets (--test-sigma-scale s, --test-signal-angle θ, --test-p q): their statistics, and nothing else moves. */
class ShiftedTestSetTest {
    /** Exact geometry (angles, norms) is computed in float64 from unit vectors: round-off only. */
    private static final double GEOMETRY_TOL = 1e-12;

    @ParameterizedTest
    @EnumSource(SignalBasis.class)
    void shiftedTestSetHasTheAskedStatistics(SignalBasis basis) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunSpec s = Fixtures.smallSpec(rnd, 64, 3, 4, 4, 10);
        s.signals = basis;
        s.testN = 4000;
        s.p = 0.1;
        double scale = Fixtures.uniform(rnd, 0.3, 3), theta = Fixtures.uniform(rnd, 1, 179), q = Fixtures.uniform(rnd, 0.05, 0.45);
        s.testSigmaScale = scale;
        s.testSignalAngle = theta;
        s.testP = q;
        RunSpec plain = s.copy();
        plain.testSigmaScale = 1;
        plain.testSignalAngle = 0;
        plain.testP = Double.NaN;
        RunData shifted = Fixtures.data(s), base = Fixtures.data(plain);
        String ctx = basis + " s=" + scale + " theta=" + theta + " q=" + q + tag(seed);
        TokenSet t = shifted.test(), t0 = base.test();
        int d = s.d;

        // Noise: the unshifted test noise times s exactly, so its variance is σ_j²s² per coordinate.
        double[] x = t.tokens(), x0 = t0.tokens();
        for (int i = 2 * d; i < x.length; i++) assertEquals(scale * x0[i], x[i], 0.0, "noise entry " + i + " " + ctx);
        double ss = 0;
        int count = 0;
        for (int n = 0; n < t.N(); n++) {
            int tok = t.map()[n * s.M + 1];
            for (int i = 0; i < d; i++) ss += x[tok * d + i] * x[tok * d + i];
            count += d;
        }
        double ratio = ss / count / (s.sigma[0] * s.sigma[0] * scale * scale);
        // count = 4000·64 Gaussian squares: the variance estimate's relative sd is sqrt(2/count) ≈ 0.3%; 2% is > 6 sd.
        assertEquals(1, ratio, 0.02, "test noise variance / (sigma s)^2 " + ctx);

        // Signals: each at angle θ to its training signal, norm ‖μ‖, and the two turned directions orthogonal.
        for (int k = 0; k < 2; k++) {
            double[] mu = row(x, k, d), train = k == 0 ? shifted.muPos() : shifted.muNeg();
            assertEquals(s.mu, DataFactory.norm(mu), GEOMETRY_TOL * s.mu, "test signal norm " + ctx);
            double cos = DataFactory.dot(mu, train) / (s.mu * s.mu);
            assertEquals(Math.cos(Math.toRadians(theta)), cos, GEOMETRY_TOL, "cos of the angle to the training signal " + ctx);
        }
        double[] off0 = offTraining(row(x, 0, d), shifted), off1 = offTraining(row(x, 1, d), shifted);
        assertEquals(0, DataFactory.dot(off0, off1), GEOMETRY_TOL * s.mu * s.mu, "o+ and o- orthogonal " + ctx);
        assertEquals(s.mu * Math.sin(Math.toRadians(theta)), DataFactory.norm(off0), GEOMETRY_TOL * s.mu, "part off span(e+, e-) " + ctx);

        // Flips: the same true labels, flipped at rate q (4 sd of a binomial proportion).
        assertArrayEquals(t0.yClean(), t.yClean(), ctx);
        int flips = 0;
        for (int n = 0; n < t.N(); n++) if (t.y()[n] != t.yClean()[n]) flips++;
        assertEquals(q, flips / (double) t.N(), 4 * Math.sqrt(q * (1 - q) / t.N()), "test flip rate " + ctx);
    }

    @Test
    void trainingDataIsTheUnshiftedRunsBitForBit() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int trial = 0; trial < 8; trial++) {
            RunSpec s = Fixtures.smallSpec(rnd, 8 + rnd.nextInt(20), 2 + rnd.nextInt(3), 3, 3, 2 + rnd.nextInt(9));
            s.signals = rnd.nextBoolean() ? SignalBasis.RANDOM : SignalBasis.AXIS;
            s.orthogonalNoise = rnd.nextBoolean();
            s.p = rnd.nextBoolean() ? 0.2 : 0;
            RunData base = Fixtures.data(s);
            s.testSigmaScale = Fixtures.uniform(rnd, 0.1, 5);
            s.testSignalAngle = Fixtures.uniform(rnd, 0, 180);
            s.testP = Fixtures.uniform(rnd, 0, 0.49);
            RunData shifted = Fixtures.data(s);
            String ctx = shifted.config() + tag(seed);
            assertArrayEquals(base.train().tokens(), shifted.train().tokens(), ctx);
            assertArrayEquals(base.train().map(), shifted.train().map(), ctx);
            assertArrayEquals(base.train().y(), shifted.train().y(), ctx);
            assertArrayEquals(base.train().yClean(), shifted.train().yClean(), ctx);
            assertArrayEquals(base.muPos(), shifted.muPos(), ctx);
            assertArrayEquals(base.muNeg(), shifted.muNeg(), ctx);
            Fixtures.assertSameWeights(base.init(), shifted.init(), ctx);
            // Shifted tokens cannot be the family's, so the run must not claim it; a q-only shift keeps it.
            assertNull(shifted.family(), ctx);
            s.testSigmaScale = 1;
            s.testSignalAngle = 0;
            RunData flipsOnly = Fixtures.data(s);
            assertNotNull(flipsOnly.family(), ctx);
            assertArrayEquals(base.test().tokens(), flipsOnly.test().tokens(), ctx);
        }
    }

    /**
     * The vector engine against the reference on shifted runs (tokens shifted, flips only, and
     * unshifted in one batch), every metric every 10 of 100 steps. Tolerances are
     * VectorEngineTest's float64 ones: the same math in another order, ~1e-13 measured after
     * 100 steps, 1e-11 relative leaves 100×; an error count may differ only by test samples whose
     * reference margin is within 1e-9 of 0.
     */
    @Test
    void vectorEngineMatchesReferenceOnShiftedRuns() {
        double atol = 1e-12, rtol = 1e-11, ambiguity = 1e-9;
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int[] sh : new int[][] {{8, 2, 4, 4}, {17, 4, 13, 3}, {21, 3, 7, 16}}) {
            List<RunData> runs = new ArrayList<>();
            for (int k = 0; k < 4; k++) {
                RunSpec s = Fixtures.smallSpec(rnd, sh[0], sh[1], sh[2], sh[3], 2 + rnd.nextInt(9));
                s.signals = k % 2 == 0 ? SignalBasis.AXIS : SignalBasis.RANDOM;
                s.orthogonalNoise = rnd.nextBoolean();
                s.trainWo = k / 2 == 0;
                s.p = rnd.nextBoolean() ? Fixtures.uniform(rnd, 0.1, 0.4) : 0;
                // k = 0, 1: tokens shifted (and flips); 2: flips only; 3: unshifted
                if (k < 2) {
                    s.testSigmaScale = Fixtures.uniform(rnd, 0.3, 3);
                    s.testSignalAngle = Fixtures.uniform(rnd, 0, 180);
                }
                if (k < 3) s.testP = Fixtures.uniform(rnd, 0.05, 0.45);
                runs.add(Fixtures.data(s));
            }
            String ctx = " d=" + sh[0] + " M=" + sh[1] + tag(seed);
            boolean[] all = {true, true, true, true};
            double[][] mRef = new double[4][Metric.COUNT], mVec = new double[4][Metric.COUNT];
            double[] lRef = new double[4], lVec = new double[4];
            try (EngineBatch ref = new ReferenceEngine().open(runs);
                 EngineBatch vec = new VectorEngine(Precision.FLOAT64, 1).open(runs)) {
                for (int t = 0; t <= 100; t++) {
                    if (t % 10 == 0) {
                        ref.metrics(all, mRef);
                        vec.metrics(all, mVec);
                        for (int r = 0; r < 4; r++) {
                            RunData run = runs.get(r);
                            String where = " run " + r + " step " + t + " " + run.config() + ctx;
                            int ambTrain = ambiguous(run.train(), ref.weights(r), ambiguity), ambTest = ambiguous(run.test(), ref.weights(r), ambiguity);
                            for (Metric m : Metric.values()) {
                                double a = mRef[r][m.ordinal()], b = mVec[r][m.ordinal()];
                                switch (m) {
                                    case TRAIN_ERROR -> assertTrue(Math.round(Math.abs(a - b) * run.train().N()) <= ambTrain, m.column() + " " + a + " vs " + b + where);
                                    case TEST_ERROR, TEST_ERROR_CLEAN ->
                                            assertTrue(Math.round(Math.abs(a - b) * run.test().N()) <= ambTest, m.column() + " " + a + " vs " + b + where);
                                    default -> Fixtures.assertClose(a, b, atol, rtol, () -> m.column() + where);
                                }
                            }
                        }
                    }
                    if (t == 100) break;
                    ref.step(all, lRef);
                    vec.step(all, lVec);
                    for (int r = 0; r < 4; r++) {
                        int rr = r, tt = t;
                        Fixtures.assertClose(lRef[r], lVec[r], atol, rtol, () -> "training loss run " + rr + " step " + tt + ctx);
                    }
                }
            }
        }
    }

    /** Samples whose reference margin |f| is within {@code eps} of 0: either engine may classify them either way. */
    private static int ambiguous(TokenSet set, org.attnsweep.model.Weights w, double eps) {
        Projected pr = Projected.direct(w, set.tokens());
        int n = 0;
        for (int i = 0; i < set.N(); i++) if (Math.abs(Metrics.forward(set, i, pr, null)) <= eps) n++;
        return n;
    }

    private static double[] row(double[] tokens, int k, int d) {
        return java.util.Arrays.copyOfRange(tokens, k * d, (k + 1) * d);
    }

    /** v minus its part in span(μ₊, μ₋) (the training signals are orthogonal). */
    private static double[] offTraining(double[] v, RunData run) {
        double[] out = v.clone();
        for (double[] u : new double[][] {run.muPos(), run.muNeg()}) {
            double c = DataFactory.dot(v, u) / DataFactory.dot(u, u);
            for (int i = 0; i < v.length; i++) out[i] -= c * u[i];
        }
        return out;
    }
}
