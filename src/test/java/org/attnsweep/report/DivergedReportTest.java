package org.attnsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.attnsweep.model.Metric;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Diverged runs through every report path: a sweep whose runs diverged — some of them, or all —
 * stores them with non-finite losses and NaN errors; {@code plot} and {@code report} must draw the
 * finite runs, say how many diverged, and count diverged cells apart.
 */
class DivergedReportTest {

    /**
     * Marks the runs chosen by {@code diverged} as a diverged run is stored: diverged = true and
     * every final metric NaN in summary.csv, every metric NaN in metrics.csv after step 0.
     */
    static void diverge(Path dir, IntPredicate diverged) throws IOException {
        for (String file : List.of("summary.csv", "metrics.csv")) {
            List<String> lines = Files.readAllLines(dir.resolve(file));
            List<String> cols = List.of(lines.get(0).split(","));
            int m0 = cols.indexOf(Metric.values()[0].column()), div = cols.indexOf("diverged"), step = cols.indexOf("step");
            List<String> out = new ArrayList<>(List.of(lines.get(0)));
            for (String l : lines.subList(1, lines.size())) {
                String[] f = l.split(",", -1);
                if (diverged.test(Integer.parseInt(f[0])) && (step < 0 || !f[step].equals("0"))) {
                    if (div >= 0) f[div] = "true";
                    for (int i = m0; i < m0 + Metric.COUNT; i++) f[i] = "NaN";
                }
                out.add(String.join(",", f));
            }
            Files.write(dir.resolve(file), out);
        }
        Files.deleteIfExists(dir.resolve("boundary.csv"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"some", "all"})
    void plotAndReportDrawTheFiniteRunsAndCountTheDiverged(String which, @TempDir Path tmp) throws IOException {
        Path grid = tmp.resolve("grid"), lr = tmp.resolve("lr");
        FiguresTest.run(FiguresTest.cmd("sweep", grid, "--N", "4:12:4", "--mu", "8,16,32"));
        FiguresTest.run(FiguresTest.cmd("sweep", lr, "--lr", "0.05,0.1"));
        IntPredicate chosen = which.equals("all") ? run -> true : run -> run % 3 == 0;
        diverge(grid, chosen);
        diverge(lr, chosen);
        for (Path dir : List.of(grid, lr)) {
            String plot = FiguresTest.run("plot", dir.toString());
            assertTrue(plot.contains(" figures ("), plot);
            FiguresTest.run("report", dir.toString());
            String html = Files.readString(dir.resolve("report.html"));
            Results r = Results.load(dir);
            long divergedCells = r.cells().stream().filter(c -> c.diverged() > 0).count();
            assertTrue(divergedCells > 0, "the test marked runs diverged");
            // the verdict table counts diverged cells in their own column
            assertTrue(html.contains("<td class=\"diverged\">" + divergedCells + "</td>"), html);
            if (dir == lr) {
                int runs = r.cells().get(0).metrics().size();
                long mine = r.runsOf(r.cells().get(0)).stream().filter(x -> chosen.test(x)).count();
                assertTrue(html.contains(mine + " of " + runs + " runs diverged (non-finite loss)"), "the dynamics caption counts them");
            } else {
                assertTrue(html.contains(divergedCells + " of " + r.cells().size() + " cells have diverged runs"), "the heatmap caption");
            }
        }
    }

    /**
     * All runs of a dynamics panel diverged: each curve keeps only step 0. Its x axis was 1e-8
     * wide ("-5E-9 .. 5E-9") and nothing was drawn, a line needing two points (seen in Chromium,
     * audit s21): the axis spans a step either side in whole steps, and the lone point is drawn.
     */
    @org.junit.jupiter.api.Test
    void aCurveOfOneFinitePointIsDrawnOnAWholeStepAxis() {
        double nan = Double.NaN;
        org.jfree.chart.JFreeChart c = Charts.lines("loss", "t (GD step)", "loss", List.of(
                new Charts.Line("training loss", new double[] {0, 10, 20}, new double[] {0.63, nan, nan}, null, null,
                        java.awt.Color.BLUE, Charts.Style.BAND),
                new Charts.Line("test loss", new double[] {0, 10, 20}, new double[] {0.70, nan, nan}, null, null,
                        java.awt.Color.RED, Charts.Style.BAND)), true, List.of());
        c.createBufferedImage(720, 520);   // drawing chooses the tick unit
        org.jfree.chart.plot.XYPlot plot = c.getXYPlot();
        org.jfree.data.Range x = plot.getDomainAxis().getRange();
        assertEquals(-1, x.getLowerBound(), 0);
        assertEquals(1, x.getUpperBound(), 0);
        assertEquals(1, ((org.jfree.chart.axis.NumberAxis) plot.getDomainAxis()).getTickUnit().getSize(), 0, "whole-step ticks");
        for (int k = 0; k < 2; k++) {
            assertTrue(((org.jfree.chart.renderer.xy.XYLineAndShapeRenderer) plot.getRenderer()).getSeriesShapesVisible(k),
                    "series " + k + "'s one point is drawn");
        }
    }
}
