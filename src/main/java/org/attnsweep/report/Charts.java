package org.attnsweep.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Stroke;
import java.awt.geom.Line2D;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.List;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.axis.AxisLocation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.TickUnits;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The chart kinds the figures need, all JFreeChart: curves with ±2σ bands ({@link #lines}) and
 * the heatmap pair ({@link #heatmap}), in one look — white background, readable fonts, one
 * palette — so every figure reads the same.
 */
final class Charts {
    static {
        // Charts are drawn into images, never onto a screen: no display needed.
        System.setProperty("java.awt.headless", "true");
    }

    private Charts() {
    }

    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 20);
    static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 17);
    static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
    /** Distinct line colours (Tableau 10), in the order series get them. */
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    /** The fitted curve N·SNR² = C: red reads on both ends of the colour scale. */
    static final Color THEORY = new Color(0xff2020);
    /** The paper's curve N·SNR² = 1000 (dashed): white-edged magenta, apart from the fit's red. */
    static final Color PAPER = new Color(0xff00ff);

    /** A curve N = C / SNR² on a heatmap, with its legend text; {@code dashed} for the paper's. */
    record Curve(double C, String label, Color colour, boolean dashed) {
    }
    /** Cells below the cutoff (benign) and above it (harmful) in the thresholded map: the colour scale's ends. */
    static final Color BELOW = ColourScale.at(0), ABOVE = ColourScale.at(1);
    /** A log axis is used when the positive values span more than this ratio. */
    static final double DECADES_RATIO = 30;

    private static final StandardChartTheme THEME = theme();

    private static StandardChartTheme theme() {
        StandardChartTheme t = new StandardChartTheme("attnsweep");
        t.setExtraLargeFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        t.setLargeFont(LABEL);
        t.setRegularFont(TICK);
        t.setSmallFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        t.setChartBackgroundPaint(Color.WHITE);
        t.setPlotBackgroundPaint(Color.WHITE);
        t.setLegendBackgroundPaint(Color.WHITE);
        t.setDomainGridlinePaint(new Color(0xd0d0d0));
        t.setRangeGridlinePaint(new Color(0xd0d0d0));
        t.setPlotOutlinePaint(Color.GRAY);
        t.setAxisOffset(new RectangleInsets(4, 4, 4, 4));
        return t;
    }

    /** How a {@link Line} is drawn. */
    enum Style {
        /** a line with its band */
        BAND,
        /** a line with markers at the data points and its band (few points, e.g. factor sweeps) */
        POINTS,
        /** a dashed reference line without a band */
        DASHED
    }

    /**
     * A curve: {@code y} at {@code x} with a band from {@code lo} to {@code hi} (both null: no
     * band). Non-finite points are skipped.
     */
    record Line(String name, double[] x, double[] y, double[] lo, double[] hi, Color colour, Style style) {
    }

    /**
     * The band y ± 2σ kept inside [min, max], the range the quantity can take (attention and error
     * rates in [0, 1], losses ≥ 0): a mean − 2σ below 0 is drawn at 0. Returns {lo, hi}.
     */
    static double[][] band(double[] y, double[] std, double min, double max) {
        double[] lo = new double[y.length], hi = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            double s = Double.isFinite(std[i]) ? std[i] : 0;
            lo[i] = Math.min(max, Math.max(min, y[i] - 2 * s));
            hi[i] = Math.max(min, Math.min(max, y[i] + 2 * s));
        }
        return new double[][] {lo, hi};
    }

    /** Whether positive data spanning these values reads better on a log axis. */
    static boolean decades(double min, double max) {
        return min > 0 && max / min > DECADES_RATIO;
    }

    /**
     * Curves with their bands against x. On a log y axis a band's lower edge is cut at the axis
     * floor.
     *
     * @param title   panel title (null for none)
     * @param markers vertical lines (e.g. stage boundaries), may be empty
     */
    static JFreeChart lines(String title, String xLabel, String yLabel, List<Line> lines, boolean logY, List<ValueMarker> markers) {
        double floor = Double.POSITIVE_INFINITY, top = Double.NEGATIVE_INFINITY;
        double left = Double.POSITIVE_INFINITY, right = Double.NEGATIVE_INFINITY;
        for (Line l : lines) {
            for (int i = 0; i < l.x.length; i++) {
                double y = l.y[i], h = l.hi == null ? y : l.hi[i];
                if (!Double.isFinite(y) || !Double.isFinite(l.x[i])) continue;
                left = Math.min(left, l.x[i]);
                right = Math.max(right, l.x[i]);
                if (y > 0) floor = Math.min(floor, y);
                top = Math.max(top, Double.isFinite(h) ? Math.max(h, y) : y);
            }
        }
        boolean log = logY && floor < Double.POSITIVE_INFINITY;
        floor /= 2;
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        DeviationRenderer r = new DeviationRenderer(true, false);
        r.setAlpha(0.18f);
        for (int k = 0; k < lines.size(); k++) {
            Line l = lines.get(k);
            YIntervalSeries s = new YIntervalSeries(l.name, false, true);
            for (int i = 0; i < l.x.length; i++) {
                double y = l.y[i];
                if (!Double.isFinite(y) || !Double.isFinite(l.x[i]) || log && y <= 0) continue;
                boolean banded = l.lo != null && l.style != Style.DASHED && Double.isFinite(l.lo[i]) && Double.isFinite(l.hi[i]);
                double lo = banded ? l.lo[i] : y, hi = banded ? l.hi[i] : y;
                s.add(l.x[i], y, log ? Math.max(lo, floor) : lo, hi);
            }
            data.addSeries(s);
        }
        NumberAxis x = new NumberAxis(xLabel);
        x.setAutoRangeIncludesZero(false);
        x.setAutoRangeStickyZero(false); // keep the margin, so points at x = 0 (p = 0) are not cut in half
        if (left == right) {
            // One x drawn (a diverged run's curves end after step 0): the automatic range would be
            // 1e-8 wide, ticked "-5E-9 .. 5E-9"; one unit either side, whole ticks for a whole x.
            x.setRange(left - 1, left + 1);
            if (left == Math.rint(left)) x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        }
        ValueAxis y;
        if (log) {
            LogAxis la = new LogAxis(yLabel);
            la.setStandardTickUnits(NumberAxis.createIntegerTickUnits()); // ticks at whole decades
            la.setSmallestValue(floor);
            la.setRange(floor, Math.max(top * 1.5, floor * 10));
            y = la;
        } else {
            NumberAxis na = new NumberAxis(yLabel);
            na.setAutoRangeIncludesZero(false);
            na.setAutoRangeStickyZero(false);
            y = na;
        }
        XYPlot plot = new XYPlot(data, x, y, r);
        for (ValueMarker m : markers) plot.addDomainMarker(m);
        // a legend whenever a line needs a name beyond the axis label (several lines, or values held fixed)
        JFreeChart c = chart(title, plot, lines.size() > 1 || lines.size() == 1 && !lines.get(0).name.equals(yLabel));
        for (int k = 0; k < lines.size(); k++) {
            Line l = lines.get(k);
            r.setSeriesPaint(k, l.colour);
            r.setSeriesFillPaint(k, l.colour);
            r.setSeriesStroke(k, l.style == Style.DASHED
                    ? new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {8f, 6f}, 0f)
                    : new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            // a curve of one finite point has no segment to draw: its point is drawn instead
            r.setSeriesShapesVisible(k, l.style == Style.POINTS || data.getSeries(k).getItemCount() == 1);
        }
        return c;
    }

    /**
     * A dashed vertical line at x with a label at its top (a stage boundary). Labels alternate
     * sides and heights — the first left of its line at the top, the second right of its line
     * one label lower — so two boundaries close together never overlap.
     */
    static ValueMarker marker(double x, String label, int index) {
        ValueMarker m = new ValueMarker(x, Color.DARK_GRAY,
                new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {5f, 4f}, 0f));
        m.setLabel(label);
        m.setLabelFont(TICK);
        m.setLabelPaint(Color.DARK_GRAY);
        m.setLabelBackgroundColor(Color.WHITE);
        boolean left = index % 2 == 0;
        m.setLabelAnchor(left ? RectangleAnchor.TOP_LEFT : RectangleAnchor.TOP_RIGHT);
        m.setLabelTextAnchor(left ? TextAnchor.TOP_RIGHT : TextAnchor.TOP_LEFT);
        m.setLabelOffset(new RectangleInsets(4 + (index % 2) * (TICK.getSize() + 8), 4, 4, 4));
        return m;
    }

    /**
     * A heatmap of one value over a grid and the same map thresholded at {@code cutoff}, each with
     * the curves y = C / x² (N = C / SNR²) of finite C: the paper's and the fitted one.
     *
     * @param xs    the grid's distinct x values (SNR), ascending
     * @param ys    the grid's distinct y values (N), ascending
     * @param cells rows {x, y, value}, one per grid cell present
     * @param curves the curves to draw (those with a non-finite C are left out)
     */
    static List<JFreeChart> heatmap(String xLabel, String yLabel, String valueLabel, double[] xs, double[] ys, double[][] cells,
            double cutoff, List<Curve> curves) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double[] c : cells) {
            if (!Double.isFinite(c[2])) continue;
            min = Math.min(min, c[2]);
            max = Math.max(max, c[2]);
        }
        if (min > max) min = max = 0; // every cell diverged: all grey
        boolean log = decades(min, max);
        // z[0..2]: x, y and the colour-scale value (log10 of the value on a log scale)
        double[][] z = new double[3][cells.length], t = new double[3][cells.length];
        for (int i = 0; i < cells.length; i++) {
            double v = cells[i][2];
            z[0][i] = t[0][i] = cells[i][0];
            z[1][i] = t[1][i] = cells[i][1];
            z[2][i] = log ? Math.log10(v) : v == Double.POSITIVE_INFINITY ? max : v;
            t[2][i] = Double.isNaN(v) ? Double.NaN : v < cutoff ? 0 : 1;
        }
        ColourScale scale = log ? new ColourScale(Math.log10(min), Math.log10(max)) : new ColourScale(min, max);

        JFreeChart values = grid(xLabel, yLabel, xs, ys, z, scale, curves, valueLabel);
        NumberAxis bar = new NumberAxis(log ? valueLabel + " (log scale)" : valueLabel);
        bar.setRange(scale.getLowerBound(), scale.getUpperBound());
        if (log) {
            // half decades (0.0316, 0.1, 0.316) or whole ones: a bar spanning 1.5 decades still
            // gets several labels, one spanning ten no crowd
            TickUnits decades = new TickUnits();
            for (double u : new double[] {0.5, 1, 2, 5}) decades.add(new NumberTickUnit(u));
            bar.setStandardTickUnits(decades);
            bar.setNumberFormatOverride(new DecadeFormat());
        }
        PaintScaleLegend legend = new PaintScaleLegend(scale, bar);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setAxisLocation(AxisLocation.TOP_OR_RIGHT);
        legend.setSubdivisionCount(256);
        legend.setStripWidth(18);
        legend.setMargin(new RectangleInsets(20, 12, 20, 8));
        legend.setBackgroundPaint(Color.WHITE);
        bar.setLabelFont(LABEL);
        bar.setTickLabelFont(TICK);
        values.addSubtitle(legend);

        String cut = Fmt.num(cutoff);
        JFreeChart thresholded = grid(xLabel, yLabel, xs, ys, t, new ColourScale(0, 1), curves, valueLabel + " thresholded at " + cut);
        LegendItemCollection items = new LegendItemCollection();
        items.add(new LegendItem(valueLabel + " < " + cut, BELOW));
        items.add(new LegendItem(valueLabel + " ≥ " + cut, ABOVE));
        for (Curve c : curves) if (Double.isFinite(c.C()) && c.C() > 0) items.add(curveItem(c));
        thresholded.getXYPlot().setFixedLegendItems(items);
        return List.of(values, thresholded);
    }

    private static LegendItem curveItem(Curve c) {
        return new LegendItem(c.label(), null, null, null, new Line2D.Double(-10, 0, 10, 0), curveStroke(c.dashed()), c.colour());
    }

    private static Stroke curveStroke(boolean dashed) {
        return dashed ? new BasicStroke(3.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {10f, 7f}, 0f)
                : new BasicStroke(3.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
    }

    /** One grid panel: blocks coloured by {@code z[2]} through {@code scale}, plus the curves N = C/SNR². */
    private static JFreeChart grid(String xLabel, String yLabel, double[] xs, double[] ys, double[][] z, ColourScale scale,
            List<Curve> curves, String title) {
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("cells", z);
        GridRenderer blocks = new GridRenderer(xs, ys, scale);
        NumberAxis x = new NumberAxis(xLabel), y = new NumberAxis(yLabel);
        Range xr = blocks.xRange(), yr = blocks.yRange();
        x.setRange(xr);
        y.setRange(yr);
        y.setStandardTickUnits(NumberAxis.createIntegerTickUnits()); // N is a count
        XYPlot plot = new XYPlot(data, x, y, blocks);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD); // the curves over the blocks
        JFreeChart chart = chart(title, plot, true);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        int k = 1;
        for (Curve c : curves) {
            if (!(Double.isFinite(c.C()) && c.C() > 0)) continue;
            XYSeries s = new XYSeries(c.label(), false, true);
            // sample x on a log grid so the steep end of N = C/SNR² is drawn smoothly
            double a = Math.max(xr.getLowerBound(), xr.getUpperBound() * 1e-3), b = xr.getUpperBound();
            for (int i = 0; i <= 400; i++) {
                double xv = a * Math.pow(b / a, i / 400.0), yv = c.C() / (xv * xv);
                if (yv <= yr.getUpperBound() * 4) s.add(xv, yv);
            }
            XYLineAndShapeRenderer line = new XYLineAndShapeRenderer(true, false);
            line.setSeriesPaint(0, c.colour());
            line.setSeriesStroke(0, curveStroke(c.dashed()));
            plot.setDataset(k, new XYSeriesCollection(s));
            plot.setRenderer(k++, line);
        }
        return chart;
    }

    private static JFreeChart chart(String title, XYPlot plot, boolean legend) {
        JFreeChart c = new JFreeChart(title, TITLE, plot, legend);
        THEME.apply(c);
        c.setPadding(new RectangleInsets(6, 6, 6, 12));
        return c;
    }

    /** Tick labels of a log10-valued colour bar: tick k reads as the value 10^k. */
    private static final class DecadeFormat extends NumberFormat {
        @Override
        public StringBuffer format(double number, StringBuffer toAppendTo, FieldPosition pos) {
            return toAppendTo.append(Fmt.num(Math.pow(10, number)));
        }

        @Override
        public StringBuffer format(long number, StringBuffer toAppendTo, FieldPosition pos) {
            return format((double) number, toAppendTo, pos);
        }

        @Override
        public Number parse(String source, ParsePosition parsePosition) {
            String s = source.substring(parsePosition.getIndex()).trim();
            parsePosition.setIndex(source.length());
            return Math.log10(Double.parseDouble(s));
        }
    }
}
