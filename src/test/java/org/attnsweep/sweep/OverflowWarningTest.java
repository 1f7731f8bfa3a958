package org.attnsweep.sweep;

import static org.attnsweep.Fixtures.tag;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.model.Metric;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunSpec;
import org.attnsweep.model.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs whose evaluation overflowed (a NaN test loss beside a finite training loss: what float32
 * made of test tokens too large for it) are stored as diverged and named on stderr, the first
 * five one line each and the rest counted, with the precision and what to change. The engine is
 * the reference engine with every run's test loss made NaN, as an overflow would.
 */
class OverflowWarningTest {
    @Test
    void overflowedRunsAreStoredAsDivergedAndNamed(@TempDir Path tmp) {
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<PlannedRun> todo = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            RunSpec s = Fixtures.smallSpec(rnd, 6, 2, 3, 3, 2 + rnd.nextInt(4));
            s.steps = 4;
            todo.add(new PlannedRun(i, s.build(0)));
        }
        ReferenceEngine ref = new ReferenceEngine();
        Engine overflowing = new Engine() {
            public String name() { return "overflowing"; }
            public Precision precision() { return Precision.FLOAT32; }
            public String describe() { return "engine=overflowing"; }
            public EngineBatch open(List<RunData> runs) {
                EngineBatch real = ref.open(runs);
                return new EngineBatch() {
                    public int size() { return real.size(); }
                    public void step(boolean[] active, double[] loss) { real.step(active, loss); }
                    public void metrics(boolean[] which, double[][] out) {
                        real.metrics(which, out);
                        for (int r = 0; r < which.length; r++) if (which[r]) out[r][Metric.TEST_LOSS.ordinal()] = Double.NaN;
                    }
                    public Weights weights(int r) { return real.weights(r); }
                    public void close() { real.close(); }
                };
            }
        };
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (ResultStore store = ResultStore.open(tmp, ResultStore.byKey(todo), err::println)) {
            try (StoreWriter writer = new StoreWriter(store)) {
                Sweeper.run(todo, overflowing, writer, 1L << 30, err, Sweeper.Inputs.GENERATED, null);
            }
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        List<String> named = text.lines().filter(l -> l.contains("came out non-finite while its training loss stayed finite")).toList();
        assertEquals(5, named.size(), text + tag(seed));
        for (String l : named) {
            assertTrue(l.matches("attnsweep: warning: run \\d's test_loss came out non-finite while its training loss stayed finite: its"
                    + " arithmetic overflowed float32; stored as diverged\\. Rerun with --precision float64 \\(or --engine reference\\),"
                    + " or rescale the data"), l);
        }
        assertTrue(text.contains("attnsweep: warning: 2 more runs overflowed float32 the same way (stored as diverged)."), text);
        List<Aggregate.Cell> runs = Aggregate.runs(tmp.resolve("summary.csv"), err::println);
        assertEquals(7, runs.size());
        for (Aggregate.Cell c : runs) assertEquals(1, c.diverged(), "stored as diverged: " + c.config() + tag(seed));
    }
}
