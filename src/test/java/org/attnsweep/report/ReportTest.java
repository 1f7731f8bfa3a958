package org.attnsweep.report;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code report} and {@code --report}: one self-contained HTML file with every section, figure and verdict. */
class ReportTest {

    /** The PNGs embedded in the HTML, decoded. */
    static List<BufferedImage> images(String html) throws IOException {
        List<BufferedImage> out = new ArrayList<>();
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        while (m.find()) out.add(ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1)))));
        return out;
    }

    @Test
    void sweepReportHasEverySectionFigureFitAndVerdict(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("grid");
        Result r = cli(FiguresTest.cmd("sweep", dir, "--N", "4:16:4", "--mu", "4,8,16,32", "--p", "0,0.1", "--cutoff", "0.6", "--report"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote " + dir.resolve("report.html")), r.out());
        String html = Files.readString(dir.resolve("report.html"));

        for (String id : List.of("ran", "verdict", "figures", "boundary", "cells")) assertTrue(html.contains("<section id=\"" + id + "\">"), id);
        assertTrue(html.contains("<td>command</td><td>sweep</td>"), "what ran");
        assertTrue(html.contains("engine=vector") || html.contains("engine=cuda"), "the engine line");
        assertTrue(html.contains("N ∈ {4, 8, 12, 16} (4 values)"), "the axes");
        // no external resources: the file stands alone
        assertTrue(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"), "self-contained");

        List<Figure> figures = new Figures(Results.load(dir)).all();
        List<BufferedImage> imgs = images(html);
        assertEquals(figures.size(), imgs.size(), "one embedded PNG per figure");
        for (int i = 0; i < imgs.size(); i++) {
            assertNotNull(imgs.get(i), "figure " + i + " decodes");
            assertEquals(figures.get(i).width(), imgs.get(i).getWidth());
            assertTrue(html.contains("id=\"fig-" + figures.get(i).name() + "\""), figures.get(i).name());
        }
        // the fitted C per p with its R², as boundary.csv has it
        Results res = Results.load(dir);
        assertEquals(2, res.fits().size());
        for (var f : res.fits()) {
            assertTrue(html.contains("<td>" + Fmt.num(f.C()) + "</td><td>[" + Fmt.num(f.cLo()) + ", " + Fmt.num(f.cHi()) + "]</td><td>"
                    + Fmt.num(f.r2()) + "</td>"), f.toString());
            assertTrue(f.cLo() <= f.C() && f.C() <= f.cHi(), "the bootstrap interval holds the fitted C: " + f);
        }
        // one criterion, two predictions side by side, and counts that add up to the cells
        assertTrue(html.contains("<b>Criterion:</b> a cell is benign when its mean final test loss exceeds the Bayes loss"), html);
        assertTrue(html.contains("paper A's curve N·SNR² = 1000 (Fig. 1)"), html);
        for (Object p : List.of("0", "0.1")) {
            List<Verdicts.Verdict> vs = Verdicts.of(res, Verdicts.PAPER_A_C).stream().filter(v -> v.cell().config().get("p").equals(p)).toList();
            long benign = vs.stream().filter(v -> v.observed() == Verdicts.Outcome.BENIGN).count();
            long byRule = vs.stream().filter(v -> org.attnsweep.sweep.Aggregate.benign(v.cell(), res.cutoff())).count();
            assertEquals(byRule, benign, "the verdicts use the fit's rule");
            Verdicts.Tally paper = Verdicts.Tally.of(vs, true), fit = Verdicts.Tally.of(vs, false);
            assertTrue(html.contains("<tr><td>" + p + "</td><td>16</td><td class=\"benign\">" + benign + "</td>"), html);
            assertTrue(html.contains("<td>" + paper.agree() + " of " + paper.judged() + "</td>"), "paper agreement " + paper);
            assertTrue(html.contains("<td>" + fit.agree() + " of " + fit.judged() + "</td>"), "fit agreement " + fit);
        }
        assertTrue(html.contains("<th>observed</th><th>paper's C</th><th></th><th>fitted C</th>"), "cell table");
    }

    @Test
    void trainReportHasStagesAndAVerdictPerCell(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("train");
        Result r = cli(FiguresTest.cmd("train", dir, "--N", "8", "--steps", "80", "--eval-every", "5", "--report"));
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("<section id=\"stages\">"), "stages");
        assertTrue(html.contains("t₁ (end of initialization)"), "stage table");
        assertTrue(html.contains("<li><b>all runs</b>: <span class=\""), "the cell's verdict sentence");
        assertTrue(html.contains("the fit none (—)"), "no fitted prediction without a grid");
        assertEquals(1, images(html).size());

        // a given paper C makes its own prediction
        Result again = cli("report", dir.toString(), "--paper-c", "1e-9");
        assertEquals(0, again.code(), again.err());
        html = Files.readString(dir.resolve("report.html"));
        assertTrue(html.contains("from the given C = 1e-09") || html.contains("from the given C = "), html);
        assertTrue(html.contains("the paper predicts benign ("), html);
    }

    /** A sweep stopped half-way: a parameter its plan varies but its finished runs do not must not be shown as fixed without saying so. */
    @Test
    void aPartialSweepSaysItsFixedParametersAreThoseOfItsFinishedRuns(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("partial");
        Result r = cli(FiguresTest.cmd("sweep", dir, "--N", "4,8", "--mu", "4,8"));
        assertEquals(0, r.code(), r.err());
        // keep the N = 4 runs only, as a sweep killed after them leaves its store
        Path summary = dir.resolve("summary.csv");
        List<String> lines = Files.readAllLines(summary);
        int n = List.of(lines.get(0).split(",")).indexOf("N");
        List<String> kept = new ArrayList<>(List.of(lines.get(0)));
        for (String l : lines.subList(1, lines.size())) if (l.split(",")[n].equals("4")) kept.add(l);
        assertTrue(kept.size() > 1 && kept.size() < lines.size(), "some runs kept, some dropped");
        Files.write(summary, kept);

        Result rep = cli("report", dir.toString());
        assertEquals(0, rep.code(), rep.err());
        String html = Files.readString(dir.resolve("report.html"));
        int finished = kept.size() - 1;
        assertTrue(html.contains("<b>Fixed (in the " + finished + " finished runs of " + (lines.size() - 1)
                + " planned: the plan may vary more):</b> "), html);

        // the whole plan finished: no such words
        Result all = cli(FiguresTest.cmd("sweep", tmp.resolve("whole"), "--N", "4,8", "--mu", "4,8", "--report"));
        assertEquals(0, all.code(), all.err());
        assertTrue(Files.readString(tmp.resolve("whole").resolve("report.html")).contains("<p><b>Fixed:</b> "));
    }

    @Test
    void reportRefusesBadInputWithAOneLineMessage(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        Result r = cli("report", tmp.resolve("empty").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("report: " + tmp.resolve("empty") + " has no summary.csv: not a results directory"), r.err());
        Result m = cli("report", tmp.toString(), "--paper-c", "-1");
        assertEquals(2, m.code());
        assertTrue(m.err().contains("--paper-c must be finite and > 0: got -1.0"), m.err());
    }

    @Test
    void bayesLossIsTheEntropyOfTheFlipRate() {
        assertEquals(0, org.attnsweep.sweep.Aggregate.bayesLoss(0));
        assertEquals(Math.log(2), org.attnsweep.sweep.Aggregate.bayesLoss(0.5), 1e-15);
        assertEquals(0.3250829733914482, org.attnsweep.sweep.Aggregate.bayesLoss(0.1), 1e-15); // −0.1 ln 0.1 − 0.9 ln 0.9
    }
}
