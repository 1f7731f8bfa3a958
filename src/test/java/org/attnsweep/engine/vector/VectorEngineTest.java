package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Metrics;
import org.attnsweep.engine.Projected;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test: the vector engine (span formulation, SPEC §4) against the reference engine
 * (direct GD, SPEC §3) over {@link #STEPS} GD steps of mixed batches: every per-step loss, every
 * metric every {@link #EVAL} steps, and the final weights rebuilt as W(0) + A Tᵀ.
 */
class VectorEngineTest {
    private static final int STEPS = 100;
    private static final int EVAL = 10;
    private static final int R = 4;
    /** How far (in tolerances) each update path must move the reference weights; see {@link #compare}. */
    private static final double MOVED = 10;

    /** d, M, m_k, m_v: M = 2 and M > 2; widths below, at and just past a 16-float vector. */
    private static final int[][] SHAPES = {
            {8, 2, 4, 4}, {13, 3, 7, 1}, {17, 4, 13, 3}, {33, 2, 16, 17}, {40, 5, 3, 16}, {21, 7, 17, 33},
            {7, 2, 1, 13}, {16, 3, 33, 7}};

    /**
     * Tolerances per precision. float64: both engines do the same math in a different order
     * (span vs direct), so rounding differences of ~1e-16 per operation, amplified by 100 steps
     * of GD on well-conditioned problems, measure ≤ 1e-13: 1e-11 leaves a 100× margin and still
     * catches any float32 leak into the float64 path (1e-7). float32: the inputs themselves are
     * rounded to 6e-8 relative and every step rounds again; measured worst differences over many
     * seeds are ≤ 1e-5 relative, so 1e-4 leaves a ≥ 10× margin while any formula error shows up
     * at 1e-2 or more. atol is rtol/10: the smallest compared values (cancelling qk means, w_O
     * entries) are O(0.1). marginAmbiguity: a sample whose reference f is this close to 0 may be
     * classified either way (≥ 100× the atol, as f is a mean of ~M² rounded products).
     */
    private record Tol(double atol, double rtol, double marginAmbiguity) {
    }

    private static final Tol F64 = new Tol(1e-12, 1e-11, 1e-9);
    private static final Tol F32 = new Tol(1e-5, 1e-4, 1e-3);

    static Stream<Arguments> engines() {
        return Stream.of(Arguments.of(Precision.FLOAT64, 1), Arguments.of(Precision.FLOAT64, 2),
                Arguments.of(Precision.FLOAT32, 1), Arguments.of(Precision.FLOAT32, 2));
    }

    @ParameterizedTest(name = "{0} threads={1}")
    @MethodSource("engines")
    void matchesReferenceOverHundredSteps(Precision precision, int threads) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        Tol tol = precision == Precision.FLOAT64 ? F64 : F32;
        VectorEngine vector = new VectorEngine(precision, threads);
        for (int[] sh : SHAPES) {
            List<RunData> runs = Fixtures.mixedBatch(rnd, sh[0], sh[1], sh[2], sh[3], R);
            String ctx = vector.describe() + " d=" + sh[0] + " M=" + sh[1] + " m_k=" + sh[2] + " m_v=" + sh[3] + tag(seed);
            try (EngineBatch ref = new ReferenceEngine().open(runs); EngineBatch vec = vector.open(runs)) {
                compare(ref, vec, runs, tol, ctx);
            }
        }
    }

    private static void compare(EngineBatch ref, EngineBatch vec, List<RunData> runs, Tol tol, String ctx) {
        boolean[] all = new boolean[R];
        java.util.Arrays.fill(all, true);
        double[] lRef = new double[R], lVec = new double[R];
        double[][] mRef = new double[R][Metric.COUNT], mVec = new double[R][Metric.COUNT];
        for (int t = 0; t <= STEPS; t++) {
            if (t % EVAL == 0) {
                ref.metrics(all, mRef);
                vec.metrics(all, mVec);
                for (int r = 0; r < R; r++) compareMetrics(runs.get(r), ref.weights(r), mRef[r], mVec[r], tol, ctx + " run " + r + " step " + t);
            }
            if (t == STEPS) break;
            ref.step(all, lRef);
            vec.step(all, lVec);
            for (int r = 0; r < R; r++) {
                int rr = r, tt = t;
                assertTrue(Double.isFinite(lRef[r]), "reference loss not finite: the test problem is badly chosen; run " + r + " " + ctx);
                Fixtures.assertClose(lRef[r], lVec[r], tol.atol, tol.rtol, () -> "training loss, run " + rr + " step " + tt + " " + ctx);
            }
        }
        double movedQ = 0, movedK = 0;
        for (int r = 0; r < R; r++) {
            String where = " run " + r + " after " + STEPS + " steps " + runs.get(r).config() + " " + ctx;
            Weights w0 = runs.get(r).init(), wT = ref.weights(r);
            // Each update path must move its weights well past the tolerance, or an engine that
            // skipped it would pass: W_V (and w_O when trained) in every run; W_Q and W_K, whose
            // attention gradients can be small in one run, in at least one run of the batch.
            assertTrue(moved(w0.WV(), wT.WV(), tol) > MOVED, "W_V barely moved:" + where);
            if (runs.get(r).config().trainWo()) assertTrue(moved(w0.wO(), wT.wO(), tol) > MOVED, "w_O barely moved:" + where);
            movedQ = Math.max(movedQ, moved(w0.WQ(), wT.WQ(), tol));
            movedK = Math.max(movedK, moved(w0.WK(), wT.WK(), tol));
            compareWeights(wT, vec.weights(r), tol, where);
        }
        assertTrue(movedQ > MOVED && movedK > MOVED, "W_Q or W_K barely moved in every run (" + movedQ + ", " + movedK
                + " tolerances): " + ctx);
    }

    /** The largest move of any entry from a to b, in units of the tolerance at b. */
    private static double moved(double[] a, double[] b, Tol tol) {
        double w = 0;
        for (int i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (tol.atol + tol.rtol * Math.abs(b[i])));
        return w;
    }

    private static void compareMetrics(RunData run, Weights wRef, double[] ref, double[] got, Tol tol, String ctx) {
        for (Metric m : Metric.values()) {
            int i = m.ordinal();
            switch (m) {
                case TRAIN_ERROR -> compareError(run.train(), run.train().y(), wRef, ref[i], got[i], tol, m, ctx);
                case TEST_ERROR -> compareError(run.test(), run.test().y(), wRef, ref[i], got[i], tol, m, ctx);
                case TEST_ERROR_CLEAN -> compareError(run.test(), run.test().yClean(), wRef, ref[i], got[i], tol, m, ctx);
                default -> Fixtures.assertClose(ref[i], got[i], tol.atol, tol.rtol, () -> m.column() + " " + ctx + " " + run.config());
            }
        }
    }

    /**
     * Error rates are counts: a sample whose reference margin f is within rounding of 0 may
     * legitimately land on the other side, so the counts may differ by at most the number of
     * such samples (usually none).
     */
    private static void compareError(TokenSet set, int[] y, Weights wRef, double ref, double got, Tol tol, Metric m, String ctx) {
        Projected pr = Projected.direct(wRef, set.tokens());
        int ambiguous = 0;
        for (int n = 0; n < set.N(); n++) {
            if (Math.abs(Metrics.forward(set, n, pr, null)) <= tol.marginAmbiguity) ambiguous++;
        }
        long diff = Math.round(Math.abs(ref - got) * set.N());
        assertTrue(diff <= ambiguous, m.column() + ": reference " + ref + ", vector " + got + " differ by " + diff
                + " samples; only " + ambiguous + " have |f| <= " + tol.marginAmbiguity + "; " + ctx);
    }

    private static void compareWeights(Weights ref, Weights got, Tol tol, String ctx) {
        assertEquals(ref.d(), got.d(), ctx);
        compareArray("W_Q", ref.WQ(), got.WQ(), tol, ctx);
        compareArray("W_K", ref.WK(), got.WK(), tol, ctx);
        compareArray("W_V", ref.WV(), got.WV(), tol, ctx);
        compareArray("w_O", ref.wO(), got.wO(), tol, ctx);
    }

    private static void compareArray(String name, double[] ref, double[] got, Tol tol, String ctx) {
        assertEquals(ref.length, got.length, name + " length " + ctx);
        for (int i = 0; i < ref.length; i++) {
            int ii = i;
            Fixtures.assertClose(ref[i], got[i], tol.atol, tol.rtol, () -> name + "[" + ii + "]" + ctx);
        }
    }
}
