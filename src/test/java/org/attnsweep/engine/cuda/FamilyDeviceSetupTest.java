package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.Family;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.EngineCase;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.model.LabelMode;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;

/**
 * The cuda engine's device set-up shared per family against the per-run one and the reference
 * engine, at a real shape: m_k = m_v = 128 (GEMM outputs of several 64-wide tiles), M = 16, N from
 * 2 to 20 mixed in one batch (P up to 302: several tiles in every direction), fixed and learnable
 * w_O, label noise and both label modes mixed. Three batches on one engine: the family's runs (its
 * unit projections made on the device and sliced per run), the same runs with their family
 * stripped (each run's own tokens projected, as for data read from files), and a second batch of
 * the family's runs, which takes the set-up the engine kept from the first. Over the steps every
 * loss, the metrics and the final weights agree.
 */
class FamilyDeviceSetupTest {
    private static final int STEPS = 16;
    private static final int[] NS = {20, 2, 9, 16, 5};
    /** Family against own set-up, both float32: they differ by rounding μ·(W e) against W(μ e), amplified a little by the steps. */
    private static final double OWN_ATOL = 2e-5, OWN_RTOL = 2e-4;
    /** Against the float64 reference: float32 rounding over m_k = 128 long products, as CudaEngineTest. */
    private static final double REF_ATOL = 2e-4, REF_RTOL = 2e-3;
    /** Exported weights: absolute tolerance relative to the largest |W| entry of the reference. */
    private static final double WEIGHT_RTOL = 2e-3;

    static List<RunData> family(SplittableRandom rnd, long seed) {
        return family(rnd, seed, 1);
    }

    static List<RunData> family(SplittableRandom rnd, long seed, int heads) {
        int d = 48, M = 16;
        RunSpec s = Fixtures.shape(d, M, 128, 128, NS[0]);
        s.sigma = new double[M - 1];
        s.sigma[0] = 1.0 / Math.sqrt(d);
        for (int j = 1; j < M - 1; j++) s.sigma[j] = 0.3 / Math.sqrt(d);
        s.sigma0 = 0.4;
        s.sigmaV = 0.4;
        s.sigmaO = 0.6;
        s.initDivisor = 1;
        s.testN = 3;
        s.steps = STEPS;
        s.targetLoss = 0;
        s.seed = seed;
        s.heads = heads;
        List<RunData> out = new ArrayList<>();
        for (int r = 0; r < NS.length; r++) {
            s.N = NS[r];
            s.mu = Fixtures.uniform(rnd, 0.5, 2.5);
            s.p = r % 2 == 1 ? 0.25 : 0;
            s.labels = r % 3 == 2 ? LabelMode.RADEMACHER : LabelMode.BALANCED;
            s.trainWo = r % 3 == 1;
            s.lr = Fixtures.uniform(rnd, 0.05, 0.3);
            out.add(Fixtures.data(s));
        }
        return out;
    }

    @Test
    void familySetUpMatchesOwnSetUpAndReference() {
        EngineCase.assumeCuda();
        long seed = Fixtures.seed();
        String tag = Fixtures.tag(seed);
        List<RunData> fam = family(new SplittableRandom(seed), seed);
        Family f = fam.get(0).family();
        List<RunData> own = new ArrayList<>();
        for (RunData r : fam) {
            assertSame(f, r.family(), "the runs must share one family" + tag);
            own.add(new RunData(r.config(), r.train(), r.test(), r.muPos(), r.muNeg(), r.init()));
        }
        try (CudaEngine cuda = new CudaEngine(System.err); EngineBatch gf = cuda.open(fam); EngineBatch go = cuda.open(own);
             EngineBatch gr = new ReferenceEngine().open(fam);
             EngineBatch gk = cuda.open(List.of(fam.get(1), fam.get(0)))) {
            int[] kept = {1, 0};   // gk's runs, by index into fam
            int R = fam.size();
            boolean[] all = new boolean[R], allK = new boolean[kept.length];
            java.util.Arrays.fill(all, true);
            java.util.Arrays.fill(allK, true);
            double[] lf = new double[R], lo = new double[R], lr = new double[R], lk = new double[kept.length];
            for (int t = 0; t <= STEPS; t++) {
                if (t % 8 == 0) compareMetrics(gf, go, gr, R, "step " + t + tag);
                if (t == STEPS) break;
                gf.step(all, lf);
                go.step(all, lo);
                gr.step(all, lr);
                gk.step(allK, lk);
                for (int r = 0; r < R; r++) {
                    int rr = r, tt = t;
                    Fixtures.assertClose(lo[r], lf[r], OWN_ATOL, OWN_RTOL, () -> "run " + rr + " (N=" + NS[rr] + ") loss at step " + tt + ", family vs own set-up" + tag);
                    Fixtures.assertClose(lr[r], lf[r], REF_ATOL, REF_RTOL, () -> "run " + rr + " loss at step " + tt + ", family set-up vs reference" + tag);
                }
                for (int i = 0; i < kept.length; i++) {
                    int ii = i, tt = t;
                    Fixtures.assertClose(lf[kept[i]], lk[i], OWN_ATOL, OWN_RTOL, () -> "run " + kept[ii] + " loss at step " + tt + ", kept family set-up" + tag);
                }
            }
            for (int r = 0; r < R; r++) {
                Weights wr = gr.weights(r), wf = gf.weights(r), wo = go.weights(r);
                assertNotNull(wf);
                double[][] pr = {wr.WQ(), wr.WK(), wr.WV(), wr.wO()}, pf = {wf.WQ(), wf.WK(), wf.WV(), wf.wO()};
                double[][] po = {wo.WQ(), wo.WK(), wo.WV(), wo.wO()};
                for (int b = 0; b < 4; b++) {
                    double scale = 0;
                    for (double v : pr[b]) scale = Math.max(scale, Math.abs(v));
                    for (int i = 0; i < pr[b].length; i++) {
                        int rr = r, bb = b, ii = i;
                        Fixtures.assertClose(pr[b][i], pf[b][i], WEIGHT_RTOL * scale, 0, () -> "run " + rr + " weight block " + bb + "[" + ii + "] vs reference" + tag);
                        Fixtures.assertClose(po[b][i], pf[b][i], WEIGHT_RTOL * scale, 0, () -> "run " + rr + " weight block " + bb + "[" + ii + "] vs own set-up" + tag);
                    }
                }
            }
        }
    }

