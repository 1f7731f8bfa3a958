package org.attnsweep.sweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunConfig;
import org.attnsweep.train.OutputDir;
import org.attnsweep.train.RunResult;

/**
 * The results of a sweep (or a train) in one directory: {@code summary.csv} (one row per finished
 * run: its plan index {@code run}, the hash {@code key} of its full config, the config, how it
 * stopped and its final metrics) and {@code metrics.csv} (its recorded rows: run, step, metrics).
 * Append-only while a sweep runs: a run's metric rows are appended first and its summary row
 * last, each as one write, so the summary row marks the run as done. Opening the store cuts a torn
 * last line and drops curve rows of runs without a summary row, so a {@code kill -9} loses at most
 * the runs in flight and never corrupts what was written. {@link #finish} rewrites both files sorted
 * by run index (atomically), which makes sharded-then-merged results byte-identical to an unsharded run.
 */
public final class ResultStore implements AutoCloseable {
    /** Config columns of summary.csv, after run and key. */
    public static final List<String> CONFIG_COLUMNS = List.of("seed", "repeat", "d", "M", "mk", "mv", "N", "sigma",
            "mu", "snr", "sigma_p", "p", "labels", "orthogonal_noise", "signals", "init", "sigma0", "sigma_v",
            "sigma_o", "init_divisor", "train_wo", "lr", "steps", "target_loss", "eval_every", "test_n", "attn_sample",
            "test_sigma_scale", "test_signal_angle", "test_p");
    public static final List<String> OUTCOME_COLUMNS = List.of("stop_step", "reached_target", "diverged");

    private final Path summary, metrics;
    private final Set<Integer> doneRuns = new HashSet<>();
    private final Set<String> done = new HashSet<>();
    private FileChannel summaryOut, metricsOut;

    private ResultStore(Path dir) {
        this.summary = dir.resolve("summary.csv");
        this.metrics = dir.resolve("metrics.csv");
    }

    public static String summaryHeader() {
        List<String> cols = new ArrayList<>(List.of("run", "key"));
        cols.addAll(CONFIG_COLUMNS);
        cols.addAll(OUTCOME_COLUMNS);
        for (Metric m : Metric.values()) cols.add(m.column());
        return String.join(",", cols);
    }

    public static String metricsHeader() {
        List<String> cols = new ArrayList<>(List.of("run", "step"));
        for (Metric m : Metric.values()) cols.add(m.column());
        return String.join(",", cols);
    }

    /** Opens (creating or repairing) the store in {@code dir}. */
    public static ResultStore open(Path dir) {
        ResultStore s = new ResultStore(dir);
        try {
            List<String> sum = repair(s.summary, summaryHeader());
            for (String line : sum.subList(1, sum.size())) {
                String[] f = line.split(",", 3);
                s.doneRuns.add(Integer.parseInt(f[0]));
                s.done.add(f[1]);
            }
            List<String> cur = repair(s.metrics, metricsHeader());
            List<String> kept = new ArrayList<>(List.of(cur.get(0)));
            for (String line : cur.subList(1, cur.size())) if (s.doneRuns.contains(runOf(line))) kept.add(line);
            if (kept.size() != cur.size()) OutputDir.writeAtomically(s.metrics, String.join("\n", kept) + "\n");
            s.summaryOut = FileChannel.open(s.summary, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            s.metricsOut = FileChannel.open(s.metrics, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the result store in " + dir + ": " + e.getMessage(), e);
        }
        return s;
    }

    /**
     * The file's complete lines, header first: a missing file is created with the header, a torn
     * last line (no newline) is cut off, and a header that is not ours is refused.
     */
    private static List<String> repair(Path file, String header) throws IOException {
        if (!Files.exists(file)) {
            OutputDir.writeAtomically(file, header + "\n");
            return new ArrayList<>(List.of(header));
        }
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') end--;
        if (end != bytes.length) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(end);
            }
        }
        String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n")));
        if (lines.isEmpty() || lines.get(0).isEmpty()) {
            OutputDir.writeAtomically(file, header + "\n");
            return new ArrayList<>(List.of(header));
        }
        if (!lines.get(0).equals(header)) {
            throw new IllegalArgumentException(file + " is not a result file of this version (its header differs)");
        }
        return lines;
    }

    /** Whether the run with this key has its summary row. */
    public boolean isDone(String key) {
        return done.contains(key);
    }

    public int doneCount() {
        return done.size();
    }

    /** Appends a finished run: its curve rows, then its summary row (the mark that it is done). */
    public synchronized void append(PlannedRun run, RunResult res) {
        StringBuilder c = new StringBuilder();
        for (double[] row : res.curve()) {
            c.append(run.index()).append(',').append((long) row[0]);
            for (int i = 1; i < row.length; i++) c.append(',').append(OutputDir.num(row[i]));
            c.append('\n');
        }
        write(metricsOut, c.toString());
        write(summaryOut, summaryRow(run, res) + "\n");
        done.add(run.key());
        doneRuns.add(run.index());
    }

