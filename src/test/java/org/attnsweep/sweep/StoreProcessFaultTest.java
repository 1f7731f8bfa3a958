package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.sweep.ResultDirs.child;
import static org.attnsweep.sweep.ResultDirs.deleteTree;
import static org.attnsweep.sweep.SweepTest.args;
import static org.attnsweep.sweep.SweepTest.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults that need real processes: kill -9 of a child JVM at random moments (at least 20, each
 * followed by a check that every stored line is one the undisturbed sweep writes, and finally a
 * resume to byte-identical results), concurrent writers of the same and of different shards, and
 * a full disk (a small tmpfs, when root) during appends and during the final rewrite.
 */
class StoreProcessFaultTest {
    /** 90 runs of 300 steps: long enough to be killed many times part-way. */
    static final String[] LONG = {"--N", "2:20:2", "--mu", "2,8,16", "--repeats", "3", "--steps", "300", "--eval-every", "50",
            "--engine", "vector", "--threads", "1", "--memory-mb", "1"};
    /** 8 runs with a curve row per step (a larger metrics.csv for the full disk). */
    static final String[] SHORT = {"--N", "2,4", "--mu", "3,12", "--repeats", "2", "--eval-every", "1", "--engine", "vector", "--threads", "1"};
    static final List<String> STORE = List.of("summary.csv", "metrics.csv", "cells.csv");
    static final int KILLS = Integer.getInteger("attnsweep.kills", 20);

    @TempDir
    static Path shared;
    static Path freshLong, freshShort;

    @BeforeAll
    static void undisturbed() {
        freshLong = ResultDirs.sweep(LONG, shared.resolve("fresh-long"));
        freshShort = ResultDirs.sweep(SHORT, shared.resolve("fresh-short"));
    }

    static void identical(Path fresh, Path dir) throws IOException {
        ResultDirs.identical(fresh, dir, STORE);
    }

    static void noStackTrace(Result r) {
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
    }

    @Test
    void killMinus9AtRandomMomentsResumesToIdenticalResults(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("killed");
        // Every complete line of summary.csv and metrics.csv is one the undisturbed sweep wrote
        // (cells.csv is rewritten whole from what is stored, so it is not the finished sweep's).
        ResultDirs.killAtRandomMomentsThenResume(tmp, LONG, out, KILLS, 200, freshLong, STORE, ctx -> {
            ResultDirs.onlyGoodLines(freshLong, out, List.of("summary.csv", "metrics.csv"), Set.of(), ctx);
            Tally.survived("kill -9 of a child JVM at a random moment");
        });
    }

