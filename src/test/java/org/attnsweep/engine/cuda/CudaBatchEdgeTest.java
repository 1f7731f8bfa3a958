package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jcuda.driver.CUdeviceptr;
import org.attnsweep.Fixtures;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.Family;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.EngineCase;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches sized to the edge of the device memory, a family's evaluation rows counted once per
 * family (Layout): with all but a measured amount of the device's memory taken by a filler
 * allocation, the largest batch Layout says fits opens (every allocation of it succeeds: the
 * emulated driver, like a device, refuses allocations past its memory) and trains, one run more is
 * refused before any allocation, and a sweep sized by the free memory trains more runs per batch
 * than a run per group would allow and stores what one batch stores. Runs under the emulated
 * driver of scripts/emu-check only, skipped elsewhere: its allocations are byte-exact, while a
 * device rounds each up to its granularity (which CudaEngine.MEMORY_SHARE leaves room for), so
 * an edge drawn to the byte holds there only (the GPU kit leaves this class out).
 */
class CudaBatchEdgeTest {
    private static final int STEPS = 10;

    /** The memory Layout's estimate may exceed the allocation by: each mini-batch row buffer it counts, absent without mini-batch runs. */
    private static long unallocated(Layout lay, long runs) {
        return 4L * CudaBatch.READ_EVERY * lay.nMax() * runs;
    }

