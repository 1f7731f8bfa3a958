package org.attnsweep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.DirLock;

/**
 * A results directory whose sweep is still running, as a reader (aggregate, plot, report) finds
 * it. The reader takes no lock and reads a consistent snapshot: summary.csv's complete rows, each
 * a run whose curve rows were forced to disk before it was appended. What it adds is one line on
 * stderr saying that the sweep runs and how many of its planned runs the snapshot holds, so a
 * figure of 37 finished runs is not read as the plan's (s22 audit: aggregate was refused as "in
 * use by another writer", and plot and report said nothing).
 */
final class LiveSweep {
    private LiveSweep() {
    }

    /** The holder's record when another process holds {@code dir}'s lock (its sweep or train runs), else null. */
    static String holder(Path dir) {
        return Files.isDirectory(dir) ? DirLock.heldBy(dir) : null;
    }

    /**
     * The line: "COMMAND: DIR is still being written (HOLDER): N of P planned runs are finished; REST"
     * (all P finished: the sweep is writing its last files).
     * P is what config.json lists for this directory (a shard's runs, or the plan's), left out
     * before the writer has written it.
     */
    static String line(String command, Path dir, String holder, String rest) {
        int done = Aggregate.cells(dir.resolve("summary.csv"), w -> { }).stream().mapToInt(c -> c.runs().size()).sum();
        int planned = planned(dir);
        String runs = planned > 0 && done >= planned ? "all " + planned + " planned runs are finished (it is writing its last files)"
                : done + (planned > 0 ? " of " + planned + " planned" : "") + " runs are finished";
        return "attnsweep: " + command + ": " + dir + " is still being written (" + holder + "): " + runs + "; " + rest;
    }

    /** The runs config.json lists (a shard's own), else its plan_runs; 0 when it says neither or cannot be read. */
    private static int planned(Path dir) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg, LinkOption.NOFOLLOW_LINKS)) return 0;
        try {
            JsonNode n = new ObjectMapper().readTree(cfg.toFile());
            if (n == null) return 0;
            return n.path("runs").isArray() ? n.path("runs").size() : n.path("plan_runs").asInt(0);
        } catch (IOException e) {
            return 0;
        }
    }
}
