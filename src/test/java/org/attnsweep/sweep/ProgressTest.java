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
        assertTrue(Progress.cost(large.config()) > 100 * Progress.cost(small.config()), "P² grows 10⁴-fold");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), runs, "engine=test", false);
        p.add(small);
        String line = p.line(System.nanoTime());
        // 1 of 2 runs done, but well under 1% of the work: the ETA is far from "as long again"
        assertTrue(line.startsWith("sweep:   0% of the work  1/2 runs"), line);
        p.add(large);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.endsWith("ETA 0:00  engine=test\n"), out);
        assertTrue(!out.contains("\r") && !out.contains("[#"), "piped: plain lines, no bar");
    }

    @Test
    void aTerminalGetsABarRedrawnInPlace() {
        List<PlannedRun> runs = runs();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true, StandardCharsets.UTF_8), runs, "engine=test", true);
        for (PlannedRun r : runs) p.add(r);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\r[") && out.contains("\r[########################] 100% of the work  2/2 runs"), out);
        assertEquals('\n', out.charAt(out.length() - 1));
    }
}
