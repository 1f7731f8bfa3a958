package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

/**
 * The launcher: loads one module per kernels/*.cu from the PTX resources built by
 * native/build-kernels.sh, looks every function up once, and launches each through one typed
 * method named after its kernel ({@code attention_forward} ↔ {@link #attentionForward}). Shapes,
 * math and launch geometry of each kernel are documented at the top of its .cu file; the grids
 * here follow them. Run lists ({@code runs}, {@code count}) name the runs a launch works on, so
 * stopped runs get no block.
 */
public final class Kernels implements AutoCloseable {
    /** Every kernel file of kernels/, by name; each becomes the resource kernels/NAME.ptx. */
    public static final List<String> FILES = List.of("gemm", "attention_forward", "loss_reduce", "gather",
            "value_gram", "value_update", "scalarize_v", "metric_dots");

    /** Columns of the q/k rows attention_forward stages per pass: KC in attention_forward.cu. */
    static final int FORWARD_KC = 32;
    private static final int GEMM_TILE = 64, GEMM_THREADS = 256;

    private final java.util.Map<String, CUmodule> modules = new java.util.LinkedHashMap<>();
    /** Each function's kernel file, the name {@link PerfModel} and {@link KernelTimer} use. */
    private static final java.util.Map<CUfunction, String> NAMES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    /** Benchmarks only: when set, every launch is timed by CUDA events under its kernel file's name. */
    static volatile KernelTimer timer;
    private final CUfunction gemmNN, gemmNT, attentionForward, lossReduce, gather, valueGram, valueUpdate,
            scalarizeV, metricDots;

    /** The classpath resource holding kernel file {@code name}'s PTX. */
    public static String resource(String name) {
        return "/kernels/" + name + ".ptx";
    }

