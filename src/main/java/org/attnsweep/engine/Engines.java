package org.attnsweep.engine;

import java.io.PrintStream;
import java.util.List;
import org.attnsweep.engine.cuda.CudaEngine;
import org.attnsweep.engine.cuda.GemmKind;
import org.attnsweep.engine.reference.ReferenceEngine;
import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.engine.vector.VectorWidth;
import org.attnsweep.model.Precision;

/** Chooses the engine once per process and says which in one line. */
public final class Engines {
    private Engines() {
    }

    /** As {@link #select(String, Precision, Formulation, int, PrintStream)} with the formulation chosen by cost. */
    public static Engine select(String which, Precision precision, int threads, PrintStream log) {
        return select(which, precision, Formulation.AUTO, threads, log);
    }

    /** The engine names {@link #select} takes. */
    public static final java.util.List<String> NAMES = java.util.List.of("reference", "vector", "cuda", "auto");

    /** Refuses an engine name {@link #select} does not take, without starting or probing an engine. */
    public static void checkName(String which) {
        if (!NAMES.contains(which)) throw new IllegalArgumentException("--engine must be one of " + String.join(", ", NAMES) + ": got '" + which + "'");
    }

    /**
     * Refuses, without starting or probing an engine (so alike on every machine: sweep
     * --check-options, a login node), an engine name {@link #select} does not take and a precision
     * or formulation the named engine cannot run anywhere: cuda computes in float32 and runs the span
     * formulation only; reference is float64 direct GD, its one form. auto takes any of them (it
     * says what it chose). For cuda and auto, also a {@link GemmKind#ENV} that names no GEMM.
     *
     * @param precision the precision asked for, or null where none was (the engine's own)
     */
    public static void check(String which, Precision precision, Formulation formulation) {
        checkName(which);
        if (which.equals("cuda") || which.equals("auto")) GemmKind.fromEnv();   // a bad ATTNSWEEP_CUDA_GEMM, refused here
        if (which.equals("cuda")) {
            if (precision != null && precision != Precision.FLOAT32) {
                throw new IllegalArgumentException("--engine cuda computes in float32 only: got --precision " + name(precision));
            }
            if (formulation == Formulation.DIRECT) {
                throw new IllegalArgumentException("--formulation direct: the cuda engine runs the span formulation only: use --engine vector, or --formulation span or auto");
            }
        } else if (which.equals("reference")) {
            if (precision != null && precision != Precision.FLOAT64) {
                throw new IllegalArgumentException("--engine reference computes in float64 only: got --precision " + name(precision)
                        + ": use --engine vector for " + name(precision));
            }
            if (formulation == Formulation.SPAN) {
                throw new IllegalArgumentException("--formulation span: the reference engine runs direct GD only (the definition of correctness): "
                        + "use --engine vector, or --formulation direct or auto");
            }
        }
    }

    /**
     * Refuses, as {@link #check} does, runs shaped so that engine {@code which} cannot train them on
     * any device: cuda's attention block holds M² scores in shared memory
     * ({@link CudaEngine#checkM}). One check per distinct M, so a plan of any size costs little.
     */
    public static void checkRuns(String which, java.util.Collection<org.attnsweep.model.RunConfig> runs) {
        if (!which.equals("cuda")) return;
        runs.stream().mapToInt(org.attnsweep.model.RunConfig::M).distinct().forEach(M -> CudaEngine.checkM(M, CudaEngine.SHARED_PER_BLOCK));
    }

    /**
     * @param which       reference, vector, cuda or auto (cuda when a GPU answers, else vector)
     * @param precision   arithmetic of the fast engines (cuda is float32 only)
     * @param formulation span, direct or auto (per batch by cost) for the vector engine; the cuda
     *                    engine runs span only ({@link #check} is the one place that says so)
     * @param threads     CPU threads for the vector engine (0 = all cores)
     * @param log         where the one-line choice (and any fallback reason) is printed
     */
    public static Engine select(String which, Precision precision, Formulation formulation, int threads, PrintStream log) {
        String cudaNote = " formulation=span (the cuda engine runs the span formulation only)";
        Engine e = switch (which) {
            case "reference" -> new ReferenceEngine();
            case "vector" -> new VectorEngine(precision, formulation, threads, log);
            case "cuda" -> {
                check(which, precision, formulation);
                CudaEngine.Availability a = CudaEngine.probe();
                if (!a.available()) throw new IllegalArgumentException("--engine cuda: no CUDA device: " + a.reason());
                try {
                    yield new CudaEngine(log);
                } catch (RuntimeException ex) {
                    throw new IllegalArgumentException("--engine cuda: " + a.reason() + " answers but the engine failed to start: " + ex.getMessage(), ex);
                }
            }
            case "auto" -> {
                String why = formulation == Formulation.DIRECT ? "--formulation direct, and it runs the span formulation only" : autoCuda(precision);
                if (why == null) {
                    try {
                        Engine cuda = new CudaEngine(log);
                        log.println("engine: auto chose cuda: " + CudaEngine.probe().reason() + " answers");
                        yield cuda;
                    } catch (RuntimeException ex) {
                        why = "the engine failed to start: " + ex.getMessage();
                    }
                }
                log.println("engine: auto fell back to vector: cuda unavailable: " + why);
                yield new VectorEngine(precision, formulation, threads, log);
            }
            default -> {
                checkName(which);
                throw new AssertionError(which);
            }
        };
        log.println(e instanceof CudaEngine ? e.describe() + cudaNote : e.describe());
        return e;
    }

    /**
     * Starts, ahead of the first batch, the warm-up that engine {@code which} would otherwise run when
     * that batch opens ({@link VectorEngine#warmUpAhead}): for vector always, for auto unless cuda
     * will take the work (the probe is asked on the warm-up's thread, off the command's path). A
     * command calls it once its options are checked, before reading its inputs. The thread, or null
     * when the engine needs none (reference, cuda).
     */
    public static Thread warmUpAhead(String which, Precision precision) {
        return switch (which) {
            case "vector" -> VectorEngine.warmUpAhead(precision, () -> true);
            case "auto" -> VectorEngine.warmUpAhead(precision, () -> autoCuda(precision) != null);
            default -> null;
        };
    }

    /** Null when auto may try cuda, else why not. */
    private static String autoCuda(Precision precision) {
        if (precision != Precision.FLOAT32) return "it computes in float32 only and --precision is " + name(precision);
        CudaEngine.Availability a = CudaEngine.probe();
        return a.available() ? null : a.reason();
    }

    private static String name(Precision p) {
        return p.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** One line per engine saying whether it can run here, for the {@code info} command. */
    public static List<String> availability() {
        CudaEngine.Availability cuda = CudaEngine.probe();
        return List.of(
                "reference: available (float64 direct GD)",
                "vector: available (" + VectorWidth.describe() + ")",
                "cuda: " + (cuda.available() ? "available (" + cuda.reason() + ")" : "unavailable: " + cuda.reason()));
    }
}
