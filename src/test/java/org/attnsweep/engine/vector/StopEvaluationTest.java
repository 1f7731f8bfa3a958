package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.ForwardingBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.attnsweep.train.RunResult;
import org.attnsweep.train.Trainer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector engine's evaluation of a run at the step it stops at, inside the run's task of the
 * stretch ({@link LockstepBatch#steps(boolean[], int, double[], double[][], int[], double[][], boolean[])}),
 * against the same training with every final evaluation flushed by the Trainer after the stretch
 * (the interface's default, which evaluates none): every result bit for bit, and each run evaluated
 * once per curve row (never twice).
 */
class StopEvaluationTest {
    private static final int R = 6, EVERY = 12, STEPS = 40;
    /** Far beyond what either case takes (well under a second each): past it, threads wait on each other for ever. */
    private static final Duration HANG = Duration.ofSeconds(20);

    /**
     * R runs of 1 and 2 heads, eval-every 12 over 40 steps (stretches of 12, 12, 12 and 4 steps):
     * run 0 goes to its step budget (40, not a multiple of 12: flushed either way), run 1 stops at a
     * multiple of 12 where one can be drawn (its metrics are those of the evaluation due there),
     * runs 2..R-2 stop at drawn steps, the last run diverges. N = 40 samples (P ≈ 120 tokens): a
     * run's rows split where it gets several threads.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("org.attnsweep.engine.vector.StretchTest#cases")
    void theEvaluationAtTheStopGivesTheFlushedBits(Precision precision, Formulation form) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RunSpec> specs = new ArrayList<>();
        for (int r = 0; r < R; r++) {
            RunSpec s = StretchTest.spec(rnd, r, R, 40);
            s.evalEvery = EVERY;
            s.steps = STEPS;
            specs.add(s);
        }
        String ctx = precision + " " + form + tag(seed);
        VectorEngine engine = new VectorEngine(precision, form, 2, null);
        double[][] free = freeLosses(engine, specs);
        for (int r = 1; r < R - 1; r++) {
            List<Integer> at = new ArrayList<>();
            if (r == 1) for (int t = EVERY; t < STEPS; t += EVERY) at.add(t);
            else at.add(1 + rnd.nextInt(STEPS - 1));
            for (int t : at) {
                double target = stopAt(free, r, t);
                if (!Double.isNaN(target)) {
                    specs.get(r).targetLoss = target;
                    break;
                }
            }
            if (specs.get(r).targetLoss == 0) specs.get(r).targetLoss = Math.nextUp(free[at.get(0)][r]);   // stops at or before the drawn step
        }
        List<RunData> runs = specs.stream().map(Fixtures::data).toList();
        Counted inTaskView = new Counted(engine.open(runs), true), flushedView = new Counted(engine.open(runs), false);
        List<RunResult> inTask = assertTimeoutPreemptively(HANG, () -> Trainer.train(inTaskView, runs, true, null), ctx);
        List<RunResult> flushed = assertTimeoutPreemptively(HANG, () -> Trainer.train(flushedView, runs, true, null), ctx);
        int inside = 0;
        for (int r = 0; r < R; r++) {
            RunResult a = flushed.get(r), b = inTask.get(r);
            String rc = "run " + r + " (stop " + a.stopStep() + "); " + ctx;
            assertEquals(a.stopStep(), b.stopStep(), "stop step of " + rc);
            assertEquals(a.reachedTarget(), b.reachedTarget(), "reachedTarget of " + rc);
            assertEquals(a.diverged(), b.diverged(), "diverged of " + rc);
            assertEquals(a.overflowed(), b.overflowed(), "overflowed of " + rc);
            sameBits(a.finalMetrics(), b.finalMetrics(), "final metrics of " + rc);
            assertEquals(a.curve().size(), b.curve().size(), "curve rows of " + rc);
            for (int i = 0; i < a.curve().size(); i++) sameBits(a.curve().get(i), b.curve().get(i), "curve row " + i + " of " + rc);
            assertEquals(a.headCurve().size(), b.headCurve().size(), "head rows of " + rc);
            for (int i = 0; i < a.headCurve().size(); i++) sameBits(a.headCurve().get(i), b.headCurve().get(i), "head row " + i + " of " + rc);
            Weights wa = a.finalWeights(), wb = b.finalWeights();
            sameBits(wa.WQ(), wb.WQ(), "W_Q of " + rc);
            sameBits(wa.WK(), wb.WK(), "W_K of " + rc);
            sameBits(wa.WV(), wb.WV(), "W_V of " + rc);
            sameBits(wa.wO(), wb.wO(), "w_O of " + rc);
            // One evaluation per curve row: none taken twice, none lost.
            assertEquals(b.curve().size(), inTaskView.evals[r], "evaluations of " + rc + " with the evaluation at the stop");
            assertEquals(a.curve().size(), flushedView.evals[r], "evaluations of " + rc + " flushed");
            // Run 0 (always stepping) keeps every stretch at two runs or more, so each run that stops by its loss
            // past a stretch's first step (every stretch starts at a multiple of 12) is evaluated at its stop.
            int stop = b.stopStep();
            boolean wanted = stop < STEPS && stop % EVERY != 0;
            if (wanted) inside++;
            assertEquals(wanted ? 1 : 0, inTaskView.atStop[r], "evaluations at the stop of " + rc);
            assertEquals(0, flushedView.atStop[r], "evaluations at the stop, flushed, of " + rc);
        }
        assertTrue(inside >= 2, "at least two runs stop inside a stretch (" + inside + "); " + ctx);
    }

    /**
     * The target that stops run r exactly at step t (the first step whose loss is below it): halfway
     * between its loss there and the least before; NaN where no earlier loss is larger.
     */
    private static double stopAt(double[][] free, int r, int t) {
        double before = Double.POSITIVE_INFINITY;
        for (int i = 0; i < t; i++) before = Math.min(before, free[i][r]);
        return free[t][r] < before ? (free[t][r] + before) / 2 : Double.NaN;
    }

    /** Every run's losses over all STEPS steps with no target ([step][run]). */
    private static double[][] freeLosses(VectorEngine engine, List<RunSpec> specs) {
        double[][] loss = new double[STEPS][R];
        boolean[] all = new boolean[R];
        Arrays.fill(all, true);
        try (EngineBatch b = engine.open(specs.stream().map(Fixtures::data).toList())) {
            b.steps(all, STEPS, new double[R], loss);
        }
        return loss;
    }

    private static void sameBits(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Double.doubleToRawLongBits(want[i]), Double.doubleToRawLongBits(got[i]),
                    what + ", entry " + i + ": " + want[i] + " flushed, " + got[i] + " at the stop");
        }
    }

    /**
     * {@code b} counting each run's evaluations (evals: by {@link #metrics} and at a stop; atStop: at a
     * stop); unless {@code inTask}, the interface's own steps with evaluations, which evaluates none.
     */
    private record Counted(EngineBatch b, boolean inTask, int[] evals, int[] atStop) implements ForwardingBatch {
        Counted(EngineBatch b, boolean inTask) {
            this(b, inTask, new int[b.size()], new int[b.size()]);
        }

        @Override
        public void steps(boolean[] active, int k, double[] target, double[][] loss) {
            b.steps(active, k, target, loss);
        }

        @Override
        public void steps(boolean[] active, int k, double[] target, double[][] loss, int[] evalFrom, double[][] out, boolean[] evaluated) {
            if (inTask) b.steps(active, k, target, loss, evalFrom, out, evaluated);
            else ForwardingBatch.super.steps(active, k, target, loss, evalFrom, out, evaluated);
            for (int r = 0; r < evals.length; r++) {
                if (evaluated[r]) {
                    evals[r]++;
                    atStop[r]++;
                }
            }
        }

        @Override
        public void metrics(boolean[] which, double[][] out) {
            b.metrics(which, out);
            for (int r = 0; r < evals.length; r++) if (which[r]) evals[r]++;
        }
    }
}
