package org.attnsweep.sweep;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.RunSpec;

/**
 * The expanded, validated list of runs of a sweep, in a fixed order; shards and batches are
 * slices of it.
 */
public final class Plan {
    private final List<PlannedRun> runs;

    private Plan(List<PlannedRun> runs) {
        this.runs = runs;
    }

    /** Expands the grids in order (repeats innermost) and validates every run before any work. */
    public static Plan of(List<Grid> grids) {
        List<PlannedRun> out = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (Grid g : grids) {
            for (RunSpec s : g.points()) {
                for (RunConfig c : s.configs()) {
                    PlannedRun r = new PlannedRun(out.size(), c);
                    // Grids that overlap (a shared cell of two 1-D factor sweeps) run it once.
                    if (seen.putIfAbsent(r.key(), r.index()) == null) out.add(r);
                }
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("the sweep has no runs");
        return new Plan(List.copyOf(out));
    }

    public List<PlannedRun> runs() {
        return runs;
    }

    public int size() {
        return runs.size();
    }

    /** The runs of shard i of n: every n-th run from i, which spreads cheap and costly cells evenly. */
    public List<PlannedRun> shard(int i, int n) {
        if (n <= 0 || i < 0 || i >= n) throw new IllegalArgumentException("--shard must be i/n with 0 <= i < n: got " + i + "/" + n);
        List<PlannedRun> out = new ArrayList<>();
        for (PlannedRun r : runs) if (r.index() % n == i) out.add(r);
        return out;
    }

    /** Bytes a run holds in the vector engine (float32 state plus its float64 data and initial weights). */
    public static long runBytes(RunConfig c) {
        long P = c.tokenCount(), E = 2 + (long) c.testN() * (c.M() - 1) + 2, d = c.d(), mk = c.mk(), mv = c.mv();
        long floats = P * P + 6 * P * mk + 2 * E * mk + E * P + (c.trainWo() ? 3 * P * mv + E * mv : 3 * P)
                + 2 * P * d + E * d + 3 * mk * d;
        long doubles = P * d + E * d + 2 * mk * d + mv * d + mv;
        return 4 * floats + 8 * doubles;
    }
}
