package org.attnsweep.sweep;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attnsweep.data.DataFactory;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.RunConfig;
import org.attnsweep.train.Trainer;

/**
 * Runs the unfinished runs of a plan (or of one shard of it) through an engine: groups them by
 * shape (d, M, m_k, m_v), cuts each group into batches sized from the memory budget, trains each
 * batch in lockstep and stores every run the moment it finishes.
 */
public final class Sweeper {
    private Sweeper() {
    }

    /** Batches of at most this many runs, so finished runs reach the store steadily. */
    static final int MAX_BATCH = 64;

    /** The batches the runs would be trained in, in order. */
    public static List<List<PlannedRun>> batches(List<PlannedRun> runs, long memoryBytes) {
        Map<String, List<PlannedRun>> groups = new LinkedHashMap<>();
        for (PlannedRun r : runs) {
            RunConfig c = r.config();
            groups.computeIfAbsent(c.d() + "/" + c.M() + "/" + c.mk() + "/" + c.mv(), k -> new ArrayList<>()).add(r);
        }
        List<List<PlannedRun>> out = new ArrayList<>();
        for (List<PlannedRun> g : groups.values()) {
            long worst = g.stream().mapToLong(r -> Plan.runBytes(r.config())).max().orElse(1);
            int size = (int) Math.max(1, Math.min(MAX_BATCH, memoryBytes / worst));
            for (int i = 0; i < g.size(); i += size) out.add(g.subList(i, Math.min(g.size(), i + size)));
        }
        return out;
    }

    /** Trains {@code todo} into {@code store}; returns the number of runs trained. */
    public static int run(List<PlannedRun> todo, Engine engine, ResultStore store, long memoryBytes, PrintStream err) {
        Progress progress = new Progress(err, todo.size(), "engine=" + engine.name());
        int trained = 0;
        for (List<PlannedRun> batch : batches(todo, memoryBytes)) {
            List<RunData> data = batch.parallelStream().map(r -> DataFactory.generate(r.config())).toList();
            try (EngineBatch eb = engine.open(data)) {
                Trainer.train(eb, data, false, (r, res) -> {
                    store.append(batch.get(r), res);
                    progress.add(1);
                });
            }
            trained += batch.size();
        }
        return trained;
    }
}
