package org.attnsweep.train;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.model.InitScheme;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trainer's stop rules and bookkeeping against a run stepped by hand on the same engine:
 * the target-loss stop, the step budget, the eval-every rows, and a diverging run that is flagged
 * without stopping or changing the others. Engines are deterministic and a run does not depend on
 * its batch (BatchInvarianceTest), so the trainer's numbers must equal the hand-stepped ones bit
 * for bit.
 */
class TrainerTest {
    private static final int D = 9, M = 3, MK = 5, MV = 4;

    static Stream<Arguments> engines() {
        return Stream.of(Arguments.of("reference", new ReferenceEngine()),
                Arguments.of("vector float64 threads=1", new VectorEngine(Precision.FLOAT64, 1)),
                Arguments.of("vector float32 threads=2", new VectorEngine(Precision.FLOAT32, 2)));
    }

    /** A run stepped by hand: loss[t] at the weights after t updates, metrics and weights at every t ≤ T. */
    private record Manual(double[] loss, double[][] metrics, List<Weights> weights) {
        /** The first t whose loss is not finite, or −1. */
        int firstNonFinite() {
            for (int t = 0; t < loss.length; t++) if (!Double.isFinite(loss[t])) return t;
            return -1;
        }
    }

    /** Steps the run alone, target off, T times (stopping early at a non-finite loss). */
    private static Manual manual(Engine engine, RunConfig c, int T) {
        RunConfig free = new RunConfig(c.d(), c.M(), c.mk(), c.mv(), c.N(), c.sigma(), c.mu(), c.p(), c.labels(),
                c.orthogonalNoise(), c.signals(), c.init(), c.sigma0(), c.sigmaV(), c.sigmaO(), c.initDivisor(), c.trainWo(),
                c.lr(), T, 0, c.evalEvery(), c.testN(), c.seed(), c.repeat(), c.attnSample(), c.snrSigma(), c.images(),
                c.testSigmaScale(), c.testSignalAngle(), c.testP(), c.loss(), c.batchSize(), c.heads());
        double[] loss = new double[T];
        double[][] metrics = new double[T + 1][];
        List<Weights> weights = new ArrayList<>();
        try (EngineBatch b = engine.open(List.of(Fixtures.data(free)))) {
            boolean[] one = {true};
            double[] l = new double[1];
            double[][] m = new double[1][Metric.COUNT];
            for (int t = 0; t <= T; t++) {
                b.metrics(one, m);
                metrics[t] = m[0].clone();
                weights.add(b.weights(0));
                if (t == T) break;
                b.step(one, l);
                loss[t] = l[0];
                if (!Double.isFinite(l[0])) {
                    java.util.Arrays.fill(loss, t + 1, T, Double.NaN);
                    break;
                }
            }
        }
        return new Manual(loss, metrics, weights);
    }

    /**
     * The first k ≥ from whose loss is below every earlier one, and a target halfway between that
     * loss and the earlier minimum: the first step below the target is then exactly k. Returns
     * {k, target} or null if no such k < loss.length.
     */
    private static double[] newMinimum(double[] loss, int from) {
        double before = Double.POSITIVE_INFINITY;
        for (int t = 0; t < from; t++) before = Math.min(before, loss[t]);
        for (int k = from; k < loss.length; k++) {
            if (loss[k] < before) return new double[] {k, (loss[k] + before) / 2};
            before = Math.min(before, loss[k]);
        }
        return null;
    }

    private static RunSpec spec(SplittableRandom rnd) {
        return Fixtures.smallSpec(rnd, D, M, MK, MV, 2 + rnd.nextInt(9));
    }

    private static RunConfig withTarget(RunSpec s, double target) {
        s.targetLoss = target;
        return s.build(0);
    }

    /**
     * The hand-stepped metrics at step t; a diverged run's error rates at its stop step are NaN (its
     * outputs may have overflowed to ±∞ and still classified: the trainer never counts them).
     */
    private static double[] expected(Manual man, int t, int stop, boolean diverged) {
        double[] m = man.metrics[t].clone();
        if (diverged && t == stop) {
            for (Metric e : new Metric[] {Metric.TRAIN_ERROR, Metric.TEST_ERROR, Metric.TEST_ERROR_CLEAN}) m[e.ordinal()] = Double.NaN;
        }
        return m;
    }

