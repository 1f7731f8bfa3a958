package org.attnsweep.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** ATTNSWEEP_CUDA_GEMM's values: unset or blank is fp32, case is ignored, anything else is refused in one line. */
class GemmKindTest {
    @Test
    void parsesItsLabelsAndDefaultsToFp32() {
        assertEquals(GemmKind.FP32, GemmKind.parse(null));
        assertEquals(GemmKind.FP32, GemmKind.parse(" "));
        assertEquals(GemmKind.FP32, GemmKind.parse("fp32"));
        assertEquals(GemmKind.TF32X3, GemmKind.parse("tf32x3"));
        assertEquals(GemmKind.TF32X3, GemmKind.parse(" TF32x3 "));
        assertEquals("gemm_tf32x3", GemmKind.TF32X3.file);
        assertEquals("gemm_nt_tf32x3", GemmKind.TF32X3.nt);
    }

    @Test
    void refusesAnythingElseNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmKind.parse("tf32"));
        assertEquals("ATTNSWEEP_CUDA_GEMM=tf32: the cuda engine's GEMM is fp32 (the default) or tf32x3", e.getMessage());
    }

    /** Every kind's file is one of the kernel files the jar carries (Kernels.FILES, checked against kernels/ by KernelBuildTest). */
    @Test
    void everyKindsFileIsAKernelFile() {
        for (GemmKind k : GemmKind.values()) assertEquals(true, Kernels.FILES.contains(k.file), k.file);
    }
}
