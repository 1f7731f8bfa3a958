package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.StepByStep;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The vector engine's stretch of k steps taken run by run ({@link LockstepBatch#steps}) against the
 * same stretch as k calls of {@link EngineBatch#step} (the interface's own {@code steps}): every
 * loss entry written and every one left untouched, and each run's final metrics and weights, bit
 * for bit. Runs stop inside a stretch at a step drawn for each (its target set just above that
 * step's loss), and one diverges, so each stops where the step-by-step batch stops it.
 */
class StretchTest {
    private static final int R = 5, K = 7, STRETCHES = 3;
    /** A loss entry neither form writes (losses are non-negative). */
    private static final double UNTOUCHED = -7;

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Precision p : Precision.values()) for (Formulation f : new Formulation[] {Formulation.SPAN, Formulation.DIRECT}) a.add(Arguments.of(p, f));
        return a.stream();
    }

    /**
     * Run r of R: d = 24, M = 4, m_k = 16, m_v = 8, N samples, 1 head or 2 (r odd), no target (the
     * caller sets one), and the last run diverging (its loss turns non-finite within a first stretch).
     */
    static RunSpec spec(SplittableRandom rnd, int r, int R, int N) {
        RunSpec s = Fixtures.smallSpec(rnd, 24, 4, 16, 8, N);
        s.heads = 1 + r % 2;
        s.targetLoss = 0;
        if (r == R - 1) s.lr = 1e9;
        return s;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void runByRunGivesTheStepByStepBits(Precision precision, Formulation form) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RunData> runs = new ArrayList<>();
        for (int r = 0; r < R; r++) runs.add(Fixtures.data(spec(rnd, r, R, 12)));
        String ctx = precision + " " + form + tag(seed);
        VectorEngine engine = new VectorEngine(precision, form, 2, null);
        // Where each run stops: targets just above the step-by-step losses at a drawn step.
        double[][] free = losses(engine, runs, new double[R], false).losses;
        double[] target = new double[R];
        for (int r = 0; r < R - 1; r++) {
            int at = 1 + rnd.nextInt(K * STRETCHES - 1);
            target[r] = r == 0 ? 0 : Math.nextUp(free[at][r]);
        }
        Trace byRun = losses(engine, runs, target, false), byStep = losses(engine, runs, target, true);
        for (int i = 0; i < K * STRETCHES; i++) {
            for (int r = 0; r < R; r++) {
                assertEquals(Double.doubleToRawLongBits(byStep.losses[i][r]), Double.doubleToRawLongBits(byRun.losses[i][r]),
                        "loss of run " + r + " at step " + i + ": " + byStep.losses[i][r] + " step by step, " + byRun.losses[i][r]
                                + " run by run; " + ctx);
            }
        }
        assertEquals(byStep.values.size(), byRun.values.size(), ctx);
        for (int i = 0; i < byStep.values.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(byStep.values.get(i)), Double.doubleToRawLongBits(byRun.values.get(i)),
                    "metric or weight entry " + i + ": " + byStep.values.get(i) + " vs " + byRun.values.get(i) + "; " + ctx);
        }
    }

    /** Every loss entry of STRETCHES stretches of K steps ([step][run]), then every run's metrics and weights. */
    private record Trace(double[][] losses, List<Double> values) {
    }

    private static Trace losses(VectorEngine engine, List<RunData> runs, double[] target, boolean stepByStep) {
        double[][] all = new double[K * STRETCHES][R];
        List<Double> values = new ArrayList<>();
        try (EngineBatch opened = engine.open(runs)) {
            EngineBatch b = stepByStep ? new StepByStep(opened) : opened;
            boolean[] active = new boolean[R];
            Arrays.fill(active, true);
            for (int s = 0; s < STRETCHES; s++) {
                double[][] loss = new double[K][R];
                for (double[] row : loss) Arrays.fill(row, UNTOUCHED);
                b.steps(active, K, target, loss);
                for (int i = 0; i < K; i++) {
                    all[s * K + i] = loss[i];
                    for (int r = 0; r < R; r++) if (loss[i][r] != UNTOUCHED && !(Double.isFinite(loss[i][r]) && loss[i][r] >= target[r])) active[r] = false;
                }
            }
            double[][] m = new double[R][Metric.COUNT];
            boolean[] which = new boolean[R];
            Arrays.fill(which, true);
            b.metrics(which, m);
            for (int r = 0; r < R; r++) {
                for (double v : m[r]) values.add(v);
                Weights w = b.weights(r);
                for (double[] x : new double[][] {w.WQ(), w.WK(), w.WV(), w.wO()}) for (double v : x) values.add(v);
            }
        }
        return new Trace(all, values);
    }
}
