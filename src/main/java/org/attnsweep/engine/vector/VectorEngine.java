package org.attnsweep.engine.vector;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Precision;

/**
 * The CPU engine: the span formulation of docs/math.md §4 or the direct one of docs/math.md §2–3 (chosen per batch
 * by {@link CostModel}, or forced), with jdk.incubator.vector micro-kernels, the runs of a batch
 * spread over a pool of threads. float32 by default, float64 on request.
 */
public final class VectorEngine implements Engine {
    private final Precision precision;
    private final Formulation formulation;
    private final int threads;
    private final ExecutorService pool;
    private final PrintStream log;
    /** Batches opened per form, for {@link #describe()}; guarded by itself. */
    private final Map<Formulation, Integer> ran = new EnumMap<>(Formulation.class);

    /** The span formulation, silent: as tests and benchmarks open it. */
    public VectorEngine(Precision precision, int threads) {
        this(precision, Formulation.SPAN, threads, null);
    }

    /**
     * @param formulation span, direct, or auto (the cheaper per batch)
     * @param threads     worker threads; 0 means one per available core
     * @param log         where auto says which form it chose for a batch shape (first time each form is chosen); or null
     */
    public VectorEngine(Precision precision, Formulation formulation, int threads, PrintStream log) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0 (0 = all cores): got " + threads);
        this.precision = precision;
        this.formulation = formulation;
        this.log = log;
        this.threads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        this.pool = this.threads == 1 ? null : Executors.newFixedThreadPool(this.threads, r -> {
            Thread t = new Thread(r, "attnsweep-vector");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public String name() {
        return "vector";
    }

    /**
     * The engine line, e.g. {@code engine=vector species=512-bit tile=6x4@512 threads=2 precision=float32
     * formulation=auto} (tile: the GEMM's register tile for this width, {@link GemmF32}); once
     * batches have run, which forms ran: {@code formulation=auto (ran: direct 1 batch)}.
     */
    @Override
    public Precision precision() {
        return precision;
    }

    @Override
    public String describe() {
        boolean f32 = precision == Precision.FLOAT32;
        int bits = f32 ? KernelsF32.S.vectorBitSize() : KernelsF64.S.vectorBitSize();
        String tile = f32 ? GemmF32.describe() : GemmF64.describe();
        StringBuilder sb = new StringBuilder("engine=vector species=" + bits + "-bit tile=" + tile + " threads=" + threads + " precision="
                + precision.name().toLowerCase(java.util.Locale.ROOT) + " formulation=" + formulation.label());
        synchronized (ran) {
            if (!ran.isEmpty()) {
                StringBuilder r = new StringBuilder();
                ran.forEach((f, n) -> r.append(r.isEmpty() ? "" : ", ").append(f.label()).append(' ').append(n)
                        .append(n == 1 ? " batch" : " batches"));
                sb.append(" (ran: ").append(r).append(')');
            }
        }
        return sb.toString();
    }

    /** {@code p}'s kernels warmed up: the first call in the JVM does it, any other waits for it or returns at once. */
    private static void warmUp(Precision p) {
        if (p == Precision.FLOAT32) KernelsF32.warmUp();
        else KernelsF64.warmUp();
    }

    /** The warm-up threads started by {@link #warmUpAhead}, one per precision; guarded by itself. */
    private static final Map<Precision, Thread> AHEAD = new EnumMap<>(Precision.class);

    /**
     * Starts {@code p}'s kernel warm-up ({@link KernelsF32#warmUp}: C2 compiling the vector kernels,
     * the largest fixed cost of a short command) on a daemon thread, so that it runs while the command
     * reads its inputs and plans; a batch's {@link #open} then waits only for what is left of it (the
     * warm-up is a class initialiser: a second thread needing it blocks until it is done). The thread
     * first asks {@code wanted} (the engine auto asks whether cuda will take the work) and warms nothing
     * if it says no. Once per precision and JVM: later calls return the first call's thread. Results
     * do not depend on it (the kernels compute the same bits compiled or not).
     */
    public static Thread warmUpAhead(Precision p, java.util.function.BooleanSupplier wanted) {
        synchronized (AHEAD) {
            return AHEAD.computeIfAbsent(p, q -> Thread.ofPlatform().daemon().name("attnsweep-warm-up").start(() -> {
                if (wanted.getAsBoolean()) warmUp(q);
            }));
        }
    }

    /** Whether {@code p}'s kernels have been warmed up in this JVM (their warm-up ran to its end). */
    public static boolean warmedUp(Precision p) {
        return p == Precision.FLOAT32 ? KernelsF32.warmedUp() : KernelsF64.warmedUp();
    }

    @Override
    public EngineBatch open(List<RunData> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("a batch needs at least one run");
        Formulation form = choose(runs);
        boolean f32 = precision == Precision.FLOAT32;
        warmUp(precision);
        Function<RunData, LockstepBatch.Run> open = form == Formulation.DIRECT
                ? (f32 ? HeadsRunF32.direct() : HeadsRunF64.direct())
                : (f32 ? HeadsRunF32::span : HeadsRunF64::span);
        return new LockstepBatch(runs, pool, threads, open);
    }

    @Override
    public Formulation formulation() {
        return formulation;
    }

    /** The form this batch runs in: the forced one, or the cost model's; counted for {@link #describe()}. */
    private Formulation choose(List<RunData> runs) {
        CostModel.Estimate e = CostModel.estimate(runs);
        Formulation form = formulation == Formulation.AUTO ? e.cheaper() : formulation;
        if (form == Formulation.SPAN && e.maxP() > CostModel.SPAN_MAX_P) {
            throw new IllegalArgumentException("--formulation span: P = " + e.maxP() + " needs a P×P Gram matrix beyond a Java array"
                    + " (P <= " + CostModel.SPAN_MAX_P + "): use --formulation direct or auto");
        }
        boolean first;
        synchronized (ran) {
            first = !ran.containsKey(form);
            ran.merge(form, 1, Integer::sum);
        }
        if (log != null && formulation == Formulation.AUTO && first) {
            log.println("formulation: auto chose " + form.label() + " for " + e.describe(runs.get(0).config(), runs.size()));
        }
        return form;
    }
}
