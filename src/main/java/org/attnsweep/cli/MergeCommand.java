package org.attnsweep.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.attnsweep.Version;
import org.attnsweep.sweep.Aggregate;
import org.attnsweep.sweep.ResultStore;
import org.attnsweep.train.OutputDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code merge}: joins the shard directories of one sweep into one result set, then aggregates it. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Joins shard outputs of one sweep into --out (identical to an unsharded run) and aggregates them.")
public final class MergeCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "merged result directory") Path out;
    @picocli.CommandLine.Mixin
    CutoffOption cutoff;
    @Parameters(arity = "1..*", paramLabel = "SHARD_DIR", description = "shard output directories") List<Path> shards;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        RunOptions.checkOut("--out", out);
        String fingerprint = null;
        int planRuns = 0;
        for (Path s : shards) {
            Path cfg = s.resolve("config.json");
            if (!Files.isRegularFile(cfg)) throw new IllegalArgumentException(s + " has no config.json: not a sweep output directory");
            JsonNode n = new ObjectMapper().readTree(cfg.toFile());
            String fp = n.path("plan_fingerprint").asText(null);
            if (fp == null) throw new IllegalArgumentException(s + " is not a sweep output directory (no plan fingerprint)");
            if (fingerprint != null && !fingerprint.equals(fp)) {
                throw new IllegalArgumentException(s + " belongs to another sweep (plan fingerprint " + fp + ", expected " + fingerprint + ")");
            }
            fingerprint = fp;
            planRuns = n.path("plan_runs").asInt();
        }
        OutputDir dir = OutputDir.open(out);
        int runs = ResultStore.merge(dir.path(), shards);
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("tool", "attnsweep");
        cfg.put("version", Version.get());
        cfg.put("command", "merge");
        cfg.put("plan_fingerprint", fingerprint);
        cfg.put("plan_runs", planRuns);
        cfg.put("shards", shards.stream().map(Path::toString).toList());
        dir.writeConfig(cfg);
        var outw = spec.commandLine().getOut();
        outw.printf("merged %d of %d runs from %d shards into %s%n", runs, planRuns, shards.size(), dir.path());
        if (runs < planRuns) spec.commandLine().getErr().printf("merge: %d runs are missing: re-run their shards%n", planRuns - runs);
        outw.print(Aggregate.write(dir.path(), cutoff.value()));
        outw.flush();
        return 0;
    }
}
