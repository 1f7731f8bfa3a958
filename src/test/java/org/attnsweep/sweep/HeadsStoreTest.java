package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.sweep.SweepTest.args;
import static org.attnsweep.sweep.SweepTest.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.attnsweep.Cli.Result;
import org.attnsweep.Fixtures;
import org.attnsweep.model.Metric;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * heads.csv (docs/math.md §7): each head's values of the runs with H > 1 heads, through the store's
 * paths — written beside metrics.csv, absent without such runs, repaired and resumed after faults
 * and kill -9 to the undisturbed sweep's bytes (every row once), and carried by merge.
 */
class HeadsStoreTest {
    /** 8 runs: 2 N × H ∈ {1, 3} × 2 repeats, 3 curve rows each; each H = 3 run has 9 heads rows. */
    static final String[] GRID = {"--N", "2,4", "--mu", "6", "--heads", "1,3", "--repeats", "2", "--engine", "vector", "--threads", "1"};
    /** 40 runs of 300 steps, half with 2 heads: long enough to be killed part-way. */
    static final String[] LONG = {"--N", "2:20:2", "--mu", "8", "--heads", "1,2", "--repeats", "2", "--steps", "300", "--eval-every", "50",
            "--engine", "vector", "--threads", "1", "--memory-mb", "1"};
    static final List<String> STORE = List.of("summary.csv", "metrics.csv", "heads.csv");
    static final int KILLS = Integer.getInteger("attnsweep.kills", 5);
    /** The stored values round-trip exactly; the rest is float64 rounding of H terms (see EngineDifferentialTest.compareHeads). */
    static final double SUM_ATOL = 1e-12, SUM_RTOL = 1e-12;

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

    static void identical(Path want, Path dir) throws IOException {
        ResultDirs.identical(want, dir, STORE);
    }

    private static List<StoreCsv.Row> rows(Path file, StoreCsv.Kind kind) {
        List<StoreCsv.Row> rows = new ArrayList<>();
        StoreCsv.read(file, kind, rows::add, b -> {
            throw new AssertionError(b.describe());
        });
        return rows;
    }

