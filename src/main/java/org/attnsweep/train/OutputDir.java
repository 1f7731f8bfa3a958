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
import java.util.Locale;
import java.util.Map;

/**
 * An output directory: proven writable before any work, config.json written whole to a temporary
 * name and renamed (as every rewritten file here), so a reader never sees half a file. The result
 * files themselves are the {@link org.attnsweep.sweep.ResultStore}'s.
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

    /** Shortest round-tripping decimal; NaN and infinities as pandas and R read them. */
    public static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "Inf" : "-Inf";
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    /** The inverse of {@link #num}: reads NaN, Inf and -Inf too. */
    public static double parseNum(String s) {
        return switch (s) {
            case "Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(s);
        };
    }

    /** Writes {@code text} to a temporary file beside {@code target}, then renames it into place. */
    public static void writeAtomically(Path target, String text) {
        writeAtomically(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes {@code bytes} to a temporary file beside {@code target}, then renames it into place:
     * a symlink at {@code target} is replaced, never followed.
     */
    public static void writeAtomically(Path target, byte[] bytes) {
        try {
            Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), "." + target.getFileName(), ".tmp");
            try {
                Files.write(tmp, bytes);
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
