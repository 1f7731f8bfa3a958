package org.attnsweep.sweep;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.attnsweep.Fixtures;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunSpec;
import org.attnsweep.train.RunResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's writer thread: runs handed to it are stored in groups with the bytes of storing them
 * one at a time, {@link StoreWriter#flush} returns only once every one is stored, a failure stops it
 * and is thrown as it was thrown, and a shutdown stores what was handed over and nothing after.
 */
class StoreWriterTest {
    /** Long enough for the test's other submissions to queue behind a job being written. */
    private static final long SLOW_MILLIS = 30;

    private static List<PlannedRun> plan(SplittableRandom rnd, int n) {
        List<PlannedRun> runs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RunSpec s = Fixtures.smallSpec(rnd, 6, 2, 3, 3, 2 + rnd.nextInt(4));
            s.steps = 4;
            runs.add(new PlannedRun(i, s.build(0)));
        }
        return runs;
    }

    /** A run's result with drawn metrics and a curve of 1–3 rows. */
    private static RunResult result(PlannedRun run, SplittableRandom rnd) {
        List<double[]> curve = new ArrayList<>();
        for (int step = 0, rows = 1 + rnd.nextInt(3); step < rows; step++) {
            double[] row = new double[1 + Metric.COUNT];
            row[0] = step;
            for (int i = 1; i < row.length; i++) row[i] = rnd.nextDouble();
            curve.add(row);
        }
        double[] fin = java.util.Arrays.copyOfRange(curve.get(curve.size() - 1), 1, 1 + Metric.COUNT);
        return new RunResult(run.config(), curve.size() - 1, true, false, List.of(), fin, curve, List.of(), null);
    }

    private static void pause() {
        try {
            Thread.sleep(SLOW_MILLIS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void groupsStoreTheBytesOfStoringOneRunAtATime(@TempDir Path tmp) throws IOException {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PlannedRun> runs = plan(rnd, 12);
        List<RunResult> results = new ArrayList<>();
        for (PlannedRun r : runs) results.add(result(r, rnd));

        Files.createDirectories(tmp.resolve("one"));
        Files.createDirectories(tmp.resolve("grouped"));
        try (ResultStore one = ResultStore.open(tmp.resolve("one"), ResultStore.byKey(runs), w -> { })) {
            for (int i = 0; i < runs.size(); i++) one.append(runs.get(i), results.get(i));
        }
        AtomicInteger grouped = new AtomicInteger();
        try (ResultStore store = ResultStore.open(tmp.resolve("grouped"), ResultStore.byKey(runs), w -> { });
             StoreWriter writer = new StoreWriter(store)) {
            for (int i = 0; i < runs.size(); i++) {
                int at = i;
                // The first run's slow save keeps the writer busy while the others queue: they are
                // then stored as one group, each `after` seeing the whole group done.
                writer.submit(runs.get(i), results.get(i), i == 0 ? StoreWriterTest::pause : null, () -> {
                    if (store.doneCount() > at + 1) grouped.incrementAndGet();
                });
            }
            writer.flush();
            assertEquals(runs.size(), store.doneCount(), tag(seed));
        }
        assertTrue(grouped.get() > 0, "no run was stored in a group with later ones" + tag(seed));
        for (String f : List.of("summary.csv", "metrics.csv")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("one").resolve(f)), Files.readAllBytes(tmp.resolve("grouped").resolve(f)),
                    f + tag(seed));
        }
    }

    @Test
    void flushReturnsOnlyOnceEverySubmittedRunIsStored(@TempDir Path tmp) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PlannedRun> runs = plan(rnd, 5);
        AtomicInteger after = new AtomicInteger();
        try (ResultStore store = ResultStore.open(tmp, ResultStore.byKey(runs), w -> { });
             StoreWriter writer = new StoreWriter(store)) {
            for (PlannedRun r : runs) writer.submit(r, result(r, rnd), StoreWriterTest::pause, after::incrementAndGet);
            writer.flush();
            assertEquals(runs.size(), store.doneCount(), tag(seed));
            assertEquals(runs.size(), after.get(), tag(seed));
        }
    }

    @Test
    void aFailureStopsTheWriterAndIsThrownAsItWasThrown(@TempDir Path tmp) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PlannedRun> runs = plan(rnd, 6);
        UncheckedIOException full = new UncheckedIOException("cannot save run 3's files in x: No space left on device", new IOException());
        try (ResultStore store = ResultStore.open(tmp, ResultStore.byKey(runs), w -> { })) {
            StoreWriter writer = new StoreWriter(store);
            for (int i = 0; i < 3; i++) writer.submit(runs.get(i), result(runs.get(i), rnd), null, null);
            writer.flush();
            // Run 3's save fails while run 4 waits behind it: neither is stored, nor is run 5, refused.
            writer.submit(runs.get(3), result(runs.get(3), rnd), () -> {
                pause();
                throw full;
            }, null);
            writer.submit(runs.get(4), result(runs.get(4), rnd), null, null);
            assertSame(full, assertThrows(UncheckedIOException.class, writer::flush), tag(seed));
            assertSame(full, assertThrows(UncheckedIOException.class, () -> writer.submit(runs.get(5), result(runs.get(5), rnd), null, null)));
            assertSame(full, assertThrows(UncheckedIOException.class, writer::close));
            assertEquals(3, store.doneCount(), tag(seed));
            for (int i = 0; i < runs.size(); i++) assertEquals(i < 3, store.isDone(runs.get(i).key()), "run " + i + tag(seed));
        }
    }

    @Test
    void aShutdownStoresWhatWasHandedOverAndNothingAfter(@TempDir Path tmp) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PlannedRun> runs = plan(rnd, 5);
        try (ResultStore store = ResultStore.open(tmp, ResultStore.byKey(runs), w -> { })) {
            StoreWriter writer = new StoreWriter(store);
            for (int i = 0; i < 4; i++) writer.submit(runs.get(i), result(runs.get(i), rnd), StoreWriterTest::pause, null);
            writer.drainForExit(10_000);
            assertEquals(4, store.doneCount(), tag(seed));
            // The training thread goes on until the JVM halts: what it hands over now is left to a resume.
            writer.submit(runs.get(4), result(runs.get(4), rnd), null, null);
            writer.stop();
            assertEquals(4, store.doneCount(), tag(seed));
        }
    }

    /**
     * While the runs handed over and not yet stored fill the writer's bound, submit waits for the
     * writer (the training slows instead of the heap filling), and goes on once a group is stored;
     * a run alone above the bound is taken when nothing else is held.
     */
    @Test
    void submitWaitsWhileTheWriterHoldsItsBound(@TempDir Path tmp) throws InterruptedException, IOException {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PlannedRun> runs = plan(rnd, 4);
        List<RunResult> results = new ArrayList<>();
        for (PlannedRun r : runs) results.add(result(r, rnd));
        // Room for runs 0 and 1 together, not for run 2 beside them.
        long bound = StoreWriter.bytes(results.get(0)) + StoreWriter.bytes(results.get(1)) + StoreWriter.bytes(results.get(2)) - 1;
        CountDownLatch disk = new CountDownLatch(1), handed = new CountDownLatch(1);
        try (ResultStore store = ResultStore.open(tmp, ResultStore.byKey(runs), w -> { });
             StoreWriter writer = new StoreWriter(store, bound)) {
            // Run 0's save stalls until the test lets the disk go; run 1 queues behind it.
            writer.submit(runs.get(0), results.get(0), () -> {
                try {
                    disk.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, null);
            writer.submit(runs.get(1), results.get(1), null, null);
            Thread trainer = Thread.ofPlatform().start(() -> {
                writer.submit(runs.get(2), results.get(2), null, null);
                handed.countDown();
            });
            boolean early;
            try {
                early = handed.await(300, TimeUnit.MILLISECONDS);
                assertEquals(0, store.doneCount(), tag(seed));
            } finally {
                disk.countDown();   // whatever happened, the writer (and close) must not wait for ever
            }
            assertFalse(early, "run 2 was taken beyond the bound while runs 0 and 1 were held" + tag(seed));
            assertTrue(handed.await(10, TimeUnit.SECONDS), "run 2 was never taken once the writer stored the others" + tag(seed));
            trainer.join();
            writer.flush();
            assertEquals(3, store.doneCount(), tag(seed));
        }
        // A run larger than the bound alone: taken, since the writer holds nothing else.
        Files.createDirectories(tmp.resolve("big"));
        try (ResultStore store = ResultStore.open(tmp.resolve("big"), ResultStore.byKey(runs), w -> { });
             StoreWriter writer = new StoreWriter(store, 1)) {
            writer.submit(runs.get(3), results.get(3), null, null);
            writer.flush();
            assertEquals(1, store.doneCount(), tag(seed));
        }
    }
}
