package org.attnsweep.sweep;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.model.Metric;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store written by an older version (the golden sweep of ShiftOptionsTest: no test-shift, loss, batch-size,
 * heads or logistic-loss columns) is read by aggregate, plot and report, each missing column
 * holding what such a run had (StoreCsv.ADDED); they refused it as "not a summary.csv of this
 * version". A sweep still adds nothing to it, and says why; a header that is not an older
 * version's is refused as before.
 */
class OlderStoreTest {
    private static final List<String> MISSING = List.of("test_sigma_scale", "test_signal_angle", "test_p", "loss", "batch_size", "heads",
            "train_loss_logistic", "test_loss_logistic");

    @Test
    void aggregatePlotAndReportReadAnOlderStore(@TempDir Path dir) throws IOException {
        copyGolden(dir);
        List<String> oldHeader = List.of(Files.readAllLines(dir.resolve("summary.csv")).get(0).split(","));
        for (String c : MISSING) assertTrue(!oldHeader.contains(c), "the golden store predates " + c);

        List<String> warnings = new ArrayList<>();
        List<Aggregate.Cell> runs = Aggregate.runs(dir.resolve("summary.csv"), warnings::add);
        assertEquals(32, runs.size(), "every stored run read: " + warnings);
        assertEquals(List.of(), warnings);
        List<String> rows = Files.readAllLines(dir.resolve("summary.csv"));
        for (int i = 0; i < runs.size(); i++) {
            Aggregate.Cell c = runs.get(i);
            List<String> row = List.of(rows.get(i + 1).split(","));
            assertEquals("logistic", c.config().get("loss"));
            assertEquals("1", c.config().get("heads"));
            assertEquals("1", c.config().get("test_sigma_scale"));
            assertEquals("0", c.config().get("test_signal_angle"));
            assertEquals(Aggregate.FULL_BATCH, c.config().get("batch_size"), "full-batch GD: B = N");
            assertEquals(c.config().get("p"), c.config().get("test_p"), "an unshifted test set");
            // the stored numbers as written, the logistic loss columns equal to the losses
            assertEquals(Double.parseDouble(row.get(oldHeader.indexOf("test_loss"))), c.mean(Metric.TEST_LOSS));
            assertEquals(c.mean(Metric.TEST_LOSS), c.mean(Metric.TEST_LOSS_LOGISTIC));
            assertEquals(c.mean(Metric.TRAIN_LOSS), c.mean(Metric.TRAIN_LOSS_LOGISTIC));
        }

        for (String[] args : new String[][] {{"aggregate", dir.toString()}, {"plot", dir.toString()}, {"report", dir.toString()}}) {
            Result r = cli(args);
            assertEquals(0, r.code(), args[0] + ": " + r.err());
        }
        assertTrue(Files.size(dir.resolve("cells.csv")) > 0 && Files.exists(dir.resolve("report.html")));
        assertEquals(rows, Files.readAllLines(dir.resolve("summary.csv")), "the older store is read, never rewritten");
    }

    @Test
    void noRunIsAddedToAnOlderStoreAndOtherHeadersStayRefused(@TempDir Path dir) throws IOException {
        copyGolden(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StoreCsv.checkHeader(dir.resolve("summary.csv"), StoreCsv.Kind.SUMMARY));
        assertEquals(dir.resolve("summary.csv") + " was written by an older version (no " + String.join(", ", MISSING) + " columns): aggregate,"
                + " plot and report read it, but no run can be added to it: give another directory", e.getMessage());

        // A column renamed is no older version's header.
        Path summary = dir.resolve("summary.csv");
        List<String> lines = new ArrayList<>(Files.readAllLines(summary));
        lines.set(0, lines.get(0).replace(",lr,", ",eta,"));
        Files.write(summary, lines);
        e = assertThrows(IllegalArgumentException.class, () -> Aggregate.runs(summary, w -> { }));
        assertTrue(e.getMessage().endsWith("is not a summary.csv of this version: line 1 is not its header, nor an older version's"), e.getMessage());
    }

    private static void copyGolden(Path dir) throws IOException {
        for (String f : List.of("summary.csv", "metrics.csv")) {
            try (InputStream in = OlderStoreTest.class.getResourceAsStream("/golden/shift/" + f)) {
                assertNotNull(in, f);
                Files.write(dir.resolve(f), in.readAllBytes());
            }
        }
    }
}
