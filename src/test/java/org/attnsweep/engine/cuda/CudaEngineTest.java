package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The cuda engine against the reference engine (float64 direct GD, the definition) and the vector
 * engine (float32 span formulation, the same arithmetic in another order), step by step over
 * random batches: M = 2 and M > 2, label noise, fixed and learnable w_O and orthogonal noise mixed
 * in one batch, and mixed N so the padding and per-run sizes are exercised. Skipped, with the
 * reason printed, where no GPU answers.
 */
class CudaEngineTest {
    /** ≥ 100 GD steps per batch, as the engine contract is about trajectories, not one step. */
    private static final int STEPS = 120;
    /** Batches per test run, each of a fresh random shape. */
    private static final int BATCHES = 4;
    // Float32 against float64 after 120 steps: rounding of ~1e-7 per operation, amplified by the
    // softmax's sensitivity along the trajectory; the absolute part covers values passing through 0.
    private static final double REF_ATOL = 2e-4, REF_RTOL = 2e-3;
    // Two float32 engines differ only in summation order: an order of magnitude tighter.
    private static final double VEC_ATOL = 5e-5, VEC_RTOL = 5e-4;
    // Exported weights: absolute tolerance relative to the largest |W| entry of the reference.
    private static final double WEIGHT_RTOL = 2e-3;

    private static CudaEngine.Availability availability;

    @BeforeAll
    static void probe() {
        availability = CudaEngine.probe();
        if (!availability.available()) System.out.println("CudaEngineTest skipped: no usable GPU: " + availability.reason());
    }

    private static void requireGpu() {
        Assumptions.assumeTrue(availability.available(), () -> "no usable GPU: " + availability.reason());
    }

