package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.attnsweep.cli.TrainCommandTest.small;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.model.RunSpec;
import org.attnsweep.report.Figure;
import org.attnsweep.report.Figures;
import org.attnsweep.report.Results;
import org.attnsweep.sweep.PlannedRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shifted-test-set options end to end: old results unchanged, bad values refused, the ood-angle preset and its figure. */
class ShiftOptionsTest {
    /**
     * The command whose results src/test/resources/golden/shift/ holds, stored by main at cc702c2 before the
     * options existed, and stored again with GoldenResultTest's vector/ files when the float32 evaluation
     * changed the last digits of the evaluation columns and again when the softmax's exponentials went
     * vector-wide (same columns; see GoldenResultTest). Bit for bit at the width they were stored at,
     * within GoldenResultTest's tolerance at another.
     */
    static final String[] GOLDEN = {"sweep", "--d", "24", "--M", "3", "--sigma", "1,0.5", "--mk", "8", "--mv", "8", "--N", "4,8",
            "--mu", "3,30", "--p", "0,0.1", "--signals", "axis,random", "--repeats", "2", "--steps", "30", "--eval-every", "10",
            "--test-n", "20", "--engine", "vector", "--threads", "1"};
    static final List<String> SHIFT_COLUMNS = List.of("test_sigma_scale", "test_signal_angle", "test_p");

