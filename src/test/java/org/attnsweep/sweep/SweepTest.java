package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.attnsweep.Cli.Result;
import org.attnsweep.cli.Main;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plan expansion, batching, resume after kill -9, shard + merge, the boundary fit and bad specs. */
class SweepTest {

    static final String[] SMALL = {"--d", "24", "--mk", "8", "--mv", "8", "--test-n", "6", "--steps", "40", "--eval-every", "20"};

    static String[] args(String... more) {
        List<String> a = new ArrayList<>(List.of("sweep"));
        a.addAll(List.of(SMALL));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void gridExpandsInOrderWithRepeatsInnermost() {
        RunSpec base = new RunSpec();
        base.repeats = 2;
        Plan plan = Plan.of(List.of(new Grid(base, Map.of("N", Grid.values("N", "2:6:2")))));
        assertEquals(6, plan.size());
        int[] n = plan.runs().stream().mapToInt(r -> r.config().N()).toArray();
        assertArrayEquals(new int[] {2, 2, 4, 4, 6, 6}, n);
        assertEquals(1, plan.runs().get(1).config().repeat());
        assertEquals(List.of("0", "0.1", "0.2", "0.3"), Grid.values("p", "0:0.3:0.1"));
        assertEquals(List.of("4", "0.2*14"), Grid.values("sigma", "4|0.2*14"));
        // Shards partition the plan.
        List<PlannedRun> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) all.addAll(plan.shard(i, 4));
        assertEquals(plan.size(), all.size());
        assertEquals(plan.size(), new HashSet<>(all).size());
    }

    @Test
    void presetsExpandToTheSpecGrids() {
        assertEquals(10 * 100 * 10, Plan.of(SweepPresets.grids("jiang-heatmap", new RunSpec())).size());
        assertEquals(10 * 100 * 4 * 20, Plan.of(SweepPresets.grids("zhang-phase", new RunSpec())).size());
        for (String name : SweepPresets.names()) assertTrue(Plan.of(SweepPresets.grids(name, new RunSpec())).size() > 0, name);
    }

    @Test
    void batchesRespectShapeAndMemory() {
        RunSpec base = new RunSpec();
        base.d = 16; base.mk = 4; base.mv = 4;
        Plan plan = Plan.of(List.of(new Grid(base, Map.of("M", List.of("2", "3"), "N", Grid.values("N", "1:20")))));
        long budget = 5 * Plan.runBytes(plan.runs().get(plan.size() - 1).config(), Formulation.SPAN);
        List<List<PlannedRun>> batches = Sweeper.batches(plan.runs(), budget, Formulation.SPAN, c -> 64);
        int total = 0;
        for (List<PlannedRun> b : batches) {
            long bytes = b.stream().mapToLong(r -> Plan.runBytes(r.config(), Formulation.SPAN)).sum();
            assertTrue(bytes <= budget, "batch of " + b.size() + " runs needs " + bytes + " > " + budget);
            assertEquals(1, b.stream().map(r -> r.config().M()).distinct().count(), "one shape per batch");
            total += b.size();
        }
        assertEquals(plan.size(), total);
        assertTrue(batches.size() > 2, "the budget splits the two shape groups: " + batches.size());
    }

