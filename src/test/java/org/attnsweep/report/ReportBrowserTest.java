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

    /** scripts/report-check on a report: its exit code and output. */
    static Result check(Path report, Path shot) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("scripts/report-check", report.toString(), shot.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "report-check did not finish in 180 s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.err.print(out);
        return new Result(p.exitValue(), out, "");
    }

    /**
     * Small is not blank: a one-cell report and one whose every run diverged are correct and pass
     * (under 1% of the page coloured, the check failed them as blank; s22 audit), while a page
     * that shows nothing and one whose figures do not show fail.
     */
    @Test
    void smallReportsPassAndBlankOnesFail(@TempDir Path tmp) throws IOException, InterruptedException {
        String browser = System.getenv().getOrDefault("CHROMIUM", "chromium");
        if (!onPath(browser)) {
            System.err.println("ReportBrowserTest skipped: " + browser + " is not on PATH (Debian: apt-get install -y chromium)");
            Assumptions.abort(browser + " is not on PATH");
        }
        Path one = tmp.resolve("one"), diverged = tmp.resolve("diverged");
        assertEquals(0, cli(FiguresTest.cmd("sweep", one, "--report")).code());
        assertEquals(0, cli(FiguresTest.cmd("sweep", diverged, "--N", "4,8", "--mu", "8,16")).code());
        DivergedReportTest.diverge(diverged, run -> true);
        assertEquals(0, cli("report", diverged.toString()).code());
        for (Path d : java.util.List.of(one, diverged)) {
            Result r = check(d, tmp.resolve(d.getFileName() + ".png"));
            assertEquals(0, r.code(), d + ": " + r.out());
        }
        // The one-cell report with its figures hidden, and with nothing shown at all.
        String html = Files.readString(one.resolve("report.html"));
        Path hidden = tmp.resolve("hidden.html"), blank = tmp.resolve("blank.html");
        Files.writeString(hidden, html.replace("</style>", "img{visibility:hidden}</style>"));
        Files.writeString(blank, html.replace("</style>", "body{display:none}</style>"));
        Result r = check(hidden, tmp.resolve("hidden.png"));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("its figures did not render"), r.out());
        r = check(blank, tmp.resolve("blank.png"));
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("blank: "), r.out());
    }
}
