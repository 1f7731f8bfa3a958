package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.sweep.SweepTest.args;
import static org.attnsweep.sweep.SweepTest.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of the result store, injected in the files and run through every command that reads
 * them (sweep's resume, aggregate, report, merge): bad lines, truncation and garbage at random
 * offsets of summary.csv, metrics.csv and config.json, symbolic links, merges of mismatched or
 * edited shards, resumes that would mix plans or precisions, diverged runs. Every case ends in a
 * clean refusal (one line, no stack trace, the store unchanged) or in results byte-identical to an
 * undisturbed sweep; each is counted in {@link Tally}. Kills, concurrent writers and a full disk,
 * which need child JVMs or a tmpfs, are in {@link StoreProcessFaultTest}.
 */
class StoreFaultTest {
    /** 8 runs (2 N x 2 mu x 2 repeats), 3 curve rows each. */
    static final String[] GRID = {"--N", "2,4", "--mu", "3,12", "--repeats", "2", "--engine", "vector", "--threads", "1"};
    static final List<String> STORE = List.of("summary.csv", "metrics.csv", "cells.csv");
    /** Random cases per (file, fault kind); -Dattnsweep.faultCases=N for more. */
    static final int CASES = Integer.getInteger("attnsweep.faultCases", 6);

    @TempDir
    static Path shared;
    static Path fresh;

    @BeforeAll
    static void undisturbed() {
        fresh = ResultDirs.sweep(GRID, shared.resolve("fresh"));
    }

    static Path copy(Path dir) throws IOException {
        return ResultDirs.copyFiles(fresh, dir);
    }

    static Result resume(Path dir) {
        return cli(concat(args(GRID), "--out", dir.toString()));
    }

    static void noStackTrace(Result r) {
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat ") || r.err().contains("failed:"), r.err());
    }

    /** A refusal: exit 1 or 2, one error line (warnings and the engine's log line aside), no stack trace. */
    static void refusedInOneLine(Result r) {
        noStackTrace(r);
        assertTrue(r.code() == 1 || r.code() == 2, "exit " + r.code() + ": " + r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("attnsweep:") && !l.contains("warning:")).count(), r.err());
    }

    static void identicalToFresh(Path dir) throws IOException {
        ResultDirs.identical(fresh, dir, STORE);
    }

    static Map<String, byte[]> snapshot(Path dir) throws IOException {
        Map<String, byte[]> m = new HashMap<>();
        for (String f : List.of("summary.csv", "metrics.csv", "config.json")) {
            if (Files.exists(dir.resolve(f))) m.put(f, Files.readAllBytes(dir.resolve(f)));
        }
        return m;
    }

    @Test
    void badLinesAreNamedMovedAsideAndNeverFatal(@TempDir Path tmp) throws IOException {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> sum = Files.readAllLines(fresh.resolve("summary.csv"));
        String row = sum.get(1);
        List<String> bad = List.of("", "5,garbage", "\"0,quoted", row.substring(0, row.lastIndexOf(',')),
                row.replaceFirst(",false,", ",maybe,"), row.replaceFirst("(,[0-9.e-]+)$", ",0.5.5"), "12345");
        int n = 0;
        for (String file : List.of("summary.csv", "metrics.csv")) {
            for (String line : bad) {
                Path dir = copy(tmp.resolve("c" + n++));
                List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve(file)));
                int at = 1 + rnd.nextInt(lines.size());
                lines.add(at, line);
                Files.writeString(dir.resolve(file), String.join("\n", lines) + "\n");
                String where = file + " line " + (at + 1);
                String ctx = "seed " + seed + ": '" + line + "' at " + where;

                // The readers skip it, name it, and work from the rest.
                Result agg = cli("aggregate", dir.toString());
                noStackTrace(agg);
                assertEquals(0, agg.code(), ctx + agg.err());
                if (file.equals("summary.csv")) {
                    assertTrue(agg.err().contains(where), ctx + agg.err());
                    assertEquals(Files.readString(fresh.resolve("cells.csv")), Files.readString(dir.resolve("cells.csv")), ctx);
                }
                if (n <= 2 || n == bad.size() + 1) {
                    Result rep = cli("report", dir.toString());
                    noStackTrace(rep);
                    assertEquals(0, rep.code(), ctx + rep.err());
                }
                // The writer moves it aside and keeps every finished run.
                Result r = resume(dir);
                noStackTrace(r);
                assertEquals(0, r.code(), ctx + r.err());
                assertTrue(r.err().contains(where) && r.err().contains("moved to " + file + ".rejected"), ctx + r.err());
                // A non-blank bad line may be the tail of the line before it, cut by the same fault:
                // that line's run is trained again.
                boolean neighbour = !line.isEmpty() && at > 1;
                assertTrue(r.err().contains("resuming: " + (neighbour ? 7 : 8) + " of 8 runs already done"), ctx + r.err());
                // The bad line first, then (for a neighbour trained again) the rows the repair removed.
                assertTrue(Files.readAllLines(dir.resolve(file + ".rejected")).contains(line), ctx);
                identicalToFresh(dir);
                Tally.survived("bad lines in summary.csv / metrics.csv");
            }
        }
    }

    @Test
    void nanAndInfinitiesAsWrittenStayReadable(@TempDir Path tmp) throws IOException {
        Path dir = copy(tmp.resolve("d"));
        List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("summary.csv")));
        String[] f = lines.get(1).split(",");
        f[f.length - 1] = "NaN";
        f[f.length - 2] = "Inf";
        f[f.length - 3] = "-Inf";
        lines.set(1, String.join(",", f));
        Files.writeString(dir.resolve("summary.csv"), String.join("\n", lines) + "\n");
        Result r = resume(dir);
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("warning"), r.err());
        assertTrue(r.err().contains("resuming: 8 of 8"), r.err());
        assertEquals(lines, Files.readAllLines(dir.resolve("summary.csv")));
        // A config column as summary.csv writes an overflowed SNR ("Inf", in stores written before
        // such runs were refused) reads back in aggregation too: it stopped on Double.parseDouble.
        int snr = StoreCsv.Kind.SUMMARY.col("snr");
        f = lines.get(1).split(",");
        f[snr] = "Inf";
        lines.set(1, String.join(",", f));
        Files.writeString(dir.resolve("summary.csv"), String.join("\n", lines) + "\n");
        Result agg = cli("aggregate", dir.toString());
        assertEquals(0, agg.code(), agg.err());
        noStackTrace(agg);

        // A run stored with a NaN test loss beside diverged=false (float32 overflow, before the
        // trainer flagged it): counted as diverged in its cell, so the cell's mean is its other
        // run's, not NaN. The report draws it as such (no stack trace, exit 0).
        Path old = copy(tmp.resolve("old"));
        lines = new ArrayList<>(Files.readAllLines(old.resolve("summary.csv")));
        int testLoss = StoreCsv.Kind.SUMMARY.col("test_loss"), diverged = StoreCsv.Kind.SUMMARY.col("diverged");
        f = lines.get(1).split(",");
        f[testLoss] = "NaN";
        lines.set(1, String.join(",", f));
        Files.writeString(old.resolve("summary.csv"), String.join("\n", lines) + "\n");
        assertEquals("false", f[diverged]);
        agg = cli("aggregate", old.toString());
        assertEquals(0, agg.code(), agg.err());
        List<String> cells = Files.readAllLines(old.resolve("cells.csv"));
        List<String> cols = List.of(cells.get(0).split(","));
        long nan = cells.stream().skip(1).filter(l -> l.split(",")[cols.indexOf("test_loss_mean")].equals("NaN")).count();
        long flagged = cells.stream().skip(1).filter(l -> l.split(",")[cols.indexOf("n_diverged")].equals("1")).count();
        assertEquals(0, nan, "no cell mean is NaN: " + cells);
        assertEquals(1, flagged, "the run is counted as diverged: " + cells);
        Result rep = cli("report", old.toString());
        assertEquals(0, rep.code(), rep.err());
        noStackTrace(rep);
    }

    /** Truncation, inserted and overwritten garbage at random offsets of every store file. */
    @Test
    void randomFaultsAtRandomOffsetsOfEveryStoreFile(@TempDir Path tmp) throws IOException {
        long seed = Long.getLong("attnsweep.seed", System.nanoTime());
        SplittableRandom rnd = new SplittableRandom(seed);
        // No digits, '.', '-' or 'e': garbage never makes a number that still parses.
        byte[] alphabet = "#x\",\n\u0001 ;Z".getBytes(StandardCharsets.ISO_8859_1);
        int n = 0;
        for (String file : List.of("summary.csv", "metrics.csv", "config.json")) {
            for (String kind : List.of("truncate", "insert", "overwrite")) {
                for (int k = 0; k < CASES; k++) {
                    Path dir = copy(tmp.resolve("r" + n++));
                    byte[] b = Files.readAllBytes(dir.resolve(file));
                    int at = rnd.nextInt(b.length);
                    byte[] junk = new byte[1 + rnd.nextInt(6)];
                    for (int i = 0; i < junk.length; i++) junk[i] = rnd.nextInt(8) == 0 ? (byte) 0xff : alphabet[rnd.nextInt(alphabet.length)];
                    byte[] out = switch (kind) {
                        case "truncate" -> java.util.Arrays.copyOf(b, at);
                        case "insert" -> join(java.util.Arrays.copyOf(b, at), junk, java.util.Arrays.copyOfRange(b, at, b.length));
                        default -> {
                            byte[] o = b.clone();
                            for (int i = 0; i < junk.length && at + i < o.length; i++) o[at + i] = junk[i];
                            yield o;
                        }
                    };
                    Files.write(dir.resolve(file), out);
                    String ctx = "seed " + seed + ": " + kind + " " + file + " at byte " + at + " of " + b.length;
                    Map<String, byte[]> before = snapshot(dir);

                    noStackTrace(cli("aggregate", dir.toString()));
                    if (n % 6 == 1) noStackTrace(cli("report", dir.toString())); // every 6th case: report draws every figure, slowly
                    Result r = resume(dir);
                    if (r.code() == 0) {
                        noStackTrace(r);
                        identicalToFresh(dir);
                        Result m = cli("merge", "--out", dir.resolveSibling(dir.getFileName() + "-merged").toString(), dir.toString());
                        assertEquals(0, m.code(), ctx + m.err());
                        assertEquals(Files.readString(fresh.resolve("summary.csv")),
                                Files.readString(dir.resolveSibling(dir.getFileName() + "-merged").resolve("summary.csv")), ctx);
                        Tally.survived("truncation and garbage at random offsets");
                    } else {
                        refusedInOneLine(r);
                        Map<String, byte[]> after = snapshot(dir);
                        for (String f : before.keySet()) assertArrayEquals(before.get(f), after.get(f), ctx + ": a refusal changed " + f);
                        Result m = cli("merge", "--out", dir.resolveSibling(dir.getFileName() + "-merged").toString(), dir.toString());
                        noStackTrace(m);
                        Tally.refused("truncation and garbage at random offsets");
                    }
                }
            }
        }
    }

    static byte[] join(byte[]... parts) {
        int len = 0;
        for (byte[] p : parts) len += p.length;
        byte[] out = new byte[len];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Test
    void curvesCutShortAreTrainedAgainAndSaidInOneLine(@TempDir Path tmp) throws IOException {
        Path dir = copy(tmp.resolve("d"));
        List<String> curves = Files.readAllLines(dir.resolve("metrics.csv"));
        // Drop the last curve row of run 3 and every row of run 5.
        List<String> kept = new ArrayList<>();
        for (int i = 0; i < curves.size(); i++) {
            String l = curves.get(i);
            boolean lastOf3 = l.startsWith("3,") && (i + 1 == curves.size() || !curves.get(i + 1).startsWith("3,"));
            if (!lastOf3 && !l.startsWith("5,")) kept.add(l);
        }
        Files.writeString(dir.resolve("metrics.csv"), String.join("\n", kept) + "\n");
        Result r = resume(dir);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("2 stored run(s) have missing or damaged curve rows") && r.err().contains("(run 3, 5)"), r.err());
        assertTrue(r.err().contains("resuming: 6 of 8"), r.err());
        identicalToFresh(dir);
        Tally.survived("curve rows cut short");
    }

    @Test
    void rowsARepairRemovesAreKeptInTheRejectedFiles(@TempDir Path tmp) throws IOException {
        // Garbage appended to metrics.csv: the curve row before it may be cut, so the last run is
        // trained again. Its rows were deleted; they must be kept aside like the garbage itself.
        Path dir = copy(tmp.resolve("d"));
        List<String> sum = Files.readAllLines(dir.resolve("summary.csv")), cur = Files.readAllLines(dir.resolve("metrics.csv"));
        String last = cur.get(cur.size() - 1).split(",")[0];
        List<String> lastCurves = cur.stream().filter(l -> l.startsWith(last + ",")).toList();
        String lastSummary = sum.stream().filter(l -> l.startsWith(last + ",")).findFirst().orElseThrow();
        Files.writeString(dir.resolve("metrics.csv"), "garbage\n", java.nio.file.StandardOpenOption.APPEND);
        Result r = resume(dir);
        assertEquals(0, r.code(), r.err());
        noStackTrace(r);
        assertTrue(r.err().contains("(run " + last + "): they will be trained again; their rows moved to the .rejected files"), r.err());
        assertTrue(r.err().contains("resuming: 7 of 8"), r.err());
        assertEquals(lastSummary + "\n", Files.readString(dir.resolve("summary.csv.rejected")));
        List<String> want = new ArrayList<>(List.of("garbage"));
        want.addAll(lastCurves);
        assertEquals(want, Files.readAllLines(dir.resolve("metrics.csv.rejected")));
        identicalToFresh(dir);
        Tally.survived("bad lines in summary.csv / metrics.csv");

        // Curve rows of a run with no summary row (what a kill between the two appends leaves):
        // moved aside with a warning, the run trained again.
        Path orphan = copy(tmp.resolve("orphan"));
        Files.writeString(orphan.resolve("summary.csv"), String.join("\n", sum.stream().filter(l -> !l.startsWith("2,")).toList()) + "\n");
        r = resume(orphan);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("warning: 3 curve row(s) of runs with no summary row"), r.err());
        assertEquals(cur.stream().filter(l -> l.startsWith("2,")).toList(), Files.readAllLines(orphan.resolve("metrics.csv.rejected")));
        identicalToFresh(orphan);
        Tally.survived("bad lines in summary.csv / metrics.csv");
    }

    @Test
    void aStoreWrittenTwiceOverIsCleanedToOneCopy(@TempDir Path tmp) throws IOException {
        // What two unlocked writers of one sweep left (the 256 rows for 160 runs): every
        // summary row twice, every curve row twice. The second copies go aside; the doubled curves
        // make every run short, so each is trained again, once.
        Path dir = copy(tmp.resolve("d"));
        for (String f : List.of("summary.csv", "metrics.csv")) {
            List<String> lines = Files.readAllLines(dir.resolve(f));
            List<String> twice = new ArrayList<>(lines);
            twice.addAll(lines.subList(1, lines.size()));
            Files.writeString(dir.resolve(f), String.join("\n", twice) + "\n");
        }
        Result r = resume(dir);
        assertEquals(0, r.code(), r.err());
        noStackTrace(r);
        assertTrue(r.err().contains("a second row of run key"), r.err());
        identicalToFresh(dir);
        Tally.survived("a store written twice over");
        // A directory where summary.csv should be: refused, not removed.
        Path odd = copy(tmp.resolve("odd"));
        Files.delete(odd.resolve("summary.csv"));
        Files.createDirectory(odd.resolve("summary.csv"));
        r = resume(odd);
        refusedInOneLine(r);
        assertTrue(Files.isDirectory(odd.resolve("summary.csv")));
        Tally.refused("a store written twice over");
    }

    @Test
    void mergeRefusesWhatItCannotJoinCleanly(@TempDir Path tmp) throws IOException {
        List<String> shards = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path d = tmp.resolve("shard-" + i);
            assertEquals(0, cli(concat(args(GRID), "--out", d.toString(), "--shard", i + "/2")).code());
            shards.add(d.toString());
        }
        Path out = tmp.resolve("merged");

        // A shard missing: exit 1, nothing written; --allow-partial merges what is there.
        Result r = cli("merge", "--out", out.toString(), shards.get(0));
        refusedInOneLine(r);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("4 of 8 runs are missing") && r.err().contains("--allow-partial"), r.err());
        assertFalse(Files.exists(out), "a refused merge leaves no --out behind");
        Tally.refused("merge");
        r = cli("merge", "--allow-partial", "--out", out.toString(), shards.get(0));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("merged 4 of 8 runs") && r.err().contains("4 runs are missing"), r.out() + r.err());
        Tally.survived("merge");
        // The same plan's earlier merge may be merged over; the result is the unsharded run's.
        r = cli("merge", "--out", out.toString(), shards.get(0), shards.get(1));
        assertEquals(0, r.code(), r.err());
        identicalToFresh(out);
        Tally.survived("merge");
        // That merge's output given as a shard: refused, and left as it was (read as a shard, its
        // rows were all moved aside as runs of no plan and its curve rows dropped).
        Map<String, byte[]> merged = snapshot(out);
        r = cli("merge", "--out", tmp.resolve("m0").toString(), out.toString(), shards.get(0));
        refusedInOneLine(r);
        assertTrue(r.err().contains("SHARD_DIR " + out + " is a merge's output (its config.json lists no runs)"), r.err());
        assertFalse(Files.exists(tmp.resolve("m0")));
        Map<String, byte[]> mergedAfter = snapshot(out);
        for (String f : merged.keySet()) assertArrayEquals(merged.get(f), mergedAfter.get(f), f);
        identicalToFresh(out);
        Tally.refused("merge");
        // A shard given twice (another spelling of the same path): refused by name, no --out.
        r = cli("merge", "--out", tmp.resolve("m1").toString(), shards.get(0), shards.get(0) + "/.", shards.get(1));
        refusedInOneLine(r);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("SHARD_DIR " + shards.get(0) + "/. is given twice (also as " + shards.get(0) + ")"), r.err());
        assertFalse(Files.exists(tmp.resolve("m1")));
        Tally.refused("merge");

        // An --out holding another sweep's results is refused and left alone.
        Path other = tmp.resolve("other");
        assertEquals(0, cli(concat(args("--N", "6", "--engine", "vector"), "--out", other.toString())).code());
        Map<String, byte[]> theirs = snapshot(other);
        r = cli("merge", "--out", other.toString(), shards.get(0), shards.get(1));
        refusedInOneLine(r);
        assertTrue(r.err().contains("holds results of another sweep"), r.err());
        Map<String, byte[]> after = snapshot(other);
        for (String f : theirs.keySet()) assertArrayEquals(theirs.get(f), after.get(f), f);
        Tally.refused("merge");
        // Other things in --out (SLURM keeps the shards and their logs there) stay, and do not stop it.
        Path layout = Files.createDirectories(tmp.resolve("layout").resolve("logs"));
        Files.writeString(layout.resolveSibling(".slurm-shards"), "2\n");
        r = cli("merge", "--out", layout.getParent().toString(), shards.get(0), shards.get(1));
        assertEquals(0, r.code(), r.err());
        identicalToFresh(layout.getParent());
        Tally.survived("merge");
        r = cli("merge", "--out", fresh.resolveSibling("unrelated-" + tmp.getFileName()).toString(), shards.get(0), shards.get(1));
        assertEquals(0, r.code(), r.err()); // a new directory is fine

        // Two copies of one shard that disagree about a metric: refused, naming both lines.
        Path copy = ResultDirs.copyFiles(Path.of(shards.get(0)), tmp.resolve("shard-0-copy"));
        List<String> lines = new ArrayList<>(Files.readAllLines(copy.resolve("summary.csv")));
        String[] f = lines.get(2).split(",");
        f[f.length - 1] = "0.123";
        lines.set(2, String.join(",", f));
        Files.writeString(copy.resolve("summary.csv"), String.join("\n", lines) + "\n");
        r = cli("merge", "--out", tmp.resolve("m2").toString(), shards.get(0), copy.toString(), shards.get(1));
        refusedInOneLine(r);
        assertTrue(r.err().contains("differs between shards") && r.err().contains("summary.csv line 3"), r.err());
        Tally.refused("merge");

        // A row whose config is not its key's: moved aside by name, then the run is missing.
        Path edited = ResultDirs.copyFiles(Path.of(shards.get(1)), tmp.resolve("shard-1-edited"));
        lines = new ArrayList<>(Files.readAllLines(edited.resolve("summary.csv")));
        int nCol = StoreCsv.Kind.SUMMARY.col("N");
        f = lines.get(1).split(",");
        f[nCol] = f[nCol].equals("2") ? "4" : "2";
        lines.set(1, String.join(",", f));
        Files.writeString(edited.resolve("summary.csv"), String.join("\n", lines) + "\n");
        r = cli("merge", "--out", tmp.resolve("m3").toString(), shards.get(0), edited.toString());
        assertEquals(1, r.code(), r.err());
        noStackTrace(r);
        assertTrue(r.err().contains("summary.csv line 2: N " + f[nCol] + " is not the value its key"), r.err());
        Tally.refused("merge");

        // A config.json whose configs were edited does not hash to its keys.
        Path cfgEdited = ResultDirs.copyFiles(Path.of(shards.get(1)), tmp.resolve("shard-1-cfg"));
        String json = Files.readString(cfgEdited.resolve("config.json"));
        Files.writeString(cfgEdited.resolve("config.json"), json.replaceFirst("\"lr\" : ([0-9.]+)", "\"lr\" : 7.5"));
        r = cli("merge", "--out", tmp.resolve("m4").toString(), shards.get(0), cfgEdited.toString());
        refusedInOneLine(r);
        assertTrue(r.err().contains("but its config hashes to"), r.err());
        Tally.refused("merge");

        // --out one of the shards.
        r = cli("merge", "--out", shards.get(0), shards.get(0), shards.get(1));
        refusedInOneLine(r);
        Tally.refused("merge");
    }

    @Test
    void symbolicLinksAreNeverWrittenThrough(@TempDir Path tmp) throws IOException {
        Path victim = tmp.resolve("victim.txt");
        Files.writeString(victim, "precious\n");
        // A link in place of a result file or of config.json: the writer refuses it, config.json is
        // not followed; in place of a file written whole (cells.csv): replaced, not followed; in
        // place of the lock file: refused.
        for (String file : List.of("summary.csv", "config.json", "cells.csv", DirLock.NAME)) {
            Path dir = copy(tmp.resolve("with-link-" + file));
            Files.delete(dir.resolve(file));
            Files.createSymbolicLink(dir.resolve(file), victim);
            Result r = resume(dir);
            assertEquals("precious\n", Files.readString(victim), file);
            if (file.equals("cells.csv")) {
                assertEquals(0, r.code(), r.err());
                assertFalse(Files.isSymbolicLink(dir.resolve(file)));
                identicalToFresh(dir);
                Tally.survived("symbolic links");
            } else {
                refusedInOneLine(r);
                if (!file.equals(DirLock.NAME)) assertTrue(r.err().contains("is a symbolic link"), r.err());
                Tally.refused("symbolic links");
            }
        }
    }

    @Test
    void resumesThatWouldMixResultsAreRefused(@TempDir Path tmp) throws IOException {
        // Another precision.
        Path dir = copy(tmp.resolve("p"));
        Map<String, byte[]> before = snapshot(dir);
        Result r = cli(concat(args(GRID), "--out", dir.toString(), "--precision", "float64"));
        refusedInOneLine(r);
        assertTrue(r.err().contains("holds results of engine=vector precision=float32, this run would add engine=vector precision=float64"), r.err());
        assertArrayEquals(before.get("summary.csv"), Files.readAllBytes(dir.resolve("summary.csv")));
        Tally.refused("resume into other results");
        // config.json gone.
        Path gone = copy(tmp.resolve("g"));
        Files.delete(gone.resolve("config.json"));
        r = resume(gone);
        refusedInOneLine(r);
        assertTrue(r.err().contains("holds results but no config.json"), r.err());
        Tally.refused("resume into other results");
        // Another plan.
        r = cli(concat(args("--N", "2,6", "--engine", "vector"), "--out", copy(tmp.resolve("o")).toString()));
        refusedInOneLine(r);
        Tally.refused("resume into other results");
    }

    @Test
    void filesFollowTheUmask(@TempDir Path tmp) throws IOException {
        // The umask of this JVM (022 or 002 in practice) leaves group read; 0600 would not.
        Path probe = Files.createFile(tmp.resolve("probe"));
        boolean groupRead = Files.getPosixFilePermissions(probe).contains(PosixFilePermission.GROUP_READ);
        for (String f : List.of("summary.csv", "metrics.csv", "config.json", "cells.csv", DirLock.NAME)) {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(fresh.resolve(f));
            assertEquals(groupRead, p.contains(PosixFilePermission.GROUP_READ), f + " " + p);
        }
    }

    @Test
    void divergedRunsHaveNaNErrorsAndAreCountedApart(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("div");
        // lr 1e30 overflows at the first step; lr 0.05 does not.
        Result r = cli(concat(args("--N", "4", "--lr", "0.05,1e30", "--repeats", "2", "--engine", "vector"), "--out", dir.toString()));
        assertEquals(0, r.code(), r.err());
        List<String> cols = StoreCsv.Kind.SUMMARY.columns();
        int div = cols.indexOf("diverged");
        int lr = cols.indexOf("lr");
        for (String line : Files.readAllLines(dir.resolve("summary.csv")).subList(1, 5)) {
            String[] f = line.split(",");
            boolean diverged = Boolean.parseBoolean(f[div]);
            assertEquals(!f[lr].equals("0.05"), diverged, line);
            for (String m : List.of("train_error", "test_error", "test_error_clean")) {
                String v = f[cols.indexOf(m)];
                assertEquals(diverged, v.equals("NaN"), m + " of " + line);
            }
        }
        List<String> cells = Files.readAllLines(dir.resolve("cells.csv"));
        List<String> head = List.of(cells.get(0).split(","));
        for (String line : cells.subList(1, cells.size())) {
            String[] f = line.split(",");
            boolean big = !f[head.indexOf("lr")].equals("0.05");
            assertEquals(big ? "2" : "0", f[head.indexOf("n_diverged")], line);
            assertEquals(big, f[head.indexOf("test_error_mean")].equals("NaN"), line);
        }
        Result agg = cli("aggregate", dir.toString());
        assertEquals(0, agg.code(), agg.err());
    }
}
