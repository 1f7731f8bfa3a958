package org.attnsweep.engine;

import java.io.PrintStream;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.model.Precision;

/** Chooses the engine once per process and says which in one line. */
public final class Engines {
    private Engines() {
    }

    /**
     * @param which     reference, vector, cuda or auto (cuda when a GPU answers, else vector)
     * @param precision arithmetic of the fast engines
     * @param threads   CPU threads for the vector engine (0 = all cores)
     * @param log       where the one-line choice (and any fallback reason) is printed
     */
    public static Engine select(String which, Precision precision, int threads, PrintStream log) {
        Engine e = switch (which) {
            case "reference" -> new ReferenceEngine();
            case "vector" -> new VectorEngine(precision, threads);
            case "auto" -> {
                log.println("engine: cuda not built into this version; using vector");
                yield new VectorEngine(precision, threads);
            }
            default -> throw new IllegalArgumentException("--engine must be one of reference, vector, auto: got '" + which + "'");
        };
        log.println(e.describe());
        return e;
    }
}
