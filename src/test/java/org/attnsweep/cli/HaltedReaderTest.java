package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.attnsweep.Cli.Result;
import org.attnsweep.LockHolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * report and plot halted while writing (SIGTERM, kill -9) leave writeAtomically's temporary file
 * (.report.html.HEX.tmp, figures/.NAME.png.HEX.tmp), never a half-written file under its final
 * name; their next run removes the temporaries no live writer holds. They stayed for good: report
 * and plot write without the directory's lock, whose holders alone removed temporaries, and then
 * only the store's (s22 audit).
 */
class HaltedReaderTest {

    static Path sweep(Path tmp) {
        Path dir = tmp.resolve("grid");
        Result r = cli("sweep", "--N", "4,8,12", "--mu", "4,16", "--p", "0,0.1", "--d", "24", "--mk", "8", "--mv", "8", "--test-n", "40",
                "--steps", "60", "--eval-every", "10", "--repeats", "2", "--engine", "vector", "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        return dir;
    }

    @Test
    void theNextRunRemovesTemporariesNoLiveWriterHolds(@TempDir Path tmp) throws Exception {
        Path dir = sweep(tmp), figures = dir.resolve("figures");
        Files.createDirectories(figures);
        List<Path> stale = List.of(dir.resolve(".report.html.3f9a0c.tmp"), figures.resolve(".heatmap-p0.png.77.tmp"),
                figures.resolve(".critical-c.svg.abc.tmp"));
        Path live = figures.resolve(".heatmap-p0.pdf.5e.tmp");
        for (Path f : stale) Files.writeString(f, "half a file");
        Files.writeString(live, "being written");
        Process writer = LockHolder.start("file", live); // another plot, writing it now
        try {
            assertEquals(0, cli("report", dir.toString()).code());
            assertEquals(0, cli("plot", dir.toString(), "--format", "png,svg").code());
        } finally {
            LockHolder.stop(writer);
        }
        for (Path f : stale) assertTrue(Files.notExists(f), f + " left");
        assertTrue(Files.exists(live), "a live writer's temporary file removed");
    }

    /**
     * Children halted the moment a temporary file of theirs appears (alternately SIGTERM and kill
     * -9): every file under a final name is whole, and the next run leaves no temporary file.
     */
    @Test
    void haltedMidWriteTheyLeaveNoHalfFileAndTheNextRunCleansUp(@TempDir Path tmp) throws Exception {
        Path dir = sweep(tmp), figures = dir.resolve("figures");
        assertEquals(0, cli("plot", dir.toString()).code()); // earlier figures, to be written over
        for (String command : List.of("report", "plot")) {
            int caught = 0;
            for (int attempt = 0; attempt < 12 && caught < 2; attempt++) {
                Path log = tmp.resolve(command + attempt + ".log");
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                        "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName(), command, dir.toString()));
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                List<Path> seen = List.of();
                while (p.isAlive() && seen.isEmpty()) seen = temporaries(dir, figures);
                if (caught % 2 == 0) p.destroyForcibly(); else p.destroy();
                int code = p.waitFor();
                if (seen.isEmpty() || code == 0) continue; // it finished first: again
                caught++;
                wholeFiles(dir, figures, command + " halted (exit " + code + ") while writing " + seen);
            }
            assertTrue(caught > 0, command + " was never caught writing in 12 tries");
            Result r = cli(command, dir.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(List.of(), temporaries(dir, figures), "temporary files after " + command + " ran again");
            wholeFiles(dir, figures, command + " ran again");
        }
    }

    /** writeAtomically's temporary files in the directory and in figures/. */
    static List<Path> temporaries(Path dir, Path figures) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path d : List.of(dir, figures)) {
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                s.filter(f -> f.getFileName().toString().matches("\\..+\\.[0-9a-f]{1,16}\\.tmp")).forEach(out::add);
            } catch (java.nio.file.NoSuchFileException e) {
                // listed as it was renamed: looked at again
            }
        }
        return out;
    }

    /** report.html and every figure under its final name are whole files. */
    static void wholeFiles(Path dir, Path figures, String ctx) throws IOException {
        Path html = dir.resolve("report.html");
        if (Files.exists(html)) assertTrue(Files.readString(html).endsWith("</body></html>\n"), ctx + ": report.html cut short");
        try (Stream<Path> s = Files.list(figures)) {
            for (Path f : s.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".png")) assertNotNull(ImageIO.read(f.toFile()), ctx + ": " + name + " does not decode");
                if (name.endsWith(".svg")) assertTrue(Files.readString(f).replaceAll("\\s", "").endsWith("</svg>"), ctx + ": " + name + " cut short: ..." + tail(Files.readString(f)));
                if (name.endsWith(".pdf")) assertTrue(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1).strip()
                        .endsWith("%%EOF"), ctx + ": " + name + " cut short");
            }
        }
    }

    private static String tail(String s) {
        return s.substring(Math.max(0, s.length() - 80));
    }
}