    /** Checks a result against the hand-stepped run: stop step, flags, rows 0, k, 2k, … ≤ stop plus stop, weights. */
    private static void checkAgainstManual(RunResult res, Manual man, int stop, boolean reached, boolean diverged, String ctx) {
        int e = res.config().evalEvery();
        assertEquals(stop, res.stopStep(), "stop step; " + ctx);
        assertEquals(reached, res.reachedTarget(), "reachedTarget; " + ctx);
        assertEquals(diverged, res.diverged(), "diverged; " + ctx);
        List<Integer> want = new ArrayList<>();
        for (int t = 0; t <= stop; t += e) want.add(t);
        if (stop % e != 0) want.add(stop);
        List<Integer> got = res.curve().stream().map(r -> (int) r[0]).toList();
        assertEquals(want, got, "eval rows (eval-every " + e + ", stop " + stop + "); " + ctx);
        for (double[] row : res.curve()) {
            int t = (int) row[0];
            assertArrayEquals(expected(man, t, stop, diverged), java.util.Arrays.copyOfRange(row, 1, row.length), "metrics row at step " + t + "; " + ctx);
        }
        assertArrayEquals(expected(man, stop, stop, diverged), res.finalMetrics(), "final metrics; " + ctx);
        if (res.finalWeights() != null) {
            Fixtures.assertSameWeights(man.weights.get(stop), res.finalWeights(), "final; " + ctx);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void targetLossStopsAtTheFirstStepBelowIt(String name, Engine engine) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int T = 60;
        RunSpec s = spec(rnd);
        s.lr = Fixtures.uniform(rnd, 0.3, 0.6); // a steadily falling loss
        s.evalEvery = 3 + rnd.nextInt(5);
        s.steps = T;
        Manual man = manual(engine, s.build(0), T);
        // A target between L[k] and min_{t<k} L[t] for a random k whose loss is a new minimum.
        double[] kt = newMinimum(man.loss, 5 + rnd.nextInt(T - 15));
        assertNotNull(kt, "the loss never reached a new minimum; the test problem is badly chosen; " + name + " " + s.build(0) + tag(seed));
        int k = (int) kt[0];
        double target = kt[1];
        RunConfig c = withTarget(s, target);
        String ctx = name + " target " + target + " expected stop " + k + " " + c + tag(seed);

        List<RunData> runs = List.of(Fixtures.data(c));
        List<RunResult> res;
        try (EngineBatch b = engine.open(runs)) {
            res = Trainer.train(b, runs, true, null);
        }
        checkAgainstManual(res.get(0), man, k, true, false, ctx);
        assertTrue(res.get(0).finalMetrics()[Metric.TRAIN_LOSS.ordinal()] < target, "final train loss below target; " + ctx);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void stepBudgetAndEvalRowsPerRunInOneBatch(String name, Engine engine) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int e0 = 2 + rnd.nextInt(5), e1 = 2 + rnd.nextInt(5);
        int t0 = 10 + rnd.nextInt(30);
        if (t0 % e0 == 0) t0++;
        // {steps, eval-every}: a budget that is not a multiple of eval-every, one that is, zero steps, one step.
        int[][] budgets = {{t0, e0}, {e1 * (2 + rnd.nextInt(6)), e1}, {0, 1 + rnd.nextInt(4)}, {1, 1 + rnd.nextInt(3)}};
        List<RunData> runs = new ArrayList<>();
        List<Manual> mans = new ArrayList<>();
        for (int[] tb : budgets) {
            RunSpec s = spec(rnd);
            s.steps = tb[0];
            s.evalEvery = tb[1];
            s.trainWo = rnd.nextBoolean();
            s.p = rnd.nextBoolean() ? 0 : 0.2;
            RunConfig c = s.build(0);
            runs.add(Fixtures.data(c));
            mans.add(manual(engine, c, tb[0]));
        }
        List<RunResult> seen = new ArrayList<>(java.util.Collections.nCopies(runs.size(), null));
        List<RunResult> res;
        try (EngineBatch b = engine.open(runs)) {
            res = Trainer.train(b, runs, true, (r, result) -> {
                assertEquals(null, seen.get(r), "listener called twice for run " + r + tag(seed));
                seen.set(r, result);
            });
        }
        for (int r = 0; r < runs.size(); r++) {
            String ctx = name + " run " + r + " " + runs.get(r).config() + tag(seed);
            assertNotNull(seen.get(r), "listener never called; " + ctx);
            assertTrue(seen.get(r) == res.get(r), "listener got another result; " + ctx);
            checkAgainstManual(res.get(r), mans.get(r), budgets[r][0], false, false, ctx);
        }
    }

    /**
     * Runs that end between evaluations are evaluated in flushes, one run per core at a time: while
     * other runs go on, a flush takes a multiple of the cores (an odd one left a core idle) and holds
     * the rest back; the batch's last runs go at once. For c cores: 2c − 1 runs end at step 1, two at
     * step 2 (2c + 1 pending, past the flush point 2c: c·2 flushed, one held back), three at step 3
     * (the held one and these, all that is left: one flush of 4). Every result still equals its run
     * stepped by hand, held back or not.
     */
    @org.junit.jupiter.api.Test
    void flushesTakeAMultipleOfTheCoresWhileRunsRemain() {
        long seed = Fixtures.seed();
        Engine engine = new ReferenceEngine();
        for (int cores : new int[] {2, 3}) {
            SplittableRandom rnd = new SplittableRandom(seed + cores);
            List<Integer> budgets = new ArrayList<>();
            for (int i = 0; i < 2 * cores - 1; i++) budgets.add(1);
            budgets.addAll(List.of(2, 2, 3, 3, 3));
            List<RunData> runs = new ArrayList<>();
            List<Manual> mans = new ArrayList<>();
            for (int T : budgets) {
                RunSpec s = spec(rnd);
                s.steps = T;
                s.evalEvery = 100;   // past every budget: only step 0 and the flushes evaluate
                RunConfig c = s.build(0);
                runs.add(Fixtures.data(c));
                mans.add(manual(engine, c, T));
            }
            List<Integer> flushes = new ArrayList<>();
            List<RunResult> res;
            try (EngineBatch real = engine.open(runs)) {
                EngineBatch b = withMetrics(real, (which, out) -> {
                    int n = 0;
                    for (boolean w : which) if (w) n++;
                    flushes.add(n);
                    real.metrics(which, out);
                });
                res = Trainer.train(b, runs, false, null, cores);
            }
            String ctx = cores + " cores" + tag(seed);
            // Step 0 evaluates every run; then 2c at step 2 and the last 4 at step 3.
            assertEquals(List.of(runs.size(), 2 * cores, 4), flushes, "runs per evaluation; " + ctx);
            for (int r = 0; r < runs.size(); r++) {
                checkAgainstManual(res.get(r), mans.get(r), budgets.get(r), false, false, "run " + r + " of " + ctx);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void targetMetAtTheLastBudgetStepCountsAsReached(String name, Engine engine) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunSpec s = spec(rnd);
        s.lr = Fixtures.uniform(rnd, 0.3, 0.6);
        s.steps = 10 + rnd.nextInt(20);
        s.evalEvery = 1 + rnd.nextInt(6);
        int T = s.steps;
        Manual man = manual(engine, s.build(0), T);
        // At t = T no step is taken: the trainer reads the training loss from the metrics.
        double last = man.metrics[T][Metric.TRAIN_LOSS.ordinal()], before = Double.POSITIVE_INFINITY;
        for (double l : man.loss) before = Math.min(before, l);
        assertTrue(last < before, "the loss at the budget step is not a new minimum; the test problem is badly chosen; "
                + name + " " + s.build(0) + tag(seed));
        RunConfig c = withTarget(s, (last + before) / 2);
        List<RunData> runs = List.of(Fixtures.data(c));
        List<RunResult> res;
        try (EngineBatch b = engine.open(runs)) {
            res = Trainer.train(b, runs, true, null);
        }
        checkAgainstManual(res.get(0), man, T, true, false, name + " " + c + tag(seed));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void divergingRunIsFlaggedAndLeavesTheOthersAlone(String name, Engine engine) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int T = 80;
        // Run 1 blows up: η = 1e6 on weights of order one makes W_V and w_O grow ~1e6× per step
        // until something overflows. A draw can instead fit every label at once (loss → 0, no
        // more movement), so candidates are stepped by hand until one blows up mid-run.
        RunConfig badC = null;
        Manual badMan = null;
        int blowUp = -1;
        for (int tries = 0; tries < 20 && !(blowUp > 0 && blowUp < T - 30); tries++) {
            RunSpec bad = spec(rnd);
            bad.init = InitScheme.THEORY;
            bad.sigma0 = bad.sigmaV = bad.sigmaO = 1;
            bad.trainWo = true;
            bad.p = 0.3;
            bad.lr = 1e6;
            bad.steps = T;
            bad.evalEvery = 4;
            badC = bad.build(0);
            badMan = manual(engine, badC, T);
            blowUp = badMan.firstNonFinite();
        }
        assertTrue(blowUp > 0 && blowUp < T - 30, "no candidate blew up at a step in (0, " + (T - 30) + "); last one at "
                + blowUp + "; " + name + " " + badC + tag(seed));

        // Runs 0 and 2 are ordinary and go on past the blow-up: one to the step budget, one to a target.
        RunSpec a = spec(rnd);
        a.steps = T;
        a.evalEvery = 5;
        RunConfig aC = a.build(0);
        RunSpec c = spec(rnd);
        c.lr = Fixtures.uniform(rnd, 0.3, 0.6);
        c.steps = T;
        c.evalEvery = 7;
        Manual cMan = manual(engine, c.build(0), T);
        double[] kt = newMinimum(cMan.loss, blowUp + 5 + rnd.nextInt(10));
        assertNotNull(kt, "run 2's loss never reached a new minimum after the blow-up; " + name + " " + c.build(0) + tag(seed));
        int cStop = (int) kt[0];
        double cTarget = kt[1];
        RunConfig cC = withTarget(c, cTarget);

        List<RunData> runs = List.of(Fixtures.data(aC), Fixtures.data(badC), Fixtures.data(cC));
        List<RunResult> together;
        try (EngineBatch b = engine.open(runs)) {
            together = Trainer.train(b, runs, true, null);
        }
        String ctx = name + tag(seed);
        RunResult div = together.get(1);
        checkAgainstManual(div, badMan, blowUp, false, true, "diverging run " + badC + " " + ctx);

        for (int r : new int[] {0, 2}) {
            List<RunResult> alone;
            try (EngineBatch b = engine.open(List.of(runs.get(r)))) {
                alone = Trainer.train(b, List.of(runs.get(r)), true, null);
            }
            RunResult x = alone.get(0), y = together.get(r);
            String rc = "run " + r + " next to a diverging run vs alone; " + runs.get(r).config() + " " + ctx;
            assertFalse(y.diverged(), rc);
            assertEquals(x.stopStep(), y.stopStep(), "stop step; " + rc);
            assertEquals(x.reachedTarget(), y.reachedTarget(), "reachedTarget; " + rc);
            assertEquals(x.curve().size(), y.curve().size(), "rows; " + rc);
            for (int i = 0; i < x.curve().size(); i++) assertArrayEquals(x.curve().get(i), y.curve().get(i), "row " + i + "; " + rc);
            Fixtures.assertSameWeights(x.finalWeights(), y.finalWeights(), rc);
        }
        assertEquals(T, together.get(0).stopStep(), "run 0 runs to its budget; " + ctx);
        assertTrue(together.get(0).stopStep() > blowUp && cStop > blowUp, "the others must outlive the blow-up; " + ctx);
        assertEquals(cStop, together.get(2).stopStep(), "run 2 stops at its target; " + ctx);
    }

    /**
     * A run whose evaluation comes out non-finite beside a finite training loss (what test tokens
     * too large for float32 did: test loss and error NaN, diverged false) is flagged diverged with
     * its non-finite metrics named, its errors NaN; the run beside it is untouched. The engine's
     * metrics are those of a real batch, with run 1's test loss made NaN and its logistic test loss
     * infinite at every evaluation, as an overflow would.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void finiteTrainingWithNonFiniteTestMetricsIsFlagged(String name, Engine engine) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RunData> runs = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            RunSpec s = spec(rnd);
            s.steps = 6 + rnd.nextInt(10);
            s.evalEvery = 1 + rnd.nextInt(4);
            runs.add(Fixtures.data(s.build(0)));
        }
        List<RunResult> res;
        try (EngineBatch real = engine.open(runs)) {
            EngineBatch b = withMetrics(real, (which, out) -> {
                real.metrics(which, out);
                if (which[1]) {
                    out[1][Metric.TEST_LOSS.ordinal()] = Double.NaN;
                    out[1][Metric.TEST_LOSS_LOGISTIC.ordinal()] = Double.POSITIVE_INFINITY;
                }
            });
            res = Trainer.train(b, runs, false, null);
        }
        String ctx = name + tag(seed);
        RunResult bad = res.get(1), ok = res.get(0);
        assertTrue(bad.diverged(), "flagged diverged; " + ctx);
        assertFalse(bad.reachedTarget(), ctx);
        assertEquals(List.of("test_loss", "test_loss_logistic"), bad.overflowed(), ctx);
        assertTrue(Double.isFinite(bad.finalMetrics()[Metric.TRAIN_LOSS.ordinal()]), ctx);
        assertTrue(Double.isNaN(bad.finalMetrics()[Metric.TEST_ERROR.ordinal()]), "a flagged run's errors are NaN; " + ctx);
        assertFalse(ok.diverged(), ctx);
        assertEquals(List.of(), ok.overflowed(), ctx);
    }

    /** {@code real} with its evaluations through {@code metrics} (which calls real.metrics itself); closing it leaves real open. */
    private static EngineBatch withMetrics(EngineBatch real, java.util.function.BiConsumer<boolean[], double[][]> metrics) {
        return new EngineBatch() {
            public int size() { return real.size(); }
            public void step(boolean[] active, double[] loss) { real.step(active, loss); }
            public void metrics(boolean[] which, double[][] out) { metrics.accept(which, out); }
            public Weights weights(int r) { return real.weights(r); }
            public void close() { }
        };
    }
}
