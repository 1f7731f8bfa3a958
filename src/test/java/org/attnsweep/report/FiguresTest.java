package org.attnsweep.report;

import static org.attnsweep.Cli.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.attnsweep.Cli.Result;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;

/**
 * Every kind of figure, drawn by {@code plot} from a tiny real train or sweep: each is listed,
 * its PNG decodes at the figure's size with data drawn in every panel, and its SVG is XML.
 */
class FiguresTest {
    /** Tiny runs: a whole case trains in about a second. */
    static final String[] SMALL = {"--d", "24", "--mk", "8", "--mv", "8", "--test-n", "40", "--steps", "60", "--eval-every", "10",
            "--repeats", "2"};
    /** Coloured pixels (data) a panel of 720×520 must show at the least: one 2.5 px line across it is ~1500. */
    static final int MIN_COLOURED_PER_PANEL = 300;

    static String[] cmd(String command, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of(command));
        a.addAll(List.of(SMALL));
        a.addAll(List.of(more));
        a.addAll(List.of("--out", out.toString()));
        return a.toArray(String[]::new);
    }

    static String run(String... args) {
        Result r = cli(args);
        assertEquals(0, r.code(), String.join(" ", args) + "\n" + r.out() + r.err());
        return r.out();
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // N × ‖μ‖ grid per p; a cutoff above the Bayes loss of p = 0.1 (0.325) so both p get a C
                Arguments.of("grid", List.of("sweep", "--N", "4:16:4", "--mu", "4,8,16,32", "--p", "0,0.1", "--cutoff", "0.6"),
                        List.of("heatmap-p0", "heatmap-p0.1", "critical-c")),
                Arguments.of("factors", List.of("sweep", "--N", "4:12:4", "--p", "0,0.1,0.2"), List.of("factors")),
                Arguments.of("lr", List.of("sweep", "--lr", "0.05,0.1"), List.of("compare-lr", "dynamics-lr0.05", "dynamics-lr0.1")),
                Arguments.of("vinit", List.of("sweep", "--init", "theory", "--sigma-v", "0.01,0.1"),
                        List.of("compare-sigma_v", "dynamics-sigma_v0.01", "dynamics-sigma_v0.1")),
                Arguments.of("train", List.of("train", "--N", "8", "--steps", "80", "--eval-every", "5"), List.of("dynamics")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void everyFigureIsDrawnAndNotBlank(String label, List<String> command, List<String> expected, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve(label);
        run(cmd(command.get(0), dir, command.subList(1, command.size()).toArray(String[]::new)));
        String out = run("plot", dir.toString());
        assertTrue(out.contains(expected.size() + " figures (" + 3 * expected.size() + " files) in "), out);

        List<Figure> figures = new Figures(Results.load(dir)).all();
        assertEquals(expected, figures.stream().map(Figure::name).toList());
        for (Figure f : figures) {
            Path png = dir.resolve("figures/" + f.name() + ".png");
            BufferedImage img = ImageIO.read(png.toFile());
            assertNotNull(img, png + " does not decode");
            assertEquals(f.width(), img.getWidth(), png.toString());
            assertEquals(f.height(), img.getHeight(), png.toString());
            assertTrue(Pixels.distinct(img, Pixels.all(img)) >= 200, png + ": too few colours, blank?");
            for (int i = 0; i < f.panels().size(); i++) {
                Rectangle r = f.panelBounds(i);
                int n = Pixels.coloured(img, r);
                assertTrue(n >= MIN_COLOURED_PER_PANEL, png + " panel " + i + " shows no data: " + n + " coloured pixels");
            }
            if (f.name().startsWith("heatmap")) {
                // the red theory curve N·SNR² = C crosses both panels
                for (int i = 0; i < 2; i++) assertTrue(theoryPixels(img, f.panelBounds(i)) >= 100, png + " panel " + i + ": no theory curve");
            }
            assertSvg(dir.resolve("figures/" + f.name() + ".svg"));
            assertPdf(dir.resolve("figures/" + f.name() + ".pdf"), f);
        }
        if (label.equals("factors")) assertEquals(2, figures.get(0).panels().size(), "panels against N and against p");
    }

    private static int theoryPixels(BufferedImage img, Rectangle r) {
        int n = 0;
        for (int y = r.y; y < r.y + r.height; y++) {
            for (int x = r.x; x < r.x + r.width; x++) {
                int c = img.getRGB(x, y);
                if (Math.abs((c >> 16 & 255) - Charts.THEORY.getRed()) < 30 && Math.abs((c >> 8 & 255) - Charts.THEORY.getGreen()) < 30
                        && Math.abs((c & 255) - Charts.THEORY.getBlue()) < 30) n++;
            }
        }
        return n;
    }

    /** One page of the figure's size (a point per pixel), with something drawn on it. */
    private static void assertPdf(Path pdf, Figure f) throws Exception {
        try (org.apache.pdfbox.pdmodel.PDDocument doc = org.apache.pdfbox.Loader.loadPDF(pdf.toFile())) {
            assertEquals(1, doc.getNumberOfPages(), pdf.toString());
            assertEquals(f.width(), doc.getPage(0).getMediaBox().getWidth(), 0.5, pdf.toString());
            assertEquals(f.height(), doc.getPage(0).getMediaBox().getHeight(), 0.5, pdf.toString());
        }
        assertTrue(Files.size(pdf) > 5_000, pdf + " has almost nothing drawn: " + Files.size(pdf) + " bytes");
    }

    /** A symlink planted at a figure's name is replaced by the figure; its target is left alone. */
    @org.junit.jupiter.api.Test
    void plotReplacesASymlinkInsteadOfWritingThroughIt(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("train");
        run(cmd("train", dir, "--N", "8"));
        Path victim = Files.writeString(tmp.resolve("victim.txt"), "keep me");
        Files.createDirectories(dir.resolve("figures"));
        for (String ext : List.of("png", "pdf", "svg")) Files.createSymbolicLink(dir.resolve("figures/dynamics." + ext), victim);
        run("plot", dir.toString());
        assertEquals("keep me", Files.readString(victim), "the symlink's target was written through");
        for (String ext : List.of("png", "pdf", "svg")) {
            Path f = dir.resolve("figures/dynamics." + ext);
            assertTrue(Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS), f + " is still a symlink");
        }
        // a symlinked figures/ directory is refused in one line
        Path other = tmp.resolve("other");
        run(cmd("train", other, "--N", "8"));
        Files.createSymbolicLink(other.resolve("figures"), Files.createDirectories(tmp.resolve("elsewhere")));
        Result r = cli("plot", other.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("is a symlink: refusing to write figures through it"), r.err());
        try (var s = Files.list(tmp.resolve("elsewhere"))) {
            assertEquals(0, s.count());
        }
    }

    private static void assertSvg(Path svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        // the DOCTYPE names the SVG 1.1 DTD on w3.org: parse offline, as a browser does
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document doc = f.newDocumentBuilder().parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getLocalName(), svg.toString());
        assertTrue(doc.getElementsByTagNameNS("*", "path").getLength() + doc.getElementsByTagNameNS("*", "rect").getLength() > 10,
                svg + " has almost nothing drawn");
    }

    /** A plot of a directory without results names the directory and what is missing. */
    @org.junit.jupiter.api.Test
    void plotRefusesADirectoryWithoutResults(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        Result r = cli("plot", tmp.resolve("empty").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("plot: " + tmp.resolve("empty") + " has no summary.csv: not a results directory"), r.err());
    }
}
