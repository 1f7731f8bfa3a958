package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.EngineCase;
import org.attnsweep.model.Metric;
import org.junit.jupiter.api.Test;

/**
 * A batch opened on another thread while the engine's previous batch steps (as the sweep opens
 * batch b + 1 during batch b: its uploads, family set-up products and slices on the upload
 * stream) trains bit for bit as when the batches are opened and trained one after the other, on
 * both batches. Under native/cuda-emu, work on the upload stream runs only when the engine
 * synchronises it (EmulatorStreamTest), so a batch that stepped before its preparation finished,
 * or a preparation that read what the stepping batch writes, would give other numbers.
 */
class CudaPrepareOverlapTest {
    private static final int STEPS = 6;

    /** Per batch: losses of every step, then the metrics at the end. */
    private record Trace(double[][] loss, double[][] metrics) {
    }

    @Test
    void aBatchPreparedWhileAnotherStepsTrainsAsOneOpenedAfterIt() throws Exception {
        EngineCase.assumeCuda();
        long seed = Fixtures.seed();
        String tag = Fixtures.tag(seed);
        List<RunData> first = FamilyDeviceSetupTest.family(new SplittableRandom(seed), seed, 2).subList(0, 3);
        List<RunData> second = FamilyDeviceSetupTest.family(new SplittableRandom(seed + 1), seed + 1, 2).subList(1, 4);

        Trace seqFirst, seqSecond;
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            try (EngineBatch b = cuda.open(first)) {
                seqFirst = train(b, 0, STEPS, new Trace(new double[STEPS][], null));
            }
            try (EngineBatch b = cuda.open(second)) {
                seqSecond = train(b, 0, STEPS, new Trace(new double[STEPS][], null));
            }
        }

        Trace lapFirst = new Trace(new double[STEPS][], null), lapSecond;
        try (CudaEngine cuda = new CudaEngine(System.err); EngineBatch b = cuda.open(first)) {
            train(b, 0, 1, lapFirst);
            CompletableFuture<EngineBatch> next = CompletableFuture.supplyAsync(() -> cuda.open(second));
            lapFirst = train(b, 1, STEPS, lapFirst);
            try (EngineBatch c = next.join()) {
                lapSecond = train(c, 0, STEPS, new Trace(new double[STEPS][], null));
            }
        }
        same("first batch (stepping while the second was prepared)", seqFirst, lapFirst, tag);
        same("second batch (prepared while the first stepped)", seqSecond, lapSecond, tag);
    }

    /** Steps from..to−1 into t's losses; at the end, the metrics. */
    private static Trace train(EngineBatch b, int from, int to, Trace t) {
        int R = b.size();
        boolean[] all = new boolean[R];
        java.util.Arrays.fill(all, true);
        for (int s = from; s < to; s++) {
            t.loss[s] = new double[R];
            b.step(all, t.loss[s]);
        }
        if (to < STEPS) return t;
        double[][] m = new double[R][Metric.COUNT];
        b.metrics(all, m);
        return new Trace(t.loss, m);
    }

    private static void same(String what, Trace want, Trace got, String tag) {
        for (int s = 0; s < STEPS; s++) {
            for (int r = 0; r < want.loss[s].length; r++) {
                assertEquals(want.loss[s][r], got.loss[s][r], what + ": run " + r + " loss at step " + s + tag);
            }
        }
        for (int r = 0; r < want.metrics.length; r++) {
            for (Metric m : Metric.values()) {
                assertEquals(want.metrics[r][m.ordinal()], got.metrics[r][m.ordinal()], what + ": run " + r + " " + m.column() + tag);
            }
        }
    }
}