    /**
     * Multi-head batches keep every head's family set-up (FamilySetups): a second batch of a
     * family's H = 3 runs makes none and trains exactly as the first; another family's batch
     * replaces them within the bound (H set-ups of the shape), and the first family then makes its
     * three again.
     */
    @Test
    void everyHeadOfAFamilyIsKeptBetweenBatches() {
        EngineCase.assumeCuda();
        long seed = Fixtures.seed();
        String tag = Fixtures.tag(seed);
        int H = 3;
        List<RunData> fam = family(new SplittableRandom(seed), seed, H).subList(0, 3);
        List<RunData> other = family(new SplittableRandom(seed + 1), seed + 1, H).subList(0, 3);
        boolean[] all = {true, true, true};
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            FamilySetups setups = cuda.setups();
            double[] first = new double[3], second = new double[3];
            try (EngineBatch b = cuda.open(fam)) {
                b.step(all, first);
            }
            assertEquals(H, setups.made(), "set-ups made by the first batch: one per head" + tag);
            assertEquals(0, setups.reused(), tag);
            assertEquals(H, setups.keptCount(), "every head kept" + tag);
            try (EngineBatch b = cuda.open(fam)) {
                b.step(all, second);
            }
            assertEquals(H, setups.made(), "the second batch of the family made set-ups" + tag);
            assertEquals(H, setups.reused(), "the second batch took every head's kept set-up" + tag);
            for (int r = 0; r < 3; r++) assertEquals(first[r], second[r], "run " + r + " loss from kept set-ups" + tag);
            try (EngineBatch b = cuda.open(other)) {
                b.step(all, second);
            }
            assertEquals(2 * H, setups.made(), tag);
            assertEquals(H, setups.keptCount(), "kept within the bound of H set-ups" + tag);
            try (EngineBatch b = cuda.open(fam)) {
                b.step(all, second);
            }
            assertEquals(3 * H, setups.made(), "the first family's set-ups were dropped for the other's" + tag);
            for (int r = 0; r < 3; r++) assertEquals(first[r], second[r], "run " + r + " loss from set-ups made again" + tag);
        }
    }

    private static void compareMetrics(EngineBatch gf, EngineBatch go, EngineBatch gr, int R, String what) {
        boolean[] all = new boolean[R];
        java.util.Arrays.fill(all, true);
        double[][] mf = new double[R][Metric.COUNT], mo = new double[R][Metric.COUNT], mr = new double[R][Metric.COUNT];
        gf.metrics(all, mf);
        go.metrics(all, mo);
        gr.metrics(all, mr);
        for (int r = 0; r < R; r++) {
            for (Metric m : Metric.values()) {
                int i = m.ordinal(), rr = r;
                boolean count = m == Metric.TRAIN_ERROR || m == Metric.TEST_ERROR || m == Metric.TEST_ERROR_CLEAN;
                // An error rate counts samples: one with f within rounding of 0 may fall either way.
                double oneSample = count ? 1.0 / Math.min(NS[r], 3) + 1e-12 : 0;
                Fixtures.assertClose(mo[r][i], mf[r][i], count ? oneSample : OWN_ATOL, count ? 0 : OWN_RTOL,
                        () -> "run " + rr + " " + m.column() + " at " + what + ", family vs own set-up");
                Fixtures.assertClose(mr[r][i], mf[r][i], count ? oneSample : REF_ATOL, count ? 0 : REF_RTOL,
                        () -> "run " + rr + " " + m.column() + " at " + what + ", family set-up vs reference");
            }
        }
    }
}
