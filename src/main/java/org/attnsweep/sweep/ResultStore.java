package org.attnsweep.sweep;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.attnsweep.model.RunConfig;
import org.attnsweep.train.RunResult;

/**
 * The results of a sweep (or a train) in one directory, and their only writer: {@code summary.csv}
 * (one row per finished run: its plan index {@code run}, the hash {@code key} of its full config,
 * the config, how it stopped and its final metrics), {@code metrics.csv} (its recorded rows:
 * run, step, metrics) and, for runs of H > 1 heads only, {@code heads.csv} (each head's rows: run,
 * step, head, the {@link org.attnsweep.model.Metric#PER_HEAD} values; a directory without such
 * runs has no heads.csv).
 *
 * <p>Append-only while a sweep runs: a run's curve rows are appended and forced to disk first,
 * its summary row last, so the summary row marks a run whose curves are durable (heads.csv's rows
 * are curve rows: H per recorded step). Opening the store
 * checks that: a torn last line is cut, a line that is not a record ({@link StoreCsv}) or not of
 * this plan is moved aside to {@code summary.csv.rejected} / {@code metrics.csv.rejected} /
 * {@code heads.csv.rejected} with a
 * warning, and a run whose curve rows are not all there (counted against its stop step and
 * eval-every) is dropped to be trained again, said in one line. So a {@code kill -9}, a truncated
 * or garbled file loses at most the runs it touched, never one around them. {@link #finish}
 * rewrites the files sorted by run index, which makes sharded-then-merged results byte-identical
 * to an unsharded run.
 */
public final class ResultStore implements AutoCloseable {
    /** Config columns of summary.csv, after run and key. */
    public static final List<String> CONFIG_COLUMNS = List.of("seed", "repeat", "d", "M", "mk", "mv", "N", "sigma",
            "mu", "snr", "sigma_p", "p", "labels", "orthogonal_noise", "signals", "init", "sigma0", "sigma_v",
            "sigma_o", "init_divisor", "train_wo", "lr", "steps", "target_loss", "eval_every", "test_n", "attn_sample",
            "test_sigma_scale", "test_signal_angle", "test_p", "loss", "batch_size", "heads");
    public static final List<String> OUTCOME_COLUMNS = List.of("stop_step", "reached_target", "diverged");
    /** Bad lines named one by one on stderr, per file; the rest are counted. */
    private static final int NAMED_BAD_LINES = 5;

    private final Path dir, summary, metrics, heads;
    private final Set<String> done = new HashSet<>();
    private FileChannel summaryOut, metricsOut, headsOut; // headsOut: null until heads.csv exists

    private ResultStore(Path dir) {
        this.dir = dir;
        this.summary = dir.resolve(StoreCsv.Kind.SUMMARY.file());
        this.metrics = dir.resolve(StoreCsv.Kind.METRICS.file());
        this.heads = dir.resolve(StoreCsv.Kind.HEADS.file());
    }

    public static String summaryHeader() {
        return StoreCsv.Kind.SUMMARY.header();
    }

    public static String metricsHeader() {
        return StoreCsv.Kind.METRICS.header();
    }

    /** The curve rows a run that stopped at {@code stopStep} records: every eval-every steps from 0, and its stop step. */
    public static int expectedCurveRows(int stopStep, int evalEvery) {
        return stopStep / evalEvery + 1 + (stopStep % evalEvery == 0 ? 0 : 1);
    }

    /**
     * Opens the store in {@code dir} (its caller holds the directory's lock): creates its files, or
     * checks and repairs them as the class comment says.
     *
     * @param plan the runs it may hold, by key (rows of other keys, or whose config differs from
     *             their key's, are moved aside); null checks the format only
     * @param warn where warnings go, one line each
     */
    public static ResultStore open(Path dir, Map<String, PlannedRun> plan, Consumer<String> warn) {
        ResultStore s = new ResultStore(dir);
        try {
            s.repair(plan, warn);
            s.summaryOut = appending(s.summary);
            s.metricsOut = appending(s.metrics);
            if (Files.exists(s.heads, LinkOption.NOFOLLOW_LINKS)) s.headsOut = appending(s.heads);
        } catch (IOException e) {
            s.close();
            throw new UncheckedIOException("cannot open the result store in " + dir + ": " + OutputDir.describe(e), e);
        }
        return s;
    }