    @Test
    void theLargestBatchThatFitsOpensAndTrains() {
        requireEmulator();
        long seed = Fixtures.seed();
        // Two families (repeats) of 12 runs each, N and ‖μ‖ mixed, w_O fixed and learnable.
        RunSpec s = Fixtures.shape(96, 4, 24, 16, 9);
        s.testN = 30;
        s.sigma = new double[] {1, 0.5, 0.5};
        s.steps = STEPS;
        s.seed = seed;
        List<RunConfig> configs = new ArrayList<>();
        for (int rep = 0; rep < 2; rep++) {
            for (int N : new int[] {3, 6, 9}) {
                for (double mu : new double[] {2, 5}) {
                    for (boolean learn : new boolean[] {false, true}) {
                        s.N = N;
                        s.mu = mu;
                        s.trainWo = learn;
                        configs.add(s.build(rep));
                    }
                }
            }
        }
        for (RunConfig c : configs) Family.of(c).reserve(c.N());
        List<RunData> data = configs.stream().map(DataFactory::generate).toList();
        s.N = 9;
        s.trainWo = true;
        Layout lay = Layout.of(s.build(0));
        int R = data.size();
        String tag = Fixtures.tag(seed);
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            CudaContext ctx = cuda.context();
            long exact = lay.batchBytes(R, 1, 2);
            // Free memory: the batch's estimate and less than one more run's slot.
            CUdeviceptr filler = fill(ctx, exact + lay.slotBytes(1) / 2);
            try {
                long free = ctx.freeBytes();
                assertEquals(R, lay.runsIn(free, 1, 2), "the free memory holds " + R + " runs of 2 families" + tag);
                assertTrue(lay.runsIn(free, 1, Long.MAX_VALUE) < R, "a group per run would not hold them all: the test shows nothing" + tag);
                // One run more (of the first family) is refused by the estimate, before allocating.
                List<RunData> more = new ArrayList<>(data);
                s.N = 3;
                s.mu = 7;
                s.trainWo = false;
                more.add(DataFactory.generate(s.build(0)));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.open(more).close());
                assertTrue(e.getMessage().contains("enough for " + R + " runs"), e.getMessage() + tag);
                assertEquals(free, ctx.freeBytes(), "the refused batch allocated" + tag);
                double[] target = new double[R];
                double[][] loss = new double[STEPS][R];
                boolean[] active = new boolean[R];
                java.util.Arrays.fill(active, true);
                try (EngineBatch b = cuda.open(data)) {
                    // What it holds: the estimate, less only the buffers it does not need.
                    long used = free - ctx.freeBytes() - cuda.setups().keptBytes();
                    long batch = exact - lay.setupBytes(1);
                    assertTrue(used <= batch && used >= batch - unallocated(lay, R),
                            "allocated " + used + " bytes, estimated " + batch + tag);
                    b.steps(active, STEPS, target, loss);
                }
                // Target loss 0: no run stops, so every step's loss is written.
                for (int r = 0; r < R; r++) {
                    for (int t = 0; t < STEPS; t++) assertTrue(Double.isFinite(loss[t][r]) && loss[t][r] > 0, "run " + r + " step " + t + tag);
                }
            } finally {
                ctx.makeCurrent();
                cuMemFree(filler);
            }
        }
    }

    /** Runs per batch the free memory is cut to hold in the sweep (CudaSweepAheadTest's 24 runs, 2 families). */
    private static final int PER_BATCH = 10;

    @Test
    void aSweepSizedByFreeMemoryCountsFamiliesOnceAndStoresWhatOneBatchStores(@TempDir Path tmp) throws IOException {
        requireEmulator();
        Layout lay = Layout.of(CudaSweepAheadTest.largest());
        CudaSweepAheadTest.sweep(tmp.resolve("one"));
        String log, plan;
        long free;
        try (CudaContext ctx = new CudaContext(0)) {
            // Free memory for PER_BATCH runs of the 2 families per batch, as CudaEngine.maxBatch halves it.
            long want = (long) Math.ceil((2 * lay.batchBytes(PER_BATCH, 1, 2) - lay.setupBytes(1)) / CudaEngine.MEMORY_SHARE) + 64;
            CUdeviceptr filler = fill(ctx, want);
            try {
                free = ctx.freeBytes();
                plan = CudaSweepAheadTest.sweep(tmp.resolve("plan"), "--dry-run");
                log = CudaSweepAheadTest.sweep(tmp.resolve("edge"));
            } finally {
                ctx.makeCurrent();
                cuMemFree(filler);
            }
        }
        long usable = ((long) (free * CudaEngine.MEMORY_SHARE) + lay.setupBytes(1)) / 2;
        long perRunGroup = lay.runsIn(usable, 1, Long.MAX_VALUE), families = lay.runsIn(usable, 1, 2);
        // The last sizing logged is the sweep's (the command first checks one run of each shape fits).
        Matcher m = Pattern.compile("cuda: R=(\\d+) runs per batch").matcher(log);
        int R = -1;
        while (m.find()) R = Integer.parseInt(m.group(1));
        // The engine sized from what was free when it started: what this test saw free.
        assertTrue(R > perRunGroup && R <= families && R < CudaSweepAheadTest.RUNS, "R=" + R + ": a group per run holds " + perRunGroup
                + ", 2 families " + families + "\n" + log);
        // --dry-run plans the batches the sweep then trains: the same runs per batch (families
        // counted, half the budget each), so the same number of batches.
        Matcher planned = Pattern.compile("cuda: R=(\\d+) runs per batch").matcher(plan);
        int planR = -1;
        while (planned.find()) planR = Integer.parseInt(planned.group(1));
        assertEquals(R, planR, "runs per batch: the sweep's against --dry-run's\n" + plan);
        int batches = (CudaSweepAheadTest.RUNS + R - 1) / R;
        assertTrue(plan.contains("in " + batches + " batches"), "the sweep trained " + batches + " batches of up to " + R + " runs; --dry-run said\n" + plan);
        for (String file : new String[] {"summary.csv", "metrics.csv"}) {
            assertEquals(CudaSweepAheadTest.sorted(tmp.resolve("one").resolve(file)), CudaSweepAheadTest.sorted(tmp.resolve("edge").resolve(file)),
                    file + " of batches of " + R + " vs one batch");
        }
    }

    private static void requireEmulator() {
        CudaEngine.Availability a = EngineCase.assumeCuda();
        Assumptions.assumeTrue(a.reason().contains("CPU emulation"),
                () -> "needs the emulated driver's byte-exact allocations: " + a.reason());
    }

    /** Allocates (without writing) all but {@code leave} bytes of the device's free memory; returns the allocation. */
    private static CUdeviceptr fill(CudaContext ctx, long leave) {
        long free = ctx.freeBytes();
        assertTrue(free > leave, free + " bytes free, the test needs " + leave);
        CUdeviceptr p = new CUdeviceptr();
        ctx.makeCurrent();
        cuMemAlloc(p, free - leave);
        return p;
    }
}
