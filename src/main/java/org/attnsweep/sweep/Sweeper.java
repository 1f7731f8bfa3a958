package org.attnsweep.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.Family;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.Version;
import org.attnsweep.model.RunConfig;
import org.attnsweep.train.RunResult;
import org.attnsweep.train.Trainer;

/**
 * Runs the unfinished runs of a plan (or of one shard of it) through an engine: groups them by
 * shape (d, M, m_k, m_v, H), cuts each group into batches sized from the memory budget, trains each
 * batch in lockstep and stores every run the moment it finishes.
 */
public final class Sweeper {
    private Sweeper() {
    }

    /**
     * The batches the runs would be trained in, in order: one shape per batch, at most
     * {@code maxBatch} runs of it, and no more than the host memory budget holds with each run in
     * the form it trains in under {@code form}, on generated data.
     */
    public static List<List<PlannedRun>> batches(List<PlannedRun> runs, long memoryBytes, Formulation form,
                                                 ToIntFunction<RunConfig> maxBatch) {
        return batches(runs, memoryBytes, form, maxBatch, false);
    }

    /**
     * As {@link #batches(List, long, Formulation, ToIntFunction)}; where {@code sharedData} (every
     * run reads the same data, read once from files: {@link Inputs#shared}), a batch holds the tokens
     * once ({@link Plan.Footprint#tokenBytes}) and each run its own state beside them.
     */
    public static List<List<PlannedRun>> batches(List<PlannedRun> runs, long memoryBytes, Formulation form,
                                                 ToIntFunction<RunConfig> maxBatch, boolean sharedData) {
        return batches(runs, memoryBytes, c -> Plan.Footprint.of(c, form, !sharedData, false), maxBatch, sharedData);
    }

    /**
     * The batches, each run held to {@code footprint}: a batch of s runs of a shape holds s times
     * the shape's largest run, the tokens once where {@code sharedData}, and the arrays of each
     * data family among its runs once ({@link Plan.Footprint#familyBytes}: at most min(s, F) of
     * them, F the shape's families, whichever runs a batch takes).
     */
    private static List<List<PlannedRun>> batches(List<PlannedRun> runs, long memoryBytes, Function<RunConfig, Plan.Footprint> footprint,
                                                  ToIntFunction<RunConfig> maxBatch, boolean sharedData) {
        Map<Plan.Shape, List<PlannedRun>> groups = new LinkedHashMap<>();
        for (PlannedRun r : runs) groups.computeIfAbsent(Plan.Shape.of(r.config()), k -> new ArrayList<>()).add(r);
        List<List<PlannedRun>> out = new ArrayList<>();
        for (List<PlannedRun> g : groups.values()) {
            RunConfig largest = g.stream().map(PlannedRun::config).max(java.util.Comparator.comparingInt(RunConfig::N)).orElseThrow();
            Plan.Footprint worst = null;
            double family = 0;
            java.util.Set<Family.Key> families = new java.util.HashSet<>();
            for (PlannedRun r : g) {
                Plan.Footprint f = footprint.apply(r.config());
                if (worst == null || f.bytes() > worst.bytes()) worst = f;
                if (f.familyBytes() > 0) {
                    family = Math.max(family, f.familyBytes());
                    families.add(Family.key(r.config()));
                }
            }
            long shared = sharedData ? (long) worst.tokenBytes() : 0;
            long room = memoryBytes - shared, perRun = Math.max(1, worst.bytes() - shared), F = families.size();
            long fits = (long) ((room - F * family) / perRun);
            // Fewer runs than families: each run may bring its own family's arrays.
            if (fits < F) fits = (long) (room / (perRun + family));
            int size = (int) Math.max(1, Math.min(maxBatch.applyAsInt(largest), fits));
            for (int i = 0; i < g.size(); i += size) out.add(g.subList(i, Math.min(g.size(), i + size)));
        }
        return out;
    }

    /**
     * The batches a sweep on {@code engine} trains {@code todo} in, in order: {@link #run}'s and
     * --dry-run's alike, with the runs' final weights not kept.
     */
    public static List<List<PlannedRun>> batches(List<PlannedRun> todo, Engine engine, long memoryBytes, Inputs inputs) {
        return batches(todo, engine, memoryBytes, inputs, false);
    }

