package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;

/**
 * The target for the family-shared set-up: per-run set-up work (host conversions, bus bytes,
 * GEMM FLOPs) at least 50× below one set-up per run, on the jiang-heatmap grid (N 2..20 step 2 ×
 * ‖μ‖ 1..100 × 10 repeats: 10,000 runs in 10 families).
 */
class SetupCostTest {
    static List<RunConfig> jiangHeatmap() {
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        List<RunConfig> out = new ArrayList<>();
        for (int rep = 0; rep < 10; rep++) {
            for (int mu = 1; mu <= 100; mu++) {
                for (int N = 2; N <= 20; N += 2) {
                    s.N = N;
                    s.mu = mu;
                    out.add(s.build(rep));
                }
            }
        }
        return out;
    }

    @Test
    void jiangHeatmapSetUpIsAtLeast50TimesSmaller() {
        SetupCost cost = SetupCost.of(jiangHeatmap());
        System.out.print(cost.table());
        assertEquals(10_000, cost.runs());
        assertEquals(10, cost.families());
        double[] q = cost.ratios();
        String[] what = {"host conversions", "bus bytes", "GEMM FLOPs"};
        for (int i = 0; i < 3; i++) assertTrue(q[i] >= 50, what[i] + " only " + q[i] + "x below one set-up per run:\n" + cost.table());
    }

    @Test
    void batchesCopyEachOfTheirFamiliesEvaluationRowsOnce() {
        // The jiang-heatmap in plan order: 10 families (repeats) of 1000 consecutive runs. Each
        // family a batch holds costs it 2·4·E_u·(2m_k + 1) bytes (E_u = 1502 evaluation rows, fixed
        // w_O: Q|K(0)(s) and u(0)(s), each float read and written).
        List<RunConfig> runs = jiangHeatmap();
        double family = 8.0 * 1502 * (1024 + 1);
        // Batches of 1000: one family each.
        assertEquals(10 * family / 10_000, SetupCost.of(runs, 1000).now().copyBytes(), 1e-6);
        // Batches of 1500: [0, 1500) holds families 0 and 1, [1500, 3000) 1 and 2, [3000, 4500) 3 and
        // 4, then 4-5, 6-7, 7-8, and [9000, 10000) family 9 alone: 13 copies.
        SetupCost cut = SetupCost.of(runs, 1500);
        System.out.print(cut.table());
        assertEquals(13 * family / 10_000, cut.now().copyBytes(), 1e-6);
        // One batch of everything: every family once.
        assertEquals(10 * family / 10_000, SetupCost.of(runs).now().copyBytes(), 1e-6);
        // Each run on its own, or slicing its own evaluation rows, copies nothing per batch.
        assertEquals(0, cut.before().copyBytes());
        assertEquals(0, cut.sliced().copyBytes());
        assertEquals(family, SetupCost.batchCopyBytes(runs.subList(0, 1)), 1e-6);
    }

    @Test
    void oneRunFamiliesCostWhatTheyCostBefore() {
        // A family of one run at its own N shares nothing: its products are the run's own (the
        // evaluation rows lack the two probe rows, so slightly fewer), and it converts as much.
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        s.seed = 12345;
        SetupCost one = SetupCost.of(List.of(s.build(0)));
        assertEquals(1, one.families());
        double[] q = one.ratios();
        for (double v : q) assertTrue(v > 0.99 && v < 1.01, "one run alone: ratios " + java.util.Arrays.toString(q));
    }

    @Test
    void theEvaluationRowsAreNoLongerSlicedPerRun() {
        // Each run used to copy its Q|K(0)(s) (E×2m_k) and u(0)(s) (E) or V(0)(s) (E×m_v) out of its
        // family's, a float read and written each; the metrics now read the family's in place.
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        for (boolean learn : new boolean[] {false, true}) {
            s.trainWo = learn;
            RunConfig c = s.build(0);
            SetupCost one = SetupCost.of(List.of(c));
            double E = 2 + c.testN() * (c.M() - 1) + 2;
            double saved = 8 * E * (2 * c.mk() + (learn ? c.mv() : 1));
            assertEquals(saved, one.sliced().sliceBytes() - one.now().sliceBytes(), 1e-6, "train w_O " + learn + ":\n" + one.table());
            assertTrue(one.now().sliceBytes() > 0, one.table());
        }
    }
}