    /**
     * A span run on generated, unshifted synthetic data reads none of its own tokens (its family's
     * unit set-up projects the family's once; DataFactoryTest checks they stay unbuilt): a batch
     * holds its runs' state and each family's tokens once. 10 runs of 2 families (repeats) fit a
     * budget of exactly 10 runs' state and 2 families' tokens in one batch; counting each run's
     * tokens (the old count, and the right one for data from files, a shifted test set or weights
     * that are read) does not. One run alone is still refused below its tokens and state together.
     */
    @Test
    void spanRunsOfAFamilyHoldTheirTokensOncePerFamily() {
        RunSpec s = new RunSpec();
        s.d = 64; s.M = 4; s.mk = 8; s.mv = 8; s.N = 20; s.testN = 50; s.repeats = 2; s.sigma = new double[] {1, 1, 1};
        Plan plan = Plan.of(List.of(new Grid(s, Map.of("mu", Grid.values("mu", "1:5")))));
        assertEquals(10, plan.size());
        RunConfig c = plan.runs().get(0).config();
        Plan.Footprint run = Plan.Footprint.of(c, Formulation.SPAN), own = Plan.Footprint.of(c, Formulation.SPAN, false, false);
        assertTrue(run.familyBytes() > 0, "a family's span run: its tokens are the family's");
        assertEquals(own.bytes(), run.bytes() + (long) run.familyBytes(), "the tokens moved to the family, none dropped");
        assertEquals(0, own.familyBytes());
        assertEquals(0, Plan.Footprint.of(c, Formulation.DIRECT).familyBytes(), "the direct form reads its tokens");
        long budget = 10 * run.bytes() + 2 * (long) Math.ceil(run.familyBytes());
        org.attnsweep.engine.Engine span = new org.attnsweep.engine.vector.VectorEngine(
                org.attnsweep.model.Precision.FLOAT32, Formulation.SPAN, 1, null);
        assertEquals(1, Sweeper.batches(plan.runs(), span, budget, Sweeper.Inputs.GENERATED).size(), "generated data");
        assertEquals(2, Sweeper.batches(plan.runs(), span, budget - 1, Sweeper.Inputs.GENERATED).size(), "a byte under");
        // --dry-run's memory line counts a batch as it was sized: each run's own bytes, each family's tokens once.
        assertEquals(budget, Sweeper.batchBytes(plan.runs(), Formulation.SPAN, Sweeper.Inputs.GENERATED), 2, "the batch's bytes");
        assertEquals(10 * own.bytes(), Sweeper.batchBytes(plan.runs(), Formulation.SPAN, new Sweeper.Inputs(
                org.attnsweep.data.DataFactory::generate, "files", false)), 10, "read from files, each run holds its own");
        Sweeper.Inputs files = new Sweeper.Inputs(org.attnsweep.data.DataFactory::generate, "files", false);
        assertTrue(Sweeper.batches(plan.runs(), span, budget, files).size() > 1, "each run's own tokens, read from files");
        assertTrue(Sweeper.batches(plan.runs(), span, budget, Sweeper.Inputs.GENERATED, true).size() > 1,
                "kept weights build each run's training tokens");
        RunSpec shifted = s.copy();
        shifted.testSigmaScale = 1.5;
        Plan moved = Plan.of(List.of(new Grid(shifted, Map.of("mu", Grid.values("mu", "1:5")))));
        assertTrue(Sweeper.batches(moved.runs(), span, budget, Sweeper.Inputs.GENERATED).size() > 1, "a shifted test set");
        // One run alone: its family holds its tokens beside its state, so the refusal counts both.
        RunSpec one = s.copy();
        one.repeats = 1;
        Grid g = new Grid(one, Map.of());
        Plan.of(List.of(g), new Plan.Limits(10, own.bytes(), "test", Formulation.SPAN));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Plan.of(List.of(g), new Plan.Limits(10, own.bytes() - 1, "test", Formulation.SPAN)));
        assertTrue(e.getMessage().contains("in the span form"), e.getMessage());
    }

    /**
     * Batches are sized in the form the runs train in: at N = 1000, M = 16, d = 49, m = 64 (P =
     * 15,002) the span form's P² Gram makes a run about 0.9 GiB, so half the test heap (-Xmx6g)
     * takes 3 of them a batch; auto trains them in the direct form, a few tens of MiB each, so all 16
     * are one batch, as the vector engine's cap allows.
     */
    @Test
    void batchesAreSizedInTheFormTheRunsTrainIn() {
        RunSpec s = new RunSpec();
        s.N = 1000; s.M = 16; s.d = 49; s.mk = 64; s.mv = 64; s.repeats = 16;
        s.sigma = new double[s.M - 1];
        java.util.Arrays.fill(s.sigma, 1.0);
        Plan plan = Plan.of(List.of(new Grid(s, Map.of())));
        long budget = Plan.Limits.defaults().memoryBytes();
        org.attnsweep.engine.Engine vector = new org.attnsweep.engine.vector.VectorEngine(
                org.attnsweep.model.Precision.FLOAT32, Formulation.AUTO, 1, null);
        RunConfig c = plan.runs().get(0).config();
        Plan.Footprint direct = Plan.Footprint.of(c, Formulation.AUTO);
        assertEquals(Formulation.DIRECT, direct.form(), "auto's form at P = " + c.tokenCount());
        assertTrue(direct.bytes() < 64L << 20, "direct form: " + direct.bytes() + " bytes");
        assertTrue(Plan.runBytes(c, Formulation.SPAN) > 800L << 20, "span form: " + Plan.runBytes(c, Formulation.SPAN) + " bytes");
        List<List<PlannedRun>> auto = Sweeper.batches(plan.runs(), budget, vector.formulation(), vector::maxBatch);
        assertEquals(1, auto.size(), "16 runs in the direct form under " + (budget >> 20) + " MiB");
        assertEquals(16, auto.get(0).size());
        List<List<PlannedRun>> span = Sweeper.batches(plan.runs(), budget, Formulation.SPAN, vector::maxBatch);
        assertEquals((16 + (int) (budget / Plan.runBytes(c, Formulation.SPAN)) - 1) / (int) (budget / Plan.runBytes(c, Formulation.SPAN)),
                span.size(), "span batches under " + (budget >> 20) + " MiB");
        assertTrue(span.size() > 1, "the span form does not fit 16 runs in " + (budget >> 20) + " MiB");
    }

    @Test
    void shardsMergedEqualTheUnshardedRun(@TempDir Path tmp) throws IOException {
        String[] grid = {"--N", "2:6:2", "--mu", "3,12", "--p", "0,0.2", "--repeats", "2", "--engine", "vector"};
        Result whole = cli(concat(args(grid), "--out", tmp.resolve("whole").toString()));
        assertEquals(0, whole.code(), whole.err());
        List<String> shardDirs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path d = tmp.resolve("shard-" + i);
            shardDirs.add(d.toString());
            Result r = cli(concat(args(grid), "--out", d.toString(), "--shard", i + "/3"));
            assertEquals(0, r.code(), r.err());
        }
        List<String> m = new ArrayList<>(List.of("merge", "--out", tmp.resolve("merged").toString()));
        m.addAll(shardDirs);
        Result merged = cli(m.toArray(String[]::new));
        assertEquals(0, merged.code(), merged.err());
        assertTrue(merged.out().contains("merged 24 of 24 runs from 3 shards"), merged.out());
        for (String f : List.of("summary.csv", "metrics.csv", "cells.csv", "boundary.csv", "correlation.csv")) {
            assertEquals(Files.readString(tmp.resolve("whole").resolve(f)), Files.readString(tmp.resolve("merged").resolve(f)), f);
        }
    }

    @Test
    void drawingTheNextBatchAheadChangesNothing(@TempDir Path tmp) throws IOException {
        // The path a GPU engine takes (next batch's data drawn while this one trains), run with the
        // vector engine under a wrapper that says it trains off the host; small batches so there are many.
        RunSpec base = new RunSpec();
        base.d = 24; base.mk = 8; base.mv = 8; base.testN = 6; base.steps = 30; base.evalEvery = 10; base.repeats = 2;
        Plan plan = Plan.of(List.of(new Grid(base, Map.of("N", Grid.values("N", "2:12:2"), "p", List.of("0", "0.2")))));
        org.attnsweep.engine.Engine vector = new org.attnsweep.engine.vector.VectorEngine(org.attnsweep.model.Precision.FLOAT32, 2);
        org.attnsweep.engine.Engine offHost = new org.attnsweep.engine.Engine() {
            public String name() { return "vector-ahead"; }
            public String describe() { return vector.describe(); }
            public org.attnsweep.model.Precision precision() { return vector.precision(); }
            public org.attnsweep.engine.EngineBatch open(List<org.attnsweep.data.RunData> runs) { return vector.open(runs); }
            public int maxBatch(org.attnsweep.model.RunConfig shape) { return 3; }
            public boolean trainsOffHost() { return true; }
        };
        java.io.PrintStream quiet = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        try (OutputDir a = OutputDir.open(tmp.resolve("a"), "test"); OutputDir b = OutputDir.open(tmp.resolve("b"), "test")) {
            Sweeper.execute(plan, new int[] {0, 1}, vector, a, Map.of(), 1L << 30, quiet, Sweeper.Inputs.GENERATED, null);
            Sweeper.execute(plan, new int[] {0, 1}, offHost, b, Map.of(), 1L << 30, quiet, Sweeper.Inputs.GENERATED, null);
        }
        assertEquals(Files.readString(tmp.resolve("a/summary.csv")), Files.readString(tmp.resolve("b/summary.csv")));
        assertEquals(Files.readString(tmp.resolve("a/metrics.csv")), Files.readString(tmp.resolve("b/metrics.csv")));
        assertEquals(1 + plan.size(), Files.readAllLines(tmp.resolve("b/summary.csv")).size());
        // config.json lists each run's fields in one order, whatever the JVM (Map.of's order is drawn per JVM).
        for (com.fasterxml.jackson.databind.JsonNode run : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(tmp.resolve("a/config.json").toFile()).get("runs")) {
            List<String> fields = new ArrayList<>();
            run.fieldNames().forEachRemaining(fields::add);
            assertEquals(List.of("run", "key", "config"), fields, "config.json's entry of run " + run.get("run"));
        }
    }

    @Test
    void resumeAfterKillMinus9LosesNothingFinished(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("killed");
        // Enough runs that the child is killed part-way; small batches so runs are stored steadily.
        String[] grid = {"--N", "2:20:2", "--mu", "2,8,16", "--repeats", "3", "--steps", "300", "--eval-every", "50",
                "--engine", "vector", "--threads", "1", "--memory-mb", "1", "--out", out.toString()};
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args(grid)));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path summary = out.resolve("summary.csv");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && child.isAlive()
                && (!Files.exists(summary) || Files.readAllLines(summary).size() < 11)) {
            Thread.sleep(20);
        }
        boolean killedMidway = child.isAlive();
        child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
        child.waitFor();
        assertTrue(killedMidway, "the child finished before it could be killed: " + Files.readString(tmp.resolve("child.log")));
        int before = Files.readAllLines(summary).size() - 1;
        assertTrue(before >= 10 && before < 90, "rows stored before the kill: " + before);

        Result resumed = cli(args(grid));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resuming: " + before + " of 90 runs already done"), resumed.err());
        List<String> rows = Files.readAllLines(summary);
        assertEquals(91, rows.size());
        assertEquals(90, rows.stream().skip(1).map(l -> l.split(",")[1]).distinct().count(), "no run duplicated");

        // The same sweep uninterrupted gives the same files.
        String[] fresh = grid.clone();
        fresh[fresh.length - 1] = tmp.resolve("fresh").toString();
        assertEquals(0, cli(args(fresh)).code());
        assertEquals(Files.readString(tmp.resolve("fresh/summary.csv")), Files.readString(summary));
        assertEquals(Files.readString(tmp.resolve("fresh/metrics.csv")), Files.readString(out.resolve("metrics.csv")));
    }

    @Test
    void tornLastRecordIsCutAndOrphanCurvesDropped(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("s");
        String[] grid = {"--N", "2,4", "--repeats", "2", "--engine", "vector", "--out", out.toString()};
        assertEquals(0, cli(args(grid)).code());
        List<String> sum = Files.readAllLines(out.resolve("summary.csv"));
        // Simulate a crash: the last summary row half-written, its curve rows present.
        String torn = String.join("\n", sum.subList(0, sum.size() - 1)) + "\n" + sum.get(sum.size() - 1).substring(0, 20);
        Files.writeString(out.resolve("summary.csv"), torn);
        Result r = cli(args(grid));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("resuming: 3 of 4"), r.err());
        assertEquals(sum, Files.readAllLines(out.resolve("summary.csv")));
        List<String> curves = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(curves.size(), new HashSet<>(curves).size(), "no duplicated curve rows");
    }

    @Test
    void boundaryFitRecoversAKnownCPerP() {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] ps = {0, 0.2};
        double[] Cs = {0.5 + 4 * rnd.nextDouble(), 0.5 + 4 * rnd.nextDouble()};
        List<Aggregate.Cell> cells = new ArrayList<>();
        for (int k = 0; k < ps.length; k++) {
            double floor = Aggregate.bayesLoss(ps[k]);
            for (int N = 2; N <= 20; N += 2) {
                for (int i = 1; i <= 200; i++) {
                    double snr = 0.01 * i;
                    double[] m = new double[Metric.COUNT];
                    // Benign above the curve: test loss near the Bayes floor; harmful below it.
                    m[Metric.TEST_LOSS.ordinal()] = floor + (N * snr * snr >= Cs[k] ? 0.05 : 0.9);
                    cells.add(new Aggregate.Cell(Map.of("N", Integer.toString(N), "mu", Double.toString(snr),
                            "snr", Double.toString(snr), "p", Double.toString(ps[k])), List.of(new Aggregate.Run(0, m, false, 0))));
                }
            }
        }
        List<Aggregate.Fit> fits = Aggregate.boundary(cells, 0.2);
        assertEquals(2, fits.size());
        assertEquals(0.5004024235381879, Aggregate.bayesLoss(0.2), 1e-15); // H(0.2) in nats
        for (int k = 0; k < 2; k++) {
            Aggregate.Fit f = fits.get(k);
            assertEquals(Double.toString(ps[k]), f.group().get("p"));
            // SNR grid spacing 0.01 bounds each point's SNR² error by about 2·0.01·SNR: 5% of C.
            assertEquals(Cs[k], f.C(), 0.05 * Cs[k], "seed " + seed + " p=" + ps[k]);
            assertTrue(f.r2() > 0.95, "seed " + seed + " R2=" + f.r2());
            assertEquals(10, f.points());
        }
    }

    @Test
    void badSpecsAreRefusedBeforeAnyWork(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("never");
        record Case(String yaml, String message) {
        }
        for (Case c : List.of(
                new Case("N: 4\nbogus: 3\n", "unknown key 'bogus'"),
                new Case("N: \"20:2\"\n", "--N range 20:2 is empty"),
                new Case("N: []\n", "N has an empty list"),
                new Case("N: abc\n", "--N expects an integer: got 'abc'"),
                new Case("p: {a: 1}\n", "p must be a value, a list or a range"),
                new Case("p: [0, 0.7]\n", "--p must be in [0, 0.5): got 0.7"),
                new Case("- 1\n- 2\n", "expected a mapping"),
                new Case("preset: nope\n", "--preset must be one of"))) {
            Path spec = tmp.resolve("spec.yaml");
            Files.writeString(spec, c.yaml);
            Result r = cli(concat(args(), "--spec", spec.toString(), "--out", out.toString()));
            assertEquals(2, r.code(), c.yaml + " -> " + r.err());
            assertTrue(r.err().contains(c.message), "expected '" + c.message + "' for " + c.yaml + " in: " + r.err());
            assertFalse(r.err().contains("Exception"), r.err());
            assertFalse(Files.exists(out), "no work done for " + c.yaml);
        }
        Result r = cli(concat(args("--N", "2,4"), "--shard", "3/3", "--out", out.toString()));
        assertTrue(r.err().contains("--shard must be i/n with 0 <= i < n: got '3/3'"), r.err());
    }

    @Test
    void specFileMakesAxesAndResumeRefusesAnotherSweep(@TempDir Path tmp) throws IOException {
        Path spec = tmp.resolve("s.yaml");
        Files.writeString(spec, "N: [2, 4]\nmu: \"5:15:5\"\nrepeats: 1\nlr: 0.05\n");
        Path out = tmp.resolve("o");
        Result r = cli(concat(args(), "--spec", spec.toString(), "--out", out.toString(), "--engine", "vector"));
        assertEquals(0, r.code(), r.err());
        assertEquals(1 + 6, Files.readAllLines(out.resolve("summary.csv")).size());
        Result other = cli(args("--N", "2,8", "--out", out.toString()));
        assertEquals(2, other.code());
        assertTrue(other.err().contains("holds results of a different run set"), other.err());
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * A resume by another version of attnsweep (the same plan, so the same keys) mixed runs of two
     * versions without a word, and its config.json named only the new one (s22 audit): now it
     * warns and config.json's earlier_versions keeps the others.
     */
    @Test
    void aResumeByAnotherVersionSaysSoAndConfigJsonKeepsTheEarlierOne(@TempDir Path tmp) throws java.io.IOException {
        Path out = tmp.resolve("v");
        String[] cmd = concat(args("--N", "2,4,6,8"), "--out", out.toString());
        assertEquals(0, cli(cmd).code());
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(out.resolve("config.json").toFile());
        cfg.put("version", "0.0.9");
        json.writeValue(out.resolve("config.json").toFile(), cfg);
        List<String> rows = Files.readAllLines(out.resolve("summary.csv"));
        Files.write(out.resolve("summary.csv"), rows.subList(0, 3));
        var r = cli(cmd);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("attnsweep: warning: " + out + " holds runs stored by attnsweep 0.0.9; this is "
                + org.attnsweep.Version.get() + ", which trains the rest"), r.err());
        var after = json.readTree(out.resolve("config.json").toFile());
        assertEquals(org.attnsweep.Version.get(), after.path("version").asText());
        assertEquals("[\"0.0.9\"]", after.path("earlier_versions").toString());
        // The same version again: nothing new to say beyond the record it keeps.
        r = cli(cmd);
        assertEquals(0, r.code(), r.err());
        assertEquals("[\"0.0.9\"]", json.readTree(out.resolve("config.json").toFile()).path("earlier_versions").toString());
    }
}
