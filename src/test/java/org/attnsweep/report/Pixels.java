package org.attnsweep.report;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/**
 * Pixel statistics that tell a drawn figure from a blank or text-only one: the figures' data are
 * the only saturated colours (text is black, grid lines grey, the background white). Self-contained
 * (JDK only) so that scripts/report-check runs it as a single-file program on a screenshot:
 * {@code java src/test/java/org/attnsweep/report/Pixels.java shot.png report.html}, which
 * it checks against the figures the report embeds.
 */
public final class Pixels {
    private Pixels() {
    }

    /**
     * A pixel counts as coloured when its RGB channels differ by at least this much: data lines,
     * the light ±2σ bands and heatmap cells do; text, grid lines and background do not.
     */
    static final int SATURATION = 25;
    /**
     * A screenshot with fewer pixels than this that are not white shows no text either: a blank
     * page. The report's heading and first table alone are ~20,000 at 1280 px wide.
     */
    static final int MIN_INK = 2000;
    /**
     * The share of its figures' own coloured pixels (decoded from the report, at their display
     * size) a screenshot must show. Scaling and the border move counts by a few per cent; figures
     * that failed to load show none (a broken-image icon: ~100 per figure).
     */
    static final double MIN_SHOWN = 0.5;
    /** Figures holding fewer coloured pixels than this (all runs diverged: axes and a note only) are checked as text. */
    static final int MIN_EXPECTED = 1000;
    /** Text above the first figure (what ran, the verdicts) allowed for in the window height; and the tallest window taken. */
    static final int TEXT_ABOVE = 2000, MAX_HEIGHT = 16000;
    /** The report's body is 1240 px wide with 16 px padding: a wider figure is scaled to this width. */
    static final int CONTENT_WIDTH = 1208;

    /** Pixels inside {@code r} that are not white: text, lines, figures. */
    static int ink(BufferedImage img, Rectangle r) {
        int n = 0;
        for (int y = r.y; y < r.y + r.height; y++) for (int x = r.x; x < r.x + r.width; x++) if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) n++;
        return n;
    }

    /** A figure embedded in a report: its PNG and the size it is displayed at. */
    record Embedded(BufferedImage png, int width, int height) {
        /** Its coloured pixels at display size. */
        double colouredShown() {
            return coloured(png, all(png)) * (double) width * height / ((double) png.getWidth() * png.getHeight());
        }
    }

    private static final Pattern IMG = Pattern.compile("<img [^>]*width=\"(\\d+)\" height=\"(\\d+)\" src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    /** The report's figures in page order (Report.figures writes each as such an img). */
    static List<Embedded> figures(Path report) throws IOException {
        List<Embedded> out = new ArrayList<>();
        Matcher m = IMG.matcher(Files.readString(report));
        while (m.find()) {
            int w = Integer.parseInt(m.group(1)), h = Integer.parseInt(m.group(2));
            BufferedImage png = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(3))));
            if (png == null) throw new IOException(report + ": figure " + (out.size() + 1) + " is not a PNG");
            int shown = Math.min(w, CONTENT_WIDTH);
            out.add(new Embedded(png, shown, (int) Math.round(h * (double) shown / w)));
        }
        return out;
    }

    /** The window height that shows every figure below {@link #TEXT_ABOVE} px of text, at most {@link #MAX_HEIGHT}. */
    static int height(List<Embedded> figures) {
        long h = TEXT_ABOVE;
        for (Embedded f : figures) h += f.height() + 60; // caption and margins
        return (int) Math.min(MAX_HEIGHT, h);
    }

    /**
     * The coloured pixels the report's figures hold that a screenshot {@code height} px tall shows
     * for certain: those of the figures that fit below {@link #TEXT_ABOVE}.
     */
    static double expected(List<Embedded> figures, int height) {
        double sum = 0;
        long bottom = TEXT_ABOVE;
        for (Embedded f : figures) {
            bottom += f.height() + 60;
            if (bottom > height) break;
            sum += f.colouredShown();
        }
        return sum;
    }

    /**
     * Whether a screenshot of {@code report} shows it, or why not: blank (no text), or figures that
     * did not render (under {@link #MIN_SHOWN} of what they hold, where they hold a measurable
     * amount). A small report (one cell, every run diverged) passes: what it must show comes from
     * its own figures, where a fixed share of the page (1%) failed it (s22 audit).
     */
    static String check(BufferedImage shot, List<Embedded> figures) {
        int ink = ink(shot, all(shot));
        if (ink < MIN_INK) return "blank: " + ink + " pixels that are not white, a page of text has >= " + MIN_INK;
        double want = expected(figures, shot.getHeight());
        int shown = coloured(shot, all(shot));
        if (want >= MIN_EXPECTED && shown < MIN_SHOWN * want) {
            return String.format("its figures did not render: %d coloured pixels shown, its figures in view hold %.0f (need >= %.0f%%)",
                    shown, want, 100 * MIN_SHOWN);
        }
        return null;
    }

    /** Distinct RGB values inside {@code r}. */
    static int distinct(BufferedImage img, Rectangle r) {
        Set<Integer> seen = new HashSet<>();
        for (int y = r.y; y < r.y + r.height; y++) for (int x = r.x; x < r.x + r.width; x++) seen.add(img.getRGB(x, y) & 0xffffff);
        return seen.size();
    }

    /** Pixels inside {@code r} whose channels differ by at least {@link #SATURATION}. */
    static int coloured(BufferedImage img, Rectangle r) {
        int n = 0;
        for (int y = r.y; y < r.y + r.height; y++) {
            for (int x = r.x; x < r.x + r.width; x++) {
                int c = img.getRGB(x, y), red = c >> 16 & 255, green = c >> 8 & 255, blue = c & 255;
                if (Math.max(red, Math.max(green, blue)) - Math.min(red, Math.min(green, blue)) >= SATURATION) n++;
            }
        }
        return n;
    }

    static Rectangle all(BufferedImage img) {
        return new Rectangle(0, 0, img.getWidth(), img.getHeight());
    }

    /**
     * {@code java Pixels.java --height REPORT.html}: the window height for its screenshot.
     * {@code java Pixels.java SCREENSHOT.png REPORT.html}: exit 0 when the screenshot shows the
     * report, 1 when it is blank or its figures did not render.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java Pixels.java --height REPORT.html | SCREENSHOT.png REPORT.html");
            System.exit(2);
        }
        if (args[0].equals("--height")) {
            System.out.println(height(figures(Path.of(args[1]))));
            return;
        }
        BufferedImage img = ImageIO.read(new File(args[0]));
        if (img == null) {
            System.err.println(args[0] + ": not a readable image");
            System.exit(1);
        }
        List<Embedded> figures;
        try {
            figures = figures(Path.of(args[1]));
        } catch (IOException | IllegalArgumentException e) {
            System.err.println(args[1] + ": its figures cannot be read: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.out.printf("%s: %dx%d, %d distinct colours, %d coloured pixels; %d figures in the report, those in view holding %.0f%n", args[0],
                img.getWidth(), img.getHeight(), distinct(img, all(img)), coloured(img, all(img)), figures.size(),
                expected(figures, img.getHeight()));
        String why = check(img, figures);
        if (why != null) {
            System.err.println(args[0] + " does not show " + args[1] + ": " + why);
            System.exit(1);
        }
    }
}
