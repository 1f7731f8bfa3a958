package org.attnsweep.engine.vector;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.Precision;

/**
 * The CPU engine: the span formulation of SPEC §4 with jdk.incubator.vector micro-kernels, the
 * runs of a batch spread over a pool of threads. float32 by default, float64 on request.
 */
public final class VectorEngine implements Engine {
    private final Precision precision;
    private final int threads;
    private final ExecutorService pool;

    /** @param threads worker threads; 0 means one per available core */
    public VectorEngine(Precision precision, int threads) {
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0 (0 = all cores): got " + threads);
        this.precision = precision;
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

    @Override
    public Precision precision() {
        return precision;
    }

    @Override
    public String describe() {
        int bits = precision == Precision.FLOAT32 ? SpanBatchF32.S.vectorBitSize() : SpanBatchF64.S.vectorBitSize();
        return "engine=vector species=" + bits + "-bit threads=" + threads + " precision="
                + precision.name().toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    public EngineBatch open(List<RunData> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("a batch needs at least one run");
        return precision == Precision.FLOAT32 ? new SpanBatchF32(runs, pool) : new SpanBatchF64(runs, pool);
    }
}
