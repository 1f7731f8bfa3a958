package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuGetErrorString;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadDataJIT;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUjit_option;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JITOptions;

/**
 * The launcher: loads one module per kernels/*.cu from the resources built by
 * native/build-kernels.sh (the cubin for the device's compute capability where the jar has one,
 * else the PTX, JIT-compiled by the driver), looks every function up once, and launches each
 * through one typed method named after its kernel ({@code attention_forward} ↔
 * {@link #attentionForward}). Shapes, math and launch geometry of each kernel are documented at the
 * top of its .cu file; the grids here follow them. Run lists ({@code runs}, {@code count}) name the
 * runs a launch works on, so stopped runs get no block.
 *
 * <p>With {@code ATTNSWEEP_CUDA_SYNC=1} every launch is followed by a synchronisation, so a kernel
 * that faults is named in the exception instead of surfacing at a later copy.
 */
public final class Kernels implements AutoCloseable {
    /** Every kernel file of kernels/, by name; each becomes the resources kernels/NAME.*. */
    public static final List<String> FILES = List.of("gemm", "gemm_tf32x3", "gemv", "attention_forward", "loss_reduce", "gather",
            "value_gram", "value_update", "scalarize_v", "metric_dots", "family_slice", "heads_sum");   // family_slice: FamilySlice launches it
    /** Architectures the jar carries cubins for (native/build-kernels.sh's ARCHS), as 10·major + minor. */
    static final int[] CUBIN_ARCHS = {80, 90};
    /** Whether every launch is synchronised and checked ({@code ATTNSWEEP_CUDA_SYNC=1}). */
    static final boolean SYNC = "1".equals(System.getenv("ATTNSWEEP_CUDA_SYNC"));

    /** Columns of the q/k rows attention_forward stages per pass: KC in attention_forward.cu. */
    static final int FORWARD_KC = 32;
    /** Columns of the q/k rows gather stages per pass: GC in gather.cu. */
    static final int GATHER_GC = 32;
    private static final int GEMM_TILE_ROWS = 64, GEMM_TILE_COLS = 128, GEMM_THREADS = 256;
    /** Rows per block of the warp-per-row kernels (block 256 = 8 warps). */
    private static final int WARPS = 8;
    private static final int LOG_BYTES = 8192;

