package org.attnsweep.report;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;

/**
 * Pixel statistics that tell a drawn figure from a blank or text-only one: the figures' data are
 * the only saturated colours (text is black, grid lines grey, the background white). Self-contained
 * (JDK only) so that scripts/report-check runs it as a single-file program on a screenshot:
 * {@code java src/test/java/org/attnsweep/report/Pixels.java shot.png}.
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
     * A report screenshot passes with at least this many distinct colours and this fraction of
     * coloured pixels. Measured at 1280×2000: a report with its figures 4981 colours and 3.9%;
     * the same page with its images removed or broken 700–813 colours and 0.1%.
     */
    static final int MIN_DISTINCT = 1500;
    static final double MIN_COLOURED_FRACTION = 0.01;

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

    /** Checks a screenshot of a report: exit 0 when it shows figures, 1 when it looks blank. */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java Pixels.java SCREENSHOT.png");
            System.exit(2);
        }
        BufferedImage img = ImageIO.read(new File(args[0]));
        if (img == null) {
            System.err.println(args[0] + ": not a readable image");
            System.exit(1);
        }
        int distinct = distinct(img, all(img)), coloured = coloured(img, all(img));
        double fraction = coloured / (double) (img.getWidth() * img.getHeight());
        System.out.printf("%s: %dx%d, %d distinct colours, %.1f%% coloured pixels%n", args[0], img.getWidth(), img.getHeight(),
                distinct, 100 * fraction);
        if (distinct < MIN_DISTINCT || fraction < MIN_COLOURED_FRACTION) {
            System.err.printf("%s looks blank: need >= %d distinct colours and >= %.0f%% coloured pixels%n", args[0], MIN_DISTINCT,
                    100 * MIN_COLOURED_FRACTION);
            System.exit(1);
        }
    }
}
