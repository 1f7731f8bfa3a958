package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finished results on a read-only mount (an archive, a colleague's share): every command that
 * would write into them is refused before its work, in one line with exit 2 naming the directory
 * as its command calls it — aggregate's line named --out, which it has not, and report and plot
 * built their output before failing with exit 1 (s21b audit). Needs root to mount a tmpfs; skips
 * saying why without it.
 */
class ReadOnlyDirTest {

    @Test
    void commandsThatWriteIntoAReadOnlyResultsDirAreRefusedBeforeWork(@TempDir Path tmp) throws Exception {
        Path done = tmp.resolve("done");
        String[] sweep = {"sweep", "--N", "2,4", "--d", "8", "--M", "2", "--mk", "8", "--mv", "4", "--steps", "5", "--engine", "vector",
                "--out", done.toString()};
        assertEquals(0, cli(sweep).code());
        Path mount = readOnlyCopies(tmp, done);
        try {
            Path ro = mount.resolve("done");
            for (List<String> c : List.of(List.of("aggregate", "aggregate: DIR " + ro + " is not writable"),
                    List.of("report", "report: DIR " + ro + " is not writable"),
                    List.of("plot", "plot: DIR " + ro + " is not writable"))) {
                Result r = cli(c.get(0), ro.toString());
                assertEquals(2, r.code(), r.err());
                List<String> lines = r.err().lines().filter(l -> l.startsWith("attnsweep:")).toList();
                assertEquals(1, lines.size(), r.err());
                assertTrue(lines.get(0).contains(c.get(1)) && lines.get(0).contains("Read-only file system"), r.err());
                assertFalse(r.out().contains("wrote") || r.out().contains("figures"), "no work: " + r.out());
            }
            // The sweep's resume of a finished plan is refused the same way, as --out.
            sweep[sweep.length - 1] = ro.toString();
            Result r = cli(sweep);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--out " + ro + " is not writable: " + ro + " is read-only"), r.err());
            // ...with the option checks, before the engine is chosen and its lines printed (they were, then the refusal)
            assertFalse(r.err().contains("engine="), r.err());
            sweep[sweep.length - 1] = ro.resolve("new").toString();
            r = cli(sweep);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--out " + ro.resolve("new") + " cannot be created: " + ro + " is read-only"), r.err());
            assertFalse(r.err().contains("engine="), r.err());
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
        }
    }

    /** A snapshot of every file under {@code dir}: name -> bytes. */
    static java.util.Map<String, byte[]> files(Path dir) throws java.io.IOException {
        java.util.Map<String, byte[]> m = new java.util.TreeMap<>();
        try (var w = Files.walk(dir)) {
            for (Path f : w.filter(Files::isRegularFile).toList()) m.put(dir.relativize(f).toString(), Files.readAllBytes(f));
        }
        return m;
    }

    static void sameFiles(java.util.Map<String, byte[]> want, java.util.Map<String, byte[]> got, String ctx) {
        assertEquals(want.keySet(), got.keySet(), ctx);
        for (String f : want.keySet()) assertTrue(java.util.Arrays.equals(want.get(f), got.get(f)), ctx + ": " + f + " changed");
    }

    /**
     * merge reads its shards and writes nothing into them: shards on a read-only mount merge as
     * any do, and a damaged one (its last row cut by a killed writer) is left as it was, its runs
     * left out with a line naming the file and saying what repairs it. The merge opened each shard
     * as its writer does, repairing it (cutting the torn line), and on a read-only mount failed
     * before reading a row (s22 audit).
     */
    @Test
    void mergeReadsShardsWithoutWritingThemAndMergesReadOnlyOnes(@TempDir Path tmp) throws Exception {
        String[] grid = {"sweep", "--N", "2,4", "--mu", "2,8", "--d", "8", "--M", "2", "--mk", "8", "--mv", "4", "--steps", "5",
                "--engine", "vector", "--out"};
        Path whole = tmp.resolve("whole"), s0 = tmp.resolve("s0"), s1 = tmp.resolve("s1");
        assertEquals(0, cli(concat(grid, whole.toString())).code());
        assertEquals(0, cli(concat(grid, s0.toString(), "--shard", "0/2")).code());
        assertEquals(0, cli(concat(grid, s1.toString(), "--shard", "1/2")).code());
        // Shard 1 as a sweep killed while appending leaves it: its last summary row cut short.
        Path torn = tmp.resolve("torn");
        Files.createDirectories(torn);
        for (Path f : Files.list(s1).toList()) Files.copy(f, torn.resolve(f.getFileName()));
        byte[] sum = Files.readAllBytes(torn.resolve("summary.csv"));
        Files.write(torn.resolve("summary.csv"), java.util.Arrays.copyOf(sum, sum.length - 20));

        // Writable: the torn shard is read, not repaired (its lock file records the merge as its holder, as any holder's does).
        var before = files(torn);
        before.remove(org.attnsweep.sweep.DirLock.NAME);
        Result r = cli("merge", "--out", tmp.resolve("m-torn").toString(), s0.toString(), torn.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(torn.resolve("summary.csv") + " ends in a cut line") && r.err().contains("resuming the sweep that wrote "
                + torn + " repairs it") && r.err().contains("1 of 4 runs are missing"), r.err());
        var after = files(torn);
        after.remove(org.attnsweep.sweep.DirLock.NAME);
        sameFiles(before, after, "a merge wrote into its shard");

        Path mount = readOnlyCopies(tmp, s0, s1, torn);
        try {
            Path r0 = mount.resolve("s0"), r1 = mount.resolve("s1"), rt = mount.resolve("torn");
            Path out = tmp.resolve("merged");
            r = cli("merge", "--out", out.toString(), r0.toString(), r1.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("merged 4 of 4 runs from 2 shards"), r.out());
            for (String f : List.of("summary.csv", "metrics.csv")) {
                assertEquals(Files.readString(whole.resolve(f)), Files.readString(out.resolve(f)), f + " of a merge of read-only shards");
            }
            // The damaged read-only shard: its line, the runs it lacks, nothing written anywhere.
            r = cli("merge", "--out", tmp.resolve("m-ro-torn").toString(), r0.toString(), rt.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains(rt.resolve("summary.csv") + " ends in a cut line") && r.err().contains("1 of 4 runs are missing"), r.err());
            assertFalse(r.err().contains("Read-only file system") || r.err().contains("I/O error"), r.err());
            r = cli("merge", "--allow-partial", "--out", tmp.resolve("m-ro-torn").toString(), r0.toString(), rt.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("merged 3 of 4 runs"), r.out());
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * A tmpfs at tmp/ro holding a copy of each of {@code dirs} under its own name, remounted
     * read-only; the caller unmounts it. Skips the test where no tmpfs can be mounted (not root).
     */
    private static Path readOnlyCopies(Path tmp, Path... dirs) throws Exception {
        Path mount = tmp.resolve("ro");
        Files.createDirectories(mount);
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString()).redirectErrorStream(true).start();
        String why = new String(m.getInputStream().readAllBytes()).strip();
        Assumptions.assumeTrue(m.waitFor() == 0, "a read-only directory needs a tmpfs mounted read-only, and mounting one failed (not root?): " + why);
        try {
            for (Path d : dirs) assertEquals(0, new ProcessBuilder("cp", "-r", d.toString(), mount.toString()).start().waitFor());
            assertEquals(0, new ProcessBuilder("mount", "-o", "remount,ro", mount.toString()).start().waitFor());
            return mount;
        } catch (Throwable t) {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
            throw t;
        }
    }
}