    /** Loads every module into the current context. */
    Kernels() {
        try {
            gemmNN = function("gemm", "gemm_nn");
            gemmNT = function("gemm", "gemm_nt");
            attentionForward = function("attention_forward", "attention_forward");
            lossReduce = function("loss_reduce", "loss_reduce");
            gather = function("gather", "gather");
            valueGram = function("value_gram", "value_gram");
            valueUpdate = function("value_update", "value_update");
            scalarizeV = function("scalarize_v", "scalarize_v");
            metricDots = function("metric_dots", "metric_dots");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private CUfunction function(String file, String name) {
        CUmodule m = modules.computeIfAbsent(file, this::load);
        CUfunction f = new CUfunction();
        cuModuleGetFunction(f, m, name);
        NAMES.put(f, file);
        return f;
    }

    private CUmodule load(String file) {
        byte[] ptx;
        try (InputStream in = Kernels.class.getResourceAsStream(resource(file))) {
            if (in == null) throw new IllegalStateException("no PTX resource " + resource(file) + " in the jar: built without nvcc");
            ptx = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + resource(file), e);
        }
        // cuModuleLoadData takes PTX as a NUL-terminated string; the driver JIT-compiles it.
        byte[] z = java.util.Arrays.copyOf(ptx, ptx.length + 1);
        CUmodule m = new CUmodule();
        cuModuleLoadData(m, z);
        return m;
    }

    /** A matrix operand of run r at {@code at + r·stride} (floats), rows {@code ld} floats apart. */
    public record Operand(CUdeviceptr at, long stride, int ld) {
    }

    /**
     * kernels/gemm.cu: C[r] = C0[r] + alpha·scale[r]·A[r]·op(B[r]) for the listed runs (or, with
     * {@code runs} null, for runs 0..count−1 of the operands). Null go, rowsOf, innerOf, C0, scale
     * mean: every run, the uniform rows, the uniform inner, no C0, scale 1.
     */
    public void gemm(boolean transB, CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr rowsOf,
                     CUdeviceptr innerOf, int rows, int inner, int cols, Operand A, Operand B, CUdeviceptr C0,
                     Operand C, CUdeviceptr scale, float alpha) {
        if (count == 0 || rows == 0 || cols == 0) return;
        launch(transB ? gemmNT : gemmNN, ceil(cols, GEMM_TILE), ceil(rows, GEMM_TILE), count, GEMM_THREADS, 0,
                runs, go, rowsOf, innerOf, rows, inner, cols, A.at(), A.stride(), A.ld(), B.at(), B.stride(), B.ld(),
                C0, C.at(), C.stride(), C.ld(), scale, alpha);
    }

    /** kernels/attention_forward.cu; {@code loss}, {@code g}, {@code c}, {@code D} may be null. */
    public void attentionForward(CUdeviceptr runs, int count, CUdeviceptr nOf, int nMax, int M, int mk,
                                 CUdeviceptr map, CUdeviceptr QK, long strideQK, CUdeviceptr u, long strideU,
                                 CUdeviceptr y, CUdeviceptr f, CUdeviceptr loss, CUdeviceptr g, CUdeviceptr c,
                                 CUdeviceptr D) {
        if (count == 0 || nMax == 0) return;
        launch(attentionForward, nMax, count, 1, 128, forwardSharedBytes(M),
                runs, nOf, nMax, M, mk, map, QK, strideQK, u, strideU, y, f, loss, g, c, D);
    }

    /** Dynamic shared memory of attention_forward for M tokens per sample (bytes). */
    static int forwardSharedBytes(int M) {
        return (2 * M * (FORWARD_KC + 1) + M * M + 2 * M) * Float.BYTES + M * Integer.BYTES;
    }

    /** kernels/loss_reduce.cu. */
    public void lossReduce(CUdeviceptr runs, int count, CUdeviceptr nOf, int nMax, CUdeviceptr loss,
                           CUdeviceptr target, CUdeviceptr L, CUdeviceptr go) {
        if (count == 0) return;
        launch(lossReduce, count, 1, 1, 128, 0, runs, nOf, nMax, loss, target, L, go);
    }

    /** kernels/gather.cu. */
    public void gather(CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr pOf, int pMax, int nMax, int M,
                       int mk, CUdeviceptr occStart, CUdeviceptr occ, CUdeviceptr map, CUdeviceptr D, CUdeviceptr g,
                       CUdeviceptr c, CUdeviceptr QK, long strideQK, CUdeviceptr eta, CUdeviceptr trainWo,
                       CUdeviceptr AB, CUdeviceptr AQK, CUdeviceptr gamma, CUdeviceptr cV) {
        if (count == 0) return;
        launch(gather, pMax, count, 1, 256, 0, runs, go, pOf, pMax, nMax, M, mk, occStart, occ, map, D, g, c,
                QK, strideQK, eta, trainWo, AB, AQK, gamma, cV);
    }

    /** kernels/value_gram.cu. */
    public void valueGram(CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr pOf, int pMax, CUdeviceptr G,
                          CUdeviceptr gamma, CUdeviceptr eta, CUdeviceptr wo2, CUdeviceptr trainWo, CUdeviceptr h,
                          CUdeviceptr u) {
        if (count == 0) return;
        launch(valueGram, pMax, count, 1, 128, 0, runs, go, pOf, pMax, G, gamma, eta, wo2, trainWo, h, u);
    }

    /** kernels/value_update.cu. */
    public void valueUpdate(CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr trainWo, CUdeviceptr pOf,
                            int pMax, int mv, CUdeviceptr gamma, CUdeviceptr h, CUdeviceptr eta, CUdeviceptr V,
                            CUdeviceptr AV, CUdeviceptr wO) {
        if (count == 0) return;
        launch(valueUpdate, ceil(mv, 128), count, 1, 128, 0, runs, go, trainWo, pOf, pMax, mv, gamma, h, eta, V, AV, wO);
    }

    /** kernels/scalarize_v.cu. */
    public void scalarizeV(CUdeviceptr runs, int count, CUdeviceptr trainWo, CUdeviceptr rowsOf, int rowsMax,
                           int mv, CUdeviceptr V, CUdeviceptr wO, CUdeviceptr u) {
        if (count == 0 || rowsMax == 0) return;
        launch(scalarizeV, ceil(rowsMax, 8), count, 1, 256, 0, runs, trainWo, rowsOf, rowsMax, mv, V, wO, u);
    }

    /** kernels/metric_dots.cu. */
    public void metricDots(CUdeviceptr runs, int count, CUdeviceptr nOf, CUdeviceptr eOf, int nMax, int pMax,
                           int eMax, int M, int mk, CUdeviceptr map, CUdeviceptr QK, CUdeviceptr u, CUdeviceptr QKe,
                           CUdeviceptr ue, CUdeviceptr out) {
        if (count == 0) return;
        launch(metricDots, count, 1, 1, 256, 0, runs, nOf, eOf, nMax, pMax, eMax, M, mk, map, QK, u, QKe, ue, out);
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * One launch on the default stream. Arguments map to the kernel's parameters in order: device
     * pointers (null is the null pointer), Integer → int, Long → long long, Float → float.
     */
    private static void launch(CUfunction f, int gx, int gy, int gz, int block, int sharedBytes, Object... args) {
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            params[i] = switch (args[i]) {
                case null -> Pointer.to(new CUdeviceptr());
                case CUdeviceptr p -> Pointer.to(p);
                case Integer v -> Pointer.to(new int[] {v});
                case Long v -> Pointer.to(new long[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException("kernel argument " + i + " has unsupported type " + args[i].getClass());
            };
        }
        KernelTimer t = timer;
        if (t != null) t.start(NAMES.get(f));
        cuLaunchKernel(f, gx, gy, gz, block, 1, 1, sharedBytes, null, Pointer.to(params), null);
        if (t != null) t.stop();
    }

    @Override
    public void close() {
        for (CUmodule m : modules.values()) cuModuleUnload(m);
        modules.clear();
    }
}
