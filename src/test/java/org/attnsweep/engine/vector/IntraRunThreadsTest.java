package org.attnsweep.engine.vector;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run given several threads inside its step (the batch's only active run, or one of fewer runs
 * than threads: {@link Par}) gives the same bits as on one thread: losses, metrics and weights,
 * in both forms and precisions, with one head and with two. The batch's runs step together for a
 * while, then one run alone (all four threads its own), then two (two each).
 */
class IntraRunThreadsTest {
    private static final int TOGETHER = 5, ALONE = 15, PAIR = 10;

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (Formulation f : new Formulation[] {Formulation.SPAN, Formulation.DIRECT}) {
                // d = 40 against m_k = 16: the direct form's projections; d = 12: its bilinear scores.
                for (int d : new int[] {40, 12}) {
                    if (f == Formulation.SPAN && d == 12) continue;
                    for (int heads : new int[] {1, 2}) a.add(Arguments.of(p, f, d, heads, 16, 40));
                }
                // m_k of two register tiles, a vector and 3 more columns, against fewer tokens than
                // 2·m_k: the span update's GEMMs split by columns (tail columns in the last piece).
                int mk = 2 * GemmF32.TILE.vectors * KernelsF32.L + KernelsF32.L + 3;
                if (f == Formulation.SPAN) a.add(Arguments.of(p, f, 40, 1, mk, Math.min(40, (2 * mk - 3) / 3 - 1)));
            }
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1} d={2} H={3} m_k={4} N={5}")
    @MethodSource("cases")
    void aRunsBitsDoNotDependOnTheThreadsItGets(Precision precision, Formulation form, int d, int heads, int mk, int N) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RunData> runs = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            // N = 40 samples of M = 4 (P = 122 training tokens): the forward pass, the P-row GEMMs and the d-row
            // token GEMMs all split into several pieces (by columns where P < 2·m_k, AttentionRunF32.gemmPar).
            RunSpec s = Fixtures.smallSpec(rnd, d, 4, mk, 8, N);
            s.heads = heads;
            s.trainWo = r == 1;
            s.targetLoss = 0;
            runs.add(Fixtures.data(s));
        }
        String ctx = precision + " " + form + " d=" + d + " H=" + heads + " m_k=" + mk + tag(seed);
        Trace one = trace(new VectorEngine(precision, form, 1, null), runs), four = trace(new VectorEngine(precision, form, 4, null), runs);
        assertEquals(one.losses.size(), four.losses.size());
        for (int i = 0; i < one.losses.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(one.losses.get(i)), Double.doubleToRawLongBits(four.losses.get(i)),
                    "loss " + i + ": " + one.losses.get(i) + " vs " + four.losses.get(i) + "; " + ctx);
        }
        for (int i = 0; i < one.values.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(one.values.get(i)), Double.doubleToRawLongBits(four.values.get(i)),
                    "metric or weight entry " + i + ": " + one.values.get(i) + " vs " + four.values.get(i) + "; " + ctx);
        }
    }

    /** Every loss, then every metric and weight entry of every run at the end. */
    private record Trace(List<Double> losses, List<Double> values) {
    }

    private static Trace trace(VectorEngine engine, List<RunData> runs) {
        List<Double> losses = new ArrayList<>(), values = new ArrayList<>();
        int R = runs.size();
        double[] loss = new double[R];
        try (EngineBatch b = engine.open(runs)) {
            boolean[] all = {true, true, true}, first = {true, false, false}, last = {false, true, true};
            for (int t = 0; t < TOGETHER + ALONE + PAIR; t++) {
                boolean[] on = t < TOGETHER ? all : t < TOGETHER + ALONE ? first : last;
                java.util.Arrays.fill(loss, Double.NaN);
                b.step(on, loss);
                for (int r = 0; r < R; r++) if (on[r]) losses.add(loss[r]);
            }
            boolean[] which = {true, true, true};
            double[][] m = new double[R][Metric.COUNT];
            b.metrics(which, m);
            for (int r = 0; r < R; r++) {
                for (double v : m[r]) values.add(v);
                Weights w = b.weights(r);
                for (double[] x : new double[][] {w.WQ(), w.WK(), w.WV(), w.wO()}) for (double v : x) values.add(v);
            }
        }
        return new Trace(losses, values);
    }

    /** Par splits [0, n) into contiguous pieces that cover it once, and runs small n in one piece. */
    @Test
    void piecesCoverTheRowsOnce() {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            for (int ways = 1; ways <= 4; ways++) {
                Par par = new Par(pool, ways);
                for (int n : new int[] {0, 1, 7, 24, 47, 48, 49, 100, 1001}) {
                    int[] hits = new int[n];
                    java.util.concurrent.atomic.AtomicInteger pieces = new java.util.concurrent.atomic.AtomicInteger();
                    par.rows(n, 24, (from, to) -> {
                        pieces.incrementAndGet();
                        for (int i = from; i < to; i++) synchronized (hits) {
                            hits[i]++;
                        }
                    });
                    for (int i = 0; i < n; i++) assertEquals(1, hits[i], "row " + i + " of n=" + n + " ways=" + ways);
                    assertTrue(pieces.get() <= Math.max(1, Math.min(ways, n / 24)), "pieces " + pieces.get() + " n=" + n + " ways=" + ways);
                }
            }
        } finally {
            pool.shutdown();
        }
    }
}
