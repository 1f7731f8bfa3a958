package org.attnsweep.report;

import java.awt.Color;
import java.awt.Dimension;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import de.rototor.pdfbox.graphics2d.PdfBoxGraphics2D;
import org.apache.batik.svggen.SVGGraphics2D;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.common.PDRectangle;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.title.TextTitle;
import org.w3c.dom.Document;

/**
 * One figure: a title over a grid of chart panels ({@code columns} wide, filled row by row), each
 * panel a JFreeChart drawn into its cell. The same drawing goes to PNG (a Java2D image), SVG
 * (Batik's SVG generator) and PDF (PDFBox's Graphics2D bridge, one page of the figure's size in
 * points, text as vector outlines), so every format always shows the same thing.
 *
 * @param name        file name without extension (letters, digits, '.', '-', '_')
 * @param title       the figure's title, drawn above the panels
 * @param caption     what the figure shows, for the report
 * @param panels      the charts, row by row
 * @param columns     panels per row
 * @param panelWidth  pixels
 * @param panelHeight pixels
 */
public record Figure(String name, String title, String caption, List<JFreeChart> panels, int columns, int panelWidth,
        int panelHeight) {
    /** Height of the title band above the panels, in pixels. */
    public static final int TITLE_HEIGHT = 40;

    public Figure {
        if (!name.matches("[A-Za-z0-9._-]+")) throw new IllegalArgumentException("figure name must be a plain file name: got '" + name + "'");
        panels = List.copyOf(panels);
    }

    /** Width of the whole figure in pixels. */
    public int width() {
        return columns * panelWidth;
    }

    /** Height of the whole figure in pixels. */
    public int height() {
        return TITLE_HEIGHT + (panels.size() + columns - 1) / columns * panelHeight;
    }

    /** Where panel {@code i} is drawn. */
    public Rectangle panelBounds(int i) {
        return new Rectangle(i % columns * panelWidth, TITLE_HEIGHT + i / columns * panelHeight, panelWidth, panelHeight);
    }

    private void draw(Graphics2D g2) {
        g2.setPaint(Color.WHITE);
        g2.fillRect(0, 0, width(), height());
        TextTitle t = new TextTitle(title, Charts.TITLE);
        t.setPaint(Color.BLACK);
        t.arrange(g2); // a title lays out its text before it can draw
        t.draw(g2, new Rectangle(0, 0, width(), TITLE_HEIGHT));
        for (int i = 0; i < panels.size(); i++) panels.get(i).draw(g2, panelBounds(i));
    }

    /** The figure as PNG bytes, {@link #width()} × {@link #height()} pixels. */
    public byte[] png() {
        BufferedImage img = new BufferedImage(width(), height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g2 = img.createGraphics();
        g2.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g2.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        draw(g2);
        g2.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode figure " + name + " as PNG: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** The file formats a figure is written in, by their file extension. */
    public enum Format {
        PNG, PDF, SVG;

        public String extension() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The figure in {@code format}, as the bytes of its file. */
    public byte[] bytes(Format format) {
        return switch (format) {
            case PNG -> png();
            case PDF -> pdf();
            case SVG -> svg().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        };
    }

    /** The figure as a standalone SVG document. */
    public String svg() {
        Document doc;
        try {
            doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().getDOMImplementation()
                    .createDocument("http://www.w3.org/2000/svg", "svg", null);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser cannot make a document: " + e.getMessage(), e);
        }
        SVGGraphics2D g2 = new SVGGraphics2D(doc);
        g2.setSVGCanvasSize(new Dimension(width(), height()));
        draw(g2);
        StringWriter out = new StringWriter();
        try {
            g2.stream(out, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write figure " + name + " as SVG: " + e.getMessage(), e);
        }
        return out.toString();
    }

    /** The figure as a one-page PDF, one point per pixel of the PNG. */
    public byte[] pdf() {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage(new PDRectangle(width(), height()));
            doc.addPage(page);
            PdfBoxGraphics2D g2 = new PdfBoxGraphics2D(doc, width(), height());
            draw(g2);
            g2.dispose();
            try (PDPageContentStream content = new PDPageContentStream(doc, page)) {
                content.drawForm(g2.getXFormObject());
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            doc.save(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write figure " + name + " as PDF: " + e.getMessage(), e);
        }
    }
}
