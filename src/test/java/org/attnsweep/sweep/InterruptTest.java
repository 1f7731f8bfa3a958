package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.sweep.ResultDirs.child;
import static org.attnsweep.sweep.SweepTest.args;
import static org.attnsweep.sweep.SweepTest.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.attnsweep.Cli.Result;
import org.attnsweep.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep stopped by what is not a fault of its own: Ctrl-C or SIGTERM (a scheduler's time limit),
 * and a heap too small for a batch the memory plan let through. Each ended without a word about
 * what was kept (the signal), or without saying that anything was (the heap; s21b audit): now
 * each says how many of the plan's runs are stored and where, and the same command resumes to
 * the whole plan with no run stored twice.
 */
class InterruptTest {

    @Test
    void sigtermSaysWhatIsStoredAndTheSameCommandResumes(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out"), log = tmp.resolve("child.log");
        String[] cmd = concat(args(StoreProcessFaultTest.LONG), "--out", out.toString());
        Process p = child(log, cmd);
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (storedRuns(out) < 1 && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assertTrue(p.isAlive(), "the sweep ended before it could be stopped part-way: " + Files.readString(log));
        p.destroy(); // SIGTERM, as a scheduler's time limit or kill sends it
        assertEquals(128 + 15, p.waitFor(), Files.readString(log));
        String text = Files.readString(log);
        Matcher m = Pattern.compile("attnsweep: interrupted: the (\\d+) of 90 runs finished are stored in "
                + Pattern.quote(out.toString()) + " \\(the same command resumes\\)").matcher(text);
        assertTrue(m.find(), "the line saying what is kept: " + text);
        int said = Integer.parseInt(m.group(1));
        // The line counts what was stored when it was printed; a batch may store more before the JVM halts.
        assertTrue(said >= 1 && said <= storedRuns(out), said + " said, " + storedRuns(out) + " stored");

        Result r = cli(cmd);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("resuming: " + storedRunsBefore(r) + " of 90 runs already done"), r.err());
        assertEquals(90, storedRuns(out), "the whole plan, each run once");
    }

    @Test
    void outOfMemoryMidSweepSaysWhatIsStoredAndTheSameCommandResumes(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out"), log = tmp.resolve("child.log");
        // Runs of P = 16 N tokens in d = 300, N up to 2000: the first fit the 260 MiB heap, a
        // later batch does not, though --memory-mb lets its estimate through (the heap also holds
        // the JVM's and the store's own).
        String[] grid = {"sweep", "--N", "200:2000:200", "--d", "300", "--M", "16", "--mk", "256", "--mv", "256", "--steps", "5",
                "--engine", "vector", "--threads", "1", "--memory-mb", "255", "--out", out.toString()};
        List<String> jvm = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx260m",
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        jvm.addAll(List.of(grid));
        Process p = new ProcessBuilder(jvm).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertEquals(1, p.waitFor(), Files.readString(log));
        String text = Files.readString(log);
        Matcher m = Pattern.compile("attnsweep: out of memory \\(.*\\): .*; the (\\d+) of 10 runs finished are stored in "
                + Pattern.quote(out.toString()) + " \\(the same command resumes\\)").matcher(text);
        assertTrue(m.find(), "the line saying what is kept: " + text);
        assertEquals(storedRuns(out), Integer.parseInt(m.group(1)), text);

        Result r = cli(grid);
        assertEquals(0, r.code(), r.err());
        assertEquals(10, storedRuns(out), "the whole plan, each run once");
    }

    /**
     * A writer halted mid-write (a signal, kill -9) leaves writeAtomically's temporary file: the
     * next holder of the lock removes those no live writer holds — a report being written beside
     * a sweep keeps its own.
     */
    @Test
    void temporaryFilesOfAHaltedWriterAreRemovedByTheNextHolder(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("out");
        String[] cmd = concat(args("--N", "2,4"), "--out", out.toString());
        assertEquals(0, cli(cmd).code());
        List<String> stale = List.of(".metrics.csv.3f9a0c1b2d4e5f60.tmp", ".summary.csv.1.tmp", ".config.json.ab.tmp",
                ".cells.csv.7.tmp", ".failure.txt.c0.tmp", ".summary.csv.rejected.9.tmp", ".report.html.3f9a.tmp");
        List<String> kept = List.of(".report.html.5e.tmp", ".metrics.csv.notours", "notes.tmp");
        for (String f : stale) Files.writeString(out.resolve(f), "half a file");
        for (String f : kept) Files.writeString(out.resolve(f), "someone else's");
        Process live = org.attnsweep.LockHolder.start("file", out.resolve(".report.html.5e.tmp")); // a report writing it now
        try {
            Result r = cli(cmd);
            assertEquals(0, r.code(), r.err());
        } finally {
            org.attnsweep.LockHolder.stop(live);
        }
        for (String f : stale) assertTrue(Files.notExists(out.resolve(f)), f + " left");
        for (String f : kept) assertTrue(Files.exists(out.resolve(f)), f + " removed");
    }

    /**
     * merge stopped by SIGTERM (or Ctrl-C) said nothing (s22 audit): now it says how far it got,
     * and the same command completes it, its files those of an undisturbed merge with no row
     * twice and no temporary file left. Stopped at three moments: as it reads its shards, once it
     * has written config.json into --out, and once summary.csv too.
     */
    @Test
    void sigtermDuringAMergeSaysHowFarItGotAndTheSameCommandCompletesIt(@TempDir Path tmp) throws Exception {
        // Every step recorded: ~45,000 curve rows, so that reading and writing them takes a while.
        String[] grid = args("--N", "2:20:2", "--mu", "2,8,16", "--repeats", "3", "--steps", "500", "--eval-every", "1", "--test-n", "20");
        List<String> shards = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path d = tmp.resolve("shard-" + i);
            Result r = cli(concat(grid, "--out", d.toString(), "--shard", i + "/2"));
            assertEquals(0, r.code(), r.err());
            shards.add(d.toString());
        }
        Path want = tmp.resolve("want");
        long t0 = System.nanoTime();
        Result r = cli("merge", "--out", want.toString(), shards.get(0), shards.get(1));
        long mergeMs = (System.nanoTime() - t0) / 1_000_000; // for the diagnostics
        assertEquals(0, r.code(), r.err());
        int stopped = 0;
        for (int k = 0; k < 3; k++) {
            Path out = tmp.resolve("m" + k), log = tmp.resolve("m" + k + ".log");
            Process p = child(log, "merge", "--out", out.toString(), shards.get(0), shards.get(1));
            // Its hook is registered before it locks its first shard, whose lock file then names it.
            Path lock = Path.of(shards.get(0)).resolve(DirLock.NAME);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (p.isAlive() && System.nanoTime() < deadline && !Files.readString(lock).contains("pid " + p.pid() + " ")) Thread.sleep(5);
            // Moment 1: once it has written config.json into --out; 2: once summary.csv too (metrics.csv follows).
            Path mark = k == 0 ? null : out.resolve(k == 1 ? "config.json" : "summary.csv");
            while (mark != null && p.isAlive() && System.nanoTime() < deadline && !Files.exists(mark)) Thread.sleep(1);
            p.destroy();
            int code = p.waitFor();
            String text = Files.readString(log);
            System.err.println("InterruptTest: a merge (undisturbed: " + mergeMs + " ms) stopped at moment " + k + ": exit " + code + ", "
                    + text.lines().filter(l -> l.contains("interrupted")).findFirst().orElse("no line"));
            if (code == 128 + 15) {
                stopped++;
                assertTrue(Pattern.compile("attnsweep: interrupted: merge stopped (while reading its shards|while writing the 90 merged runs"
                        + "|after writing the 90 merged runs).* \\(the same command completes it\\)").matcher(text).find(), text);
            } else {
                assertEquals(0, code, "it finished before the signal, or failed: " + text);
            }
            r = cli("merge", "--out", out.toString(), shards.get(0), shards.get(1));
            assertEquals(0, r.code(), r.err());
            for (String f : List.of("summary.csv", "metrics.csv", "cells.csv", "boundary.csv")) {
                assertEquals(Files.readString(want.resolve(f)), Files.readString(out.resolve(f)), f + " after a merge stopped at moment " + k);
            }
            try (var files = Files.list(out)) {
                List<String> tmps = files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".tmp")).toList();
                assertTrue(tmps.isEmpty(), "temporary files left: " + tmps);
            }
        }
        assertTrue(stopped > 0, "no merge was stopped part-way (an undisturbed one takes " + mergeMs + " ms)");
    }

    /** "resuming: K of ..." names K: the runs the resume found. */
    private static String storedRunsBefore(Result r) {
        Matcher m = Pattern.compile("resuming: (\\d+) of").matcher(r.err());
        return m.find() ? m.group(1) : "?";
    }

    /** Runs in summary.csv (complete lines), failing if a key is there twice. */
    private static int storedRuns(Path out) throws IOException {
        Path summary = out.resolve("summary.csv");
        if (!Files.exists(summary)) return 0;
        String text = Files.readString(summary);
        List<String> lines = text.substring(0, text.lastIndexOf('\n') + 1).lines().skip(1).toList();
        Set<String> keys = new HashSet<>();
        for (String l : lines) assertTrue(keys.add(l.split(",", 3)[1]), "run stored twice: " + l);
        return lines.size();
    }
}
