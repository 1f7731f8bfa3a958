package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finished results on a read-only mount (an archive, a colleague's share): every command that
 * would write into them is refused before its work, in one line with exit 2 naming the directory
 * as its command calls it — aggregate's line named --out, which it has not, and report and plot
 * built their output before failing with exit 1 (s21b audit). Needs root to mount a tmpfs; skips
 * saying why without it.
 */
class ReadOnlyDirTest {

    @Test
    void commandsThatWriteIntoAReadOnlyResultsDirAreRefusedBeforeWork(@TempDir Path tmp) throws Exception {
        Path done = tmp.resolve("done");
        String[] sweep = {"sweep", "--N", "2,4", "--d", "8", "--M", "2", "--mk", "8", "--mv", "4", "--steps", "5", "--engine", "vector",
                "--out", done.toString()};
        assertEquals(0, cli(sweep).code());
        Path mount = tmp.resolve("ro");
        Files.createDirectories(mount);
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString()).redirectErrorStream(true).start();
        String why = new String(m.getInputStream().readAllBytes()).strip();
        Assumptions.assumeTrue(m.waitFor() == 0, "a read-only directory needs a tmpfs mounted read-only, and mounting one failed (not root?): " + why);
        try {
            Path ro = mount.resolve("done");
            assertEquals(0, new ProcessBuilder("cp", "-r", done.toString(), ro.toString()).start().waitFor());
            assertEquals(0, new ProcessBuilder("mount", "-o", "remount,ro", mount.toString()).start().waitFor());
            for (List<String> c : List.of(List.of("aggregate", "aggregate: DIR " + ro + " is not writable"),
                    List.of("report", "report: DIR " + ro + " is not writable"),
                    List.of("plot", "plot: DIR " + ro + " is not writable"))) {
                Result r = cli(c.get(0), ro.toString());
                assertEquals(2, r.code(), r.err());
                List<String> lines = r.err().lines().filter(l -> l.startsWith("attnsweep:")).toList();
                assertEquals(1, lines.size(), r.err());
                assertTrue(lines.get(0).contains(c.get(1)) && lines.get(0).contains("Read-only file system"), r.err());
                assertFalse(r.out().contains("wrote") || r.out().contains("figures"), "no work: " + r.out());
            }
            // The sweep's resume of a finished plan is refused the same way, as --out.
            sweep[sweep.length - 1] = ro.toString();
            Result r = cli(sweep);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--out " + ro + " is not writable: " + ro + " is read-only"), r.err());
            // ...with the option checks, before the engine is chosen and its lines printed (they were, then the refusal)
            assertFalse(r.err().contains("engine="), r.err());
            sweep[sweep.length - 1] = ro.resolve("new").toString();
            r = cli(sweep);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--out " + ro.resolve("new") + " cannot be created: " + ro + " is read-only"), r.err());
            assertFalse(r.err().contains("engine="), r.err());
        } finally {
            new ProcessBuilder("umount", mount.toString()).start().waitFor();
        }
    }
}
