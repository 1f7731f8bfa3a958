package org.attnsweep.sweep;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An exception inside a batch (an engine's bug, a kernel's fault) ends the sweep with one line
 * naming the batch, its unfinished runs by plan index and the first one's key, and the cause; the
 * runs finished before it are stored, the full trace is written to failure.txt in the results
 * directory (named in the line, never printed), and the same sweep resumes to the end, removing
 * failure.txt once every run is stored. The engine
 * is the reference engine with the second of three batches throwing at its first step.
 */
class BatchFailureTest {
    @Test
    void aFaultInABatchIsOneLineAndLosesNoFinishedRun(@TempDir Path tmp) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        RunSpec base = Fixtures.smallSpec(rnd, 6, 2, 3, 3, 2);
        base.steps = 3;
        base.repeats = 2;
        Plan plan = Plan.of(List.of(new Grid(base, Map.of("N", List.of("2", "3", "4")))));
        ReferenceEngine ref = new ReferenceEngine();
        Engine faulty = faulty(ref, 2, false);
        Path out = tmp.resolve("out");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Sweeper.BatchFailure f;
        try (OutputDir dir = OutputDir.open(out, "sweep")) {
            f = assertThrows(Sweeper.BatchFailure.class,
                    () -> Sweeper.execute(plan, new int[] {0, 1}, faulty, dir, Map.of(), 1L << 30, err, Sweeper.Inputs.GENERATED, null));
        }
        PlannedRun first = plan.runs().get(2);
        String line = f.getMessage();
        assertEquals("batch 2 of 3 failed, runs 2, 3 unfinished (run 2's key " + first.key() + "; d=6 M=2): java.lang.ArithmeticException:"
                + " injected at the first step; the 2 of 6 runs finished are stored in " + out + " (the same command resumes); the trace is in "
                + out.resolve("failure.txt"), line, tag(seed));
        assertTrue(f.getCause() instanceof ArithmeticException, "the cause is kept: " + f.getCause());
        String trace = read(out.resolve("failure.txt"));
        assertTrue(trace.contains("ArithmeticException: injected at the first step") && trace.contains("\tat org.attnsweep."),
                "failure.txt holds the trace:\n" + trace);
        assertEquals(2, Aggregate.runs(out.resolve("summary.csv"), err::println).size(), "the first batch's runs are stored" + tag(seed));

        // The same sweep on a sound engine resumes: the two stored runs are kept, four trained.
        try (OutputDir dir = OutputDir.open(out, "sweep")) {
            Sweeper.Outcome o = Sweeper.execute(plan, new int[] {0, 1}, ref, dir, Map.of(), 1L << 30, err, Sweeper.Inputs.GENERATED, null);
            assertEquals(4, o.trained(), bytes.toString(StandardCharsets.UTF_8));
            assertEquals(6, o.stored());
        }
        String log = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("resuming: 2 of 6 runs already done"), log);
        // Every run is stored now: the trace of the recovered failure is removed, and the log says which failure it was.
        assertFalse(Files.exists(out.resolve("failure.txt")), "failure.txt outlives the failure it recorded");
        assertTrue(log.contains("attnsweep: removed " + out.resolve("failure.txt") + " (" + trace.lines().findFirst().orElseThrow()
                + "): every run of the plan is now stored"), log);
    }

    /** A batch that throws as it closes, its runs all stored: the line says so, and nothing is lost. */
    @Test
    void aBatchFailingAsItClosesKeepsItsRuns(@TempDir Path tmp) {
        long seed = Fixtures.seed();
        RunSpec base = Fixtures.smallSpec(new SplittableRandom(seed), 6, 2, 3, 3, 2);
        base.steps = 2;
        base.repeats = 2;
        Plan plan = Plan.of(List.of(new Grid(base, Map.of("N", List.of("2", "3", "4")))));
        Path out = tmp.resolve("out");
        PrintStream err = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        try (OutputDir dir = OutputDir.open(out, "sweep")) {
            Sweeper.BatchFailure f = assertThrows(Sweeper.BatchFailure.class, () -> Sweeper.execute(plan, new int[] {0, 1},
                    faulty(new ReferenceEngine(), 1, true), dir, Map.of(), 1L << 30, err, Sweeper.Inputs.GENERATED, null));
            assertEquals("batch 1 of 3 failed after its 2 runs were stored: java.lang.IllegalStateException: injected at close; the 2 of 6 runs"
                    + " finished are stored in " + out + " (the same command resumes); the trace is in " + out.resolve("failure.txt"),
                    f.getMessage(), tag(seed));
        }
        assertEquals(2, Aggregate.runs(out.resolve("summary.csv"), err::println).size(), tag(seed));
    }

    /**
     * The reference engine (by name and precision too, so it resumes what this one stored) in
     * batches of two runs, batch {@code failing} (from 1) throwing at its first step or as it closes.
     */
    private static Engine faulty(ReferenceEngine ref, int failing, boolean atClose) {
        int[] opened = {0};
        return new Engine() {
            public String name() { return ref.name(); }
            public Precision precision() { return ref.precision(); }
            public String describe() { return ref.describe(); }
            public int maxBatch(org.attnsweep.model.RunConfig shape) { return 2; }
            public EngineBatch open(List<RunData> runs) {
                EngineBatch real = ref.open(runs);
                boolean fails = ++opened[0] == failing;
                return new EngineBatch() {
                    public int size() { return real.size(); }
                    public void step(boolean[] active, double[] loss) {
                        if (fails && !atClose) throw new ArithmeticException("injected at the first step");
                        real.step(active, loss);
                    }
                    public void metrics(boolean[] which, double[][] out) { real.metrics(which, out); }
                    public Weights weights(int r) { return real.weights(r); }
                    public void close() {
                        real.close();
                        if (fails && atClose) throw new IllegalStateException("injected at close");
                    }
                };
            }
        };
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