    /** One random batch: shared d, M, m_k, m_v; N, p, w_O mode, noise mode, η and seed per run. */
    static List<RunData> randomBatch(Random rnd, long seed) {
        int M = rnd.nextBoolean() ? 2 : 3 + rnd.nextInt(4);
        int d = 12 + rnd.nextInt(30), mk = 5 + rnd.nextInt(20), mv = 3 + rnd.nextInt(20);
        int runs = 3 + rnd.nextInt(4);
        List<RunData> out = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            RunSpec s = new RunSpec();
            s.d = d;
            s.M = M;
            s.mk = mk;
            s.mv = mv;
            s.N = 2 + rnd.nextInt(7);
            s.sigma = new double[M - 1];
            for (int i = 0; i < M - 1; i++) s.sigma[i] = 0.2 + rnd.nextDouble();
            s.mu = 1 + 3 * rnd.nextDouble();
            s.p = r % 2 == 0 ? 0 : 0.3;
            s.labels = rnd.nextBoolean() ? LabelMode.BALANCED : LabelMode.RADEMACHER;
            s.orthogonalNoise = d >= 3 && rnd.nextBoolean();
            s.trainWo = r % 3 != 1;
            s.initDivisor = 2 + rnd.nextInt(8);
            s.lr = 0.02 + 0.08 * rnd.nextDouble();
            s.steps = STEPS;
            s.testN = 3 + rnd.nextInt(8);
            s.seed = seed;
            out.add(DataFactory.generate(s.build(r)));
        }
        return out;
    }

    @Test
    void matchesReferenceAndVectorOverManySteps() {
        requireGpu();
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            System.out.println(cuda.describe());
            for (int b = 0; b < BATCHES; b++) {
                List<RunData> runs = randomBatch(rnd, seed + b);
                compare(cuda, runs, "seed=" + seed + " batch " + b);
            }
        } catch (AssertionError e) {
            throw new AssertionError("CudaEngineTest failed for seed " + seed + ": " + e.getMessage(), e);
        }
    }

    /** Steps all three engines in lockstep, comparing losses every step and metrics now and then. */
    private static void compare(CudaEngine cuda, List<RunData> runs, String what) {
        int R = runs.size();
        Engine ref = new ReferenceEngine(), vec = new VectorEngine(Precision.FLOAT32, 1);
        RunConfig c0 = runs.get(0).config();
        String shape = String.format(Locale.ROOT, "%s (d=%d M=%d m_k=%d m_v=%d, N=%s, trainWo=%s)", what, c0.d(), c0.M(),
                c0.mk(), c0.mv(), runs.stream().map(x -> x.config().N()).toList(),
                runs.stream().map(x -> x.config().trainWo()).toList());
        try (EngineBatch gr = ref.open(runs); EngineBatch gv = vec.open(runs); EngineBatch gc = cuda.open(runs)) {
            boolean[] active = new boolean[R];
            double[] lr = new double[R], lv = new double[R], lc = new double[R];
            for (int t = 0; t <= STEPS; t++) {
                if (t % 40 == 0) compareMetrics(gr, gv, gc, runs, shape + " step " + t);
                if (t == STEPS) break;
                // Run 0 sits out steps 50..59: an inactive run must be left exactly as it is.
                java.util.Arrays.fill(active, true);
                if (t >= 50 && t < 60) active[0] = false;
                java.util.Arrays.fill(lc, Double.NaN);
                gr.step(active, lr);
                gv.step(active, lv);
                gc.step(active, lc);
                for (int r = 0; r < R; r++) {
                    if (!active[r]) {
                        assertEquals(Double.NaN, lc[r], "loss of inactive run " + r + " must be untouched: " + shape);
                        continue;
                    }
                    close(lr[r], lc[r], REF_ATOL, REF_RTOL, shape + " step " + t + " run " + r + " loss vs reference");
                    close(lv[r], lc[r], VEC_ATOL, VEC_RTOL, shape + " step " + t + " run " + r + " loss vs vector");
                }
            }
            for (int r = 0; r < R; r++) {
                Weights wr = gr.weights(r), wc = gc.weights(r);
                closeWeights(wr.WQ(), wc.WQ(), shape + " run " + r + " W_Q");
                closeWeights(wr.WK(), wc.WK(), shape + " run " + r + " W_K");
                closeWeights(wr.WV(), wc.WV(), shape + " run " + r + " W_V");
                closeWeights(wr.wO(), wc.wO(), shape + " run " + r + " w_O");
            }
        }
    }

    private static void compareMetrics(EngineBatch gr, EngineBatch gv, EngineBatch gc, List<RunData> runs, String what) {
        int R = runs.size();
        boolean[] all = new boolean[R];
        java.util.Arrays.fill(all, true);
        double[][] mr = new double[R][Metric.COUNT], mv = new double[R][Metric.COUNT], mc = new double[R][Metric.COUNT];
        gr.metrics(all, mr);
        gv.metrics(all, mv);
        gc.metrics(all, mc);
        for (int r = 0; r < R; r++) {
            RunConfig c = runs.get(r).config();
            for (Metric m : Metric.values()) {
                int i = m.ordinal();
                String at = what + " run " + r + " " + m.column();
                if (m == Metric.TRAIN_ERROR || m == Metric.TEST_ERROR || m == Metric.TEST_ERROR_CLEAN) {
                    // A sample with f within rounding of 0 may fall either way: allow one sample.
                    double oneSample = 1.0 / Math.min(c.N(), c.testN()) + 1e-12;
                    close(mr[r][i], mc[r][i], oneSample, 0, at + " vs reference");
                    close(mv[r][i], mc[r][i], oneSample, 0, at + " vs vector");
                } else {
                    close(mr[r][i], mc[r][i], REF_ATOL, REF_RTOL, at + " vs reference");
                    close(mv[r][i], mc[r][i], VEC_ATOL, VEC_RTOL, at + " vs vector");
                }
            }
        }
    }

    private static void close(double want, double got, double atol, double rtol, String what) {
        if (!(Math.abs(got - want) <= atol + rtol * Math.abs(want))) {
            fail(String.format(Locale.ROOT, "%s: cuda %.9g, expected %.9g (|diff| %.3g > %.1g + %.1g·|ref|)", what, got, want,
                    Math.abs(got - want), atol, rtol));
        }
    }

    private static void closeWeights(double[] want, double[] got, String what) {
        double scale = 0;
        for (double v : want) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < want.length; i++) close(want[i], got[i], WEIGHT_RTOL * scale, 0, what + "[" + i + "]");
    }

    @Test
    void maxBatchFitsTheJiangHeatmapShape() {
        requireGpu();
        RunSpec s = new RunSpec();
        org.attnsweep.model.Presets.apply("jiang-heatmap", s);
        try (CudaEngine cuda = new CudaEngine(System.out)) {
            int R = cuda.maxBatch(s.build(0));
            org.junit.jupiter.api.Assertions.assertTrue(R > 0, "a GPU must hold at least one jiang-heatmap run");
            org.junit.jupiter.api.Assertions.assertTrue(cuda.describe().contains("R=" + R), cuda.describe());
        }
    }

    @Test
    void batchOfDifferentShapesIsRefused() {
        requireGpu();
        Random rnd = new Random(7);
        List<RunData> a = randomBatch(rnd, 1);
        RunSpec s = new RunSpec();
        s.d = a.get(0).config().d() + 1;
        s.M = 2;
        s.mk = 4;
        s.mv = 4;
        s.N = 2;
        s.testN = 2;
        List<RunData> mixed = new ArrayList<>(a);
        mixed.add(DataFactory.generate(s.build(0)));
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> cuda.open(mixed));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("must share d, M, m_k, m_v"), e.getMessage());
        }
    }
}
