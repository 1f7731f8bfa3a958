package org.attnsweep.report;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report as a browser shows it: scripts/report-check loads it in headless Chromium and checks
 * the screenshot shows figures. Skipped, with the reason printed, where Chromium is not installed.
 */
class ReportBrowserTest {

    static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String d : path.split(File.pathSeparator)) if (Files.isExecutable(Path.of(d, exe))) return true;
        return false;
    }

    @Test
    void reportRendersInHeadlessChromium(@TempDir Path tmp) throws IOException, InterruptedException {
        String browser = System.getenv().getOrDefault("CHROMIUM", "chromium");
        if (!onPath(browser)) {
            System.err.println("ReportBrowserTest skipped: " + browser + " is not on PATH (Debian: apt-get install -y chromium)");
            Assumptions.abort(browser + " is not on PATH");
        }
        Path dir = tmp.resolve("grid");
        Result r = cli(FiguresTest.cmd("sweep", dir, "--N", "4:16:4", "--mu", "4,8,16,32", "--p", "0,0.1",
                "--cutoff", "0.6", "--report"));
        assertEquals(0, r.code(), r.err());
        Path shot = tmp.resolve("screenshot.png");
        Process p = new ProcessBuilder("scripts/report-check", dir.toString(), shot.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "report-check did not finish in 180 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.err.print(out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("distinct colours"), out);
    }
}
