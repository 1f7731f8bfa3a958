package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.cli.TrainCommandTest.small;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.data.Npy;
import org.attnsweep.model.RunSpec;
import org.attnsweep.report.Figure;
import org.attnsweep.report.Figures;
import org.attnsweep.report.Results;
import org.attnsweep.sweep.PlannedRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --heads end to end (docs/math.md §7): run keys, the summary column, NPY weights in and out, the heads-phase preset and its figure. */
class HeadsOptionTest {

    @Test
    void keysChangeOnlyWithMoreThanOneHead() {
        RunSpec s = new RunSpec();
        String plain = PlannedRun.keyOf(s.build(0));
        s.heads = 1;
        assertEquals(plain, PlannedRun.keyOf(s.build(0)), "H = 1 keys the run it keyed before heads existed");
        assertFalse(s.build(0).toString().contains("heads"), s.build(0).toString());
        s.heads = 2;
        assertNotEquals(plain, PlannedRun.keyOf(s.build(0)));
        assertTrue(s.build(0).toString().endsWith(", heads=2]"), s.build(0).toString());
    }

    @Test
    void headsAreRecordedSavedAndReadBack(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("h3"), weights = tmp.resolve("w3");
        Result r = cli(small(out, "--heads", "3", "--save-weights", weights.toString()));
        assertEquals(0, r.code(), r.err());
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        List<String> cols = List.of(summary.get(0).split(","));
        assertEquals("3", summary.get(1).split(",")[cols.indexOf("heads")]);
        assertArrayEquals(new int[] {3, 8, 24}, Npy.readShape(weights.resolve("W_Q.npy")));
        assertArrayEquals(new int[] {3, 8, 24}, Npy.readShape(weights.resolve("W_K.npy")));
        assertArrayEquals(new int[] {3, 8, 24}, Npy.readShape(weights.resolve("W_V.npy")));
        assertArrayEquals(new int[] {3, 8}, Npy.readShape(weights.resolve("w_O.npy")));

        // --init-from takes H from the files, as it takes m_k, m_v and d; an explicit H that disagrees is refused.
        Path again = tmp.resolve("again");
        Result in = cli(small(again, "--init-from", weights.toString()));
        assertEquals(0, in.code(), in.err());
        List<String> s2 = Files.readAllLines(again.resolve("summary.csv"));
        assertEquals("3", s2.get(1).split(",")[List.of(s2.get(0).split(",")).indexOf("heads")]);
        Result bad = cli(small(tmp.resolve("bad"), "--init-from", weights.toString(), "--heads", "2"));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--heads 2") && bad.err().contains("W_Q.npy's H"), bad.err());

        // One head writes the 2-D files of before heads.
        Path one = tmp.resolve("w1");
        assertEquals(0, cli(small(tmp.resolve("h1"), "--save-weights", one.toString())).code());
        assertArrayEquals(new int[] {8, 24}, Npy.readShape(one.resolve("W_Q.npy")));
        assertArrayEquals(new int[] {8}, Npy.readShape(one.resolve("w_O.npy")));
    }

    @Test
    void headsPhasePresetAtReducedSizeDrawsCAgainstH(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("heads");
        // A small problem that trains to benign within the steps at large |mu|, so every H gets a fit.
        Result r = cli("sweep", "--preset", "heads-phase", "--d", "16", "--M", "3", "--sigma", "1,0.2", "--mk", "4", "--mv", "4",
                "--steps", "60", "--lr", "1", "--test-n", "20", "--repeats", "2", "--N", "4,8,12", "--mu", "1,2,4,8,16",
                "--heads", "1,2,4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1 + 3 * 5 * 3 * 2, Files.readAllLines(out.resolve("summary.csv")).size(), "3 N x 5 |mu| x 3 H x 2 repeats");
        Result p = cli("plot", out.toString());
        assertEquals(0, p.code(), p.err());
        List<Figure> figures = new Figures(Results.load(out)).all();
        List<String> names = figures.stream().map(Figure::name).toList();
        assertTrue(names.containsAll(List.of("heatmap-heads1", "heatmap-heads2", "heatmap-heads4", "heads-c")), names.toString());
        Figure c = figures.get(names.indexOf("heads-c"));
        assertTrue(c.panels().get(0).getXYPlot().getDomainAxis().getLabel().contains("heads"), c.panels().get(0).getXYPlot().getDomainAxis().getLabel());
        assertEquals(3, c.panels().get(0).getXYPlot().getDataset().getItemCount(0), "one fitted C per H");
        assertTrue(Files.size(out.resolve("figures/heads-c.png")) > 0);
        Result rep = cli("report", out.toString());
        assertEquals(0, rep.code(), rep.err());
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<section id=\"heads\">") && html.contains("C / C(H = 1)"), "the report's heads section");
    }
}