    /**
     * As {@link #batches(List, Engine, long, Inputs)}. Each family's largest N is reserved; the families of each shape are
     * counted for an engine that holds arrays once per family ({@link Engine#maxBatch(RunConfig,
     * long)}: by identity, which is exact because the count holds every family it met and
     * {@link Family#of} returns a held family's own object; runs without one, data not generated
     * or shifted test tokens, one each); an engine that trains off the host has its next batch opened while it trains this
     * one, so the host holds two batches and each gets half the budget. Each run is held to its
     * footprint on these inputs ({@link Plan.Footprint#of(RunConfig, Formulation, boolean, boolean)}):
     * on generated data a span run's tokens are its family's, counted once per batch.
     *
     * @param keepsWeights whether the runs' final weights are read (train's --save-weights, --save-data)
     */
    public static List<List<PlannedRun>> batches(List<PlannedRun> todo, Engine engine, long memoryBytes, Inputs inputs,
                                                 boolean keepsWeights) {
        // Family.of once per family, not per run (it locks the registry of live families), and each
        // family's largest N reserved once the walk has seen them all.
        Map<Family.Key, Family> byKey = new java.util.HashMap<>();
        Map<Family, Integer> largestN = new java.util.IdentityHashMap<>();
        Map<Plan.Shape, java.util.Set<Object>> families = new LinkedHashMap<>();
        boolean generated = inputs == Inputs.GENERATED;
        for (PlannedRun r : todo) {
            RunConfig c = r.config();
            Family f = byKey.computeIfAbsent(Family.key(c), k -> Family.of(c));
            largestN.merge(f, c.N(), Math::max);
            boolean shared = generated && c.images() == null && !c.shiftedTestTokens();
            families.computeIfAbsent(Plan.Shape.of(c), k -> java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>())).add(shared ? f : r);
        }
        largestN.forEach(Family::reserve);
        Formulation form = engine.formulation();
        return batches(todo, engine.trainsOffHost() ? memoryBytes / 2 : memoryBytes,
                c -> Plan.Footprint.of(c, form, generated, keepsWeights),
                shape -> engine.maxBatch(shape, families.get(Plan.Shape.of(shape)).size()), inputs.shared());
    }

    /**
     * Bytes {@code batch} holds as {@link #batches} sizes it (weights not kept): each run's own
     * footprint on these inputs, the tokens once where every run reads the same data
     * ({@link Inputs#shared}), and each data family's arrays once ({@link Plan.Footprint#familyBytes}).
     */
    public static long batchBytes(List<PlannedRun> batch, Formulation form, Inputs inputs) {
        boolean generated = inputs == Inputs.GENERATED;
        double bytes = 0, tokens = 0;
        Map<Family.Key, Double> families = new LinkedHashMap<>();
        for (PlannedRun r : batch) {
            Plan.Footprint f = Plan.Footprint.of(r.config(), form, generated, false);
            double once = inputs.shared() ? f.tokenBytes() : 0;
            bytes += f.bytes() - once;
            tokens = Math.max(tokens, once);
            if (f.familyBytes() > 0) families.merge(Family.key(r.config()), f.familyBytes(), Math::max);
        }
        for (double b : families.values()) bytes += b;
        return (long) (bytes + tokens);
    }

    /**
     * Where runs get their data and initial weights: drawn from their streams (the default), or
     * read from files. The fingerprint names the files' content, so results trained on other
     * files are never taken for these. {@code shared}: every run reads the same training and test
     * tokens (data read once from files), which a batch then holds once ({@link #batches}).
     */
    public record Inputs(Function<RunConfig, RunData> source, String fingerprint, boolean shared) {
        public static final Inputs GENERATED = new Inputs(DataFactory::generate, "", false);
    }

    /** What one execution did: runs trained now, runs of the shard stored in all, wall seconds. */
    public record Outcome(int trained, int stored, double seconds) {
    }

    /**
     * Runs shard {@code shard[0]} of {@code shard[1]} of the plan into {@code dir}: refuses a
     * directory that holds another plan's results, writes config.json (the command, the preset,
     * the plan fingerprint, the engine, every run's config and the version), skips runs already
     * stored, trains the rest, and sorts the store when done.
     *
     * @param about      extra entries for config.json (command, preset, notes...)
     * @param onFinished called with each run just before it is stored, its final weights included; or null
     */
    public static Outcome execute(Plan plan, int[] shard, Engine engine, OutputDir dir, Map<String, Object> about,
                                  long memoryBytes, PrintStream err, Inputs inputs,
                                  BiConsumer<PlannedRun, RunResult> onFinished) {
        String fingerprint = fingerprint(plan, inputs.fingerprint(), engine);
        List<String> earlier = checkSamePlan(dir.path(), fingerprint, engine);
        List<PlannedRun> mine = plan.shard(shard[0], shard[1]);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("tool", "attnsweep");
        cfg.put("version", Version.get());
        cfg.putAll(about);
        cfg.put("plan_fingerprint", fingerprint);
        cfg.put("plan_runs", plan.size());
        cfg.put("shard", shard[0] + "/" + shard[1]);
        cfg.put("engine", engine.describe());
        cfg.put("results_of", resultsOf(engine));
        // Each entry's fields in this order: Map.of's iteration order changes from one JVM to the next,
        // which wrote the same plan's config.json with its entries' fields in another order each time.
        cfg.put("runs", mine.stream().map(r -> {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("run", r.index());
            run.put("key", r.key());
            run.put("config", r.config());
            return run;
        }).toList());

        long t0 = System.nanoTime();
        // The store is checked first: a store it refuses is left as it was, config.json included.
        try (ResultStore store = ResultStore.open(dir.path(), ResultStore.byKey(mine), err::println)) {
            if (store.doneCount() > 0 && !earlier.isEmpty()) {
                // Same plan, same keys: the resume is allowed, but its runs and the stored ones were
                // trained by different versions, which the rewritten config.json no longer said (s22 audit).
                err.println("attnsweep: warning: " + dir.path() + " holds runs stored by attnsweep " + String.join(", ", earlier) + "; this is "
                        + Version.get() + ", which trains the rest (config.json's earlier_versions records both)");
                cfg.put("earlier_versions", earlier);
            }
            dir.writeConfig(cfg);
            List<PlannedRun> todo = mine.stream().filter(r -> !store.isDone(r.key())).toList();
            if (todo.size() < mine.size()) {
                err.println("resuming: " + (mine.size() - todo.size()) + " of " + mine.size() + " runs already done");
            }
            int trained;
            // Ctrl-C or SIGTERM ends the JVM between two appends, or in one, which the next open
            // repairs: it loses no finished run, but ended the command without a word (s21b audit).
            // The hook lets the store's writer store the runs already handed to it (a moment: a
            // group's append), then says what is kept, reading only a count. (The store holds runs
            // of this plan only, those of `mine`: others are moved aside when it opens.)
            StoreWriter writer = new StoreWriter(store);
            Thread interrupted = new Thread(() -> {
                writer.drainForExit(EXIT_DRAIN_MILLIS);
                err.println("attnsweep: interrupted: " + stored(store.doneCount(), mine.size(), dir.path()));
            }, "attnsweep-interrupted");
            Runtime.getRuntime().addShutdownHook(interrupted);
            try {
                trained = run(todo, engine, writer, memoryBytes, err, inputs, onFinished);
                writer.close();
                store.finish();
            } catch (OutOfMemoryError e) {
                throw new OutOfMemory(e, stored(store.doneCount(), mine.size(), dir.path()));
            } catch (BatchFailure f) {
                // The runs stored so far stay (each was appended as it finished); the store is left
                // unsorted, as a killed sweep leaves it, and the same command resumes it.
                throw new BatchFailure(f.getMessage() + "; " + stored(store.doneCount(), mine.size(), dir.path()) + "; "
                        + FailureTrace.write(dir.path(), f), f.getCause());
            } finally {
                writer.stop();
                try {
                    Runtime.getRuntime().removeShutdownHook(interrupted);
                } catch (IllegalStateException shuttingDown) {
                    // A signal came as the sweep ended: the hook is running already, and the JVM halts after it.
                }
            }
            FailureTrace.retire(dir.path(), err);
            Outcome o = new Outcome(trained, mine.size(), (System.nanoTime() - t0) / 1e9);
            // The timing of this execution, for the report (a resumed one times only what it trained),
            // and the engine line again: it now says which formulation ran.
            cfg.put("engine", engine.describe());
            cfg.put("runs_trained", o.trained());
            cfg.put("wall_seconds", o.seconds());
            cfg.put("runs_per_second", o.trained() / Math.max(o.seconds(), 1e-9));
            dir.writeConfig(cfg);
            return o;
        }
    }

    /**
     * What besides the runs' configs decides their numbers: the engine's arithmetic (reference:
     * float64 direct GD; vector and cuda: the span formulation at their precision; cuda's 3xTF32
     * GEMM where chosen, {@link Engine#arithmetic}).
     */
    static String resultsOf(Engine engine) {
        return "engine=" + engine.name() + " precision=" + engine.precision().name().toLowerCase(java.util.Locale.ROOT) + engine.arithmetic();
    }

    /** A hash of every run key of the whole plan and of what decides their numbers: equal only for the same results. */
    static String fingerprint(Plan plan, String inputs, Engine engine) {
        StringBuilder sb = new StringBuilder(inputs).append('\n').append(resultsOf(engine)).append('\n');
        for (PlannedRun r : plan.runs()) sb.append(r.key()).append('\n');
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Refuses to resume into a directory that holds results of another plan, of another engine or
     * precision, or results without the config.json that says whose they are. Returns the versions of
     * attnsweep other than this one that the accepted config.json says stored runs here (its
     * "version" and "earlier_versions"), read from the same parse; empty without a config.json.
     */
    static List<String> checkSamePlan(Path dir, String fingerprint, Engine engine) {
        Path cfg = dir.resolve("config.json");
        if (Files.isSymbolicLink(cfg)) throw new IllegalArgumentException(cfg + " is a symbolic link: refusing to follow it");
        if (!Files.exists(cfg, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (holdsRows(dir)) {
                throw new IllegalArgumentException("--out " + dir + " holds results but no config.json, so whose they are is unknown: "
                        + "choose another --out (or restore its config.json)");
            }
            return List.of();
        }
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(cfg.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + " has a damaged config.json (" + OutputDir.describe(e).lines().findFirst().orElse("")
                    + "): choose another --out (or restore its config.json)");
        }
        JsonNode fp = n == null ? null : n.get("plan_fingerprint");
        if (fp != null && fp.asText().equals(fingerprint)) return earlierVersions(n);
        String theirs = n == null ? "" : n.path("results_of").asText("");
        if (!theirs.isEmpty() && !theirs.equals(resultsOf(engine))) {
            throw new IllegalArgumentException("--out " + dir + " holds results of " + theirs + ", this run would add "
                    + resultsOf(engine) + ": resume with the same --engine and --precision (and ATTNSWEEP_CUDA_GEMM), or choose another --out");
        }
        throw new IllegalArgumentException("--out " + dir + " holds results of a different run set (plan fingerprint "
                + (fp == null ? "none" : fp.asText()) + ", this one " + fingerprint + "): choose another --out");
    }

    /** The versions other than this one that a config.json's "version" and "earlier_versions" name. */
    private static List<String> earlierVersions(JsonNode n) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : n.path("earlier_versions")) if (!out.contains(v.asText())) out.add(v.asText());
        String last = n.path("version").asText("");
        if (!last.isEmpty() && !out.contains(last)) out.add(last);
        out.remove(Version.get());
        return out;
    }

    /** Whether a directory's summary.csv, metrics.csv or heads.csv holds more than a header. */
    private static boolean holdsRows(Path dir) {
        for (StoreCsv.Kind k : StoreCsv.Kind.values()) {
            Path f = dir.resolve(k.file());
            try {
                if (Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.size(f) > k.header().length() + 1) return true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f + ": " + OutputDir.describe(e), e);
            }
        }
        return false;
    }

    /**
     * Trains {@code todo}, each run handed to {@code writer} as it finishes; returns the number of runs
     * trained once every one of them is stored. A failure stores the runs finished before it first.
     */
    static int run(List<PlannedRun> todo, Engine engine, StoreWriter writer, long memoryBytes, PrintStream err,
                   Inputs inputs, BiConsumer<PlannedRun, RunResult> onFinished) {
        Progress progress = new Progress(err, todo, "engine=" + engine.name());
        boolean ahead = engine.trainsOffHost();
        List<List<PlannedRun>> batches = batches(todo, engine, memoryBytes, inputs, onFinished != null);
        // An engine that trains off the host gets batch b + 1 drawn and opened on other threads
        // while batch b trains; otherwise each batch is drawn and opened when its turn comes, so a
        // failure is always charged to the batch it happened in.
        CompletableFuture<Opened> opened = null;
        int trained = 0;
        java.util.concurrent.atomic.AtomicInteger overflowed = new java.util.concurrent.atomic.AtomicInteger();
        for (int b = 0; b < batches.size(); b++) {
            List<PlannedRun> batch = batches.get(b);
            boolean[] stored = new boolean[batch.size()];
            try {
                CompletableFuture<Opened> mine = opened;
                opened = null;
                Opened current = mine != null ? joined(mine) : Opened.of(draw(batch, inputs), engine);
                if (ahead && b + 1 < batches.size()) {
                    List<PlannedRun> following = batches.get(b + 1);
                    opened = CompletableFuture.supplyAsync(() -> draw(following, inputs)).thenApplyAsync(d -> Opened.of(d, engine));
                }
                try (EngineBatch eb = current.batch()) {
                    Trainer.train(eb, current.data(), onFinished != null, (r, res) -> {
                        // What the caller keeps of a run (train's saved data and weights) is written
                        // before the run is stored as done: a command stopped in between (kill -9, a
                        // full disk) trains the run again on resume, where the other order left it
                        // stored and its files missing for good.
                        PlannedRun run = batch.get(r);
                        writer.submit(run, res, onFinished == null ? null : () -> onFinished.accept(run, res), () -> {
                            stored[r] = true;
                            progress.add(run, res.stopStep());
                        });
                        if (!res.overflowed().isEmpty() && overflowed.getAndIncrement() < NAMED_OVERFLOWS) {
                            err.println("attnsweep: warning: run " + run.index() + "'s " + String.join(", ", res.overflowed())
                                    + " came out non-finite while its training loss stayed finite: its arithmetic overflowed "
                                    + precisionName(engine) + "; stored as diverged. " + overflowAdvice(engine));
                        }
                    });
                }
            } catch (RuntimeException | Error e) {
                // The batch opening meanwhile must not outlive the sweep (nor use the engine as it closes).
                if (opened != null) {
                    try {
                        joined(opened).batch().close();
                    } catch (RuntimeException again) {
                        e.addSuppressed(again);
                    }
                }
                // The runs finished before the failure are stored before it is reported (stored[] then
                // says which of this batch's are): a writer that failed itself (a full disk) says so.
                try {
                    writer.flush();
                } catch (RuntimeException | Error again) {
                    if (again != e) again.addSuppressed(e);
                    throw again;
                }
                // An I/O error (a full disk) already says what it is in one line, and an Error
                // (out of memory) is the command's to report; anything else is charged to the batch.
                if (e instanceof RuntimeException && !(e instanceof UncheckedIOException)) {
                    throw new BatchFailure(b, batches.size(), batch, stored, (RuntimeException) e);
                }
                throw e;
            }
            trained += batch.size();
        }
        writer.flush();
        if (overflowed.get() > NAMED_OVERFLOWS) {
            err.println("attnsweep: warning: " + (overflowed.get() - NAMED_OVERFLOWS) + " more runs overflowed " + precisionName(engine)
                    + " the same way (stored as diverged). " + overflowAdvice(engine));
        }
        return trained;
    }

    /** How long a shutdown hook lets the store's writer finish the runs handed to it (a group's append takes milliseconds). */
    private static final long EXIT_DRAIN_MILLIS = 5_000;

    /** Runs whose evaluation overflowed (RunResult.overflowed) named one by one on stderr; the rest are counted. */
    private static final int NAMED_OVERFLOWS = 5;

    private static String precisionName(Engine engine) {
        return engine.precision().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** What to change after an overflow: the precision where a wider one exists, else the data's scale. */
    private static String overflowAdvice(Engine engine) {
        return engine.precision() == org.attnsweep.model.Precision.FLOAT32
                ? "Rerun with --precision float64 (or --engine reference), or rescale the data"
                : "Rescale the data (or lower --lr)";
    }

    /** A batch's data and the engine's batch opened on it. */
    private record Opened(List<RunData> data, EngineBatch batch) {
        static Opened of(List<RunData> data, Engine engine) {
            return new Opened(data, engine.open(data));
        }
    }

    /** The batch a future opened, its failure rethrown as it was thrown (not wrapped). */
    private static Opened joined(CompletableFuture<Opened> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error r) throw r;
            throw e;
        }
    }

    /** The batch's data, drawn on the common pool's threads. */
    private static List<RunData> draw(List<PlannedRun> batch, Inputs inputs) {
        return batch.parallelStream().map(r -> inputs.source().apply(r.config())).toList();
    }

    /** "the 4 of 8 runs finished are stored in DIR (the same command resumes)": what a failed or stopped sweep kept. */
    private static String stored(long stored, int runs, java.nio.file.Path dir) {
        return "the " + stored + " of " + runs + " runs finished are stored in " + dir + " (the same command resumes)";
    }

    /** The heap ran out during training: the error's own message, and what was stored. */
    public static final class OutOfMemory extends OutOfMemoryError {
        private final String stored;

        OutOfMemory(OutOfMemoryError cause, String stored) {
            super(cause.getMessage());
            initCause(cause);
            this.stored = stored;
        }

        /** What the sweep kept, in {@link #stored}'s words. */
        public String stored() {
            return stored;
        }
    }

    /**
     * A batch that failed while it was drawn, opened or trained (an exception of the engine or of
     * the data): one line naming the batch, its unfinished runs (index in the plan, the first's
     * key) and the cause. {@link #execute} adds what was stored and where the trace is.
     */
    public static final class BatchFailure extends RuntimeException {
        BatchFailure(String message, Throwable cause) {
            super(message, cause);
        }

        BatchFailure(int b, int batches, List<PlannedRun> batch, boolean[] stored, RuntimeException cause) {
            this(describe(b, batches, batch, stored, cause), cause);
        }

        private static String describe(int b, int batches, List<PlannedRun> batch, boolean[] stored, RuntimeException cause) {
            List<PlannedRun> left = new ArrayList<>();
            for (int r = 0; r < batch.size(); r++) if (!stored[r]) left.add(batch.get(r));
            // A batch may fail as it closes, every run stored.
            if (left.isEmpty()) return "batch " + (b + 1) + " of " + batches + " failed after its " + batch.size() + " runs were stored: " + why(cause);
            List<String> named = left.stream().limit(NAMED_RUNS).map(r -> Integer.toString(r.index())).toList();
            String runs = (left.size() == 1 ? "run " : "runs ") + String.join(", ", named)
                    + (left.size() > NAMED_RUNS ? " and " + (left.size() - NAMED_RUNS) + " more" : "");
            return "batch " + (b + 1) + " of " + batches + " failed, " + runs + " unfinished (run " + left.get(0).index() + "'s key "
                    + left.get(0).key() + "; d=" + left.get(0).config().d() + " M=" + left.get(0).config().M() + "): " + why(cause);
        }

        /** A refusal's message is its whole story; anything else is named by its type too. */
        private static String why(RuntimeException cause) {
            return cause instanceof IllegalArgumentException ? cause.getMessage() : cause.toString();
        }
    }

    /** Unfinished runs a failure names one by one; the rest are counted. */
    private static final int NAMED_RUNS = 5;
}
