package org.attnsweep.engine;

import java.util.List;
import org.attnsweep.data.RunData;
import org.attnsweep.model.Precision;
import org.attnsweep.model.RunConfig;

/**
 * A way of training batches of runs. Three implementations: {@code reference} (float64 direct GD,
 * the definition of correctness), {@code vector} (Vector API, span formulation) and {@code cuda}.
 * An engine is chosen once per process (see {@link Engines}) and prints itself in one line.
 */
public interface Engine {

    /** Short name: reference, vector or cuda. */
    String name();

    /** The arithmetic it trains in; with {@link #name} it decides a run's numbers, so results record both. */
    Precision precision();

    /**
     * What else decides a run's numbers besides {@link #name} and {@link #precision}, as
     * " key=value" words, empty for the default arithmetic (cuda's 3xTF32 GEMM: {@code " gemm=tf32x3"}).
     * Results record it with them, so a resume cannot mix two arithmetics in one directory.
     */
    default String arithmetic() {
        return "";
    }

    /** One line for the log, e.g. {@code engine=vector species=512-bit threads=2 precision=float32}. */
    String describe();

    /**
     * Moves a batch of runs into the engine. Runs of a batch step in lockstep; they must share
     * d, M, m_k and m_v, and may differ in everything else (N, data, seeds, η, σ's, p, ‖μ‖, w_O
     * trainable or not).
     */
    EngineBatch open(List<RunData> runs);

    /**
     * The most runs shaped like {@code shape} (its largest N) this engine takes in one batch. CPU
     * engines keep batches moderate so finished runs reach the result store steadily; the cuda
     * engine sizes them from free device memory.
     */
    default int maxBatch(RunConfig shape) {
        return 64;
    }

    /**
     * As {@link #maxBatch(RunConfig)} for a batch whose runs fall into at most {@code families}
     * data families (data/Family; runs without one counting one each): an engine that holds some
     * arrays once per family (cuda) takes more runs when they share fewer families.
     */
    default int maxBatch(RunConfig shape, long families) {
        return maxBatch(shape);
    }

    /**
     * The formulation this engine was asked to train in, which decides the memory a run is sized
     * at (auto: per run as the vector engine's cost model chooses). The cuda engine runs span only.
     */
    default Formulation formulation() {
        return Formulation.SPAN;
    }

    /**
     * Whether training runs off the host's cores (a GPU): the sweeper then draws the next batch's
     * data on CPU threads while this one trains. CPU engines would only compete for their cores.
     */
    default boolean trainsOffHost() {
        return false;
    }
}
