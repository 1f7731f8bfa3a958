package org.attnsweep.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fault-injection suite's count, per area: cases tried, refused cleanly (one line, no stack
 * trace, no finished run lost), and faults survived with results identical to an undisturbed run.
 * Every case asserts that no finished good run was lost, so a loss fails the suite instead of
 * being counted. Written to target/reliability.txt for the README.
 */
public final class Tally {
    record Counts(int tried, int refused, int survived) {
        Counts plus(Counts o) {
            return new Counts(tried + o.tried, refused + o.refused, survived + o.survived);
        }
    }

    private static final Map<String, Counts> AREAS = new TreeMap<>();

    private Tally() {
    }

    public static synchronized void refused(String area) {
        add(area, new Counts(1, 1, 0));
    }

    public static synchronized void survived(String area) {
        add(area, new Counts(1, 0, 1));
    }

    private static void add(String area, Counts c) {
        AREAS.merge(area, c, Counts::plus);
        write();
    }

    /** Rewrites target/reliability.txt: a line per area, as the README's table quotes it. */
    private static void write() {
        StringBuilder sb = new StringBuilder("area | cases | refused cleanly | survived, results identical\n");
        AREAS.forEach((a, c) -> sb.append(a).append(" | ").append(c.tried).append(" | ").append(c.refused).append(" | ")
                .append(c.survived).append('\n'));
        try {
            Path f = Path.of("target", "reliability.txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
