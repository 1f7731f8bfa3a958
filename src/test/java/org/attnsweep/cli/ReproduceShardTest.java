package org.attnsweep.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/**
 * {@code reproduce --shard} at the smoke scale: two shards, each preset's shards merged with
 * {@code merge}, then {@code reproduce} on the merged directory trains nothing and writes the
 * same claims.csv, byte for byte, as one unsharded run.
 */
class ReproduceShardTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void shardsMergedPerPresetGiveTheUnshardedClaims(@TempDir Path tmp) throws IOException {
        List<String> presets = Reproduction.presets(List.of("A", "B"));
        Path s1 = tmp.resolve("s1"), s2 = tmp.resolve("s2"), merged = tmp.resolve("merged"), whole = tmp.resolve("whole");
        for (String[] shard : new String[][] {{"0/2", s1.toString()}, {"1/2", s2.toString()}}) {
            String[] r = run("reproduce", "--scale", "smoke", "--engine", "vector", "--shard", shard[0], "--out", shard[1]);
            assertEquals("0", r[0], r[1] + r[2]);
            assertTrue(r[1].contains("shard " + shard[0] + " done: merge each preset's shards"), r[1]);
            assertTrue(!Files.exists(Path.of(shard[1]).resolve("claims.csv")), "a shard writes no claims");
        }
        for (String preset : presets) {
            String[] m = run("merge", "--out", merged.resolve(preset).toString(), s1.resolve(preset).toString(), s2.resolve(preset).toString());
            assertEquals("0", m[0], preset + ": " + m[1] + m[2]);
            assertTrue(m[1].contains("from 2 shards"), m[1]);
        }
        String[] r = run("reproduce", "--scale", "smoke", "--engine", "vector", "--out", merged.toString());
        assertEquals("0", r[0], r[1] + r[2]);
        for (String preset : presets) {
            String line = r[1].lines().filter(l -> l.startsWith(preset + " ")).findFirst().orElse("");
            assertTrue(line.contains("(0 trained now)"), preset + " trains nothing after the merge: " + r[1]);
        }
        String[] w = run("reproduce", "--scale", "smoke", "--engine", "vector", "--out", whole.toString());
        assertEquals("0", w[0], w[1] + w[2]);
        assertArrayEquals(Files.readAllBytes(whole.resolve("claims.csv")), Files.readAllBytes(merged.resolve("claims.csv")),
                "claims.csv of the merged shards equals the unsharded run's:\n" + Files.readString(merged.resolve("claims.csv"))
                        + "\nvs\n" + Files.readString(whole.resolve("claims.csv")));
    }
}
