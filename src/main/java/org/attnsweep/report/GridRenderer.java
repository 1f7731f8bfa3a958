package org.attnsweep.report;

import java.awt.BasicStroke;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.util.Arrays;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CrosshairState;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYItemRendererState;
import org.jfree.data.Range;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYZDataset;

/**
 * An {@link XYBlockRenderer} for grids whose spacing is not uniform (‖μ‖ ∈ {2, 6, 12, 25}):
 * each cell's block reaches halfway to its neighbours, so the map has no gaps or overlaps,
 * where XYBlockRenderer gives every block one width.
 */
final class GridRenderer extends XYBlockRenderer {
    private final double[] xs, ys, xEdges, yEdges;

    /** {@code xs} and {@code ys}: the grid's distinct x and y values, ascending. */
    GridRenderer(double[] xs, double[] ys, PaintScale scale) {
        this.xs = xs.clone();
        this.ys = ys.clone();
        this.xEdges = edges(xs);
        this.yEdges = edges(ys);
        setPaintScale(scale);
        setDefaultSeriesVisibleInLegend(false);
    }

    /** n ascending values → n + 1 block edges: midpoints inside, half a gap beyond the ends. */
    static double[] edges(double[] v) {
        int n = v.length;
        double[] e = new double[n + 1];
        if (n == 1) {
            double half = v[0] == 0 ? 0.5 : Math.abs(v[0]) / 2;
            return new double[] {v[0] - half, v[0] + half};
        }
        for (int i = 1; i < n; i++) e[i] = (v[i - 1] + v[i]) / 2;
        e[0] = v[0] - (v[1] - v[0]) / 2;
        e[n] = v[n - 1] + (v[n - 1] - v[n - 2]) / 2;
        return e;
    }

    /** The span of the blocks along x. */
    Range xRange() {
        return new Range(xEdges[0], xEdges[xEdges.length - 1]);
    }

    /** The span of the blocks along y. */
    Range yRange() {
        return new Range(yEdges[0], yEdges[yEdges.length - 1]);
    }

    @Override
    public Range findDomainBounds(XYDataset dataset) {
        return xRange();
    }

    @Override
    public Range findRangeBounds(XYDataset dataset) {
        return yRange();
    }

    @Override
    public void drawItem(Graphics2D g2, XYItemRendererState state, Rectangle2D dataArea, PlotRenderingInfo info, XYPlot plot,
            ValueAxis domainAxis, ValueAxis rangeAxis, XYDataset dataset, int series, int item, CrosshairState crosshairState,
            int pass) {
        int i = Arrays.binarySearch(xs, dataset.getXValue(series, item));
        int j = Arrays.binarySearch(ys, dataset.getYValue(series, item));
        double z = ((XYZDataset) dataset).getZValue(series, item);
        double x0 = domainAxis.valueToJava2D(xEdges[i], dataArea, plot.getDomainAxisEdge());
        double x1 = domainAxis.valueToJava2D(xEdges[i + 1], dataArea, plot.getDomainAxisEdge());
        double y0 = rangeAxis.valueToJava2D(yEdges[j], dataArea, plot.getRangeAxisEdge());
        double y1 = rangeAxis.valueToJava2D(yEdges[j + 1], dataArea, plot.getRangeAxisEdge());
        Rectangle2D block = new Rectangle2D.Double(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
        g2.setPaint(getPaintScale().getPaint(z));
        g2.fill(block);
        // the outline in the fill colour closes the hairline seams antialiasing leaves between blocks
        g2.setStroke(new BasicStroke(1f));
        g2.draw(block);
    }
}
