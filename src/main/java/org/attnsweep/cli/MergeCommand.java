package org.attnsweep.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.attnsweep.Version;
import org.attnsweep.model.RunConfig;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.DirLock;
import org.attnsweep.sweep.FailureTrace;
import org.attnsweep.sweep.OutputDir;
import org.attnsweep.sweep.PlannedRun;
import org.attnsweep.sweep.ResultStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code merge}: joins the shard directories of one sweep into one result set, then aggregates it. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Joins shard outputs of one sweep into --out (identical to an unsharded run) and aggregates them.")
public final class MergeCommand implements Callable<Integer>, Main.Results {
    @Option(names = "--out", required = true, description = "merged result directory: new, empty, or an earlier merge of this sweep") Path out;
    @Option(names = "--allow-partial", description = "merge even when runs of the plan are missing (shards not given or not finished)")
    boolean allowPartial;
    @picocli.CommandLine.Mixin
    CutoffOption cutoff;
    @Parameters(arity = "1..*", paramLabel = "SHARD_DIR", description = "shard output directories") List<Path> shards;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Path results() {
        return out;
    }

    @Override
    public Integer call() throws IOException {
        RunOptions.checkOut("--out", out);
        PrintWriter err = spec.commandLine().getErr();
        String fingerprint = null;
        int planRuns = 0;
        List<Map<String, PlannedRun>> plans = new ArrayList<>();
        for (Path s : shards) {
            JsonNode n = config(s, "SHARD_DIR " + s);
            String fp = n.path("plan_fingerprint").asText(null);
            if (fp == null) throw new IllegalArgumentException(s + " is not a sweep output directory (no plan fingerprint)");
            if (fingerprint != null && !fingerprint.equals(fp)) {
                throw new IllegalArgumentException(s + " belongs to another sweep (plan fingerprint " + fp + ", expected " + fingerprint + ")");
            }
            // A merge's own output has no run list: read as a shard, its plan would be empty and
            // opening its store would move every row of it aside as "not a run of this plan".
            if (!n.path("runs").isArray()) {
                throw new IllegalArgumentException("SHARD_DIR " + s + " is " + ("merge".equals(n.path("command").asText()) ? "a merge's output"
                        : "not a sweep shard") + " (its config.json lists no runs): give the shard directories it was made from"
                        + ("merge".equals(n.path("command").asText()) ? " (config.json's \"shards\")" : ""));
            }
            fingerprint = fp;
            planRuns = n.path("plan_runs").asInt();
            plans.add(plan(s, n));
            if (Files.exists(out) && Files.isSameFile(out, s)) throw new IllegalArgumentException("--out " + out + " is one of the shards");
        }
        refuseRepeatedShards();
        refuseOthersResults(fingerprint);
        // Ctrl-C or SIGTERM halts the JVM without a word (s22 audit): the hook says how far the
        // merge got. Every file is written whole, never appended to, so the same command writes
        // them all again and completes the merge with no row twice.
        AtomicReference<String> stage = new AtomicReference<>("while reading its shards, before writing to " + out);
        Thread interrupted = new Thread(() -> err.println("attnsweep: interrupted: merge stopped " + stage.get()
                + " (the same command completes it)"), "attnsweep-interrupted");
        Runtime.getRuntime().addShutdownHook(interrupted);
        try {
            return merge(err, fingerprint, planRuns, plans, stage);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException shuttingDown) {
                // A signal came as the merge ended: the hook is running already, and the JVM halts after it.
            }
        }
    }

    private int merge(PrintWriter err, String fingerprint, int planRuns, List<Map<String, PlannedRun>> plans, AtomicReference<String> stage) {
        // The shards are read (each locked) before --out is created: a merge refused for missing
        // runs leaves no --out behind, as it says.
        List<DirLock> locks = new ArrayList<>();
        ResultStore.Merged merged;
        try {
            for (Path s : shards) locks.add(DirLock.forReading(s, "merge (reading it as a shard)", "SHARD_DIR"));
            merged = ResultStore.merge(shards, plans, err::println);
        } finally {
            locks.forEach(DirLock::close);
        }
        if (merged.runs() < planRuns && !allowPartial) {
            err.printf("attnsweep: merge: %d of %d runs are missing from the %d shard(s) given (a shard not given or not finished): "
                    + "re-run their shards, or pass --allow-partial; nothing written%n", planRuns - merged.runs(), planRuns, shards.size());
            err.flush();
            return 1;
        }
        try (OutputDir dir = OutputDir.open(out, "merge")) {
            // config.json first: it names the sweep, so a merge stopped between its files (kill -9,
            // a full disk) is this sweep's to merge over again; written last, the rows it left
            // made the next merge refuse --out as "another sweep's results".
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("tool", "attnsweep");
            cfg.put("version", Version.get());
            cfg.put("command", "merge");
            cfg.put("plan_fingerprint", fingerprint);
            cfg.put("plan_runs", planRuns);
            cfg.put("shards", shards.stream().map(Path::toString).toList());
            stage.set("while writing the " + merged.runs() + " merged runs into " + out + ": each of its files is whole, but some may"
                    + " still be an earlier merge's or missing");
            dir.writeConfig(cfg);
            merged.write(dir.path());
            stage.set("after writing the " + merged.runs() + " merged runs into " + out + ", before its aggregates (cells.csv...)");
            var outw = spec.commandLine().getOut();
            outw.printf("merged %d of %d runs from %d shards into %s%n", merged.runs(), planRuns, shards.size(), dir.path());
            if (merged.runs() < planRuns) err.printf("merge: %d runs are missing (--allow-partial): re-run their shards%n", planRuns - merged.runs());
            outw.print(Aggregate.write(dir.path(), cutoff.value(), err::println));
            outw.flush();
            stage.set("after writing the " + merged.runs() + " merged runs and their aggregates into " + out);
            // A merge that failed before (an exception: its trace in failure.txt) is recovered once every run is merged.
            if (merged.runs() == planRuns) {
                FailureTrace.retireFile(dir.path().resolve(FailureTrace.NAME), "every run of the plan is now stored", err::println);
            }
        }
        return 0;
    }

    /** A directory's config.json, or a one-line refusal. */
    private static JsonNode config(Path dir, String what) {
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg, LinkOption.NOFOLLOW_LINKS)) throw new IllegalArgumentException(what + " has no config.json: not a sweep output directory");
        try {
            JsonNode n = new ObjectMapper().readTree(cfg.toFile());
            if (n == null || !n.isObject()) throw new IllegalArgumentException(cfg + " is not a JSON object: a damaged config.json");
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException(cfg + " is damaged (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /**
     * The runs a shard's config.json lists, by key; each key is recomputed from its config, so a
     * config.json whose configs were edited is refused rather than trusted.
     */
    private static Map<String, PlannedRun> plan(Path shard, JsonNode n) {
        ObjectMapper m = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        Map<String, PlannedRun> plan = new HashMap<>();
        for (JsonNode r : n.path("runs")) {
            PlannedRun p;
            try {
                p = new PlannedRun(r.path("run").asInt(-1), m.treeToValue(r.path("config"), RunConfig.class));
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(shard.resolve("config.json") + ": run " + r.path("run") + " has a config that does not read: "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
            if (!p.key().equals(r.path("key").asText())) {
                throw new IllegalArgumentException(shard.resolve("config.json") + ": run " + p.index() + " has key " + r.path("key").asText()
                        + " but its config hashes to " + p.key() + ": the file was edited");
            }
            plan.put(p.key(), p);
        }
        return plan;
    }

    /**
     * Refuses a shard given twice (under any spelling of its path): it would be locked twice by
     * this one process and read as "in use by another writer".
     */
    private void refuseRepeatedShards() throws IOException {
        Map<Path, Path> seen = new HashMap<>();
        for (Path s : shards) {
            Path first = seen.putIfAbsent(s.toRealPath(), s);
            if (first != null) {
                throw new IllegalArgumentException("SHARD_DIR " + s + " is given twice" + (first.equals(s) ? "" : " (also as " + first + ")")
                        + ": give each shard once");
            }
        }
    }

    /** What a result directory holds besides its store: what a merge would write over. */
    private static final List<String> RESULT_FILES = List.of("summary.csv", "metrics.csv", "config.json", "cells.csv",
            "boundary.csv", "correlation.csv", "report.html", "figures", "summary.csv.rejected", "metrics.csv.rejected",
            "heads.csv", "heads.csv.rejected");

    /**
     * Refuses an --out that holds results (any of {@link #RESULT_FILES}) of anything but this
     * sweep. Other entries stay: SLURM's layout keeps the shards and their logs inside --out.
     */
    private void refuseOthersResults(String fingerprint) throws IOException {
        if (!Files.isDirectory(out)) return;
        try (Stream<Path> entries = Files.list(out)) {
            if (entries.noneMatch(p -> RESULT_FILES.contains(p.getFileName().toString()))) return;
        }
        Path cfg = out.resolve("config.json");
        String theirs = null;
        if (Files.isRegularFile(cfg, LinkOption.NOFOLLOW_LINKS)) {
            try {
                JsonNode n = new ObjectMapper().readTree(cfg.toFile());
                theirs = n == null ? null : n.path("plan_fingerprint").asText(null);
            } catch (IOException e) {
                theirs = null;
            }
        }
        if (!fingerprint.equals(theirs)) {
            throw new IllegalArgumentException("--out " + out + " holds results of another sweep (plan fingerprint "
                    + (theirs == null ? "none" : theirs) + ", the shards' " + fingerprint + "): choose a new or empty directory");
        }
    }
}
