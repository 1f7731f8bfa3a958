package org.attnsweep.sweep;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.attnsweep.engine.Formulation;
import org.attnsweep.engine.vector.CostModel;
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

    /**
     * What a plan may ask for before any work: at most {@code maxRuns} runs, and no run needing
     * more than {@code memoryBytes} of host memory in the form it would train in.
     *
     * @param budget how the memory figure came about, for the message ("half the 6028 MiB heap")
     * @param form   the formulation asked for (auto: each run's as the vector engine's cost model
     *               chooses); it decides which form's memory a run is held to
     */
    public record Limits(long maxRuns, long memoryBytes, String budget, Formulation form) {
        /** The default cap on a plan's runs; the largest preset (zhang-phase) has 80,000. */
        public static final long MAX_RUNS = 1_000_000;

        /**
         * Heap bytes a planned run takes: measured 1 KiB held (config, key, plan entry) and 0.6 KB
         * of config.json text, which is built whole and copied while it is written.
         */
        static final long BYTES_PER_PLANNED_RUN = 4096;

        /** Limits under the default formulation, auto. */
        public Limits(long maxRuns, long memoryBytes, String budget) {
            this(maxRuns, memoryBytes, budget, Formulation.AUTO);
        }

        /** The default cap and a batch budget of half the heap, as train and sweep use without options. */
        public static Limits defaults() {
            long heap = Runtime.getRuntime().maxMemory();
            return new Limits(MAX_RUNS, heap / 2, "half the " + mib(heap) + " MiB heap");
        }

        /** These limits with runs held to {@code f}'s memory. */
        public Limits in(Formulation f) {
            return new Limits(maxRuns, memoryBytes, budget, f);
        }
    }

    /** Expands the grids under the default {@link Limits}. */
    public static Plan of(List<Grid> grids) {
        return of(grids, Limits.defaults());
    }

    /**
     * Expands the grids in order (repeats innermost) and validates every run before any work:
     * first the run count (counted, not expanded), then each grid point's memory from its shapes
     * alone, then every config.
     */
    public static Plan of(List<Grid> grids, Limits limits) {
        long total = 0;
        for (Grid g : grids) total = Math.min(Long.MAX_VALUE - 1, total + g.size());
        if (total > limits.maxRuns()) {
            throw new IllegalArgumentException("the plan has " + total + " runs, over the cap of " + limits.maxRuns()
                    + ": narrow the grid or the repeats, or raise --max-runs");
        }
        long heap = Runtime.getRuntime().maxMemory();
        if (total > Integer.MAX_VALUE || total * Limits.BYTES_PER_PLANNED_RUN > heap) {
            throw new IllegalArgumentException("the plan has " + total + " runs, and keeping them planned takes about "
                    + mib(total * (double) Limits.BYTES_PER_PLANNED_RUN) + " MiB, over the " + mib(heap)
                    + " MiB heap: narrow the grid or the repeats, or give the JVM more heap with ATTNSWEEP_JAVA_OPTS=-Xmx<size>");
        }
        // Sized for every run up front: growing them by doubling rehashed and copied a large plan repeatedly.
        List<PlannedRun> out = new ArrayList<>((int) total);
        Map<String, Integer> seen = HashMap.newHashMap((int) total);
        for (Grid g : grids) {
            for (RunSpec s : g.points()) {
                Footprint f = Footprint.of(s, limits.form());
                Footprint other = Footprint.of(s, f.form() == Formulation.SPAN ? Formulation.DIRECT : Formulation.SPAN);
                f.check(limits, other, limits.form() != Formulation.AUTO && Footprint.of(s, Formulation.AUTO).form() == other.form());
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

    /**
     * Bytes a run holds in the engine (float32 state plus its float64 data and initial weights), in
     * the form it trains in under {@code form}, on generated data (see {@link Footprint#of(RunConfig,
     * Formulation)}: a span run's family holds its tokens, {@link Footprint#familyBytes}, beside it).
     */
    public static long runBytes(RunConfig c, Formulation form) {
        return Footprint.of(c, form).bytes();
    }

    /**
     * Refuses the plan's runs that no batch of {@code engine} can take: {@code maxBatch} is the
     * engine's figure for a shape at its largest N (the cuda engine's from free device memory), and
     * 0 means one run does not fit.
     */
    public static void checkEngine(List<PlannedRun> runs, ToIntFunction<RunConfig> maxBatch, String engine) {
        Map<Shape, RunConfig> largest = new LinkedHashMap<>();
        for (PlannedRun r : runs) largest.merge(Shape.of(r.config()), r.config(), (a, b) -> b.N() > a.N() ? b : a);
        for (RunConfig c : largest.values()) {
            if (maxBatch.applyAsInt(c) < 1) {
                throw new IllegalArgumentException("--engine " + engine + ": one run (d=" + c.d() + " M=" + c.M() + " m_k=" + c.mk()
                        + " m_v=" + c.mv() + " N=" + c.N() + " test-n=" + c.testN() + ") does not fit the device's free memory"
                        + " (see the line above): lower --N, --M, --mk, --mv, --d or --test-n, or use --engine vector");
            }
        }
    }

    /** The shape runs of one batch share: d, M, m_k, m_v and H. */
    record Shape(int d, int M, int mk, int mv, int heads) {
        static Shape of(RunConfig c) {
            return new Shape(c.d(), c.M(), c.mk(), c.mv(), c.heads());
        }
    }

    static long mib(double bytes) {
        return (long) Math.ceil(bytes / (1 << 20));
    }

    /**
     * What one run holds, from its shapes alone (nothing is allocated), in doubles so that no
     * product overflows: bytes by part as the vector engine and the data factory allocate them, in
     * the form it trains in, and its largest single array. Glossary letters; P = N·M tokens for
     * images, 2 + N·(M−1) for synthetic data (one signal per class); E = test tokens + 2 probes.
     *
     * @param form     the form the run trains in: span or direct (never auto)
     * @param parts    bytes of each part, with the options that size it
     * @param largest  elements of the largest single array
     * @param largestName what that array is, with the options that size it
     * @param tokenBytes  bytes among the parts that the runs of a batch on one data set (read once
     *                    from files) hold once: the float64 data and, in the direct form, the float32
     *                    copies of the tokens too (DirectRunF32.Tokens)
     * @param familyBytes bytes outside the parts that the run's data family (data/Family) holds once
     *                    for all its runs in a batch, and 0 for a run that holds its own tokens: a span
     *                    run on generated data reads neither its training nor its test tokens (TokenSet
     *                    builds them on first read), as it projects its family's once
     *                    (SpanSetupF32.unit); the family holds their float64 noise, and its unit set-up
     *                    the float32 copies it projects: as many bytes as one run's own tokens
     */
    public record Footprint(Formulation form, Map<String, Double> parts, double largest, String largestName, double tokenBytes,
                            double familyBytes) {

        /** The JVM's largest array: a few header words under Integer.MAX_VALUE elements. */
        static final double MAX_ARRAY = Integer.MAX_VALUE - 8;

        /**
         * A grid point's run, asked to train in {@code requested}. An image point's shapes (d, M)
         * come from its image source, so its first config is built for them; a synthetic point's
         * are read off the spec without building one.
         */
        public static Footprint of(RunSpec s, Formulation requested) {
            if (s.images != null) return of(s.build(0), requested, false, false);
            return of(s.d, s.M, s.mk, s.mv, s.N, s.testN, s.trainWo, false, s.steps, s.heads, requested, false, false);
        }

        /**
         * A run's footprint, asked to train in {@code requested}, on data a sweep generates and with
         * its final weights not kept: {@link #of(RunConfig, Formulation, boolean, boolean)}.
         */
        public static Footprint of(RunConfig c, Formulation requested) {
            return of(c, requested, true, false);
        }

        /**
         * A run's footprint, asked to train in {@code requested}.
         *
         * @param generated   its data drawn from its streams (Sweeper.Inputs.GENERATED), not read from
         *                    files: a span run of unshifted synthetic data then reads no tokens of its
         *                    own, its family holds them ({@link #familyBytes})
         * @param keepsWeights its final weights are read (train --save-weights, --save-data): a span
         *                    run's W = W(0) + Aᵀ T then builds its float64 training tokens
         */
        public static Footprint of(RunConfig c, Formulation requested, boolean generated, boolean keepsWeights) {
            return of(c.d(), c.M(), c.mk(), c.mv(), c.N(), c.testN(), c.trainWo(), c.images() != null, c.steps(), c.heads(), requested,
                    generated && !c.shiftedTestTokens(), keepsWeights);
        }

        /**
         * The footprint in the form a run of these shapes trains in under {@code requested}: a forced
         * form as it is, auto as {@link CostModel#formOf} chooses; each form's state from
         * {@link CostModel#stateWords} and {@link CostModel#testWords}. H heads hold H times the
         * weights and the per-head state, and share the tokens and Grams.
         *
         * @param familyData   the run's data is its family's (generated, test set not shifted): in
         *                     the span form its tokens are then {@link #familyBytes}, not its own
         * @param keepsWeights its final weights are read, which builds a span run's training tokens
         */
        public static Footprint of(int d, int M, int mk, int mv, int N, int testN, boolean trainWo, boolean images, int steps,
                                   int heads, Formulation requested, boolean familyData, boolean keepsWeights) {
            Args a = new Args(d, M, mk, mv, N, testN, trainWo, images, steps, heads, requested, familyData, keepsWeights);
            Footprint f = MEMO.get(a);
            if (f == null) {
                if (MEMO.size() >= MEMO_SIZE) MEMO.clear();
                f = compute(a);
                MEMO.put(a, f);
            }
            return f;
        }

        /** What a footprint is a function of: the arguments of {@link #of(int, int, int, int, int, int, boolean, boolean, int, int, Formulation, boolean, boolean)}. */
        private record Args(int d, int M, int mk, int mv, int N, int testN, boolean trainWo, boolean images, int steps, int heads,
                            Formulation requested, boolean familyData, boolean keepsWeights) {
        }

        /**
         * Footprints made, by their arguments: a plan asks for one per run several times over (its
         * batches, their bytes, --dry-run's forms), and its runs have few distinct shapes (the
         * jiang-heatmap's 10,000 runs: 10 N). Footprints are immutable, so any thread may share
         * them; past {@value #MEMO_SIZE} the memo starts over rather than grow with a plan of
         * many shapes.
         */
        private static final Map<Args, Footprint> MEMO = new java.util.concurrent.ConcurrentHashMap<>();
        private static final int MEMO_SIZE = 4096;

        private static Footprint compute(Args a) {
            int d = a.d, M = a.M, mk = a.mk, mv = a.mv, N = a.N, testN = a.testN, steps = a.steps, heads = a.heads;
            boolean trainWo = a.trainWo, images = a.images, familyData = a.familyData, keepsWeights = a.keepsWeights;
            Formulation requested = a.requested;
            int P = (int) Math.min(Integer.MAX_VALUE, images ? (long) N * M : 2 + (long) N * (M - 1));
            double E = (images ? (double) testN * M : 2 + (double) testN * (M - 1)) + 2, m = Math.max(mk, mv);
            Formulation form = CostModel.formOf(requested, N, M, d, mk, mv, P, trainWo, steps, heads);
            boolean span = form == Formulation.SPAN;
            Map<String, Double> parts = new LinkedHashMap<>();
            // float32 copies of the tokens (CostModel.tokenWords: span scaled for the Grams; direct T and Tᵀ, or T, T_p and X_cᵀ), float64 tokens of the data
            double trainTokens = 8 * (double) P * d + 4 * CostModel.tokenWords(form, N, M, d, mk, P), testTokens = (4 + 8) * E * d;
            // A span run of a family (generated, no images, no shifted test set) holds neither: its
            // family does, once per batch; only its weights, when read, build its float64 training tokens.
            boolean family = familyData && span && !images;
            if (!family) {
                parts.put("training tokens P*d (lower --N, --M or --d)", trainTokens);
                parts.put("test tokens (lower --test-n, --M or --d)", testTokens);
            } else if (keepsWeights) {
                parts.put("training tokens P*d (lower --N, --M or --d)", 8 * (double) P * d);
            }
            parts.put("weights m*d (lower --mk, --mv or --d)", heads * (4 * 3.0 * mk * d + 8 * ((2.0 * mk + mv) * d + mv)));
            parts.put(span ? "span state P^2 + m*P (lower --N, --M, --mk or --mv)" : "direct state P*d + m*P (lower --N, --M, --d or --mk)",
                    4 * CostModel.stateWords(form, N, M, d, mk, mv, P, trainWo, heads));
            parts.put(span ? "test state E*P + E*m (lower --test-n, --N, --M or --mk)" : "test state E*m (lower --test-n, --M or --mk)",
                    4 * CostModel.testWords(form, N, M, d, mk, mv, P, E, trainWo, heads));
            double p = P;
            double[] sizes = {span ? p * p : 0, p * m, span ? E * p : 0, E * m, p * d, E * d, (double) m * d, (double) N * M * d,
                    (double) testN * M * d, (double) N * M * M};
            String[] names = {"span Gram P*P (lower --N or --M)", "coefficients P*m (lower --N, --M, --mk or --mv)",
                    "test Gram E*P (lower --test-n, --N or --M)", "test projections E*m (lower --test-n, --mk or --mv)",
                    "training tokens P*d (lower --N, --M or --d)", "test tokens (lower --test-n, --M or --d)",
                    "weight matrix m*d (lower --mk, --mv or --d)", "training samples N*M*d (lower --N, --M or --d)",
                    "test samples (lower --test-n, --M or --d)", "attention N*M*M (lower --N or --M)"};
            int big = 0;
            for (int i = 1; i < sizes.length; i++) if (sizes[i] > sizes[big]) big = i;
            double tokens = 8 * ((double) P * d + E * d) + (span ? 0 : 4 * (CostModel.tokenWords(form, N, M, d, mk, P) + E * d));
            return new Footprint(form, java.util.Collections.unmodifiableMap(parts), sizes[big], names[big], tokens,
                    family ? trainTokens + testTokens : 0);
        }

        /** Total bytes; Long.MAX_VALUE past the long range. */
        public long bytes() {
            double b = 0;
            for (double v : parts.values()) b += v;
            return (long) b;
        }

        /**
         * Refuses a run that cannot fit in its form: over the memory budget, or an array past the
         * JVM's limit; the message names the form, and what the other form needs when it would fit.
         *
         * @param other      the same run in the other form
         * @param autoIsOther whether auto would train it in the other form
         */
        void check(Limits limits, Footprint other, boolean autoIsOther) {
            String instead = other.bytes() <= limits.memoryBytes() && other.largest <= MAX_ARRAY
                    ? String.format(java.util.Locale.ROOT, "; in the %s form it needs %d MiB (--formulation %s%s)",
                    other.form.label(), mib(other.bytes()), other.form.label(), autoIsOther ? " or auto" : "") : "";
            if (bytes() > limits.memoryBytes()) {
                Map.Entry<String, Double> top = parts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "one run needs %d MiB in the %s form, %.0f%% of it %s, but a batch may use %d MiB (%s)%s", mib(bytes()),
                        form.label(), 100 * top.getValue() / bytes(), top.getKey(), mib(limits.memoryBytes()), limits.budget(), instead));
            }
            if (largest > MAX_ARRAY) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                        "one run's %s has %.0f elements in the %s form, over the JVM's largest array (%d)%s", largestName, largest,
                        form.label(), (long) MAX_ARRAY, instead));
            }
        }
    }
}
