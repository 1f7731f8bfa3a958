package org.attnsweep.engine.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Metrics;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;

/**
 * The evaluation rows made as the evaluation reads them (EvalF32.Rows): {@link EvalF32} asks for
 * every test row before it reads it, and a span run's rows made block by block
 * (SpanRunF32.EvalRows, {@link SpanRunF32#EVAL_BLOCK} rows or more at a time) are the same bits
 * however they are asked for, leave the run's weights as they were, and come out the same at the
 * next evaluation. Random shapes whose test sets span several blocks (up to 2 + 40·16 rows), one
 * head or two, with a fresh seed (printed on failure; -Dattnsweep.seed replays). The float64 twins
 * are generated from the same sources; EvalTest checks the values of both against the float64
 * definition.
 */
class EvalRowsTest {
    private static final int SHAPES = 4, STEPS = 3;

    /**
     * The evaluation of heads whose rows arrive only as asked (every row NaN until then, exactly
     * the rows asked for filled in) against the evaluation of the same heads with every row there
     * from the start: every metric bit for bit, and each head's rows closed once.
     */
    @Test
    void theEvaluationReadsOnlyRowsItAskedFor() {
        forShapes((data, run, ctx, rnd) -> {
            int H = run.heads.length;
            EvalF32 eager = new EvalF32(data.train(), data.test(), H, true), lazy = new EvalF32(data.train(), data.test(), H, true);
            for (AttentionRunF32 h : run.heads) {
                EvalF32.Head p = h.projections();
                assertNotNull(p.rows(), "a moved span run's rows are made as read: " + ctx);
                int w = p.width(), E = p.qe().length / w;
                p.rows().upTo(E);
                float[] qe = p.qe().clone(), ke = p.ke().clone();
                p.rows().close();
                eager.add(new EvalF32.Head(p.Q(), p.K(), p.u(), qe, ke, p.ue(), w, p.probe0(), null, 1, null), null);
                Asked asked = new Asked(qe, ke, w);
                lazy.add(new EvalF32.Head(p.Q(), p.K(), p.u(), asked.qe, asked.ke, p.ue(), w, p.probe0(), null, 1, asked), null);
                assertEquals(1, asked.closed, "closes of a head's rows: " + ctx);
            }
            double[] want = new double[Metric.width(H)], got = new double[Metric.width(H)];
            Metrics.assemble(data.config(), data.train(), data.test(), eager.parts(), want);
            Metrics.assemble(data.config(), data.train(), data.test(), lazy.parts(), got);
            for (double v : want) assertTrue(Double.isFinite(v), "metrics finite: " + ctx);
            assertArrayEquals(want, got, "metrics with the rows made as asked: " + ctx);
        });
    }

    /**
     * A span run's test rows asked for all at once, then in random steps (the arrays poisoned
     * between), then all at once again: the same bits each time, every row made, and the run's
     * weights (A_Q, A_K, whose signal rows are scaled while the rows are made) unchanged, also by
     * evaluation rows closed without being asked for or never used at all.
     */
    @Test
    void aSpanRunsRowsAreTheSameHoweverAskedFor() {
        forShapes((data, run, ctx, rnd) -> {
            Weights before = run.weights();
            for (AttentionRunF32 h : run.heads) {
                h.projections().rows().close();   // closed unasked, then one dropped unclosed: neither may change the run
                h.projections();
                float[][] first = made(h, null, ctx), stepwise = made(h, rnd, ctx), again = made(h, null, ctx);
                for (int k = 0; k < 2; k++) {
                    assertArrayEquals(first[k], stepwise[k], (k == 0 ? "q" : "k") + " rows made in random steps: " + ctx);
                    assertArrayEquals(first[k], again[k], (k == 0 ? "q" : "k") + " rows at the next evaluation: " + ctx);
                }
            }
            Weights after = run.weights();
            assertArrayEquals(before.WQ(), after.WQ(), "W_Q after the evaluations: " + ctx);
            assertArrayEquals(before.WK(), after.WK(), "W_K after the evaluations: " + ctx);
        });
    }

    /** One check on a span run after {@link #STEPS} steps, its description for messages, the test's random stream. */
    private interface ShapeCheck {
        void check(RunData data, HeadsRunF32 run, String ctx, SplittableRandom rnd);
    }