    @Test
    void aSecondWriterIsRefusedNamingTheHolder(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("busy");
        String[] cmd = concat(args(LONG), "--out", out.toString());
        Process a = child(tmp.resolve("a.log"), cmd);
        try {
            Path lock = out.resolve(DirLock.NAME);
            String holder = "pid " + a.pid() + " on ";
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && a.isAlive()
                    && !(Files.exists(lock) && Files.readString(lock).contains(holder) && Files.exists(out.resolve("config.json")))) {
                Thread.sleep(20);
            }
            assertTrue(a.isAlive(), Files.readString(tmp.resolve("a.log")));
            // A reader reads the runs finished so far and says the sweep runs (it was refused as a writer; s22 audit).
            Result agg = cli("aggregate", out.toString());
            noStackTrace(agg);
            assertEquals(0, agg.code(), agg.err());
            assertTrue(agg.err().contains(out + " is still being written (" + holder) && agg.err().contains(" runs are finished; "), agg.err());
            assertFalse(Files.exists(out.resolve("cells.csv")), "cells.csv is the running sweep's to write");
            Tally.survived("concurrent writers");
            for (String[] second : List.of(cmd, concat(cmd, "--shard", "1/2"),
                    new String[] {"merge", "--out", tmp.resolve("m").toString(), out.toString()})) {
                Result r = cli(second);
                noStackTrace(r);
                assertEquals(2, r.code(), String.join(" ", second) + ": " + r.err());
                assertTrue(r.err().contains("is in use by another writer (" + holder), r.err());
                // Another --out is advice only to a command that has one (aggregate's line gave it too).
                assertEquals(second[0].equals("sweep"), r.err().contains("or choose another --out"), r.err());
                Tally.refused("concurrent writers");
            }
        } finally {
            a.destroyForcibly();
            a.waitFor();
        }
        // Its lock dies with it: the next writer takes it over and completes the sweep.
        Result r = cli(cmd);
        assertEquals(0, r.code(), r.err());
        identical(freshLong, out);
        Tally.survived("concurrent writers");
    }

    @Test
    void writersStartedTogether(@TempDir Path tmp) throws Exception {
        // The same shard, and two different shards, into one directory at once: one writer wins.
        for (String[] shards : List.of(new String[] {"0/1", "0/1"}, new String[] {"0/2", "1/2"})) {
            Path out = tmp.resolve("one-" + shards[1].replace('/', '-'));
            Process a = child(tmp.resolve("a.log"), concat(args(SHORT), "--out", out.toString(), "--shard", shards[0]));
            Process b = child(tmp.resolve("b.log"), concat(args(SHORT), "--out", out.toString(), "--shard", shards[1]));
            int ca = a.waitFor(), cb = b.waitFor();
            String logs = Files.readString(tmp.resolve("a.log")) + Files.readString(tmp.resolve("b.log"));
            // Either one was refused while the other held the lock, or they ran one after the other.
            assertTrue(ca == 0 || ca == 2, logs);
            assertTrue(cb == 0 || cb == 2, logs);
            assertTrue(ca == 0 || cb == 0, logs);
            if (ca == 2 || cb == 2) assertTrue(logs.contains("is in use by another writer (pid "), logs);
            assertFalse(logs.contains("Exception"), logs);
            if (shards[1].equals("0/1")) identical(freshShort, out);
            Tally.survived("concurrent writers");
        }
        // Two shards into their own directories at once, then merged: the unsharded result.
        Process a = child(tmp.resolve("a.log"), concat(args(SHORT), "--out", tmp.resolve("s0").toString(), "--shard", "0/2"));
        Process b = child(tmp.resolve("b.log"), concat(args(SHORT), "--out", tmp.resolve("s1").toString(), "--shard", "1/2"));
        assertEquals(0, a.waitFor(), Files.readString(tmp.resolve("a.log")));
        assertEquals(0, b.waitFor(), Files.readString(tmp.resolve("b.log")));
        Result m = cli("merge", "--out", tmp.resolve("merged").toString(), tmp.resolve("s0").toString(), tmp.resolve("s1").toString());
        assertEquals(0, m.code(), m.err());
        identical(freshShort, tmp.resolve("merged"));
        Tally.survived("concurrent writers");
    }

    @Test
    void aFullDiskDuringAppendsAndDuringTheFinalRewrite(@TempDir Path tmp) throws Exception {
        Path disk = smallDisk(tmp);
        try {
            // tmpfs counts whole 4 KiB pages per file; config.json is written (a temporary copy, then
            // renamed) before the first append, the lock file and both headers take a page each.
            long M = Files.size(freshShort.resolve("metrics.csv")), config = pages(Files.size(freshShort.resolve("config.json")));
            long fixed = 2 * config + 3 * 4096;
            long appends = fixed + M / 3; // a third of the curve rows fit
            long rewrite = fixed + pages(M) + pages(Files.size(freshShort.resolve("summary.csv"))) + M / 2; // all of them, not a sorted copy
            for (long room : new long[] {appends, rewrite}) {
                Path out = disk.resolve("out-" + room);
                Path filler = disk.resolve("filler");
                fill(filler, disk, room);
                Result r = cli(concat(args(SHORT), "--out", out.toString()));
                noStackTrace(r);
                assertEquals(1, r.code(), "room " + room + ": " + r.err());
                assertTrue(r.err().contains("No space left on device"), r.err());
                assertTrue(r.err().contains(room == appends ? "cannot append results" : "cannot write " + out.resolve("metrics.csv")),
                        "room " + room + ": " + r.err());
                Files.delete(filler);
                Result resumed = cli(concat(args(SHORT), "--out", out.toString()));
                assertEquals(0, resumed.code(), resumed.err());
                identical(freshShort, out);
                Tally.survived("full disk");
                deleteTree(out);
            }
        } finally {
            new ProcessBuilder("umount", disk.toString()).start().waitFor();
        }
    }

    /**
     * A merge stopped between its files (here by a full disk after summary.csv, as a kill -9 can
     * stop it) and run again: the rerun merges over what it left and gives the unsharded result.
     * (With config.json written last, the rerun refused --out as "another sweep's results".)
     */
    @Test
    void aMergeStoppedByAFullDiskIsMergedAgain(@TempDir Path tmp) throws Exception {
        Path s0 = ResultDirs.sweep(concat(SHORT, "--shard", "0/2"), tmp.resolve("s0"));
        Path s1 = ResultDirs.sweep(concat(SHORT, "--shard", "1/2"), tmp.resolve("s1"));
        Path disk = smallDisk(tmp);
        try {
            Path out = disk.resolve("merged"), filler = disk.resolve("filler");
            // The lock file and config.json a page each, a spare page, summary.csv whole, half of metrics.csv.
            long room = 3 * 4096 + pages(Files.size(freshShort.resolve("summary.csv"))) + Files.size(freshShort.resolve("metrics.csv")) / 2;
            fill(filler, disk, room);
            Result r = cli("merge", "--out", out.toString(), s0.toString(), s1.toString());
            noStackTrace(r);
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("No space left on device") && r.err().contains("metrics.csv"), r.err());
            Files.delete(filler);
            Result again = cli("merge", "--out", out.toString(), s0.toString(), s1.toString());
            assertEquals(0, again.code(), again.err());
            identical(freshShort, out);
            Tally.survived("full disk");
        } finally {
            new ProcessBuilder("umount", disk.toString()).start().waitFor();
        }
    }

    /**
     * train's --save-weights on a full disk: the command fails in one line, and the same command
     * again trains the run and saves its weights. (Stored before its weights were saved, the run
     * was "already done" on resume and its weights were never written.)
     */
    @Test
    void weightsSavedOnAFullDiskAreSavedOnResume(@TempDir Path tmp) throws Exception {
        Path disk = smallDisk(tmp);
        try {
            Path weights = disk.resolve("weights"), filler = disk.resolve("filler");
            String[] cmd = {"train", "--d", "64", "--mk", "64", "--mv", "64", "--N", "4", "--steps", "2", "--test-n", "5", "--engine",
                    "vector", "--threads", "1", "--save-weights", weights.toString(), "--out", tmp.resolve("out").toString()};
            fill(filler, disk, 2 * 4096); // W_Q.npy alone is 64 x 64 numbers, 16 KiB or more
            Result r = cli(cmd);
            noStackTrace(r);
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("attnsweep: I/O error: cannot save run 0's files in " + weights + ": No space left on device"), r.err());
            Files.delete(filler);
            Result again = cli(cmd);
            assertEquals(0, again.code(), again.err());
            for (String f : List.of("W_Q.npy", "W_K.npy", "W_V.npy", "w_O.npy")) assertTrue(Files.exists(weights.resolve(f)), f + ": " + again.err());
            Tally.survived("full disk");
        } finally {
            new ProcessBuilder("umount", disk.toString()).start().waitFor();
        }
    }

    /** A 1 MiB tmpfs mounted at tmp/disk (the caller unmounts it); the test is skipped, saying why, where mounting fails. */
    static Path smallDisk(Path tmp) throws IOException, InterruptedException {
        Path disk = Files.createDirectories(tmp.resolve("disk"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk.toString())
                .redirectErrorStream(true).start();
        String why = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        Assumptions.assumeTrue(mount.waitFor() == 0, "a full disk needs a small tmpfs, and mounting one failed (not root?): " + why);
        return disk;
    }

    static long pages(long bytes) {
        return (bytes + 4095) / 4096 * 4096;
    }

    /** Fills the file system of {@code disk} with {@code filler} until {@code room} bytes are left. */
    static void fill(Path filler, Path disk, long room) throws IOException {
        long free = Files.getFileStore(disk).getUsableSpace();
        Files.write(filler, new byte[(int) Math.max(0, free - room)]);
    }
}