    private static FileChannel appending(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    }

    /** The plan's runs by key. */
    public static Map<String, PlannedRun> byKey(List<PlannedRun> runs) {
        Map<String, PlannedRun> m = new HashMap<>();
        for (PlannedRun r : runs) m.put(r.key(), r);
        return m;
    }

    private void repair(Map<String, PlannedRun> plan, Consumer<String> warn) throws IOException {
        // Both files are checked before either is touched, so a refusal changes nothing.
        for (StoreCsv.Kind k : StoreCsv.Kind.values()) StoreCsv.checkHeader(dir.resolve(k.file()), k);
        prepare(summary, summaryHeader());
        prepare(metrics, metricsHeader());
        // heads.csv exists once a run of H > 1 heads was stored; its runs need their H rows per curve row.
        boolean hasHeads = Files.exists(heads, LinkOption.NOFOLLOW_LINKS);
        if (hasHeads) prepare(heads, StoreCsv.Kind.HEADS.header());
        Scan s = new Scan(summary, metrics, heads, plan);

        moveAside(s.badSummary, warn);
        moveAside(s.curves.bad, warn);
        moveAside(s.headCurves.bad, warn);
        if (!s.short_.isEmpty()) {
            // Their summary rows are kept aside like any removed line; their curve rows follow in keepRuns.
            reject(summary, s.short_.values().stream().map(StoreCsv.Row::text).toList());
            warn.accept("attnsweep: " + s.short_.size() + " stored run(s) have missing or damaged curve rows in " + metrics
                    + (hasHeads ? " or " + heads.getFileName() : "") + " (run " + abbreviate(List.copyOf(s.short_.keySet()))
                    + "): they will be trained again; their rows moved to the .rejected files");
        }
        if (!s.badSummary.isEmpty() || !s.short_.isEmpty()) {
            OutputDir.writeAtomically(summary, out -> {
                out.write((summaryHeader() + "\n").getBytes(StandardCharsets.UTF_8));
                for (StoreCsv.Row r : s.rows.values()) out.write((r.text() + "\n").getBytes(StandardCharsets.UTF_8));
            });
        }
        Set<Integer> kept = s.byRun.keySet();
        if (!s.curves.bad.isEmpty() || !s.short_.isEmpty() || s.curves.orphans > 0) keepRuns(metrics, StoreCsv.Kind.METRICS, kept);
        if (s.curves.orphans + s.headCurves.orphans > 0) {
            warn.accept("attnsweep: warning: " + (s.curves.orphans + s.headCurves.orphans) + " curve row(s) of runs with no summary row (stopped"
                    + " before it was written) moved to " + metrics.getFileName() + ".rejected" + (s.headCurves.orphans > 0 ? " and "
                    + heads.getFileName() + ".rejected" : "") + "; those runs are trained again");
        }
        if (hasHeads && (!s.headCurves.bad.isEmpty() || !s.short_.isEmpty() || s.headCurves.orphans > 0)) {
            // None kept: no stored run has heads, and a directory without such runs has no heads.csv.
            if (kept.stream().noneMatch(s.headCurves.rows::containsKey)) {
                reject(heads, rowsNotOf(heads, StoreCsv.Kind.HEADS, kept));
                Files.delete(heads);
                OutputDir.forceDirectory(dir);
            } else {
                keepRuns(heads, StoreCsv.Kind.HEADS, kept);
            }
        }
        done.addAll(s.rows.keySet());
    }

