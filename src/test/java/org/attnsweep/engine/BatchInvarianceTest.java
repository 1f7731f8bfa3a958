package org.attnsweep.engine;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run's trajectory does not depend on its batch: trained inside a batch (next to runs of other
 * N, η, p, w_O mode, some of them switched off on random steps) it gives bit-for-bit the losses,
 * metrics and weights it gives alone. Engines hold every run's state apart and run the same code
 * on it, so equality is exact, not approximate. Over every engine: the fast ones of
 * {@link EngineCase} (cuda where it loads, at a real shape too) and the reference.
 */
class BatchInvarianceTest {
    private static final int STEPS = 60;
    private static final int EVAL = 7;
    private static final int R = 5;
    /** Marks a loss slot the engine must leave alone (inactive run). */
    private static final double UNTOUCHED = -12345.678;

    /** A real shape for cuda (d, M, m_k, m_v, largest N): GEMMs of several tiles, padding across N up to 20. */
    private static final int[] REAL_SHAPE = {96, 16, 128, 136, 20};
    /** A shape whose runs have H heads (d, M, m_k, m_v, H; docs/math.md §7), batched with each other. */
    private static final int[] HEADS_SHAPE = {11, 3, 6, 4, 3};
    /** Steps at the real shape: the emulated driver runs them on the CPU in CI. */
    private static final int REAL_STEPS = 5;

    static Stream<EngineCase> engines() {
        return EngineCase.allWithDirect();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void runInBatchEqualsRunAlone(EngineCase c) {
        c.with(engine -> check(c.toString(), engine, c.cuda(), true));
    }

    @Test
    void referenceRunInBatchEqualsRunAlone() {
        check("reference", new ReferenceEngine(), false, true);
    }

    private static void check(String name, Engine engine, boolean realShapes, boolean heads) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<int[]> shapes = new ArrayList<>(List.of(new int[] {9, 2, 5, 3}, new int[] {17, 4, 16, 17}));
        if (realShapes) shapes.add(REAL_SHAPE);
        if (heads) shapes.add(HEADS_SHAPE);
        for (int[] sh : shapes) {
            boolean real = sh == REAL_SHAPE;
            int steps = real ? REAL_STEPS : STEPS;
            List<RunData> runs = real ? Fixtures.mixedBatch(rnd, sh[0], sh[1], sh[2], sh[3], R, sh[4])
                    : Fixtures.mixedBatch(rnd, sh[0], sh[1], sh[2], sh[3], R, 10, sh == HEADS_SHAPE ? sh[4] : 1);
            int target = rnd.nextInt(R);
            String ctx = name + " d=" + sh[0] + " M=" + sh[1] + " m_k=" + sh[2] + " m_v=" + sh[3]
                    + (sh == HEADS_SHAPE ? " H=" + sh[4] : "") + " target run " + target
                    + " " + runs.get(target).config() + tag(seed);

            // Alone before and after the batch: the JIT warms up in between, which must not matter either.
            Trajectory alone = trajectory(engine, List.of(runs.get(target)), 0, null, steps, ctx);
            Trajectory inBatch = trajectory(engine, runs, target, new SplittableRandom(rnd.nextLong()), steps, ctx);
            Trajectory again = trajectory(engine, List.of(runs.get(target)), 0, null, steps, ctx);
            assertBitwiseEqual(alone, inBatch, "alone", "in batch", ctx);
            assertBitwiseEqual(alone, again, "alone", "alone again after the batch", ctx);
        }
    }

    private static void assertBitwiseEqual(Trajectory a, Trajectory b, String aName, String bName, String ctx) {
        assertEquals(a.values.size(), b.values.size(), ctx);
        for (int i = 0; i < a.values.size(); i++) {
            int k = i;
            assertEquals(Double.doubleToLongBits(a.values.get(k)), Double.doubleToLongBits(b.values.get(k)),
                    () -> a.labels.get(k) + ": " + aName + " " + a.values.get(k) + ", " + bName + " " + b.values.get(k) + "; " + ctx);
        }
    }

    /** Every number the run produced, in order, each with a label saying what it is. */
    private record Trajectory(List<Double> values, List<String> labels) {
        void add(String label, double v) {
            labels.add(label);
            values.add(v);
        }

        void addAll(String label, double[] v) {
            for (int i = 0; i < v.length; i++) add(label + "[" + i + "]", v[i]);
        }
    }

    /**
     * Opens {@code runs} and steps them {@code steps} times with the target always active; when
     * {@code mix} is given the others are switched off (and left out of metrics) on random steps,
     * and their loss slots must then stay untouched.
     */
    private static Trajectory trajectory(Engine engine, List<RunData> runs, int target, SplittableRandom mix, int steps, String ctx) {
        try (EngineBatch b = engine.open(runs)) {
            return trajectory(b, target, mix, steps, ctx);
        }
    }

    private static Trajectory trajectory(EngineBatch b, int target, SplittableRandom mix, int steps, String ctx) {
        int n = b.size();
        Trajectory tr = new Trajectory(new ArrayList<>(), new ArrayList<>());
        boolean[] active = new boolean[n], which = new boolean[n];
        double[] loss = new double[n];
        double[][] m = new double[n][Metric.COUNT];
        for (int t = 0; t <= steps; t++) {
            for (int r = 0; r < n; r++) {
                active[r] = r == target || (mix != null && mix.nextInt(3) > 0);
                which[r] = r == target || (mix != null && mix.nextBoolean());
            }
            if (t % EVAL == 0 || t == steps) {
                b.metrics(which, m);
                tr.addAll("metrics at step " + t, m[target]);
            }
            if (t == steps) break;
            java.util.Arrays.fill(loss, UNTOUCHED);
            b.step(active, loss);
            tr.add("loss at step " + t, loss[target]);
            for (int r = 0; r < n; r++) {
                if (!active[r]) assertEquals(UNTOUCHED, loss[r], "loss slot of inactive run " + r + " was written at step " + t + "; " + ctx);
            }
        }
        Weights w = b.weights(target);
        tr.addAll("final W_Q", w.WQ());
        tr.addAll("final W_K", w.WK());
        tr.addAll("final W_V", w.WV());
        tr.addAll("final w_O", w.wO());
        return tr;
    }
}
