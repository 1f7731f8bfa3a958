package org.attnsweep.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunConfig;

/**
 * An output directory of {@code train}: config.json (the resolved configs and the version),
 * metrics.csv (one row per run and recorded step) and summary.csv (one row per run). Every file
 * is written whole to a temporary name and renamed, so a reader never sees half a file.
 */
public final class OutputDir {
    private final Path dir;

    private OutputDir(Path dir) {
        this.dir = dir;
    }

    /** Creates the directory if needed and proves it writable before any work starts. */
    public static OutputDir open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("--out " + dir + " cannot be created: " + reason(e));
        }
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("--out " + dir + " is not a directory");
        try {
            Path probe = Files.createTempFile(dir, ".probe", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("--out " + dir + " is not writable: " + reason(e));
        }
        return new OutputDir(dir);
    }

    public Path path() {
        return dir;
    }

    private static String reason(Exception e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    }

    /** config.json: whatever map the command assembled (configs, engine, version...), pretty-printed. */
    public void writeConfig(Map<String, Object> config) {
        try {
            String json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(config);
            writeAtomically(dir.resolve("config.json"), json + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** metrics.csv: {@code run,step,<metrics>} for every recorded step of every run. */
    public void writeMetrics(List<RunResult> results) {
        StringBuilder sb = new StringBuilder("run,step");
        for (Metric m : Metric.values()) sb.append(',').append(m.column());
        sb.append('\n');
        for (int r = 0; r < results.size(); r++) {
            for (double[] row : results.get(r).curve()) {
                sb.append(r).append(',').append((long) row[0]);
                for (int i = 1; i < row.length; i++) sb.append(',').append(num(row[i]));
                sb.append('\n');
            }
        }
        writeAtomically(dir.resolve("metrics.csv"), sb.toString());
    }

    /** The columns of summary.csv before the final metrics. */
    public static final List<String> SUMMARY_KEYS = List.of("run", "seed", "repeat", "N", "M", "d", "mk", "mv",
            "mu", "snr", "sigma_p", "p", "lr", "train_wo", "stop_step", "reached_target", "diverged");

    /** summary.csv: one row per run: its key parameters, how it stopped, its final metrics. */
    public void writeSummary(List<RunResult> results) {
        StringBuilder sb = new StringBuilder(String.join(",", SUMMARY_KEYS));
        for (Metric m : Metric.values()) sb.append(',').append(m.column());
        sb.append('\n');
        for (int r = 0; r < results.size(); r++) {
            RunResult res = results.get(r);
            RunConfig c = res.config();
            sb.append(r).append(',').append(c.seed()).append(',').append(c.repeat()).append(',').append(c.N())
                    .append(',').append(c.M()).append(',').append(c.d()).append(',').append(c.mk()).append(',')
                    .append(c.mv()).append(',').append(num(c.mu())).append(',').append(num(c.snr())).append(',')
                    .append(num(c.sigmaP())).append(',').append(num(c.p())).append(',').append(num(c.lr()))
                    .append(',').append(c.trainWo()).append(',').append(res.stopStep()).append(',')
                    .append(res.reachedTarget()).append(',').append(res.diverged());
            for (double v : res.finalMetrics()) sb.append(',').append(num(v));
            sb.append('\n');
        }
        writeAtomically(dir.resolve("summary.csv"), sb.toString());
    }

    /** Shortest round-tripping decimal; NaN and infinities as pandas and R read them. */
    public static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "Inf" : "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    /** Writes {@code text} to a temporary file beside {@code target}, then renames it into place. */
    public static void writeAtomically(Path target, String text) {
        try {
            Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName(), ".tmp");
            try {
                Files.writeString(tmp, text, StandardCharsets.UTF_8);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
