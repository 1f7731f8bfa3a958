package org.attnsweep.engine.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.train.RunResult;
import org.attnsweep.train.Trainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The final evaluation of a run that stops without an update reads its training samples' softmax
 * and f_h from that step's forward pass (AttentionRunF32.trainForward) instead of scoring them
 * again: its metrics must be bit for bit those of an evaluation that scores them afresh, and the
 * forward must never be read once an update has moved the weights past it. Checked on random
 * shapes (M below and above the key-lane scores' M ≥ 8, widths below and past a vector) with a
 * fresh seed (printed on failure; -Dattnsweep.seed replays), in both precisions and formulations,
 * one head and three, runs of a family and runs with their own set-up, full-batch and mini-batch.
 */
class ForwardReuseTest {
    private static final int STEPS = 7;

    record Case(Precision precision, Formulation form, int heads) {
        @Override
        public String toString() {
            return precision + " " + form + " H=" + heads;
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (Formulation f : List.of(Formulation.SPAN, Formulation.DIRECT)) {
                for (int H : new int[] {1, 3}) out.add(new Case(p, f, H));
            }
        }
        return out;
    }

    /**
     * Step by step, each run alone: before its first forward, after every update (the forward
     * stale: the weights moved past it) and at its stop step (the forward current, read), the
     * evaluation that may read the forward against one that scores afresh, every value bit for bit.
     * Stops at step 0 (a target above the initial loss), in the middle, or never (the step budget).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyEvaluationEqualsAFreshOne(Case k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int shape = 0; shape < 3; shape++) {
            int d = 4 + rnd.nextInt(30), M = 2 + rnd.nextInt(16), mk = 1 + rnd.nextInt(40), mv = 1 + rnd.nextInt(12);
            int N = 2 + rnd.nextInt(12);
            String ctx = k + " d=" + d + " M=" + M + " m_k=" + mk + " m_v=" + mv + " N=" + N + Fixtures.tag(seed);
            RunSpec s = spec(rnd, d, M, mk, mv, N, k.heads());
            long specSeed = s.seed;
            double[] losses = losses(k, data(s, true));
            for (int stop : new int[] {0, 1 + rnd.nextInt(STEPS - 1), -1}) {
                for (boolean family : new boolean[] {true, false}) {
                    s.seed = specSeed;
                    s.targetLoss = stop < 0 ? 0 : Math.nextUp(stop == 0 ? Double.MAX_VALUE / 2 : losses[stop]);
                    RunData data = data(s, family);
                    String at = ctx + " target step " + stop + (family ? " family" : " own");
                    LockstepBatch.Run run = opener(k).apply(data);
                    HeadsRunF32 run32 = run instanceof HeadsRunF32 r ? r : null;
                    HeadsRunF64 run64 = run instanceof HeadsRunF64 r ? r : null;
                    boolean readsForward = k.form() == Formulation.SPAN
                            || !CostModel.bilinear(data.train().N(), M, d, mk, data.train().P());
                    assertFresh(run32, run64, k.heads(), false, at + " before the first step");
                    for (int t = 0; ; t++) {
                        double loss = run.step();
                        if (loss < s.targetLoss || !Double.isFinite(loss)) {
                            assertFresh(run32, run64, k.heads(), readsForward, at + " stopped at " + t);
                            assertFresh(run32, run64, k.heads(), readsForward, at + " stopped at " + t + ", evaluated again");
                            break;
                        }
                        assertFresh(run32, run64, k.heads(), false, at + " after update " + t);
                        if (t == STEPS) break;
                    }
                }
            }
        }
    }

    /**
     * Through the Trainer, with the runs of one batch stopping at step 0, at a step their
     * eval-every divides (that step's metrics were taken before its forward), at a step it does
     * not, or at the step budget: every run's curve and final metrics bit for bit those of a
     * replay of the Trainer's rule on the run alone, each evaluation scored afresh.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trainerResultsEqualAFreshReplay(Case k) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = 4 + rnd.nextInt(30), M = 2 + rnd.nextInt(16), mk = 1 + rnd.nextInt(40), mv = 1 + rnd.nextInt(12);
        String ctx = k + " d=" + d + " M=" + M + " m_k=" + mk + " m_v=" + mv + Fixtures.tag(seed);
        List<RunData> runs = new ArrayList<>();
        int[][] plans = {{0, 1}, {4, 2}, {3, 2}, {6, 3}, {-1, 3}, {-1, 1}, {5, 5}, {2, 4}};   // {target step (−1: none), eval-every}
        for (int[] plan : plans) {
            RunSpec s = spec(rnd, d, M, mk, mv, 2 + rnd.nextInt(12), k.heads());
            s.evalEvery = plan[1];
            long specSeed = s.seed;
            boolean family = rnd.nextBoolean();
            double[] losses = losses(k, data(s, family));
            s.seed = specSeed;
            s.targetLoss = plan[0] < 0 ? 0 : Math.nextUp(plan[0] == 0 ? Double.MAX_VALUE / 2 : losses[plan[0]]);
            runs.add(data(s, family));
        }
        List<RunResult> got;
        try (EngineBatch batch = new VectorEngine(k.precision(), k.form(), 2, null).open(runs)) {
            got = Trainer.train(batch, runs, false, null);
        }
        for (int r = 0; r < runs.size(); r++) {
            RunData data = runs.get(r);
            List<double[]> curve = new ArrayList<>();
            int stop = replay(opener(k).apply(data), data, curve);
            String at = ctx + " run " + r + " (plan " + java.util.Arrays.toString(plans[r]) + ")";
            assertEquals(stop, got.get(r).stopStep(), "stop step of " + at);
            assertEquals(curve.size(), got.get(r).curve().size(), "curve rows of " + at);
            for (int i = 0; i < curve.size(); i++) assertArrayEquals(curve.get(i), got.get(r).curve().get(i), "curve row " + i + " of " + at);
            assertArrayEquals(java.util.Arrays.copyOf(curve.getLast(), Metric.COUNT + 1), prepend(stop, got.get(r).finalMetrics()),
                    "final metrics of " + at);
        }
    }

    /**
     * The Trainer's rule for one run (metrics when eval-every divides t, before that step; the end at
     * the step budget or at the first loss below target, its metrics then), every evaluation
     * scored afresh: the curve into {@code curve}, the stop step returned.
     */
    private static int replay(LockstepBatch.Run run, RunData data, List<double[]> curve) {
        var c = data.config();
        double[] m = new double[Metric.width(c.heads())];
        for (int t = 0; ; t++) {
            boolean due = t % c.evalEvery() == 0;
            if (due) curve.add(prepend(t, fresh(run, m)));
            if (t == c.steps()) {
                if (!due) curve.add(prepend(t, fresh(run, m)));
                return t;
            }
            double loss = run.step();
            if (!Double.isFinite(loss) || loss < c.targetLoss()) {
                if (!due) curve.add(prepend(t, fresh(run, m)));
                return t;
            }
        }
    }

    /** [step, the run's metrics] as a curve row. */
    private static double[] prepend(int step, double[] m) {
        double[] row = new double[1 + Metric.COUNT];
        row[0] = step;
        System.arraycopy(m, 0, row, 1, Metric.COUNT);
        return row;
    }

    /** The run's metrics with every training sample scored afresh. */
    private static double[] fresh(LockstepBatch.Run run, double[] m) {
        if (run instanceof HeadsRunF32 r) r.metrics(m, false);
        else ((HeadsRunF64) run).metrics(m, false);
        return m;
    }

    /**
     * The run's metrics that may read the forward equal a fresh evaluation's bit for bit, and
     * every head's forward is current exactly when {@code current} (so the reading is exercised
     * where it should be, and nowhere else).
     */
    private static void assertFresh(HeadsRunF32 run32, HeadsRunF64 run64, int H, boolean current, String at) {
        double[] reused = new double[Metric.width(H)], fresh = new double[reused.length];
        if (run32 != null) {
            run32.metrics(reused);
            run32.metrics(fresh, false);
            for (AttentionRunF32 h : run32.heads) assertEquals(current, h.trainForward() != null, "forward current " + at);
        } else {
            run64.metrics(reused);
            run64.metrics(fresh, false);
            for (AttentionRunF64 h : run64.heads) assertEquals(current, h.trainForward() != null, "forward current " + at);
        }
        assertArrayEquals(fresh, reused, "metrics " + at);
        assertTrue(Double.isFinite(fresh[Metric.TRAIN_LOSS.ordinal()]), "a finite training loss " + at);
    }

    /** The training losses of steps 0..STEPS of the run (target 0: every step updates). */
    private static double[] losses(Case k, RunData data) {
        LockstepBatch.Run run = opener(k).apply(data);
        double[] out = new double[STEPS + 1];
        for (int t = 0; t <= STEPS; t++) out[t] = run.step();
        return out;
    }

    private static Function<RunData, LockstepBatch.Run> opener(Case k) {
        boolean f32 = k.precision() == Precision.FLOAT32;
        if (k.form() == Formulation.DIRECT) return f32 ? HeadsRunF32.direct() : HeadsRunF64.direct();
        return f32 ? HeadsRunF32::span : HeadsRunF64::span;
    }

    private static RunSpec spec(SplittableRandom rnd, int d, int M, int mk, int mv, int N, int heads) {
        RunSpec s = Fixtures.smallSpec(rnd, d, M, mk, mv, N);
        s.heads = heads;
        s.steps = STEPS;
        s.trainWo = rnd.nextBoolean();
        if (rnd.nextInt(3) == 0) s.batchSize = 1 + rnd.nextInt(N);   // mini-batch: the forward still covers all N samples
        return s;
    }

    /** The run of spec s: its family's (generated, shared set-up) or with the family dropped (its own set-up). */
    private static RunData data(RunSpec s, boolean family) {
        RunData r = Fixtures.data(s);
        return family ? r : new RunData(r.config(), r.train(), r.test(), r.muPos(), r.muNeg(), r.init());
    }
}
