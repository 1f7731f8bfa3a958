package org.attnsweep.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attnsweep.sweep.Reproduction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code reproduce} end to end at the smoke scale: every preset, claims.csv, the scorecard report, and a resume that trains nothing. */
class ReproduceCommandTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void smokeScaleRunsEveryPresetAndChecksEveryClaim(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("repro");
        String[] r = run("reproduce", "--scale", "smoke", "--engine", "vector", "--out", dir.toString());
        assertEquals("0", r[0], r[1] + r[2]);
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
        assertTrue(r[1].contains((claims.size() - 1) + " claims: "), r[1]);

        // resumable: the same command again trains nothing and writes the same claims
        String[] again = run("reproduce", "--scale", "smoke", "--engine", "vector", "--out", dir.toString());
        assertEquals("0", again[0], again[2]);
        assertTrue(again[1].contains("jiang-heatmap") && again[1].contains("(0 trained now)"), again[1]);
        assertEquals(claims, Files.readAllLines(dir.resolve("claims.csv")));
    }

    @Test
    void badInputIsRefusedInOneLineBeforeAnyWork(@TempDir Path tmp) {
        String[] s = run("reproduce", "--scale", "huge", "--out", tmp.resolve("x").toString());
        assertEquals("2", s[0]);
        assertTrue(s[2].contains("--scale must be one of quick, paper, smoke: got 'huge'"), s[2]);
        String[] p = run("reproduce", "--papers", "C", "--out", tmp.resolve("x").toString());
        assertEquals("2", p[0]);
        assertTrue(p[2].contains("--papers must be a list of A, B: got 'C'"), p[2]);
        assertTrue(!Files.exists(tmp.resolve("x")), "nothing written");
    }
}