    /**
     * A store's runs as its files hold them, read without writing a byte: the rows {@link #open}
     * would keep (the same checks against {@code plan}), a torn last line ignored, and one warning
     * for each thing a repair would change, saying that it is left out and that the store's own
     * sweep, resumed, repairs it. For a reader that owns none of the directory: merge's shards,
     * which may be on a read-only mount (opened, a shard was repaired, and a read-only one failed
     * the merge; s22 audit).
     */
    public static Snapshot read(Path dir, Map<String, PlannedRun> plan, Consumer<String> warn) {
        for (StoreCsv.Kind k : StoreCsv.Kind.values()) StoreCsv.checkHeader(dir.resolve(k.file()), k);
        Path summary = dir.resolve(StoreCsv.Kind.SUMMARY.file()), metrics = dir.resolve(StoreCsv.Kind.METRICS.file()),
                heads = dir.resolve(StoreCsv.Kind.HEADS.file());
        String fate = "left out (a reader repairs nothing: resuming the sweep that wrote " + dir + " repairs it)";
        for (Path f : List.of(summary, metrics, heads)) {
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS) && StoreCsv.completeLength(f) < size(f)) {
                warn.accept("attnsweep: warning: " + f + " ends in a cut line (its writer stopped in the middle of it): " + fate);
            }
        }
        Scan s = new Scan(summary, metrics, heads, plan);
        name(s.badSummary, fate, warn);
        name(s.curves.bad, fate, warn);
        name(s.headCurves.bad, fate, warn);
        if (!s.short_.isEmpty()) {
            warn.accept("attnsweep: warning: " + s.short_.size() + " stored run(s) of " + summary + " have missing or damaged curve rows (run "
                    + abbreviate(List.copyOf(s.short_.keySet())) + "): " + fate);
        }
        // Orphan curve rows (of a run stopped before its summary row) are a store's normal state
        // while its sweep runs or after a kill: left out without a word, as a repair's only note says.
        Set<Integer> kept = s.byRun.keySet();
        List<StoreCsv.Row> curves = new ArrayList<>(), headCurves = new ArrayList<>();
        if (Files.exists(metrics, LinkOption.NOFOLLOW_LINKS)) curvesOf(metrics, StoreCsv.Kind.METRICS, kept, curves);
        if (Files.exists(heads, LinkOption.NOFOLLOW_LINKS)) curvesOf(heads, StoreCsv.Kind.HEADS, kept, headCurves);
        return new Snapshot(List.copyOf(s.rows.values()), curves, headCurves);
    }

    /** A store's rows as {@link #read} finds them: summary rows in file order, curve rows of those runs only. */
    public record Snapshot(List<StoreCsv.Row> summary, List<StoreCsv.Row> curves, List<StoreCsv.Row> headCurves) {
    }

    /** The well-formed rows of a curve file whose run is in {@code runs}, in file order, added to {@code into}. */
    private static void curvesOf(Path file, StoreCsv.Kind kind, Set<Integer> runs, List<StoreCsv.Row> into) {
        StoreCsv.read(file, kind, r -> {
            if (runs.contains(r.run())) into.add(r);
        }, b -> { });
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + OutputDir.describe(e), e);
        }
    }

    /**
     * What the store's files hold, read without writing: the summary rows kept (of {@code plan},
     * one per key and per run, each with all its curve rows) and, on the side, what a repair
     * removes — bad lines, rows of runs whose curve rows are not all there, orphan curve rows.
     * A missing file holds nothing.
     */
    private static final class Scan {
        /** key -> its row, in file order; run -> its row, to refuse two rows claiming one run. */
        final LinkedHashMap<String, StoreCsv.Row> rows = new LinkedHashMap<>();
        final Map<Integer, StoreCsv.Row> byRun = new HashMap<>();
        final List<StoreCsv.Bad> badSummary = new ArrayList<>();
        /** The summary rows of runs whose curve rows are missing or damaged, by run. */
        final TreeMap<Integer, StoreCsv.Row> short_ = new TreeMap<>();
        final Curves curves, headCurves;

        Scan(Path summary, Path metrics, Path heads, Map<String, PlannedRun> plan) {
            StoreCsv.Row[] last = {null}; // the last well-formed line read
            if (Files.exists(summary, LinkOption.NOFOLLOW_LINKS)) StoreCsv.read(summary, StoreCsv.Kind.SUMMARY, r -> {
                String why = planMismatch(r, plan);
                StoreCsv.Row first = rows.get(r.key());
                if (why == null && first != null) why = "a second row of run key " + r.key() + " (first on line " + first.line() + ")";
                if (why == null && byRun.containsKey(r.run())) why = "a second row of run " + r.run() + " (first on line " + byRun.get(r.run()).line() + ")";
                if (why != null) {
                    badSummary.add(new StoreCsv.Bad(summary, r.line(), r.text(), why));
                    return;
                }
                rows.put(r.key(), r);
                byRun.put(r.run(), r);
                last[0] = r;
            }, b -> {
                // A newline put into a line splits it in two: the second part is bad, but the first can
                // still read as a record whose last number lost its tail. Such a neighbour goes too
                // (not before a blank line: a newline put at a line's end leaves that line whole).
                StoreCsv.Row prev = last[0];
                if (prev != null && prev.line() == b.line() - 1 && !b.text().isEmpty() && rows.get(prev.key()) == prev) {
                    rows.remove(prev.key());
                    byRun.remove(prev.run());
                    badSummary.add(new StoreCsv.Bad(summary, prev.line(), prev.text(), "the line before bad line " + b.line()
                            + " (the same fault may have cut it)"));
                }
                badSummary.add(b);
            });
            curves = Files.exists(metrics, LinkOption.NOFOLLOW_LINKS) ? Curves.read(metrics, StoreCsv.Kind.METRICS, byRun) : new Curves();
            headCurves = Files.exists(heads, LinkOption.NOFOLLOW_LINKS) ? Curves.read(heads, StoreCsv.Kind.HEADS, byRun) : new Curves();
            for (StoreCsv.Row r : List.copyOf(byRun.values())) {
                int want = expectedCurveRows(r.integer("stop_step"), r.integer("eval_every"));
                int H = r.integer("heads"), wantHeads = H > 1 ? H * want : 0;
                if (!curves.complete(r.run(), want) || !headCurves.complete(r.run(), wantHeads)) {
                    short_.put(r.run(), r);
                    byRun.remove(r.run());
                    rows.remove(r.key());
                }
            }
        }
    }

    /**
     * A curve file's (metrics.csv or heads.csv) rows counted per stored run; rows of runs not stored
     * (in flight when their writer stopped) and bad lines on the side.
     */
    private static final class Curves {
        final Map<Integer, Integer> rows = new HashMap<>();
        final Set<Integer> damaged = new HashSet<>();
        final List<StoreCsv.Bad> bad = new ArrayList<>();
        int orphans;

        static Curves read(Path file, StoreCsv.Kind kind, Map<Integer, StoreCsv.Row> byRun) {
            Curves c = new Curves();
            StoreCsv.Row[] last = {null};
            StoreCsv.read(file, kind, r -> {
                if (byRun.containsKey(r.run())) c.rows.merge(r.run(), 1, Integer::sum);
                else c.orphans++;
                last[0] = r;
            }, b -> {
                // As in summary.csv: the curve row before a bad line may be cut short, so its run is trained again.
                if (last[0] != null && last[0].line() == b.line() - 1 && !b.text().isEmpty()) c.damaged.add(last[0].run());
                c.bad.add(b);
            });
            return c;
        }

        /** Whether run {@code run} has exactly {@code want} rows, none next to a bad line. */
        boolean complete(int run, int want) {
            return rows.getOrDefault(run, 0) == want && !damaged.contains(run);
        }
    }

    /**
     * Rewrites a curve file with the rows of {@code runs} only. The others (of runs trained again,
     * or left by a run stopped before its summary row) go to FILE.rejected first: a repair never
     * deletes a row, and a stop between the two writes leaves a row in both, never in neither.
     */
    private static void keepRuns(Path file, StoreCsv.Kind kind, Set<Integer> runs) throws IOException {
        reject(file, rowsNotOf(file, kind, runs));
        OutputDir.writeAtomically(file, out -> {
            write(out, kind.header());
            StoreCsv.read(file, kind, r -> {
                if (runs.contains(r.run())) write(out, r.text());
            }, b -> { });
        });
    }

    /** The well-formed rows of a curve file whose run is not in {@code runs}, in file order. */
    private static List<String> rowsNotOf(Path file, StoreCsv.Kind kind, Set<Integer> runs) {
        List<String> out = new ArrayList<>();
        StoreCsv.read(file, kind, r -> {
            if (!runs.contains(r.run())) out.add(r.text());
        }, b -> { });
        return out;
    }

    private static void write(OutputStream out, String line) {
        try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Why a well-formed summary row is not one of {@code plan}'s runs as it would store it, or null. */
    private static String planMismatch(StoreCsv.Row r, Map<String, PlannedRun> plan) {
        if (plan == null) return null;
        PlannedRun p = plan.get(r.key());
        if (p == null) return "run key " + r.key() + " is not a run of this plan";
        if (p.index() != r.run()) return "run " + r.run() + " has the key of run " + p.index();
        List<String> want = configValues(p.config());
        for (int i = 0; i < want.size(); i++) {
            String col = CONFIG_COLUMNS.get(i);
            if (!want.get(i).equals(r.get(col))) {
                return col + " " + r.get(col) + " is not the value its key " + r.key() + " stands for (" + want.get(i) + ")";
            }
        }
        return null;
    }

    /** A missing file is created with its header; a torn last line is cut. */
    private static void prepare(Path file, String header) throws IOException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            OutputDir.writeAtomically(file, header + "\n");
            return;
        }
        long complete = StoreCsv.completeLength(file);
        if (complete == 0) {
            OutputDir.writeAtomically(file, header + "\n");
        } else if (complete < Files.size(file)) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                ch.truncate(complete);
                ch.force(false);
            }
        }
    }

    /** Appends bad lines to FILE.rejected and names them on stderr. */
    private static void moveAside(List<StoreCsv.Bad> bad, Consumer<String> warn) throws IOException {
        if (bad.isEmpty()) return;
        Path rejected = reject(bad.get(0).file(), bad.stream().map(StoreCsv.Bad::text).toList());
        name(bad, "moved to " + rejected.getFileName(), warn);
    }

    /** Names bad lines (all of one file) on stderr, the first few one by one, each with what became of it. */
    private static void name(List<StoreCsv.Bad> bad, String fate, Consumer<String> warn) {
        for (StoreCsv.Bad b : bad.subList(0, Math.min(bad.size(), NAMED_BAD_LINES))) {
            warn.accept("attnsweep: warning: " + b.describe() + ": " + fate);
        }
        if (bad.size() > NAMED_BAD_LINES) {
            warn.accept("attnsweep: warning: " + (bad.size() - NAMED_BAD_LINES) + " more bad lines of " + bad.get(0).file() + ": " + fate);
        }
    }

    /** Appends lines to FILE.rejected (rewritten whole, atomically); returns its path. */
    private static Path reject(Path file, List<String> lines) throws IOException {
        Path rejected = file.resolveSibling(file.getFileName() + ".rejected");
        if (lines.isEmpty()) return rejected;
        StringBuilder text = new StringBuilder();
        if (Files.isRegularFile(rejected, LinkOption.NOFOLLOW_LINKS)) text.append(Files.readString(rejected, StandardCharsets.ISO_8859_1));
        for (String l : lines) text.append(l).append('\n');
        // ISO-8859-1 both ways keeps whatever bytes were there; the lines themselves are text.
        byte[] bytes = text.toString().getBytes(StandardCharsets.ISO_8859_1);
        OutputDir.writeAtomically(rejected, out -> out.write(bytes));
        return rejected;
    }

    private static String abbreviate(List<Integer> runs) {
        List<String> s = runs.stream().limit(8).map(String::valueOf).toList();
        return String.join(", ", s) + (runs.size() > 8 ? ", ..." : "");
    }

    /** Whether the run with this key has its summary row (and every curve row). */
    public boolean isDone(String key) {
        return done.contains(key);
    }

    public int doneCount() {
        return done.size();
    }

    /**
     * Appends a finished run: its curve rows (and with H > 1 heads its heads.csv rows), forced to disk, then its summary row (the mark that it
     * is done). The summary row is not forced: losing it to a power cut only means training the run again.
     */
    public void append(PlannedRun run, RunResult res) {
        append(List.of(run), List.of(res));
    }

    /**
     * Appends finished runs (results.get(i) of runs.get(i)) as {@link #append(PlannedRun, RunResult)} appends one, their curve rows
     * (each file forced once for all of them) before any of their summary rows: a run's summary row still marks curves that are durable.
     */
    public synchronized void append(List<PlannedRun> runs, List<RunResult> results) {
        StringBuilder c = new StringBuilder(), h = new StringBuilder(), s = new StringBuilder();
        for (int i = 0; i < runs.size(); i++) {
            int run = runs.get(i).index();
            for (double[] row : results.get(i).curve()) {
                c.append(run).append(',').append((long) row[0]);
                for (int k = 1; k < row.length; k++) c.append(',').append(OutputDir.num(row[k]));
                c.append('\n');
            }
            for (double[] row : results.get(i).headCurve()) {
                h.append(run).append(',').append((long) row[0]).append(',').append((int) row[1]);
                for (int k = 2; k < row.length; k++) h.append(',').append(OutputDir.num(row[k]));
                h.append('\n');
            }
            s.append(summaryRow(runs.get(i), results.get(i))).append('\n');
        }
        write(metricsOut, c.toString(), true);
        if (!h.isEmpty()) write(headsOut(), h.toString(), true);
        write(summaryOut, s.toString(), false);
        for (PlannedRun r : runs) done.add(r.key());
    }

    /** heads.csv for appending, created with its header by the first run of H > 1 heads. */
    private FileChannel headsOut() {
        if (headsOut == null) {
            OutputDir.writeAtomically(heads, StoreCsv.Kind.HEADS.header() + "\n");
            try {
                headsOut = appending(heads);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot append results: " + OutputDir.describe(e), e);
            }
        }
        return headsOut;
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
                OutputDir.num(c.testSignalAngle()), OutputDir.num(c.testP()), c.loss().key(), Integer.toString(c.batchSize()), Integer.toString(c.heads()));
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static void write(FileChannel ch, String text, boolean force) {
        try {
            ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            if (force) ch.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append results: " + OutputDir.describe(e), e);
        }
    }

    /** Rewrites the files sorted by plan index (then step, then head), atomically. */
    public void finish() {
        sortFile(summary, StoreCsv.Kind.SUMMARY);
        sortFile(metrics, StoreCsv.Kind.METRICS);
        if (Files.exists(heads, LinkOption.NOFOLLOW_LINKS)) sortFile(heads, StoreCsv.Kind.HEADS);
    }

    /** Rewrites a result file with its rows sorted by run index (stable, so steps keep their order). */
    private static void sortFile(Path file, StoreCsv.Kind kind) {
        List<StoreCsv.Row> rows = new ArrayList<>();
        StoreCsv.read(file, kind, rows::add, ResultStore::repaired);
        rows.sort(Comparator.comparingInt(StoreCsv.Row::run));
        writeRows(file, kind, rows);
    }

    private static void writeRows(Path file, StoreCsv.Kind kind, List<StoreCsv.Row> rows) {
        OutputDir.writeAtomically(file, out -> {
            write(out, kind.header());
            for (StoreCsv.Row r : rows) write(out, r.text());
        });
    }

    /** The rows of several shards joined, sorted by run index, ready to be written. */
    public record Merged(List<StoreCsv.Row> summary, List<StoreCsv.Row> curves, List<StoreCsv.Row> headCurves) {
        /** How many runs. */
        public int runs() {
            return summary.size();
        }

        /**
         * Writes summary.csv, metrics.csv and, when some run has heads, heads.csv into {@code out}
         * (whose lock the caller holds); an earlier merge's heads.csv goes when none has.
         */
        public void write(Path out) {
            writeRows(out.resolve(StoreCsv.Kind.SUMMARY.file()), StoreCsv.Kind.SUMMARY, summary);
            writeRows(out.resolve(StoreCsv.Kind.METRICS.file()), StoreCsv.Kind.METRICS, curves);
            Path heads = out.resolve(StoreCsv.Kind.HEADS.file());
            if (!headCurves.isEmpty()) {
                writeRows(heads, StoreCsv.Kind.HEADS, headCurves);
            } else {
                try {
                    if (Files.deleteIfExists(heads)) OutputDir.forceDirectory(out);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove " + heads + ": " + OutputDir.describe(e), e);
                }
            }
        }
    }

    /**
     * Joins the stores of {@code shards} (each locked by the caller, for reading): every run once.
     * A run found in two shards must have identical rows there; two shards that disagree about a
     * run are refused, naming both lines. Each shard is read as {@link #read} reads it, against its
     * own plan, {@code plans.get(i)}, so a row whose config does not match its key never gets in,
     * and no shard is written: a damaged one's runs are left out, each said in a line.
     */
    public static Merged merge(List<Path> shards, List<Map<String, PlannedRun>> plans, Consumer<String> warn) {
        Map<String, StoreCsv.Row> sum = new LinkedHashMap<>();
        Map<String, Path> from = new HashMap<>();
        TreeMap<Integer, List<StoreCsv.Row>> cur = new TreeMap<>(), hcur = new TreeMap<>();
        Map<Integer, Path> curFrom = new HashMap<>(), hcurFrom = new HashMap<>();
        for (int i = 0; i < shards.size(); i++) {
            Path dir = shards.get(i);
            Snapshot snap = read(dir, plans.get(i), warn);
            Path summary = dir.resolve(StoreCsv.Kind.SUMMARY.file());
            for (StoreCsv.Row r : snap.summary()) {
                StoreCsv.Row prev = sum.putIfAbsent(r.key(), r);
                if (prev == null) {
                    from.put(r.key(), summary);
                } else if (!prev.text().equals(r.text())) {
                    throw new IllegalArgumentException("run " + r.run() + " differs between shards: " + from.get(r.key()) + " line "
                            + prev.line() + " and " + summary + " line " + r.line());
                }
            }
            joinCurves(snap.curves(), dir.resolve(StoreCsv.Kind.METRICS.file()), StoreCsv.Kind.METRICS, cur, curFrom);
            joinCurves(snap.headCurves(), dir.resolve(StoreCsv.Kind.HEADS.file()), StoreCsv.Kind.HEADS, hcur, hcurFrom);
        }
        List<StoreCsv.Row> rows = new ArrayList<>(sum.values());
        rows.sort(Comparator.comparingInt(StoreCsv.Row::run));
        List<StoreCsv.Row> curveRows = new ArrayList<>(), headRows = new ArrayList<>();
        cur.values().forEach(curveRows::addAll);
        hcur.values().forEach(headRows::addAll);
        return new Merged(rows, curveRows, headRows);
    }

    /**
     * Adds a shard's curve rows (of metrics.csv or heads.csv, {@code file}) to {@code cur}, run by
     * run; a run already there from another shard must have identical rows, or the merge is refused
     * naming both.
     */
    private static void joinCurves(List<StoreCsv.Row> rows, Path file, StoreCsv.Kind kind, TreeMap<Integer, List<StoreCsv.Row>> cur,
            Map<Integer, Path> curFrom) {
        Map<Integer, List<StoreCsv.Row>> mine = new HashMap<>();
        for (StoreCsv.Row r : rows) mine.computeIfAbsent(r.run(), k -> new ArrayList<>()).add(r);
        for (var e : mine.entrySet()) {
            List<StoreCsv.Row> prev = cur.putIfAbsent(e.getKey(), e.getValue());
            if (prev == null) {
                curFrom.put(e.getKey(), file);
            } else if (!texts(prev).equals(texts(e.getValue()))) {
                throw new IllegalArgumentException("the " + (kind == StoreCsv.Kind.HEADS ? "heads" : "curve") + " rows of run " + e.getKey()
                        + " differ between shards: " + curFrom.get(e.getKey()) + " line " + prev.get(0).line() + " and " + file + " line "
                        + e.getValue().get(0).line());
            }
        }
    }

    /** A bad line in a file this store has just checked or written: a bug, not a fault of the file. */
    private static void repaired(StoreCsv.Bad b) {
        throw new IllegalStateException("a line of a checked result file is not a record: " + b.describe());
    }

    private static List<String> texts(List<StoreCsv.Row> rows) {
        return rows.stream().map(StoreCsv.Row::text).toList();
    }

    @Override
    public void close() {
        try {
            if (summaryOut != null) summaryOut.close();
            if (metricsOut != null) metricsOut.close();
            if (headsOut != null) headsOut.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
