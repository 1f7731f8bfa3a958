package org.attnsweep.engine;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.attnsweep.engine.cuda.CudaEngine;
import org.attnsweep.engine.cuda.GemmKind;
import org.attnsweep.engine.vector.VectorEngine;
import org.attnsweep.model.Precision;
import org.junit.jupiter.api.Assumptions;

/**
 * The fast engines the engine-wide tests run over: vector float32 and float64 with 1 and 2 threads,
 * and cuda (float32, its products in FP32 and in 3xTF32: {@link GemmKind}) where it loads: on a
 * GPU, or under scripts/emu-check's emulated driver. Where
 * cuda does not load its cases are skipped with the reason (emu-check fails on any such skip).
 * {@code -Dattnsweep.engines=cuda} keeps only the cuda cases (emu-check, the GPU kit).
 */
public record EngineCase(String name, Precision precision, int threads, Formulation form, GemmKind gemm) {
    public static final int CUDA = -1;

    /** A case in the formulation the engine chooses (auto for vector; cuda runs span only). */
    public EngineCase(String name, Precision precision, int threads) {
        this(name, precision, threads, Formulation.AUTO, GemmKind.FP32);
    }

    /** A vector case in formulation {@code form}. */
    public EngineCase(String name, Precision precision, int threads, Formulation form) {
        this(name, precision, threads, form, GemmKind.FP32);
    }

    @Override
    public String toString() {
        return name;
    }

    public boolean cuda() {
        return threads == CUDA;
    }

    /**
     * Every case, or those whose name starts with one of the comma-separated words of
     * {@code -Dattnsweep.engines} (e.g. {@code cuda}: the GPU checks run only the cuda cases).
     */
    public static Stream<EngineCase> all() {
        String only = System.getProperty("attnsweep.engines", "").trim();
        List<String> words = only.isEmpty() ? List.of() : List.of(only.split("\\s*,\\s*"));
        return every().filter(c -> words.isEmpty() || words.stream().anyMatch(c.name::startsWith));
    }

    /**
     * {@link #all()} and the vector engine with its direct formulation forced, for the tests that
     * hold for both forms exactly (batch invariance); the direct form's differential test against the
     * reference, with its own tolerances, is vector.DirectFormTest.
     */
    public static Stream<EngineCase> allWithDirect() {
        String only = System.getProperty("attnsweep.engines", "").trim();
        Stream<EngineCase> direct = only.isEmpty() ? Stream.of(
                new EngineCase("vector direct float32 threads=2", Precision.FLOAT32, 2, Formulation.DIRECT),
                new EngineCase("vector direct float64 threads=1", Precision.FLOAT64, 1, Formulation.DIRECT)) : Stream.of();
        return Stream.concat(all(), direct);
    }

    private static Stream<EngineCase> every() {
        return Stream.of(new EngineCase("vector float64 threads=1", Precision.FLOAT64, 1),
                new EngineCase("vector float64 threads=2", Precision.FLOAT64, 2),
                new EngineCase("vector float32 threads=1", Precision.FLOAT32, 1),
                new EngineCase("vector float32 threads=2", Precision.FLOAT32, 2),
                new EngineCase("cuda float32", Precision.FLOAT32, CUDA),
                new EngineCase("cuda float32 gemm=tf32x3", Precision.FLOAT32, CUDA, Formulation.AUTO, GemmKind.TF32X3));
    }

    /** Skips the calling test unless the cuda engine loads (a GPU, or the emulated driver of scripts/emu-check); says why. */
    public static CudaEngine.Availability assumeCuda() {
        CudaEngine.Availability a = CudaEngine.probe();
        Assumptions.assumeTrue(a.available(), () -> "cuda unavailable: " + a.reason());
        return a;
    }

    /** Opens the engine, hands it to {@code body} and releases it; a cuda case without a usable driver is skipped. */
    public void with(Consumer<Engine> body) {
        if (!cuda()) {
            body.accept(form == Formulation.AUTO ? new VectorEngine(precision, threads) : new VectorEngine(precision, form, threads, null));
            return;
        }
        assumeCuda();
        try (CudaEngine e = new CudaEngine(System.err, gemm)) {
            body.accept(e);
        }
    }
}
