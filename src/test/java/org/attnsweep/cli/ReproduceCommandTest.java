package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.sweep.Reproduction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reproduce} end to end at the smoke scale: every preset, claims.csv, the scorecard report, and a resume that trains nothing. */
class ReproduceCommandTest {

    @Test
    void smokeScaleRunsEveryPresetAndChecksEveryClaim(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("repro");
        Result r = cli("reproduce", "--scale", "smoke", "--engine", "vector", "--out", dir.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        for (String preset : Reproduction.presets(List.of("A", "B"))) {
            assertTrue(Files.isRegularFile(dir.resolve(preset).resolve("summary.csv")), preset);
            assertTrue(Files.isRegularFile(dir.resolve(preset).resolve("report.html")), preset);
        }
        List<String> claims = Files.readAllLines(dir.resolve("claims.csv"));
        assertEquals("id,paper,figure,statement,paper_value,ours_mean,ours_lo,ours_hi,verdict,why", claims.get(0));
        for (String id : List.of("A-boundary,", "A-benign-attention,", "A-harmful-attention,", "A-harmful-noise-memorised,", "A-three-stages,",
                "B-benign-error-p0.1,", "B-harmful-loss-grows,", "B-C-p0,", "B-heatmaps-correlated,", "B-learning-rate,", "B-v-init,",
                "B-factor-N,", "B-factor-p,", "B-factor-mu,", "B-factor-sigma_p,")) {
            assertTrue(claims.stream().anyMatch(l -> l.startsWith(id)), id + " in claims.csv");
        }
        for (String l : claims.subList(1, claims.size())) {
            assertTrue(l.contains(",holds,") || l.contains(",differs,") || l.contains(",not measurable,"), l);
        }
        String html = Files.readString(dir.resolve("report.html"));
        int score = html.indexOf("<section id=\"scorecard\">"), fig = html.indexOf("<section id=\"figures-jiang-heatmap\">");
        assertTrue(score > 0 && fig > score, "the scorecard first, then each preset's figures");
        assertTrue(r.out().contains((claims.size() - 1) + " claims: "), r.out());

        // resumable: the same command again trains nothing and writes the same claims. A failure.txt
        // an earlier failure left at the top (its aggregation) and in a preset's directory (a batch)
        // is removed: every plan is stored now, so those failures are recovered.
        List<Path> traces = List.of(dir.resolve("failure.txt"), dir.resolve("jiang-heatmap").resolve("failure.txt"));
        for (Path t : traces) Files.writeString(t, "attnsweep 0 at 2026-01-01T00:00:00Z\njava.lang.ArithmeticException: injected\n");
        Result again = cli("reproduce", "--scale", "smoke", "--engine", "vector", "--out", dir.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("jiang-heatmap") && again.out().contains("(0 trained now)"), again.out());
        assertEquals(claims, Files.readAllLines(dir.resolve("claims.csv")));
        for (Path t : traces) {
            assertTrue(!Files.exists(t), t + " outlives the failure it recorded");
            assertTrue(again.err().contains("attnsweep: removed " + t + " (attnsweep 0 at 2026-01-01T00:00:00Z)"), again.err());
        }
    }

    @Test
    void badInputIsRefusedInOneLineBeforeAnyWork(@TempDir Path tmp) {
        Result s = cli("reproduce", "--scale", "huge", "--out", tmp.resolve("x").toString());
        assertEquals(2, s.code());
        assertTrue(s.err().contains("--scale must be one of quick, paper, smoke: got 'huge'"), s.err());
        Result p = cli("reproduce", "--papers", "C", "--out", tmp.resolve("x").toString());
        assertEquals(2, p.code());
        assertTrue(p.err().contains("--papers must be a list of A, B: got 'C'"), p.err());
        assertTrue(!Files.exists(tmp.resolve("x")), "nothing written");
    }
}