    /** {@code check} on {@link #SHAPES} random shapes from a fresh seed, family runs and runs with their own set-up in turn. */
    private static void forShapes(ShapeCheck check) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int shape = 0; shape < SHAPES; shape++) {
            RunData data = data(rnd, shape % 2 == 0);
            check.check(data, stepped(data), shape(data) + Fixtures.tag(seed), rnd);
        }
    }

    /**
     * Head h's test rows (q, k), asked for at once ({@code rnd} null) or in random increasing steps
     * from 1 row up; the scratch they live in filled with NaN afterwards, so that a row the next
     * call leaves unmade shows.
     */
    private static float[][] made(AttentionRunF32 h, SplittableRandom rnd, String ctx) {
        EvalF32.Head p = h.projections();
        EvalF32.Rows rows = p.rows();
        int E = p.qe().length / p.width();
        if (rnd == null) rows.upTo(E);
        for (int to = 0; rnd != null && to < E; ) {
            to = Math.min(E, to + 1 + rnd.nextInt(2 * SpanRunF32.EVAL_BLOCK));
            rows.upTo(to);
        }
        float[][] out = {p.qe().clone(), p.ke().clone()};
        rows.close();
        for (float[] x : out) {
            for (float v : x) assertTrue(Float.isFinite(v), "every row made: " + ctx);
        }
        java.util.Arrays.fill(p.qe(), Float.NaN);
        java.util.Arrays.fill(p.ke(), Float.NaN);
        return out;
    }

    /** Rows that arrive as asked: exactly rows [0, to) of the given ones after upTo(to), the rest NaN. */
    private static final class Asked implements EvalF32.Rows {
        final float[] qe, ke;
        private final float[] q, k;
        private final int w;
        private int made;
        int closed;

        Asked(float[] q, float[] k, int w) {
            this.q = q;
            this.k = k;
            this.w = w;
            qe = new float[q.length];
            ke = new float[k.length];
            java.util.Arrays.fill(qe, Float.NaN);
            java.util.Arrays.fill(ke, Float.NaN);
        }

        @Override
        public void upTo(int to) {
            if (to <= made) return;
            System.arraycopy(q, made * w, qe, made * w, (to - made) * w);
            System.arraycopy(k, made * w, ke, made * w, (to - made) * w);
            made = to;
        }

        @Override
        public void close() {
            closed++;
        }
    }

    /**
     * A run with a test set of 20–40 samples of M = 2..17 tokens (several blocks of rows): of a
     * family (shared, scaled evaluation rows; the probes rows 0, 1) or, in odd shapes, with its own
     * set-up (the probes the last two rows).
     */
    private static RunData data(SplittableRandom rnd, boolean family) {
        int d = 4 + rnd.nextInt(30), M = 2 + rnd.nextInt(16), mk = 1 + rnd.nextInt(40), mv = 1 + rnd.nextInt(12);
        RunSpec s = Fixtures.smallSpec(rnd, d, M, mk, mv, 2 + rnd.nextInt(10));
        s.testN = 20 + rnd.nextInt(21);
        s.heads = 1 + rnd.nextInt(2);
        s.trainWo = rnd.nextBoolean();
        s.steps = STEPS;
        s.targetLoss = 0;
        RunData data = Fixtures.data(s);
        assertNotNull(data.family(), "a generated run has a family");
        return family ? data : new RunData(data.config(), data.train(), data.test(), data.muPos(), data.muNeg(), data.init());
    }

    /** The run after {@link #STEPS} GD steps, so that its evaluation rows are its own (not its family's W(0) rows). */
    private static HeadsRunF32 stepped(RunData data) {
        HeadsRunF32 run = HeadsRunF32.span(data);
        for (int t = 0; t < STEPS; t++) run.step();
        for (AttentionRunF32 h : run.heads) assertEquals(data.family() != null, ((SpanRunF32) h).s.unit != null, "a family's set-up");
        return run;
    }

    private static String shape(RunData data) {
        var c = data.config();
        return (data.family() != null ? "family" : "own set-up") + " d=" + c.d() + " M=" + c.M() + " m_k=" + c.mk() + " m_v=" + c.mv() + " N=" + c.N() + " testN=" + c.testN() + " H=" + c.heads()
                + (c.trainWo() ? " learnable w_O" : " fixed w_O");
    }
}
