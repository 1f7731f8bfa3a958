package org.attnsweep.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.Engines;
import org.attnsweep.engine.Formulation;
import org.attnsweep.model.Precision;
import org.attnsweep.sweep.PlannedRun;
import picocli.CommandLine.Option;

/** The engine, its CPU threads and its precision: the options train, sweep and reproduce share. None is part of a run's config. */
final class EngineOptions {
    @Option(names = "--engine", defaultValue = "auto", description = "reference, vector, cuda or auto (default: ${DEFAULT-VALUE})")
    String engine;
    @Option(names = "--threads", defaultValue = "0", description = "CPU threads for the vector engine (0 = all cores)")
    int threads;
    /** Null where not given: float32 for vector and auto, each of cuda and reference its only one. */
    @Option(names = "--precision", description = "float32 or float64 (default: float32; cuda computes in float32 only, reference in float64 only)")
    String precision;

    /**
     * Refuses, before any work and without starting or probing an engine (so alike on every
     * machine, sweep --check-options included), a thread count out of range, an unknown engine or
     * precision, and a precision or formulation the engine cannot run ({@link Engines#check}).
     */
    void check(Formulation form) {
        RunOptions.checkThreads(threads);
        Engines.check(engine, precision == null ? null : precision(), form);
    }

    /** Refuses, as {@link #check} does, runs of the plan that the engine cannot train on any device (cuda: M past its shared memory). */
    void check(List<PlannedRun> runs) {
        Engines.checkRuns(engine, configs(runs));
    }

    /** The precision asked for, float32 where none was (the cuda and reference engines compute in their own). */
    Precision precision() {
        return precisionOf(precision);
    }

    /** {@code --precision}'s value as typed (null: none given, float32), or the one-line refusal. */
    static Precision precisionOf(String precision) {
        if (precision == null) return Precision.FLOAT32;
        return switch (precision.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "f32" -> Precision.FLOAT32;
            case "float64", "fp64", "f64" -> Precision.FLOAT64;
            default -> throw new IllegalArgumentException("--precision must be float32 or float64: got '" + precision + "'");
        };
    }

    /** The precision the engine named computes in, known without starting it: float64 for reference, else {@link #precision()}. */
    Precision computes() {
        return engine.equals("reference") ? Precision.FLOAT64 : precision();
    }

    /**
     * Starts the engine's warm-up on a thread of its own ({@link Engines#warmUpAhead}), to overlap the
     * command's reading and planning; called once the options are checked and work will follow.
     */
    void warmUpAhead() {
        Engines.warmUpAhead(engine, precision());
    }

    /** The engine these options name, its one-line choice printed to {@code log}; refused with the reason when it cannot run. */
    Engine select(Formulation form, PrintStream log) {
        return Engines.select(engine, precision(), form, threads, log);
    }

    /**
     * As {@link #select(Formulation, PrintStream)} for these runs: auto leaves cuda out, saying why,
     * when it cannot train them on any device (M past its attention block's shared memory), where it
     * took cuda and failed at that batch, after the batches before it.
     */
    Engine select(Formulation form, List<PlannedRun> runs, PrintStream log) {
        if (engine.equals("auto")) {
            try {
                Engines.checkRuns("cuda", configs(runs));
            } catch (IllegalArgumentException e) {
                log.println("engine: auto fell back to vector: the cuda engine cannot train these runs: " + e.getMessage());
                return Engines.select("vector", precision(), form, threads, log);
            }
        }
        return select(form, log);
    }

    private static List<org.attnsweep.model.RunConfig> configs(List<PlannedRun> runs) {
        return runs.stream().map(PlannedRun::config).toList();
    }
}
