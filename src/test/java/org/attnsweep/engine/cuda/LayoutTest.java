package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;

/**
 * Batch sizing from device memory (Layout), with no device: a family's evaluation arrays counted
 * once per family in the batch, not once per run, and the largest batch that fits found exactly.
 * CudaBatchEdgeTest opens such batches under the emulated driver.
 */
class LayoutTest {
    /** What one batch of an H200 sweep may take: half of 0.9 of its 141 GiB (CudaEngine.maxBatch). */
    private static final long H200_HALF = (long) (0.9 * 141e9 / 2);

    private static Layout heatmap(boolean trainWo) {
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        s.trainWo = trainWo;
        return Layout.of(s.build(0));
    }

    @Test
    void aFamilysEvaluationRowsAreItsGroupsNotEachRuns() {
        // jiang-heatmap: E = 2 + 100·15 + 2 = 1504 evaluation rows, 2m_k = 1024 columns.
        Layout fixed = heatmap(false), learn = heatmap(true);
        assertEquals(4L * (1504 * 1024 + 1504), fixed.groupBytes());
        assertEquals(4L * (1504 * 1024 + 1504 + 1504 * 512), learn.groupBytes());
        // A batch of R runs of one family holds one group; of R runs without a family, R groups.
        long R = 100;
        assertEquals(R * fixed.slotBytes(1) + fixed.groupBytes() + fixed.setupBytes(1), fixed.batchBytes(R, 1, 1));
        assertEquals(R * (fixed.slotBytes(1) + fixed.groupBytes()) + fixed.setupBytes(1), fixed.batchBytes(R, 1, Long.MAX_VALUE));
        // H heads: a slot and a group per head.
        assertEquals(R * 3 * fixed.slotBytes(3) + 2 * 3 * fixed.groupBytes() + fixed.setupBytes(3), fixed.batchBytes(R, 3, 2));
    }

    @Test
    void theHeatmapsBatchesHoldMoreRunsWhenFamiliesShareTheirRows() {
        // The jiang-heatmap's 10 families (one per repeat): a batch of any part of it holds at most 10.
        for (boolean trainWo : new boolean[] {false, true}) {
            Layout lay = heatmap(trainWo);
            long before = lay.runsIn(H200_HALF, 1, Long.MAX_VALUE), now = lay.runsIn(H200_HALF, 1, 10);
            // Before, every run reserved its own copy: per run, the slot and a group.
            assertEquals((H200_HALF - lay.setupBytes(1)) / (lay.slotBytes(1) + lay.groupBytes()), before);
            System.out.printf("jiang-heatmap (train w_O %s) on an H200: %d runs per batch with a group per run, %d with 10 families"
                    + " (%.2fx); %.1f MiB per run, %.1f MiB per family%n", trainWo, before, now, (double) now / before,
                    lay.slotBytes(1) / 0x1p20, lay.groupBytes() / 0x1p20);
            // Q|K(0)(s) alone is ~1/3 of a run's bytes: at least 1.4x the runs.
            assertTrue(now >= 1.4 * before, "10 families: " + now + " runs, a group per run: " + before);
        }
    }

    @Test
    void runsInIsTheLargestBatchThatFits() {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int t = 0; t < 2000; t++) {
            int M = 2 + rnd.nextInt(15), N = 1 + rnd.nextInt(40), testN = 1 + rnd.nextInt(200);
            Layout lay = new Layout(8 + rnd.nextInt(2000), M, 1 + rnd.nextInt(600), 1 + rnd.nextInt(600), N, 2 + N * (M - 1), testN,
                    2 + testN * (M - 1) + 2, rnd.nextBoolean());
            int H = 1 + rnd.nextInt(4);
            long families = rnd.nextInt(4) == 0 ? Long.MAX_VALUE : 1 + rnd.nextInt(50);
            long bytes = lay.setupBytes(H) + rnd.nextLong(1L << 36);
            long R = lay.runsIn(bytes, H, families);
            String what = "R=" + R + " families=" + families + " H=" + H + " bytes=" + bytes + " " + lay + Fixtures.tag(seed);
            assertTrue(R >= 0, what);
            if (R > 0) assertTrue(lay.batchBytes(R, H, families) <= bytes, "does not fit: " + what);
            assertTrue(lay.batchBytes(R + 1, H, families) > bytes, "one more would fit: " + what);
        }
    }
}
