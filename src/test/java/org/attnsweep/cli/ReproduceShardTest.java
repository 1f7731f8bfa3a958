package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/**
 * {@code reproduce --shard} at the smoke scale: two shards, each preset's shards merged with
 * {@code merge}, then {@code reproduce} on the merged directory trains nothing and writes the
 * same claims.csv, byte for byte, as one unsharded run.
 */
class ReproduceShardTest {

    @Test
    void shardsMergedPerPresetGiveTheUnshardedClaims(@TempDir Path tmp) throws IOException {
        List<String> presets = Reproduction.presets(List.of("A", "B"));
        Path s1 = tmp.resolve("s1"), s2 = tmp.resolve("s2"), merged = tmp.resolve("merged"), whole = tmp.resolve("whole");
        for (String[] shard : new String[][] {{"0/2", s1.toString()}, {"1/2", s2.toString()}}) {
            Result r = cli("reproduce", "--scale", "smoke", "--engine", "vector", "--shard", shard[0], "--out", shard[1]);
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("shard " + shard[0] + " done: merge each preset's shards"), r.out());
            assertTrue(!Files.exists(Path.of(shard[1]).resolve("claims.csv")), "a shard writes no claims");
        }
        for (String preset : presets) {
            Result m = cli("merge", "--out", merged.resolve(preset).toString(), s1.resolve(preset).toString(), s2.resolve(preset).toString());
            assertEquals(0, m.code(), preset + ": " + m.out() + m.err());
            assertTrue(m.out().contains("from 2 shards"), m.out());
        }
        Result r = cli("reproduce", "--scale", "smoke", "--engine", "vector", "--out", merged.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        for (String preset : presets) {
            String line = r.out().lines().filter(l -> l.startsWith(preset + " ")).findFirst().orElse("");
            assertTrue(line.contains("(0 trained now)"), preset + " trains nothing after the merge: " + r.out());
        }
        Result w = cli("reproduce", "--scale", "smoke", "--engine", "vector", "--out", whole.toString());
        assertEquals(0, w.code(), w.out() + w.err());
        assertArrayEquals(Files.readAllBytes(whole.resolve("claims.csv")), Files.readAllBytes(merged.resolve("claims.csv")),
                "claims.csv of the merged shards equals the unsharded run's:\n" + Files.readString(merged.resolve("claims.csv"))
                        + "\nvs\n" + Files.readString(whole.resolve("claims.csv")));
    }
}
