package org.attnsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Test;

/** The progress line counts planned work, not runs: a bar on a terminal, plain lines when piped. */
class ProgressTest {

    /** Half the runs at N = 4, half at N = 400: the large ones hold almost all the work. */
    private static List<PlannedRun> runs() {
        return Plan.of(List.of(new Grid(new RunSpec(), Map.of("N", List.of("4", "400"))))).runs();
    }

    @Test
    void theCheapHalfOfTheRunsIsASmallShareOfTheWork() {
        List<PlannedRun> runs = runs();
        PlannedRun small = runs.stream().filter(r -> r.config().N() == 4).findFirst().orElseThrow();
        PlannedRun large = runs.stream().filter(r -> r.config().N() == 400).findFirst().orElseThrow();
        assertTrue(Progress.cost(large.config(), 100) > 100 * Progress.cost(small.config(), 100), "P² grows 10⁴-fold");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), runs, "engine=test", false);
        p.add(small, small.config().steps());
        String line = p.line(System.nanoTime());
        // 1 of 2 runs done, but well under 1% of the work: the ETA is far from "as long again"
        assertTrue(line.startsWith("sweep:   0% of the work  1/2 runs"), line);
        assertTrue(line.contains("ETA --"), "under 5% of the work no ETA is guessed: " + line);
        p.add(large, large.config().steps());
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.endsWith("ETA 0:00  engine=test\n"), out);
        assertTrue(!out.contains("\r") && !out.contains("[#"), "piped: plain lines, no bar");
    }

    @Test
    void runsThatStopEarlyShrinkTheWorkExpectedOfTheirLike() {
        // a target loss: the first run stops after 10 of its 1000 planned steps, so the other is expected to as well
        List<PlannedRun> runs = Plan.of(List.of(new Grid(withTarget(), Map.of("N", List.of("400", "401"))))).runs();
        Progress p = new Progress(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), runs, "engine=test", false);
        p.add(runs.get(0), 10);
        String line = p.line(System.nanoTime());
        assertTrue(line.startsWith("sweep:  50% of the work  1/2 runs"), line);
    }

    private static RunSpec withTarget() {
        RunSpec s = new RunSpec();
        s.set("target-loss", "0.01");
        s.set("steps", "1000");
        return s;
    }

    @Test
    void aTerminalGetsABarRedrawnInPlace() {
        List<PlannedRun> runs = runs();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), runs, "engine=test", true);
        for (PlannedRun r : runs) p.add(r, r.config().steps());
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\r[") && out.contains("\r[########################] 100% of the work  2/2 runs"), out);
        assertEquals('\n', out.charAt(out.length() - 1));
    }
}
