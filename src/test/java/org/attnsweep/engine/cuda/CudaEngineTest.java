package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.attnsweep.Fixtures;
import org.attnsweep.data.RunData;
import org.attnsweep.model.Presets;
import org.attnsweep.model.RunSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What only the cuda engine has: batch sizing from device memory and its refusal of mixed shapes.
 * Its arithmetic is checked by the engine-wide tests (EngineDifferentialTest, BatchInvarianceTest).
 * Skipped, with the reason printed, where no GPU answers.
 */
class CudaEngineTest {
    private static CudaEngine.Availability availability;

    @BeforeAll
    static void probe() {
        availability = CudaEngine.probe();
        if (!availability.available()) System.out.println("CudaEngineTest skipped: no usable GPU: " + availability.reason());
    }

    private static void requireGpu() {
        Assumptions.assumeTrue(availability.available(), () -> "no usable GPU: " + availability.reason());
    }

    @Test
    void maxBatchFitsTheJiangHeatmapShape() {
        requireGpu();
        RunSpec s = new RunSpec();
        Presets.apply("jiang-heatmap", s);
        try (CudaEngine cuda = new CudaEngine(System.out)) {
            int R = cuda.maxBatch(s.build(0));
            assertTrue(R > 0, "a GPU must hold at least one jiang-heatmap run");
            assertTrue(cuda.describe().contains("R=" + R), cuda.describe());
        }
    }

    /** The GEMM kind is in the engine line, and in what results record only when it is not the default (Sweeper.resultsOf). */
    @Test
    void theGemmKindIsNamedAndRecordedWhenNotTheDefault() {
        requireGpu();
        try (CudaEngine fp32 = new CudaEngine(System.err, GemmKind.FP32); CudaEngine tf = new CudaEngine(System.err, GemmKind.TF32X3)) {
            assertTrue(fp32.describe().endsWith(" precision=float32 gemm=fp32"), fp32.describe());
            assertTrue(tf.describe().endsWith(" precision=float32 gemm=tf32x3"), tf.describe());
            org.junit.jupiter.api.Assertions.assertEquals("", fp32.arithmetic());
            org.junit.jupiter.api.Assertions.assertEquals(" gemm=tf32x3", tf.arithmetic());
        }
    }

    @Test
    void batchOfDifferentShapesIsRefused() {
        requireGpu();
        long seed = Fixtures.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RunData> mixed = new ArrayList<>(Fixtures.mixedBatch(rnd, 12, 3, 5, 4, 3));
        mixed.addAll(Fixtures.mixedBatch(rnd, 13, 3, 5, 4, 1));
        try (CudaEngine cuda = new CudaEngine(System.err)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.open(mixed));
            assertTrue(e.getMessage().contains("must share d, M, m_k, m_v"), e.getMessage() + Fixtures.tag(seed));
        }
    }
}