    private static int runOf(String line) {
        return Integer.parseInt(line.substring(0, line.indexOf(',')));
    }

    static String summaryRow(PlannedRun run, RunResult res) {
        RunConfig c = run.config();
        List<String> v = new ArrayList<>(List.of(Integer.toString(run.index()), run.key()));
        v.addAll(configValues(c));
        v.add(Integer.toString(res.stopStep()));
        v.add(Boolean.toString(res.reachedTarget()));
        v.add(Boolean.toString(res.diverged()));
        for (double m : res.finalMetrics()) v.add(OutputDir.num(m));
        return String.join(",", v);
    }

    /** The values of {@link #CONFIG_COLUMNS} for a config (σ list joined with ';'). */
    public static List<String> configValues(RunConfig c) {
        StringBuilder sig = new StringBuilder();
        for (double s : c.sigma()) sig.append(sig.isEmpty() ? "" : ";").append(OutputDir.num(s));
        return List.of(Long.toString(c.seed()), Integer.toString(c.repeat()), Integer.toString(c.d()),
                Integer.toString(c.M()), Integer.toString(c.mk()), Integer.toString(c.mv()), Integer.toString(c.N()),
                sig.toString(), OutputDir.num(c.mu()), OutputDir.num(c.snr()), OutputDir.num(c.sigmaP()),
                OutputDir.num(c.p()), lower(c.labels()), Boolean.toString(c.orthogonalNoise()), lower(c.signals()),
                lower(c.init()), OutputDir.num(c.sigma0()), OutputDir.num(c.sigmaV()), OutputDir.num(c.sigmaO()),
                OutputDir.num(c.initDivisor()), Boolean.toString(c.trainWo()), OutputDir.num(c.lr()),
                Integer.toString(c.steps()), OutputDir.num(c.targetLoss()), Integer.toString(c.evalEvery()),
                Integer.toString(c.testN()), Integer.toString(c.attnSample()), OutputDir.num(c.testSigmaScale()),
                OutputDir.num(c.testSignalAngle()), OutputDir.num(c.testP()));
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void write(FileChannel ch, String text) {
        try {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append results: " + e.getMessage(), e);
        }
    }

    /** Rewrites both files sorted by plan index (then step), atomically. */
    public void finish() {
        sortFile(summary);
        sortFile(metrics);
    }

    /** Sorts the data lines of a result file by their leading index (stable, so steps keep their order). */
    static void sortFile(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            List<String> body = new ArrayList<>(lines.subList(1, lines.size()));
            body.sort(Comparator.comparingInt(ResultStore::runOf));
            OutputDir.writeAtomically(file, lines.get(0) + "\n" + (body.isEmpty() ? "" : String.join("\n", body) + "\n"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Joins the stores of {@code shards} into {@code out}: every run once (a run found in two shards
     * must have identical rows), sorted by run index.
     */
    public static int merge(Path out, List<Path> shards) {
        Map<String, String> sum = new LinkedHashMap<>();
        Map<Integer, List<String>> cur = new LinkedHashMap<>();
        for (Path dir : shards) {
            for (String f : List.of("summary.csv", "metrics.csv")) {
                if (!Files.isRegularFile(dir.resolve(f))) throw new IllegalArgumentException(dir + " has no " + f + ": not a sweep output directory");
            }
            ResultStore s = open(dir); // repairs a torn shard the same way a resume would
            s.close();
            try {
                Set<Integer> mine = new HashSet<>();
                List<String> lines = Files.readAllLines(dir.resolve("summary.csv"));
                for (String l : lines.subList(1, lines.size())) {
                    String prev = sum.putIfAbsent(l.split(",", 3)[1], l);
                    if (prev == null) mine.add(runOf(l));
                    else if (!prev.equals(l)) throw new IllegalArgumentException("run " + runOf(l) + " differs between shards (in " + dir + ")");
                }
                List<String> cl = Files.readAllLines(dir.resolve("metrics.csv"));
                for (String l : cl.subList(1, cl.size())) {
                    if (mine.contains(runOf(l))) cur.computeIfAbsent(runOf(l), k -> new ArrayList<>()).add(l);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        List<String> rows = new ArrayList<>(sum.values());
        List<String> curveRows = new ArrayList<>();
        cur.values().forEach(curveRows::addAll);
        OutputDir.writeAtomically(out.resolve("summary.csv"), summaryHeader() + "\n" + (rows.isEmpty() ? "" : String.join("\n", rows) + "\n"));
        OutputDir.writeAtomically(out.resolve("metrics.csv"), metricsHeader() + "\n" + (curveRows.isEmpty() ? "" : String.join("\n", curveRows) + "\n"));
        sortFile(out.resolve("summary.csv"));
        sortFile(out.resolve("metrics.csv"));
        return rows.size();
    }

    @Override
    public void close() {
        try {
            if (summaryOut != null) summaryOut.close();
            if (metricsOut != null) metricsOut.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
