package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.sweep.SweepTest.args;
import static org.attnsweep.sweep.SweepTest.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.attnsweep.Cli.Result;
import org.attnsweep.cli.Main;

/**
 * Result directories as the store tests handle them: an undisturbed sweep to compare against,
 * copies to damage, byte comparisons, child JVMs to kill, and the kill -9 loop itself.
 */
final class ResultDirs {
    private ResultDirs() {
    }

    /** Sweeps {@code grid} (options after {@link SweepTest#args}) into {@code out}, which must succeed; returns {@code out}. */
    static Path sweep(String[] grid, Path out) {
        Result r = cli(concat(args(grid), "--out", out.toString()));
        assertEquals(0, r.code(), r.err());
        return out;
    }

    /** A copy of the files (not folders) of result directory {@code from} in {@code dir}. */
    static Path copyFiles(Path from, Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(from)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    /** Each of {@code files} in {@code dir} holds the bytes it holds in {@code want}. */
    static void identical(Path want, Path dir, List<String> files) throws IOException {
        for (String f : files) assertEquals(Files.readString(want.resolve(f)), Files.readString(dir.resolve(f)), f);
    }

    /**
     * Every complete line of {@code files} in {@code dir} (those present) is one {@code want} holds:
     * nothing corrupt; a line of a file in {@code once} stands there at most once.
     */
    static void onlyGoodLines(Path want, Path dir, List<String> files, Set<String> once, String ctx) throws IOException {
        for (String f : files) {
            if (!Files.exists(dir.resolve(f))) continue;
            Set<String> good = new HashSet<>(Files.readAllLines(want.resolve(f)));
            String text = Files.readString(dir.resolve(f), StandardCharsets.UTF_8);
            Set<String> seen = new HashSet<>();
            for (String line : text.substring(0, text.lastIndexOf('\n') + 1).lines().toList()) {
                assertTrue(good.contains(line), ctx + ": " + f + " holds '" + line + "'");
                if (once.contains(f)) assertTrue(seen.add(line), ctx + ": " + f + " holds '" + line + "' twice");
            }
        }
    }

    /** The command line in a child JVM of this one's class path, its output to {@code log}. */
    static Process child(Path log, String... cmdArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(cmdArgs));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** What a test checks in the killed sweep's directory after each kill; {@code ctx} names the seed and the kill. */
    interface AfterKill {
        void check(String ctx) throws IOException;
    }

    /**
     * Kills a child JVM sweeping {@code grid} into {@code out} with SIGKILL at random moments
     * (at least {@code waitMs}, up to 2.5 s more) until it was killed {@code kills} times part-way,
     * running {@code afterKill} after each; a child that finished first must have written
     * {@code want}'s {@code files}, and is started over. Then the sweep resumes in-process to
     * {@code want}'s bytes. The seed is fresh or -Dattnsweep.seed, and named on failure.
     */
    static void killAtRandomMomentsThenResume(Path tmp, String[] grid, Path out, int kills, int waitMs, Path want, List<String> files,
            AfterKill afterKill) throws Exception {
        long seed = Long.getLong("attnsweep.seed", System.nanoTime());
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] cmd = concat(args(grid), "--out", out.toString());
        int killed = 0, starts = 0;
        while (killed < kills) {
            assertTrue(starts++ < 4 * kills, "seed " + seed + ": the child kept finishing before it could be killed");
            Process p = child(tmp.resolve("child.log"), cmd);
            // Anywhere from JVM start-up to the final rewrite and aggregation of a finished sweep.
            boolean exited = p.waitFor(waitMs + rnd.nextInt(2500), TimeUnit.MILLISECONDS);
            if (!exited) {
                p.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
                p.waitFor();
                killed++;
                afterKill.check("seed " + seed + " after kill " + killed);
            } else {
                // The sweep ran to its end before this kill: it must equal the undisturbed one; then
                // start it over, so a fast machine still meets every kill part-way.
                assertEquals(0, p.exitValue(), Files.readString(tmp.resolve("child.log")));
                identical(want, out, files);
                deleteTree(out);
            }
        }
        Result r = cli(cmd);
        assertEquals(0, r.code(), r.err());
        identical(want, out, files);
    }
}
