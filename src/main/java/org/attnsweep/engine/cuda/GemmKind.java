package org.attnsweep.engine.cuda;

import java.util.Locale;

/**
 * The arithmetic of the cuda engine's matrix products (every {@link Kernels#gemm} launch), chosen by
 * the environment variable {@value #ENV}: {@code fp32} (the default), FP32 fused multiply-adds,
 * kernels/gemm.cu; or {@code tf32x3}, each product as three TF32 tensor-core products with float32
 * accumulation (kernels/gemm_tf32x3.cu's header has the error analysis), experimental until a GPU run
 * shows it keeps the engine's float32 tolerances. The engine line (config.json's {@code engine})
 * names the one a sweep ran with; results_of records tf32x3 ({@link CudaEngine#arithmetic}).
 */
public enum GemmKind {
    FP32("fp32", "gemm", "gemm_nn", "gemm_nt"),
    TF32X3("tf32x3", "gemm_tf32x3", "gemm_nn_tf32x3", "gemm_nt_tf32x3");

    /** The environment variable that chooses. */
    public static final String ENV = "ATTNSWEEP_CUDA_GEMM";

    /** The name {@value #ENV} takes and the engine line shows. */
    public final String label;
    /** The kernel file (kernels/FILE.cu) and its entry points for B as it is and for B transposed. */
    final String file, nn, nt;

    GemmKind(String label, String file, String nn, String nt) {
        this.label = label;
        this.file = file;
        this.nn = nn;
        this.nt = nt;
    }

    /** The kind {@value #ENV} names in this process (unset or empty: fp32); anything else throws a one-line error. */
    public static GemmKind fromEnv() {
        return parse(System.getenv(ENV));
    }

    /** {@code value} as a kind (null or blank: fp32, case ignored); anything else throws a one-line error. */
    static GemmKind parse(String value) {
        if (value == null || value.isBlank()) return FP32;
        String v = value.strip().toLowerCase(Locale.ROOT);
        for (GemmKind k : values()) if (k.label.equals(v)) return k;
        throw new IllegalArgumentException(ENV + "=" + value + ": the cuda engine's GEMM is fp32 (the default) or tf32x3");
    }
}
