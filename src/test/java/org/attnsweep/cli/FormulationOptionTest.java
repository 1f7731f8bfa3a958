package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.cli.TrainCommandTest.small;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --formulation auto|span|direct} of train and sweep: refused in one line when unknown, or
 * with an engine that cannot run it (cuda: direct; reference: span), accepted with one that can; the engine line and config.json say which form ran; and the
 * form is not part of a run's key, so a run trained in one form is the same record in the other.
 */
class FormulationOptionTest {

    @Test
    void unknownFormulationIsRefusedBeforeAnyWork(@TempDir Path tmp) {
        Path out = tmp.resolve("never");
        Result r = cli(small(out, "--formulation", "diagonal"));
        assertEquals(2, r.code(), r.err());
        assertEquals("attnsweep: --formulation must be one of auto, span, direct: got 'diagonal'", r.err().strip());
        assertFalse(Files.exists(out), "no work done");
    }

    @Test
    void cudaWithDirectIsRefusedInOneLine(@TempDir Path tmp) {
        Path out = tmp.resolve("never");
        Result r = cli(small(out, "--engine", "cuda", "--formulation", "direct"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().strip().startsWith("attnsweep: --formulation direct: the cuda engine runs the span formulation only"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(Files.exists(out.resolve("config.json")), "no work done");
    }

    @Test
    void engineLineAndConfigSayWhichFormRanAndTheFormIsNotPartOfTheRunKey(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        // d = 4 against P = 2 + 6·3 = 20 tokens: auto picks direct.
        String[] shape = {"--d", "4", "--M", "4", "--sigma", "1,1,1", "--engine", "vector"};
        Result auto = cli(small(out, concat(shape, "--formulation", "auto")));
        assertEquals(0, auto.code(), auto.err());
        assertTrue(auto.err().contains("formulation=auto"), auto.err());
        assertTrue(auto.err().contains("formulation: auto chose direct for d=4 M=4"), auto.err());
        String engine = new ObjectMapper().readTree(out.resolve("config.json").toFile()).get("engine").asText();
        assertTrue(engine.endsWith("formulation=auto (ran: direct 1 batch)"), engine);

        // The same runs asked for in the span form are already done: same keys, same records.
        Result span = cli(small(out, concat(shape, "--formulation", "span")));
        assertEquals(0, span.code(), span.err());
        assertTrue(span.err().contains("resuming: 1 of 1 runs already done"), span.err());

        Result spanFresh = cli(small(tmp.resolve("span"), concat(shape, "--formulation", "span")));
        assertEquals(0, spanFresh.code(), spanFresh.err());
        assertTrue(spanFresh.err().contains("formulation=span"), spanFresh.err());
    }

    /**
     * What each engine can run is accepted with it, on every machine: the reference engine is direct
     * GD in float64 (so --formulation direct and --precision float64 name it truly), cuda is span in
     * float32, and auto takes any form and precision (it says what it chose). Refusals of the rest
     * are BadInputTest's.
     */
    @Test
    void eachEngineTakesWhatItRuns(@TempDir Path tmp) {
        String[][] ok = {{"reference", "direct", "float64"}, {"reference", "auto", "float64"}, {"cuda", "span", "float32"},
                {"cuda", "auto", "float32"}, {"auto", "direct", "float64"}, {"auto", "span", "float32"}, {"vector", "span", "float64"}};
        for (String[] c : ok) {
            Result r = cli("sweep", "--N", "2:6:2", "--engine", c[0], "--formulation", c[1], "--precision", c[2], "--check-options",
                    "--out", tmp.resolve("never").toString());
            assertEquals(0, r.code(), String.join(" ", c) + ": " + r.err());
        }
        // cuda's largest M (its attention block in 48 KiB of shared memory; BadInputTest refuses 82)
        Result m = cli("sweep", "--N", "2", "--M", "81", "--engine", "cuda", "--check-options", "--out", tmp.resolve("never").toString());
        assertEquals(0, m.code(), m.err());
        Result ref = cli(small(tmp.resolve("ref"), "--engine", "reference", "--formulation", "direct", "--precision", "float64"));
        assertEquals(0, ref.code(), ref.err());
        assertTrue(ref.err().contains("engine=reference precision=float64 (direct GD"), ref.err());
        assertFalse(Files.exists(tmp.resolve("never")), "--check-options creates nothing");
    }

    @Test
    void sweepTakesTheOption(@TempDir Path tmp) {
        Result r = cli("sweep", "--N", "2:6:2", "--d", "8", "--mk", "4", "--mv", "4", "--engine", "vector",
                "--formulation", "direct", "--dry-run", "--out", tmp.resolve("plan").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("formulation=direct"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