    /** The modules and their functions, shared by this launcher's stream views ({@link #on}). */
    private final Loaded fns;
    /** The stream every launch goes to (null: the default stream). */
    private final CUstream stream;
    /** Whether this launcher shares another's modules ({@link #on}, {@link #with}): it unloads nothing. */
    private final boolean view;
    /** The arithmetic of {@link #gemm}'s launches. */
    private final GemmKind gemm;
    /**
     * The name {@link PerfModel} and {@link KernelTimer} know each function by: its kernel file's,
     * and "gemm" for every GEMM kind's (one operation, whichever arithmetic).
     */
    private static final Map<CUfunction, String> NAMES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());
    /** Benchmarks only: when set, every launch is timed by CUDA events under its kernel file's name. */
    static volatile KernelTimer timer;

    /** The classpath resource holding kernel file {@code name}'s PTX. */
    public static String resource(String name) {
        return "/kernels/" + name + ".ptx";
    }

    /** The classpath resource holding kernel file {@code name}'s cubin for architecture {@code arch} (e.g. 90). */
    static String cubinResource(String name, int arch) {
        return "/kernels/" + name + ".sm_" + arch + ".cubin";
    }

    /**
     * The resource to load for a device of compute capability major.minor: the cubin of the same
     * major and the highest minor not above the device's (cubins run on later minors of their
     * major), else the PTX.
     */
    static String image(String file, int major, int minor) {
        int best = -1;
        for (int arch : CUBIN_ARCHS) {
            if (arch / 10 == major && arch % 10 <= minor && arch > best && Kernels.class.getResource(cubinResource(file, arch)) != null) {
                best = arch;
            }
        }
        return best >= 0 ? cubinResource(file, best) : resource(file);
    }

    /**
     * Loads every module into the current context, picking images for compute capability
     * major.minor; products go to the GEMM kernels of {@code gemm}.
     */
    Kernels(int ccMajor, int ccMinor, GemmKind gemm) {
        this(new Loaded(ccMajor, ccMinor), null, false, gemm);
    }

    private Kernels(Loaded fns, CUstream stream, boolean view, GemmKind gemm) {
        this.fns = fns;
        this.stream = stream;
        this.view = view;
        this.gemm = gemm;
    }

    /**
     * The same kernels launched on {@code stream} (a batch being prepared while another steps on
     * the default stream); closing it unloads nothing.
     */
    Kernels on(CUstream stream) {
        return new Kernels(fns, stream, true, gemm);
    }

    /** The same kernels with products on the GEMM kernels of {@code kind}; closing it unloads nothing. */
    Kernels with(GemmKind kind) {
        return new Kernels(fns, stream, true, kind);
    }

    /** The arithmetic of this launcher's products. */
    public GemmKind gemmKind() {
        return gemm;
    }

    /** The images loaded, one per kernel file, e.g. {@code /kernels/gemm.sm_90.cubin}. */
    List<String> images() {
        return List.copyOf(fns.loaded);
    }

    /** One module per kernel file, loaded into the context current when made, and every function looked up once. */
    private static final class Loaded {
        private final Map<String, CUmodule> modules = new LinkedHashMap<>();
        private final List<String> loaded = new ArrayList<>();
        private final int ccMajor, ccMinor;
        private final java.util.EnumMap<GemmKind, CUfunction[]> gemms = new java.util.EnumMap<>(GemmKind.class);
        private final CUfunction gemvN, gemvT, attentionForward, lossReduce, gather,
                valueGram, valueUpdate, scalarizeV, metricDots, headsSum;

        Loaded(int ccMajor, int ccMinor) {
            this.ccMajor = ccMajor;
            this.ccMinor = ccMinor;
            try {
                // Every GEMM kind's functions are timed as "gemm", the one operation PerfModel models.
                for (GemmKind g : GemmKind.values()) {
                    gemms.put(g, new CUfunction[] {function(g.file, g.nn, "gemm"), function(g.file, g.nt, "gemm")});
                }
                gemvN = function("gemv", "gemv_n");
                gemvT = function("gemv", "gemv_t");
                attentionForward = function("attention_forward", "attention_forward");
                lossReduce = function("loss_reduce", "loss_reduce");
                gather = function("gather", "gather");
                valueGram = function("value_gram", "value_gram");
                valueUpdate = function("value_update", "value_update");
                scalarizeV = function("scalarize_v", "scalarize_v");
                metricDots = function("metric_dots", "metric_dots");
                headsSum = function("heads_sum", "heads_sum");
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private CUfunction function(String file, String name) {
            return function(file, name, file);
        }

        /** Function {@code name} of kernels/FILE.cu, timed under {@code timedAs}. */
        private CUfunction function(String file, String name, String timedAs) {
            CUmodule m = modules.computeIfAbsent(file, this::load);
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, m, name);
            NAMES.put(f, timedAs);
            return f;
        }

        private CUmodule load(String file) {
            String res = image(file, ccMajor, ccMinor);
            byte[] bytes;
            try (InputStream in = Kernels.class.getResourceAsStream(res)) {
                if (in == null) throw new IllegalStateException("no kernel resource " + res + " in the jar: built without nvcc");
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + res, e);
            }
            CUmodule m = loadImage(res + " on a device of compute capability " + ccMajor + "." + ccMinor, bytes);
            loaded.add(res);
            return m;
        }

        void close() {
            for (CUmodule m : modules.values()) cuModuleUnload(m);
            modules.clear();
        }
    }

    /**
     * Loads a cubin or PTX image with cuModuleLoadDataEx and the JIT's log buffers; a failure
     * throws a one-line {@link CudaException}: "cannot load WHAT: CUDA_ERROR_...: the JIT error log"
     * (the info log where the error log is empty).
     */
    static CUmodule loadImage(String what, byte[] image) {
        // PTX is a NUL-terminated string to the driver; the extra byte is harmless after a cubin.
        byte[] z = Arrays.copyOf(image, image.length + 1);
        JITOptions jit = new JITOptions();
        jit.putBytes(CUjit_option.CU_JIT_INFO_LOG_BUFFER, new byte[LOG_BYTES]);
        jit.putInt(CUjit_option.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES, LOG_BYTES);
        jit.putBytes(CUjit_option.CU_JIT_ERROR_LOG_BUFFER, new byte[LOG_BYTES]);
        jit.putInt(CUjit_option.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, LOG_BYTES);
        CUmodule m = new CUmodule();
        // JCuda's cuModuleLoadDataJIT returns its code rather than throwing: the log is read here.
        int rc = cuModuleLoadDataJIT(m, Pointer.to(z), jit);
        if (rc != CUresult.CUDA_SUCCESS) {
            // The reason is in the error log; the info log can hold it too (a JIT warning turned fatal).
            String log = jitLog(jit.getString(CUjit_option.CU_JIT_ERROR_LOG_BUFFER));
            throw new CudaException("cannot load " + what + ": " + CUresult.stringFor(rc)
                    + (log.isEmpty() ? jitLog(jit.getString(CUjit_option.CU_JIT_INFO_LOG_BUFFER)) : log));
        }
        return m;
    }

    /** The JIT error log as one line (": ..." or nothing). */
    static String jitLog(String log) {
        if (log == null) return "";
        String one = log.replace('\0', ' ').strip().replaceAll("\\s*\\n\\s*", "; ");
        return one.isEmpty() ? "" : ": " + one;
    }

    /** A matrix operand of run r at {@code at + r·stride} (floats), rows {@code ld} floats apart. */
    public record Operand(CUdeviceptr at, long stride, int ld) {
    }

    /**
     * What a product adds its result to (kernels/common.cuh's Base): run r's C0 at
     * {@code at + g·stride} floats with g = groupOf[r] (groupOf null: g = r), rows as C's; with
     * unitOf and muOf, a family's unit array read as run r's slice (family_slice's map: rows after
     * unitOf[r] are the probes, rows 0, 1 of them times muOf[r]). {@code at} null: no C0.
     */
    public record Base(CUdeviceptr at, long stride, CUdeviceptr groupOf, CUdeviceptr unitOf, CUdeviceptr muOf) {
        /** C0 of run r at at + r·stride, read as it is (null at: none). */
        public static Base of(CUdeviceptr at, long stride) {
            return new Base(at, stride, null, null, null);
        }
    }

    /**
     * kernels/gemm.cu (or gemm_tf32x3.cu, by {@link #gemmKind}): C[r] = C0[r] + alpha·scale[r]·A[r]·op(B[r])
     * for the listed runs (or, with {@code runs} null, for runs 0..count−1 of the operands), C0 as
     * {@link Base} reads it. Null go, rowsOf, innerOf, C0, scale mean: every run, the uniform rows,
     * the uniform inner, no C0, scale 1.
     */
    public void gemm(boolean transB, CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr rowsOf,
                     CUdeviceptr innerOf, int rows, int inner, int cols, Operand A, Operand B, Base C0,
                     Operand C, CUdeviceptr scale, float alpha) {
        if (count == 0 || rows == 0 || cols == 0) return;
        launch(fns.gemms.get(gemm)[transB ? 1 : 0], transB ? gemm.nt : gemm.nn,
                ceil(cols, GEMM_TILE_COLS), ceil(rows, GEMM_TILE_ROWS), count, GEMM_THREADS, 0,
                new Args().ptr(runs).ptr(go).ptr(rowsOf).ptr(innerOf).i(rows).i(inner).i(cols)
                        .ptr(A.at()).l(A.stride()).i(A.ld()).ptr(B.at()).l(B.stride()).i(B.ld())
                        .base(C0).ptr(C.at()).l(C.stride()).i(C.ld()).ptr(scale).f(alpha));
    }

    /**
     * kernels/gemv.cu: y[r] = y0[r] + alpha·scale[r]·op(A[r])·x[r] with op(A) = A (A rows×inner) or
     * Aᵀ (A inner×rows), x of run r at r·strideX, y at r·strideY, y0 as {@link Base} reads it. Null
     * runs, rowsOf, innerOf, y0, scale as in {@link #gemm}.
     */
    public void gemv(boolean transA, CUdeviceptr runs, int count, CUdeviceptr rowsOf, CUdeviceptr innerOf, int rows,
                     int inner, Operand A, CUdeviceptr x, long strideX, Base y0, CUdeviceptr y, long strideY,
                     CUdeviceptr scale, float alpha) {
        if (count == 0 || rows == 0) return;
        launch(transA ? fns.gemvT : fns.gemvN, transA ? "gemv_t" : "gemv_n", transA ? ceil(rows, 256) : ceil(rows, WARPS), count, 1,
                256, 0, new Args().ptr(runs).ptr(rowsOf).ptr(innerOf).i(rows).i(inner).ptr(A.at()).l(A.stride()).i(A.ld())
                        .ptr(x).l(strideX).base(y0).ptr(y).l(strideY).ptr(scale).f(alpha));
    }

    /**
     * kernels/attention_forward.cu; {@code inBatch} (every sample in the batch), {@code loss}, {@code g},
     * {@code c}, {@code D} may be null, and {@code fRun} is null but for the heads of a run with H > 1
     * (their summed f, {@link #headsSum}).
     */
    public void attentionForward(CUdeviceptr runs, int count, CUdeviceptr nOf, int nMax, int M, int mk,
                                 CUdeviceptr map, CUdeviceptr QK, long strideQK, CUdeviceptr u, long strideU,
                                 CUdeviceptr y, CUdeviceptr lossKind, CUdeviceptr bOf, CUdeviceptr inBatch,
                                 CUdeviceptr f, CUdeviceptr loss, CUdeviceptr g, CUdeviceptr c, CUdeviceptr D, CUdeviceptr fRun) {
        if (count == 0 || nMax == 0) return;
        launch(fns.attentionForward, "attention_forward", nMax, count, 1, 128, forwardSharedBytes(M),
                new Args().ptr(runs).ptr(nOf).i(nMax).i(M).i(mk).ptr(map).ptr(QK).l(strideQK).ptr(u).l(strideU).ptr(y)
                        .ptr(lossKind).ptr(bOf).ptr(inBatch).ptr(f).ptr(loss).ptr(g).ptr(c).ptr(D).ptr(fRun));
    }

    /** kernels/heads_sum.cu: runs lists the first slot of each run of H head slots. */
    public void headsSum(CUdeviceptr runs, int count, CUdeviceptr nOf, int nMax, int H, CUdeviceptr f, CUdeviceptr fRun) {
        if (count == 0 || nMax == 0) return;
        launch(fns.headsSum, "heads_sum", ceil(nMax, 128), count, 1, 128, 0,
                new Args().ptr(runs).ptr(nOf).i(nMax).i(H).ptr(f).ptr(fRun));
    }

    /**
     * Dynamic shared memory of attention_forward for M tokens per sample (bytes); gather's (2·M·GC
     * + M² floats + 2M ints) is never more, so checking this one against the device covers both.
     */
    static int forwardSharedBytes(int M) {
        return (2 * M * (FORWARD_KC + 1) + M * M + 2 * M) * Float.BYTES + M * Integer.BYTES;
    }

    /** Dynamic shared memory of gather for M tokens per sample (bytes). */
    static int gatherSharedBytes(int M) {
        return (2 * M * GATHER_GC + M * M) * Float.BYTES + 2 * M * Integer.BYTES;
    }

    /** kernels/loss_reduce.cu. */
    public void lossReduce(CUdeviceptr runs, int count, CUdeviceptr nOf, int nMax, CUdeviceptr loss,
                           CUdeviceptr target, CUdeviceptr L, CUdeviceptr go) {
        if (count == 0) return;
        launch(fns.lossReduce, "loss_reduce", count, 1, 1, 128, 0,
                new Args().ptr(runs).ptr(nOf).i(nMax).ptr(loss).ptr(target).ptr(L).ptr(go));
    }

    /** kernels/gather.cu. */
    public void gather(CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr nOf, CUdeviceptr pOf, int pMax, int nMax,
                       int M, int mk, CUdeviceptr occStart, CUdeviceptr occ, CUdeviceptr map, CUdeviceptr D, CUdeviceptr g,
                       CUdeviceptr c, CUdeviceptr QK, long strideQK, CUdeviceptr eta, CUdeviceptr trainWo,
                       CUdeviceptr AB, CUdeviceptr AQK, CUdeviceptr gamma, CUdeviceptr cV) {
        if (count == 0 || nMax == 0) return;
        launch(fns.gather, "gather", nMax, count, 1, 256, gatherSharedBytes(M),
                new Args().ptr(runs).ptr(go).ptr(nOf).ptr(pOf).i(pMax).i(nMax).i(M).i(mk).ptr(occStart).ptr(occ).ptr(map)
                        .ptr(D).ptr(g).ptr(c).ptr(QK).l(strideQK).ptr(eta).ptr(trainWo).ptr(AB).ptr(AQK).ptr(gamma).ptr(cV));
    }

    /** kernels/value_gram.cu. */
    public void valueGram(CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr pOf, int pMax, CUdeviceptr G,
                          CUdeviceptr gamma, CUdeviceptr eta, CUdeviceptr wo2, CUdeviceptr trainWo, CUdeviceptr h,
                          CUdeviceptr u) {
        if (count == 0 || pMax == 0) return;
        launch(fns.valueGram, "value_gram", ceil(pMax, WARPS), count, 1, 256, 0,
                new Args().ptr(runs).ptr(go).ptr(pOf).i(pMax).ptr(G).ptr(gamma).ptr(eta).ptr(wo2).ptr(trainWo).ptr(h).ptr(u));
    }

    /** kernels/value_update.cu. */
    public void valueUpdate(CUdeviceptr runs, int count, CUdeviceptr go, CUdeviceptr trainWo, CUdeviceptr pOf,
                            int pMax, int mv, CUdeviceptr gamma, CUdeviceptr h, CUdeviceptr eta, CUdeviceptr V,
                            CUdeviceptr AV, CUdeviceptr wO) {
        if (count == 0) return;
        launch(fns.valueUpdate, "value_update", ceil(mv, 128), count, 1, 128, 0,
                new Args().ptr(runs).ptr(go).ptr(trainWo).ptr(pOf).i(pMax).i(mv).ptr(gamma).ptr(h).ptr(eta).ptr(V).ptr(AV)
                        .ptr(wO));
    }

    /** kernels/scalarize_v.cu. */
    public void scalarizeV(CUdeviceptr runs, int count, CUdeviceptr trainWo, CUdeviceptr rowsOf, int rowsMax,
                           int mv, CUdeviceptr V, CUdeviceptr wO, CUdeviceptr u) {
        if (count == 0 || rowsMax == 0) return;
        launch(fns.scalarizeV, "scalarize_v", ceil(rowsMax, WARPS), count, 1, 256, 0,
                new Args().ptr(runs).ptr(trainWo).ptr(rowsOf).i(rowsMax).i(mv).ptr(V).ptr(wO).ptr(u));
    }

    /** kernels/metric_dots.cu. */
    public void metricDots(CUdeviceptr runs, int count, CUdeviceptr nOf, CUdeviceptr eOf, int nMax, int pMax,
                           int eMax, int M, int mk, CUdeviceptr map, CUdeviceptr QK, CUdeviceptr u, CUdeviceptr QKe,
                           CUdeviceptr ue, CUdeviceptr out) {
        if (count == 0) return;
        launch(fns.metricDots, "metric_dots", count, 1, 1, 256, 0,
                new Args().ptr(runs).ptr(nOf).ptr(eOf).i(nMax).i(pMax).i(eMax).i(M).i(mk).ptr(map).ptr(QK).ptr(u).ptr(QKe)
                        .ptr(ue).ptr(out));
    }

    private static int ceil(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * A kernel's parameters in order, each with its C type: a device pointer (null is the null
     * pointer), an int, a long long or a float.
     */
    static final class Args {
        private final List<Pointer> params = new ArrayList<>();

        Args ptr(CUdeviceptr p) {
            params.add(Pointer.to(p == null ? new CUdeviceptr() : p));
            return this;
        }

        Args i(int v) {
            params.add(Pointer.to(new int[] {v}));
            return this;
        }

        Args l(long v) {
            params.add(Pointer.to(new long[] {v}));
            return this;
        }

        /** A {@link Base} as its five parameters: C0, its stride, group, unit and μ arrays. */
        Args base(Base b) {
            if (b == null) return ptr(null).l(0).ptr(null).ptr(null).ptr(null);
            return ptr(b.at()).l(b.stride()).ptr(b.groupOf()).ptr(b.unitOf()).ptr(b.muOf());
        }

        Args f(float v) {
            params.add(Pointer.to(new float[] {v}));
            return this;
        }

        Pointer pointer() {
            return Pointer.to(params.toArray(new Pointer[0]));
        }
    }

    /**
     * One launch on this launcher's stream. A failing launch, or (with {@link #SYNC}) a kernel that
     * faults, throws a {@link CudaException} naming the kernel and the driver's reason in one line.
     * The benchmarks' timer times launches on the default stream only (its events are recorded there).
     */
    private void launch(CUfunction f, String name, int gx, int gy, int gz, int block, int sharedBytes, Args args) {
        try {
            KernelTimer t = stream == null ? timer : null;
            if (t != null) t.start(NAMES.get(f));
            cuLaunchKernel(f, gx, gy, gz, block, 1, 1, sharedBytes, stream, args.pointer(), null);
            if (t != null) t.stop();
            if (SYNC) cuCtxSynchronize();
        } catch (CudaException e) {
            throw new CudaException("kernel " + name + " failed (grid " + gx + "×" + gy + "×" + gz + ", block " + block + "): "
                    + e.getMessage() + reason(e.getMessage())
                    + (SYNC ? "" : " (launches are asynchronous, so the fault may be an earlier kernel's: ATTNSWEEP_CUDA_SYNC=1 names it)"), e);
        }
    }

    /**
     * The driver's description (cuGetErrorString) of the error JCuda's exception names, such as
     * CUDA_ERROR_LAUNCH_FAILED (": ..." or nothing); JCuda keeps only the name, so the code is found
     * by name among the CUresult values (a failure path only).
     */
    private static String reason(String errorName) {
        for (int code = 0; code < 1000; code++) {
            if (CUresult.stringFor(code).equals(errorName)) {
                String[] text = new String[1];
                try {
                    cuGetErrorString(code, text);
                } catch (CudaException ignored) {
                    return "";
                }
                return text[0] == null ? "" : ": " + text[0];
            }
        }
        return "";
    }

    @Override
    public void close() {
        if (!view) fns.close();
    }
}