    @Test
    void eachHeadOfRunsWithHeadsOnlyCombiningToTheRunsMetrics(@TempDir Path tmp) throws IOException {
        List<String> lines = Files.readAllLines(fresh.resolve("heads.csv"));
        assertEquals("run,step,head,attn_signal,attn_noise,v_signal_pos,v_signal_neg,v_noise,qk_ss,qk_sn,qk_ns,qk_nn", lines.get(0));
        Map<Integer, Integer> heads = new HashMap<>();
        for (StoreCsv.Row r : rows(fresh.resolve("summary.csv"), StoreCsv.Kind.SUMMARY)) heads.put(r.run(), r.integer("heads"));
        // (run, step) -> its heads rows, in file order
        Map<String, List<StoreCsv.Row>> byStep = new HashMap<>();
        for (StoreCsv.Row r : rows(fresh.resolve("heads.csv"), StoreCsv.Kind.HEADS)) {
            byStep.computeIfAbsent(r.run() + "@" + r.get("step"), k -> new ArrayList<>()).add(r);
        }
        int curveRows = 0;
        for (StoreCsv.Row c : rows(fresh.resolve("metrics.csv"), StoreCsv.Kind.METRICS)) {
            int H = heads.get(c.run());
            List<StoreCsv.Row> hs = byStep.remove(c.run() + "@" + c.get("step"));
            if (H == 1) {
                assertTrue(hs == null, "a one-head run has heads rows: run " + c.run());
                continue;
            }
            curveRows++;
            assertEquals(H, hs.size(), "heads rows of run " + c.run() + " step " + c.get("step"));
            for (int h = 0; h < H; h++) assertEquals(h, hs.get(h).integer("head"), "head order, run " + c.run());
            for (Metric m : Metric.PER_HEAD) {
                double sum = 0, abs = 0;
                for (StoreCsv.Row h : hs) {
                    double v = OutputDir.parseNum(h.get(m.column()));
                    sum += v;
                    abs += Math.abs(v);
                }
                boolean summed = m.column().startsWith("v_");
                String what = m.column() + " of run " + c.run() + " step " + c.get("step");
                Fixtures.assertClose(summed ? sum : sum / H, OutputDir.parseNum(c.get(m.column())),
                        SUM_ATOL + SUM_RTOL * abs / (summed ? 1 : H), 0, () -> what);
            }
        }
        assertTrue(byStep.isEmpty(), "heads rows without a curve row: " + byStep.keySet());
        assertEquals(4 * 3, curveRows, "4 runs of 3 heads, 3 recorded steps each");

        // Runs of one head only: no heads.csv, the store as before heads had their own values.
        Path one = tmp.resolve("one");
        Result r = cli(args("--N", "2,4", "--mu", "6", "--engine", "vector", "--threads", "1", "--out", one.toString()));
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(one.resolve("heads.csv")), "heads.csv without a run of H > 1");
        assertTrue(Files.exists(one.resolve("metrics.csv")));
    }

    @Test
    void headRowsCutGarbledOrOrphanedAreTrainedAgainToIdenticalFiles(@TempDir Path tmp) throws IOException {
        Path dir = copy(tmp.resolve("d"));
        List<String> sum = Files.readAllLines(dir.resolve("summary.csv"));
        int col = List.of(sum.get(0).split(",")).indexOf("heads");
        List<String> multi = sum.stream().skip(1).filter(l -> l.split(",")[col].equals("3")).map(l -> l.split(",")[0]).toList();
        String cut = multi.get(0), garbled = multi.get(1), orphan = multi.get(2);
        List<String> hl = Files.readAllLines(dir.resolve("heads.csv")), kept = new ArrayList<>();
        for (int i = 0; i < hl.size(); i++) {
            String l = hl.get(i);
            boolean lastOfCut = l.startsWith(cut + ",") && (i + 1 == hl.size() || !hl.get(i + 1).startsWith(cut + ","));
            if (!lastOfCut) kept.add(l);
            if (l.startsWith(garbled + ",") && !kept.contains("3,garbage")) kept.add("3,garbage");
        }
        Files.writeString(dir.resolve("heads.csv"), String.join("\n", kept) + "\n");
        // The orphan: a run whose summary and curve rows are gone (in flight when killed), its heads rows left.
        Files.writeString(dir.resolve("summary.csv"), String.join("\n", sum.stream().filter(l -> !l.startsWith(orphan + ",")).toList()) + "\n");
        List<String> ml = Files.readAllLines(dir.resolve("metrics.csv"));
        Files.writeString(dir.resolve("metrics.csv"), String.join("\n", ml.stream().filter(l -> !l.startsWith(orphan + ",")).toList()) + "\n");

        Result r = cli(concat(args(GRID), "--out", dir.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("2 stored run(s) have missing or damaged curve rows") && r.err().contains("heads.csv"), r.err());
        assertTrue(r.err().contains("heads.csv line") && r.err().contains("moved to heads.csv.rejected"), r.err());
        assertTrue(r.err().contains("resuming: 5 of 8"), r.err());
        identical(fresh, dir);
        // The garbage, then the rows the repair removed: the cut and garbled runs' (trained again) and the orphan's.
        List<String> rejected = Files.readAllLines(dir.resolve("heads.csv.rejected"));
        assertEquals("3,garbage", rejected.get(0));
        assertEquals(kept.stream().filter(l -> !l.equals("3,garbage")).filter(l -> l.startsWith(cut + ",") || l.startsWith(garbled + ",") || l.startsWith(orphan + ",")).toList(),
                rejected.subList(1, rejected.size()));

        // A store whose heads.csv is gone (or older than it): its runs of H > 1 are trained again.
        Path gone = copy(tmp.resolve("gone"));
        Files.delete(gone.resolve("heads.csv"));
        r = cli(concat(args(GRID), "--out", gone.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("4 stored run(s) have missing or damaged curve rows"), r.err());
        identical(fresh, gone);
    }

    @Test
    void killMinus9AtRandomMomentsResumesToEachRowOnce(@TempDir Path tmp) throws Exception {
        Path freshLong = ResultDirs.sweep(LONG, tmp.resolve("fresh-long")), out = tmp.resolve("killed");
        // Every complete line is one the undisturbed sweep wrote, each at most once in heads.csv.
        ResultDirs.killAtRandomMomentsThenResume(tmp, LONG, out, KILLS, 500, freshLong, STORE,
                ctx -> ResultDirs.onlyGoodLines(freshLong, out, STORE, Set.of("heads.csv"), ctx));
    }

    @Test
    void mergeCarriesHeadsAcrossShards(@TempDir Path tmp) throws IOException {
        List<String> shards = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path d = tmp.resolve("shard-" + i);
            Result r = cli(concat(args(GRID), "--out", d.toString(), "--shard", i + "/2"));
            assertEquals(0, r.code(), r.err());
            shards.add(d.toString());
        }
        Path out = tmp.resolve("merged");
        Result r = cli("merge", "--out", out.toString(), shards.get(0), shards.get(1));
        assertEquals(0, r.code(), r.err());
        identical(fresh, out);
        // Shards that disagree about a head's value: refused, naming both files.
        Path copy = ResultDirs.copyFiles(Path.of(shards.get(0)), tmp.resolve("shard-0-copy"));
        List<String> hl = new ArrayList<>(Files.readAllLines(copy.resolve("heads.csv")));
        String[] f = hl.get(1).split(",");
        f[f.length - 1] = "0.125";
        hl.set(1, String.join(",", f));
        Files.writeString(copy.resolve("heads.csv"), String.join("\n", hl) + "\n");
        r = cli("merge", "--out", tmp.resolve("m2").toString(), shards.get(0), copy.toString(), shards.get(1));
        StoreFaultTest.refusedInOneLine(r);
        assertTrue(r.err().contains("heads rows of run " + f[0] + " differ between shards"), r.err());

        // One head only: no heads.csv in the shards, none in their merge.
        List<String> ones = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Path d = tmp.resolve("one-" + i);
            assertEquals(0, cli(args("--N", "2,4", "--mu", "6", "--engine", "vector", "--threads", "1", "--out", d.toString(),
                    "--shard", i + "/2")).code());
            assertFalse(Files.exists(d.resolve("heads.csv")));
            ones.add(d.toString());
        }
        assertEquals(0, cli("merge", "--out", tmp.resolve("one-merged-clean").toString(), ones.get(0), ones.get(1)).code());
        assertFalse(Files.exists(tmp.resolve("one-merged-clean").resolve("heads.csv")));
    }
}
