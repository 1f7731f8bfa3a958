package org.attnsweep.cli;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.attnsweep.Cli.Result;
import org.attnsweep.data.ImageFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image options (--images, --classes, --patch) and the fashion-heatmap preset end to end on the
 * fixture, their refusals, and --init-from giving m_k and m_v.
 */
class ImageOptionsTest {

    static String[] args(String cmd, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of(cmd, "--mk", "8", "--mv", "8", "--test-n", "6", "--steps", "20", "--eval-every", "10",
                "--engine", "vector", "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void trainOnImagesAsPatches(@TempDir Path tmp) throws IOException {
        Path images = ImageFixture.write(tmp.resolve("images"), true), out = tmp.resolve("run");
        Result r = cli(args("train", out, "--images", images.toString(), "--N", "8", "--mu", "1.5", "--lr", "1",
                "--repeats", "2"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 runs, 40 run-steps"), r.out());
        JsonNode c = TrainCommandTest.firstConfig(out);
        assertEquals(49, c.get("d").asInt());
        assertEquals(16, c.get("M").asInt());
        assertEquals(images.toString(), c.get("images").get("dir").asText());
        assertEquals(7, c.get("images").get("classPos").asInt());
        List<String> summary = Files.readAllLines(out.resolve("summary.csv"));
        assertEquals(3, summary.size());
        // The SNR column of an image run is μ.
        int snr = List.of(summary.get(0).split(",")).indexOf("snr");
        assertEquals("1.5", summary.get(1).split(",")[snr]);

        // The same command resumes; other images (another class pair) are another run set.
        assertTrue(cli(args("train", out, "--images", images.toString(), "--N", "8", "--mu", "1.5", "--lr", "1", "--repeats", "2"))
                .err().contains("resuming: 2 of 2 runs already done"));
    }

    @Test
    void badImageOptionsAreRefusedInOneLine(@TempDir Path tmp) throws IOException {
        Path images = ImageFixture.write(tmp.resolve("images"), false), out = tmp.resolve("x");
        String dir = images.toString();
        expect("--classes must be two distinct classes: got 7,7", args("train", out, "--images", dir, "--classes", "7,7"));
        expect("--classes must be two classes in 0..9: got 7,11", args("train", out, "--images", dir, "--classes", "7,11"));
        expect("--patch must divide 28 into at least 2x2 patches (2, 4, 7 or 14): got 6", args("train", out, "--images", dir, "--patch", "6"));
        expect("--patch must divide 28 into at least 2x2 patches (2, 4, 7 or 14): got 0", args("train", out, "--images", dir, "--patch", "0"));
        expect("--patch is for image runs: give --images DIR too", args("train", out, "--patch", "4"));
        expect("--d does not apply to image runs (--images): d = patch^2, M = (28/patch)^2, noise |xi| with xi ~ N(0, 1) on the border, "
                + "SNR = --mu", args("train", out, "--images", dir, "--d", "64"));
        expect("--N 60 needs 30 train images of class 7 but " + images.toRealPath().resolve("train-images-idx3-ubyte") + " has 24",
                args("train", out, "--images", dir, "--N", "60"));
        Path none = tmp.resolve("none");
        assertTrue(refused(args("sweep", out, "--images", none.toString(), "--N", "4,8"))
                .startsWith("attnsweep: --images " + none + ": no such directory (an image dir needs train-images-idx3-ubyte"));
        expect("--data-from and --images both give the data: choose one",
                args("train", out, "--images", dir, "--data-from", tmp.toString()));
        expect("--snr does not apply to image runs (--images): d = patch^2, M = (28/patch)^2, noise |xi| with xi ~ N(0, 1) on the "
                + "border, SNR = --mu", args("sweep", out, "--preset", "fashion-heatmap", "--images", dir, "--snr", "1"));
        expect("--classes takes one value per sweep (summary.csv has no column to tell its runs apart): got '7,9|3,9'",
                args("sweep", out, "--images", dir, "--classes", "7,9|3,9"));
        assertTrue(Files.notExists(out), "nothing is written before the checks pass");
    }

    /**
     * The fashion-heatmap preset at full size (N up to 3200, P = N·M = 51,200) fits the default
     * heap under auto, which sizes each run in the direct form; forced to span, its P² Gram is
     * refused, naming the form and what the direct form needs. Reads Debian's Fashion-MNIST
     * (scripts/test installs it as root); skipped, saying why, where absent.
     */
    @Test
    void fashionHeatmapAtFullSizeFitsInTheDirectForm(@TempDir Path tmp) {
        Path dir = Path.of(org.attnsweep.data.ImageSet.DEBIAN_FASHION_MNIST);
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(dir),
                "Debian's dataset-fashion-mnist is not installed (" + dir + "): apt-get install dataset-fashion-mnist");
        Path out = tmp.resolve("heat");
        Result auto = cli("sweep", "--preset", "fashion-heatmap", "--dry-run", "--engine", "vector",
                "--formulation", "auto", "--out", out.toString());
        assertEquals(0, auto.code(), auto.err());
        assertTrue(auto.out().contains("plan: 180 runs"), auto.out());
        assertTrue(auto.out().contains("runs sized in the direct form"), auto.out());
        // and its time is counted in that form: ~95 TFLOP, not the span form's ~2.7e4
        assertTrue(auto.out().contains("TFLOP of GD steps (docs/math.md §7's direct count)"), auto.out());
        Result span = cli("sweep", "--preset", "fashion-heatmap", "--dry-run", "--engine", "vector",
                "--formulation", "span", "--out", out.toString());
        assertEquals(2, span.code(), span.out());
        assertTrue(span.err().contains("one run needs ") && span.err().contains(" MiB in the span form, "), span.err());
        assertTrue(span.err().contains("; in the direct form it needs "), span.err());
        assertTrue(Files.notExists(out), "nothing is written by a dry run or a refusal");
    }

    /** fashion-heatmap at reduced size on the fixture: the map over (μ, N), the boundary fit and its figure. */
    @Test
    void fashionHeatmapAtReducedSize(@TempDir Path tmp) throws IOException {
        Path images = ImageFixture.write(tmp.resolve("images"), true), out = tmp.resolve("heat");
        Result r = cli("sweep", "--preset", "fashion-heatmap", "--images", images.toString(), "--N", "8,16",
                "--mu", "0.2,1,2", "--mk", "8", "--mv", "8", "--test-n", "8", "--repeats", "1", "--steps", "40", "--out", out.toString(),
                "--engine", "vector", "--report");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("6 runs trained"), r.out());
        assertTrue(r.out().contains("boundary"), r.out());
        List<String> cells = Files.readAllLines(out.resolve("cells.csv"));
        assertEquals(1 + 6, cells.size(), String.join("\n", cells));
        assertTrue(Files.readString(out.resolve("boundary.csv")).lines().count() >= 2);
        assertTrue(Files.readString(out.resolve("report.html")).contains("Test loss over (SNR, N)"), "the heatmap in the report");
        Result plot = cli("plot", out.toString());
        assertEquals(0, plot.code(), plot.err());
        assertTrue(Files.size(out.resolve("figures/heatmap.png")) > 1000, "the heatmap figure");
        assertTrue(Files.readString(out.resolve("figures/heatmap.svg")).contains("SNR = μ (image weight)"), "the x axis says SNR = μ");
    }

    /** --init-from gives m_k and m_v; an explicit one that disagrees is refused naming both. */
    @Test
    void initFromGivesTheWidths(@TempDir Path tmp) {
        Path w = tmp.resolve("w");
        Result first = cli("train", "--d", "24", "--mk", "8", "--mv", "6", "--N", "6", "--test-n", "5", "--steps", "10",
                "--engine", "vector", "--save-weights", w.toString(), "--out", tmp.resolve("a").toString());
        assertEquals(0, first.code(), first.err());
        Result again = cli("train", "--N", "6", "--test-n", "5", "--steps", "10", "--engine", "vector",
                "--init-from", w.toString(), "--out", tmp.resolve("b").toString());
        assertEquals(0, again.code(), again.err());
        expect("--mk 16 disagrees with W_Q.npy's m_k = 8 in --init-from " + w + ": drop --mk (the files set it)",
                new String[] {"train", "--mk", "16", "--init-from", w.toString(), "--out", tmp.resolve("c").toString()});
        expect("--d 30 disagrees with W_Q.npy's d = 24 in --init-from " + w + ": drop --d (the files set it)",
                new String[] {"train", "--d", "30", "--init-from", w.toString(), "--out", tmp.resolve("c").toString()});
        // Image runs have d = 49: weights of d = 24 are refused before any work.
        expect("the init dir holds d=24, m_k=8, m_v=6 (W_Q.npy, W_V.npy) but the run asks for d=49, m_k=8, m_v=6",
                new String[] {"train", "--images", tmp.toString(), "--init-from", w.toString(), "--out", tmp.resolve("c").toString()});
    }

    private static void expect(String message, String[] args) {
        assertEquals("attnsweep: " + message, refused(args));
    }

    private static String refused(String[] args) {
        Result r = cli(args);
        assertEquals(2, r.code(), r.out() + r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(1, lines.size(), r.err());
        return lines.get(0);
    }

    /**
     * --data-from reads only its named files: a stray .npy (here a folder named x.npy and a file of
     * garbage) changes nothing, so the same command still resumes the same run set.
     */
    @Test
    void dataFromReadsOnlyItsNamedFiles(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("data");
        Result first = cli("train", "--d", "12", "--mk", "4", "--mv", "4", "--N", "6", "--test-n", "5", "--steps", "5",
                "--engine", "vector", "--save-data", data.toString(), "--out", tmp.resolve("a").toString());
        assertEquals(0, first.code(), first.err());
        String[] again = {"train", "--data-from", data.toString(), "--mk", "4", "--mv", "4", "--steps", "5", "--engine", "vector",
                "--out", tmp.resolve("b").toString()};
        assertEquals(0, cli(again).code());
        Files.createDirectory(data.resolve("x.npy"));
        Files.writeString(data.resolve("stray.npy"), "not numpy at all");
        Result resumed = cli(again);
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resuming: 1 of 1 runs already done"), resumed.err());
        expect("--N 7 disagrees with train_x.npy's N = 6 in --data-from " + data + ": drop --N (the files set it)",
                new String[] {"train", "--data-from", data.toString(), "--N", "7", "--out", tmp.resolve("c").toString()});
        Files.delete(data.resolve("test_y.npy"));
        Files.createDirectory(data.resolve("test_y.npy"));
        expect(data.resolve("test_y.npy") + ": not a regular file (a directory?); expected an NPY file", again);
    }

    /**
     * Image data has patches shared across samples (blank centres) and many distinct ones: the span
     * form of the vector engine (float64) must still equal the reference engine's direct GD.
     * Tolerance: both are float64; the forms differ only in summation order, which after 20 steps
     * leaves relative differences near 1e-14 (docs/math.md §4: 3e-16 after 30 steps on synthetic data),
     * so 1e-9 relative plus 1e-12 absolute (for metrics near 0) cannot hide a wrong gradient.
     */
    @Test
    void imageRunsAgreeBetweenReferenceAndVectorEngines(@TempDir Path tmp) throws IOException {
        final double rtol = 1e-9, atol = 1e-12;
        Path images = ImageFixture.write(tmp.resolve("images"), false);
        String[] common = {"--images", images.toString(), "--N", "8", "--mu", "0.7", "--lr", "1", "--p", "0.2", "--train-wo", "true"};
        List<List<String>> rows = new ArrayList<>();
        for (String engine : new String[] {"reference", "vector"}) {
            Path out = tmp.resolve(engine);
            List<String> a = new ArrayList<>(List.of(args("train", out, common)));
            a.addAll(List.of("--engine", engine, "--precision", "float64"));
            Result r = cli(a.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            rows.add(Files.readAllLines(out.resolve("summary.csv")));
        }
        String[] head = rows.get(0).get(0).split(","), ref = rows.get(0).get(1).split(","), vec = rows.get(1).get(1).split(",");
        // Every final metric (they follow train_loss in summary.csv).
        int metric0 = List.of(head).indexOf("train_loss");
        for (int i = metric0; i < head.length; i++) {
            double x = Double.parseDouble(ref[i]), y = Double.parseDouble(vec[i]);
            assertTrue(Math.abs(x - y) <= atol + rtol * Math.abs(x), head[i] + ": reference " + x + ", vector " + y);
        }
    }
}
