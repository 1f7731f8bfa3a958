package org.attnsweep.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.attnsweep.model.Metric;
import org.attnsweep.sweep.OutputDir;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.StoreCsv;

/**
 * A results directory as the figures and the report read it: config.json, the grid cells of
 * summary.csv (runs equal in every config column but seed and repeat), which runs make up each
 * cell, the boundary fits of boundary.csv, and — read only on demand, since a heatmap sweep's
 * metrics.csv can hold millions of rows — the metric curves of chosen runs.
 */
public final class Results {
    /** The test-loss cutoff of docs/math.md §6 (A's heatmap), used when the directory holds no boundary.csv. */
    public static final double DEFAULT_CUTOFF = 0.2;

    private final Path dir;
    private final JsonNode config;
    private final List<Aggregate.Cell> cells;
    private final List<String> varying;
    private final Map<Map<String, String>, List<Integer>> runsOfCell;
    private final List<Aggregate.Fit> fits;
    private final double cutoff;

    private Results(Path dir, JsonNode config, List<Aggregate.Cell> cells, Map<Map<String, String>, List<Integer>> runsOfCell,
            List<Aggregate.Fit> fits, double cutoff) {
        this.dir = dir;
        this.config = config;
        this.cells = cells;
        this.varying = Aggregate.varying(cells);
        this.runsOfCell = runsOfCell;
        this.fits = fits;
        this.cutoff = cutoff;
    }

    /**
     * Reads a train, sweep or merge output directory.
     *
     * @throws IllegalArgumentException when {@code dir} has no summary.csv or it holds no runs
     */
    public static Results load(Path dir) {
        Path summary = dir.resolve("summary.csv");
        if (!Files.isRegularFile(summary)) throw new IllegalArgumentException(dir + " has no summary.csv: not a results directory");
        List<Aggregate.Cell> cells = Aggregate.cells(summary, System.err::println);
        if (cells.isEmpty()) throw new IllegalArgumentException(summary + " holds no finished runs yet: nothing to show");
        Map<Map<String, String>, List<Integer>> runsOfCell = new HashMap<>();
        for (Aggregate.Cell c : cells) runsOfCell.put(c.config(), c.runs().stream().map(Aggregate.Run::index).toList());

        JsonNode cfg = JsonNodeFactory.instance.objectNode();
        Path json = dir.resolve("config.json");
        if (Files.isRegularFile(json)) {
            try {
                cfg = new ObjectMapper().readTree(json.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + json + ": " + e.getMessage(), e);
            }
        }

        double cutoff = DEFAULT_CUTOFF;
        List<Aggregate.Fit> fits = List.of();
        Path boundary = dir.resolve("boundary.csv");
        List<String> axes = Aggregate.varying(cells);
        if (Files.isRegularFile(boundary)) {
            List<String> b = lines(boundary);
            List<String> cols = List.of(b.get(0).split(","));
            int c0 = cols.indexOf("cutoff");
            fits = new ArrayList<>();
            // C_lo and C_hi (the bootstrap interval) follow points; a boundary.csv of 0.1.0 has none
            int lo = cols.indexOf("C_lo"), hi = cols.indexOf("C_hi");
            for (int n = 1; n < b.size(); n++) {
                String[] f = b.get(n).split(",", -1);
                try {
                    Map<String, String> group = new LinkedHashMap<>();
                    for (int i = 0; i < c0; i++) group.put(cols.get(i), f[i]);
                    cutoff = OutputDir.parseNum(f[c0]);
                    fits.add(new Aggregate.Fit(group, OutputDir.parseNum(f[c0 + 1]), OutputDir.parseNum(f[c0 + 2]), Integer.parseInt(f[c0 + 3]),
                            lo < 0 ? Double.NaN : OutputDir.parseNum(f[lo]), hi < 0 ? Double.NaN : OutputDir.parseNum(f[hi])));
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException(boundary + " line " + (n + 1) + " is not a boundary fit: run attnsweep aggregate "
                            + dir + " to write it again");
                }
            }
        } else if (axes.contains("N") && axes.contains("mu")) {
            // a shard or a sweep stopped early: fit what is there, the way aggregate would
            fits = Aggregate.boundary(cells, cutoff);
        }
        return new Results(dir, cfg, cells, runsOfCell, fits, cutoff);
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The directory read. */
    public Path dir() {
        return dir;
    }

    /** config.json (an empty object when the directory has none). */
    public JsonNode config() {
        return config;
    }

    /** The grid cells in summary.csv's order; each holds the final metrics of its runs. */
    public List<Aggregate.Cell> cells() {
        return cells;
    }

    /** The config columns that differ between cells: the sweep's axes (empty for a single cell). */
    public List<String> varying() {
        return varying;
    }

    /** The run indices (summary.csv's {@code run}) of a cell. */
    public List<Integer> runsOf(Aggregate.Cell cell) {
        return runsOfCell.get(cell.config());
    }

    /** The boundary fits (one per group of the varying columns other than N, ‖μ‖ and SNR). */
    public List<Aggregate.Fit> fits() {
        return fits;
    }

    /** The test-loss cutoff of the fits and of the thresholded heatmaps. */
    public double cutoff() {
        return cutoff;
    }

    /** The fit whose group matches this cell's values, or null. */
    public Aggregate.Fit fitOf(Aggregate.Cell cell) {
        for (Aggregate.Fit f : fits) {
            if (f.group().entrySet().stream().allMatch(e -> e.getValue().equals(cell.config().get(e.getKey())))) return f;
        }
        return null;
    }

    /**
     * The recorded curves of the given runs from metrics.csv: run → rows of
     * {@code [step, metric_0 … metric_{COUNT-1}]} in step order, read as {@link StoreCsv} reads them
     * (a bad line is skipped and named on stderr).
     */
    public Map<Integer, List<double[]>> curves(Collection<Integer> runs) {
        Path metrics = dir.resolve("metrics.csv");
        if (!Files.isRegularFile(metrics)) throw new IllegalArgumentException(dir + " has no metrics.csv: not a results directory");
        Set<Integer> wanted = new HashSet<>(runs);
        Map<Integer, List<double[]>> out = new HashMap<>();
        StoreCsv.read(metrics, StoreCsv.Kind.METRICS, r -> {
            if (!wanted.contains(r.run())) return;
            double[] row = new double[1 + Metric.COUNT];
            row[0] = r.integer("step");
            System.arraycopy(r.metrics(), 0, row, 1, Metric.COUNT);
            out.computeIfAbsent(r.run(), k -> new ArrayList<>()).add(row);
        }, b -> System.err.println("attnsweep: warning: " + b.describe() + ": skipped"));
        return out;
    }

}
