package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.LockHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The readers (aggregate, plot, report) on a directory whose sweep is still running, its lock
 * held by another process: each reads the runs finished so far, does its work and says in one
 * line that the sweep runs and how many of its planned runs it read; aggregate prints its tables
 * but leaves cells.csv to the sweep. Aggregate was refused ("in use by another writer"), and plot
 * and report drew a part of the plan without a word (s22 audit).
 */
class LiveSweepTest {

    @Test
    void readersOfARunningSweepShowTheRunsSoFarAndSaySo(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("live");
        Result r = cli("sweep", "--N", "2,4", "--mu", "2,8", "--repeats", "2", "--d", "8", "--M", "2", "--mk", "8", "--mv", "4",
                "--steps", "20", "--eval-every", "5", "--engine", "vector", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        // The directory as a sweep 5 runs into its 8 leaves it: 5 summary rows, curve rows of those and of one in
        // flight, half a summary row being appended, and no aggregates yet.
        List<String> sum = Files.readAllLines(dir.resolve("summary.csv"));
        Files.writeString(dir.resolve("summary.csv"), String.join("\n", sum.subList(0, 6)) + "\n" + sum.get(6).substring(0, 30));
        for (String f : List.of("cells.csv", "boundary.csv")) Files.deleteIfExists(dir.resolve(f));

        Process holder = LockHolder.start("dir", dir);
        try {
            String running = dir + " is still being written (pid " + holder.pid() + " on ";
            r = cli("aggregate", dir.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("attnsweep: aggregate: " + running) && r.err().contains("sweep): 5 of 8 planned runs are finished; "
                    + "the table above is of those, and cells.csv is not written"), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertFalse(r.out().isBlank(), "the tables of the runs so far: " + r.err());
            assertFalse(Files.exists(dir.resolve("cells.csv")), "cells.csv is the sweep's to write");

            r = cli("plot", dir.toString(), "--format", "svg");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("attnsweep: plot: " + running) && r.err().contains("5 of 8 planned runs are finished; the figures "
                    + "show those: plot again when it ends"), r.err());
            r = cli("report", dir.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("attnsweep: report: " + running) && r.err().contains("5 of 8 planned runs are finished; the report "
                    + "shows those: report again when it ends"), r.err());
            assertTrue(Files.readString(dir.resolve("report.html")).contains("5 finished"), "the report's own count");
            // Every run stored, the sweep still writing its last files.
            Files.writeString(dir.resolve("summary.csv"), String.join("\n", sum) + "\n");
            r = cli("aggregate", dir.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("sweep): all 8 planned runs are finished (it is writing its last files); the table above"), r.err());
            assertFalse(Files.exists(dir.resolve("cells.csv")), "cells.csv is the sweep's to write");
        } finally {
            LockHolder.stop(holder);
        }
        // Its writer gone, aggregate writes as ever, and no reader says a sweep runs.
        r = cli("aggregate", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("still being written"), r.err());
        assertTrue(Files.exists(dir.resolve("cells.csv")));
        r = cli("report", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("still being written"), r.err());
    }
}
