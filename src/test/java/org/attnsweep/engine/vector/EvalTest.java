package org.attnsweep.engine.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.engine.Metrics;
import org.attnsweep.engine.Projected;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector engine's evaluation ({@link EvalF32} and its float64 twin, from the projections a run
 * holds) against the float64 definition {@link Metrics#compute} on the same weights (the run's
 * own, rebuilt in float64 and projected directly): every metric and, with H = 3, every head's
 * values, at step 0 and after {@link #STEPS} GD steps, in both precisions and formulations (the
 * direct form both with bilinear scores, d_p-wide rows, and through W_Q, W_K, m_k-wide rows), for
 * family runs (shared, scaled evaluation rows) and runs without a family (their own rows), on
 * random shapes with a fresh seed (printed on failure; -Dattnsweep.seed replays).
 */
class EvalTest {
    private static final int STEPS = 12, R = 4;

    /**
     * |got − ref| ≤ atol + rtol·|ref|. float32: the run's projections are float32 (each entry
     * rounded to 6e-8 relative, and the span form's Q, K, updated through G in float32, drift from
     * W·T by about that much per step), and the scores are m_k-long float32 sums: in two runs of
     * 30 shapes per case (fresh seeds) the worst difference measured used 12% of
     * EngineDifferentialTest's float32 tolerance 1e-5 + 1e-4·|ref| (at most 2.2e-6 absolute, on q·k
     * values), a ≥ 8× margin, while a formula error (a wrong position, a head counted twice, a
     * missing ‖μ‖) is off by 1e-3 or more. atol covers the q·k means, which cancel to O(0.01).
     * float64: the same sums at 1e-16 per operation, worst 0.2% of EngineDifferentialTest's
     * float64 tolerance.
     */
    private static final double ATOL32 = 1e-5, RTOL32 = 1e-4, ATOL64 = 1e-12, RTOL64 = 1e-11;
    /**
     * A sample whose reference f is this close to 0 may be classified either way by a float32
     * evaluation (f carries ~1e-6 absolute rounding here: ≥ 100× that), as EngineDifferentialTest.
     */
    private static final double MARGIN_AMBIGUITY = 1e-3;

    record Case(Precision precision, Formulation form, boolean family, int heads) {
        @Override
        public String toString() {
            return precision + " " + form + (family ? " family" : " own") + " H=" + heads;
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (Formulation f : List.of(Formulation.SPAN, Formulation.DIRECT)) {
                for (boolean family : new boolean[] {true, false}) {
                    for (int H : new int[] {1, 3}) out.add(new Case(p, f, family, H));
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void evaluationMatchesTheFloat64Definition(Case k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        boolean f64 = k.precision() == Precision.FLOAT64;
        double atol = f64 ? ATOL64 : ATOL32, rtol = f64 ? RTOL64 : RTOL32;
        for (int shape = 0; shape < 3; shape++) {
            // M = 2 (ξ_3 is position 1) and up; widths below, at and past a 16-float vector. Shape 0
            // has d small against m_k and shape 1 the reverse, so that the direct form's run 0 scores
            // bilinearly in the one (its evaluation reads d_p-wide rows) and through W_Q, W_K in the
            // other (m_k-wide), as asserted below; shape 2 is drawn freely.
            int d = switch (shape) { case 0 -> 6 + rnd.nextInt(7); case 1 -> 20 + rnd.nextInt(16); default -> 6 + rnd.nextInt(30); };
            int M = shape == 0 ? 4 + rnd.nextInt(4) : 2 + rnd.nextInt(6);
            int mk = switch (shape) { case 0 -> 24 + rnd.nextInt(13); case 1 -> 1 + rnd.nextInt(4); default -> 1 + rnd.nextInt(36); };
            int mv = 1 + rnd.nextInt(20);
            List<RunData> runs = Fixtures.mixedBatch(rnd, d, M, mk, mv, R, shape == 0 ? 10 : 2 + rnd.nextInt(9), k.heads());
            if (k.form() == Formulation.DIRECT && shape < 2) {
                TokenSet t = runs.get(0).train();
                assertEquals(shape == 0, CostModel.bilinear(t.N(), M, d, mk, t.P()), "bilinear scores in run 0 of shape " + shape
                        + " d=" + d + " M=" + M + " m_k=" + mk + " N=" + t.N() + " P=" + t.P() + Fixtures.tag(seed));
            }
            if (!k.family()) runs = runs.stream().map(r -> new RunData(r.config(), r.train(), r.test(), r.muPos(), r.muNeg(), r.init())).toList();
            String ctx = k + " d=" + d + " M=" + M + " m_k=" + mk + " m_v=" + mv + Fixtures.tag(seed);
            VectorEngine engine = new VectorEngine(k.precision(), k.form(), 1, null);
            try (EngineBatch batch = engine.open(runs)) {
                boolean[] all = new boolean[R];
                java.util.Arrays.fill(all, true);
                double[] loss = new double[R];
                double[][] got = new double[R][Metric.width(k.heads())];
                for (int t = 0; t <= STEPS; t++) {
                    if (t == 0 || t == STEPS) {
                        batch.metrics(all, got);
                        for (int r = 0; r < R; r++) compare(runs.get(r), batch.weights(r), got[r], atol, rtol, ctx + " run " + r + " step " + t);
                    }
                    if (t < STEPS) batch.step(all, loss);
                }
            }
        }
    }

    /** Every metric (and with H > 1 every head's values) of {@code got} against Metrics.compute on w. */
    private static void compare(RunData run, Weights w, double[] got, double atol, double rtol, String ctx) {
        double[] probes = new double[2 * w.d()];
        System.arraycopy(run.muPos(), 0, probes, 0, w.d());
        System.arraycopy(run.muNeg(), 0, probes, w.d(), w.d());
        double[] ref = new double[got.length];
        Metrics.compute(run.config(), run.train(), Projected.heads(w, run.train().tokens()), run.test(),
                Projected.heads(w, run.test().tokens()), Projected.heads(w, probes), ref);
        for (int i = 0; i < ref.length; i++) {
            String what = (i < Metric.COUNT ? Metric.values()[i].column()
                    : Metric.PER_HEAD.get((i - Metric.COUNT) % Metric.PER_HEAD.size()).column() + " of head "
                    + (i - Metric.COUNT) / Metric.PER_HEAD.size()) + " " + ctx;
            Metric m = i < Metric.COUNT ? Metric.values()[i] : null;
            if (m == Metric.TRAIN_ERROR || m == Metric.TEST_ERROR || m == Metric.TEST_ERROR_CLEAN) {
                TokenSet set = m == Metric.TRAIN_ERROR ? run.train() : run.test();
                sameCount(set, w, ref[i], got[i], what);
            } else {
                Fixtures.assertClose(ref[i], got[i], atol, rtol, () -> what);
            }
        }
    }

    /** Error rates are counts: they may differ by at most the samples whose reference f is within rounding of 0. */
    private static void sameCount(TokenSet set, Weights w, double ref, double got, String what) {
        Projected[] pr = Projected.heads(w, set.tokens());
        int ambiguous = 0;
        for (int n = 0; n < set.N(); n++) {
            if (Math.abs(Metrics.forward(set, n, pr, null)) <= MARGIN_AMBIGUITY) ambiguous++;
        }
        long diff = Math.round(Math.abs(ref - got) * set.N());
        assertTrue(diff <= ambiguous, what + ": reference " + ref + ", engine " + got + " differ by " + diff + " samples; " + ambiguous
                + " have |f| <= " + MARGIN_AMBIGUITY);
        if (ambiguous == 0) assertEquals(ref, got, what);
    }
}