    @Test
    void defaultRunsReproduceTheGoldenResultsBitForBit(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("golden");
        List<String> args = new ArrayList<>(List.of(GOLDEN));
        args.addAll(List.of("--out", out.toString()));
        Result r = cli(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        // metrics.csv and summary.csv: every column main wrote (run key included) holds main's text
        // (columns added since are GoldenResultTest.ADDED's); the three shift columns hold the
        // defaults (test p = p).
        for (String file : List.of("metrics.csv", "summary.csv")) {
            List<String> was = golden(file).lines().toList(), now = Files.readAllLines(out.resolve(file));
            assertEquals(was.size(), now.size());
            List<String> oldCols = List.of(was.get(0).split(",")), newCols = List.of(now.get(0).split(","));
            List<String> added = new ArrayList<>(newCols);
            added.removeAll(oldCols);
            added.removeAll(SHIFT_COLUMNS);
            for (String c : added) assertTrue(GoldenResultTest.ADDED.stream().anyMatch(a -> a[0].equals(c)), c + " of " + file);
            for (int i = 1; i < was.size(); i++) {
                String[] a = was.get(i).split(",", -1), b = now.get(i).split(",", -1);
                for (int c = 0; c < oldCols.size(); c++) {
                    GoldenResultTest.assertField(a[c], b[newCols.indexOf(oldCols.get(c))], false, oldCols.get(c) + " of row " + i + " of " + file);
                }
                if (!file.equals("summary.csv")) continue;
                assertEquals("1", b[newCols.indexOf("test_sigma_scale")]);
                assertEquals("0", b[newCols.indexOf("test_signal_angle")]);
                assertEquals(a[oldCols.indexOf("p")], b[newCols.indexOf("test_p")]);
            }
        }
    }

    private static String golden(String name) throws IOException {
        try (InputStream in = ShiftOptionsTest.class.getResourceAsStream("/golden/shift/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void keysChangeOnlyWhenTheTestSetIsShifted() {
        RunSpec s = new RunSpec();
        s.p = 0.1;
        String plain = PlannedRun.keyOf(s.build(0));
        s.testP = 0.1; // = p: the unshifted run
        assertEquals(plain, PlannedRun.keyOf(s.build(0)));
        String text = s.build(0).toString();
        assertFalse(text.contains("testSigmaScale") || text.contains("testSignalAngle") || text.contains("testP"), text);
        for (String[] kv : new String[][] {{"test-p", "0.2"}, {"test-sigma-scale", "2"}, {"test-signal-angle", "30"}}) {
            RunSpec t = s.copy();
            t.set(kv[0], kv[1]);
            assertNotEquals(plain, PlannedRun.keyOf(t.build(0)), kv[0]);
        }
    }

    @Test
    void badShiftsAreRefusedInOneLineBeforeAnyWork(@TempDir Path tmp) {
        String[][] cases = {
                {"--test-sigma-scale", "0", "--test-sigma-scale must be finite and > 0: got 0.0"},
                {"--test-sigma-scale", "-2", "--test-sigma-scale must be finite and > 0: got -2.0"},
                {"--test-sigma-scale", "Infinity", "--test-sigma-scale expects a finite number: got 'Infinity'"},
                {"--test-signal-angle", "-1", "--test-signal-angle must be in [0, 180] degrees: got -1.0"},
                {"--test-signal-angle", "180.5", "--test-signal-angle must be in [0, 180] degrees: got 180.5"},
                {"--test-signal-angle", "NaN", "--test-signal-angle expects a finite number: got 'NaN'"},
                {"--test-p", "0.5", "--test-p must be in [0, 0.5): got 0.5"},
                {"--test-p", "-0.1", "--test-p must be in [0, 0.5): got -0.1"},
                {"--test-p", "x", "--test-p expects a number: got 'x'"}};
        for (String cmd : List.of("train", "sweep")) {
            for (String[] c : cases) {
                Path out = tmp.resolve(cmd + c[0] + c[1]);
                String[] args = small(out, c[0], c[1]);
                args[0] = cmd;
                Result r = cli(args);
                assertEquals(2, r.code(), cmd + " " + c[0] + " " + c[1] + ": " + r.err());
                assertTrue(r.err().contains(c[2]), "expected '" + c[2] + "' in: " + r.err());
                assertEquals(1, r.err().strip().lines().count(), r.err());
                assertFalse(Files.exists(out), "no work done for " + c[0] + " " + c[1]);
            }
        }
        Result r = cli(small(tmp.resolve("d3"), "--d", "3", "--test-signal-angle", "30"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--d must be at least 4 with --test-signal-angle > 0"), r.err());
    }

    @Test
    void aShiftIsRefusedWithDataFromFiles(@TempDir Path tmp) {
        Path data = tmp.resolve("data");
        assertEquals(0, cli(small(tmp.resolve("run"), "--save-data", data.toString())).code());
        Path out = tmp.resolve("shifted");
        Result r = cli(small(out, "--data-from", data.toString(), "--test-signal-angle", "30"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--test-signal-angle shapes generated data, and the data are --data-from "), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void aShiftedTrainRecordsItsShift(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("run");
        Result r = cli(small(out, "--p", "0.1", "--test-sigma-scale", "2", "--test-signal-angle", "45", "--test-p", "0.3"));
        assertEquals(0, r.code(), r.err());
        JsonNode c = TrainCommandTest.firstConfig(out);
        assertEquals(2.0, c.get("testSigmaScale").asDouble());
        assertEquals(45.0, c.get("testSignalAngle").asDouble());
        assertEquals(0.3, c.get("testP").asDouble());
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        List<String> cols = List.of(summary.get(0).split(","));
        String[] row = summary.get(1).split(",");
        assertEquals("2", row[cols.indexOf("test_sigma_scale")]);
        assertEquals("45", row[cols.indexOf("test_signal_angle")]);
        assertEquals("0.3", row[cols.indexOf("test_p")]);
    }

    @Test
    void oodAnglePresetAtReducedSizeDrawsTestErrorAgainstTheta(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("ood");
        Result r = cli("sweep", "--preset", "ood-angle", "--d", "32", "--M", "4", "--sigma", "4,0.2*2", "--mk", "8", "--mv", "8",
                "--steps", "20", "--eval-every", "10", "--test-n", "20", "--repeats", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1 + 2 * 9, Files.readAllLines(out.resolve("summary.csv")).size(), "2 |mu| x 9 angles");
        Result p = cli("plot", out.toString());
        assertEquals(0, p.code(), p.err());
        List<Figure> figures = new Figures(Results.load(out)).all();
        assertEquals(List.of("factors"), figures.stream().map(Figure::name).toList());
        Figure f = figures.get(0);
        assertEquals(1, f.panels().size(), "one panel: test error against theta, a series per |mu|");
        assertTrue(f.panels().get(0).getXYPlot().getDomainAxis().getLabel().contains("θ"), f.panels().get(0).getXYPlot().getDomainAxis().getLabel());
        assertTrue(f.panels().get(0).getXYPlot().getRangeAxis().getLabel().contains("test error"));
        assertTrue(f.caption().contains("orthogonal to both training signals"), f.caption());
        assertTrue(Files.size(out.resolve("figures/factors.png")) > 0);
        assertTrue(Files.size(out.resolve("figures/factors.svg")) > 0);
    }
}
