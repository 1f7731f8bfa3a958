package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuInit;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import jcuda.CudaException;
import jcuda.driver.CUdevice;
import jcuda.driver.JCudaDriver;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.model.RunConfig;

/**
 * The GPU engine: the span formulation of docs/math.md §4 in float32 as CUDA kernels over a
 * device-resident batch of runs, launched through JCuda's driver API from PTX built at build time
 * (kernels/, native/build-kernels.sh). Uses device 0. Close it to release the device.
 */
public final class CudaEngine implements Engine, AutoCloseable {
    /** Largest R: runs are a grid dimension (y or z) of every launch, limited to 65535. */
    static final int MAX_RUNS = 65535;

    /**
     * The shared memory every CUDA device gives a block that does not opt in to more
     * (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 48 KiB on every device): the figure the
     * options are checked against before any driver is loaded.
     */
    public static final int SHARED_PER_BLOCK = 48 << 10;

    /**
     * Refuses M tokens per sample whose attention_forward block (the kernel with the most shared
     * memory, growing as M²) needs more than {@code allowed} bytes: at option check against
     * {@link #SHARED_PER_BLOCK} on any machine, when a batch opens against the device's own figure.
     */
    public static void checkM(int M, int allowed) {
        int shared = Kernels.forwardSharedBytes(M) + 16; // + attention_forward's static g
        if (shared > allowed) {
            int most = M;
            while (most > 2 && Kernels.forwardSharedBytes(most) + 16 > allowed) most--;
            throw new IllegalArgumentException("--M " + M + " needs " + shared + " bytes of shared memory per block in the cuda engine's "
                    + "attention_forward; the device allows " + allowed + " (M at most " + most + "): use --engine vector, or a smaller --M");
        }
    }

    /** Share of the free device memory a batch may take; the rest is left to the driver and JIT. */
    static final double MEMORY_SHARE = 0.9;

    /** Whether the engine can run here and, in one line, why (or on what). */
    public record Availability(boolean available, String reason) {
    }

    private final CudaContext ctx;
    private final FamilySlice slice;
    private final FamilySetups setups;
    private final PrintStream log;
    private volatile int lastBatch;

    /**
     * Opens device 0 and loads the kernels, products on the GEMM {@link GemmKind#ENV} chooses. Call
     * {@link #probe} first for a clear reason when there is no GPU; this throws whatever the driver says.
     *
     * @param log where batch sizing is reported (one line per shape)
     */
    public CudaEngine(PrintStream log) {
        this(log, GemmKind.fromEnv());
    }

    /** As {@link #CudaEngine(PrintStream)}, its products on the GEMM kernels of {@code gemm} ({@link GemmKind}). */
    public CudaEngine(PrintStream log, GemmKind gemm) {
        this.log = log;
        this.ctx = new CudaContext(0, gemm);
        FamilySlice fs = null;
        try {
            fs = new FamilySlice();
            this.setups = new FamilySetups(ctx);
        } catch (RuntimeException e) {
            if (fs != null) fs.close();
            ctx.close();
            throw e;
        }
        this.slice = fs;
    }

    /**
     * Checks, without throwing, that the PTX is in the jar, that JCuda's natives and the CUDA driver
     * load (a {@link LinkageError} otherwise) and that the driver sees a device (a
     * {@link CudaException} from cuInit or cuDeviceGetCount otherwise). The answer cannot change
     * within a process (a failed class initialisation is final), so it is worked out once.
     */
    public static Availability probe() {
        return Probe.RESULT;
    }

    private static final class Probe {
        static final Availability RESULT = run();

        private static Availability run() {
            List<String> missing = Kernels.FILES.stream().filter(f -> CudaEngine.class.getResource(Kernels.resource(f)) == null).toList();
            if (missing.size() == Kernels.FILES.size()) return new Availability(false, "no PTX in the jar: built without nvcc");
            if (!missing.isEmpty()) return new Availability(false, "PTX missing from the jar for kernels " + missing + ": rebuild with nvcc");
            try {
                JCudaDriver.setExceptionsEnabled(true);
                cuInit(0);
                int[] count = new int[1];
                cuDeviceGetCount(count);
                if (count[0] == 0) return new Availability(false, "the CUDA driver reports no device");
                CUdevice dev = new CUdevice();
                cuDeviceGet(dev, 0);
                byte[] name = new byte[256];
                cuDeviceGetName(name, name.length, dev);
                int len = 0;
                while (len < name.length && name[len] != 0) len++;
                return new Availability(true, new String(name, 0, len, java.nio.charset.StandardCharsets.US_ASCII).trim()
                        + (count[0] > 1 ? " (device 0 of " + count[0] + ")" : ""));
            } catch (LinkageError e) {
                return new Availability(false, "cannot load the CUDA driver through JCuda: " + linkFailure(e));
            } catch (CudaException e) {
                return new Availability(false, "CUDA driver error: " + firstLine(e.getMessage()));
            }
        }
    }

    /**
     * The useful line of JCuda's many-line load failure: the dynamic loader's own words, e.g.
     * {@code libcuda.so.1: cannot open shared object file: No such file or directory}.
     */
    private static String linkFailure(LinkageError e) {
        String detail = null;
        for (String line : String.valueOf(e.getMessage()).split("\n")) {
            int i = line.indexOf("UnsatisfiedLinkError: ");
            if (i >= 0) detail = line.substring(i + "UnsatisfiedLinkError: ".length()).strip();
        }
        if (detail == null) return e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
        int so = detail.indexOf(".so: ");
        return so >= 0 ? detail.substring(so + ".so: ".length()) : detail;
    }

    private static String firstLine(String message) {
        String m = String.valueOf(message).strip();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl).strip();
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public org.attnsweep.model.Precision precision() {
        return org.attnsweep.model.Precision.FLOAT32;
    }

    /** Empty for the FP32 GEMM (the default, so results stored before the choice existed resume), else " gemm=LABEL". */
    @Override
    public String arithmetic() {
        GemmKind g = ctx.kernels().gemmKind();
        return g == GemmKind.FP32 ? "" : " gemm=" + g.label;
    }

    @Override
    public String describe() {
        int r = lastBatch;
        return "engine=cuda device=" + ctx.name().replace(' ', '_') + " cc=" + ctx.computeCapability()
                + " R=" + (r > 0 ? Integer.toString(r) : "by-free-memory") + " precision=float32 gemm=" + ctx.kernels().gemmKind().label;
    }

    /** The sweep draws and opens the next batch (its uploads and set-up on the upload stream) while this one steps. */
    @Override
    public boolean trainsOffHost() {
        return true;
    }

    /**
     * The most runs shaped like {@code shape} (generated data, P = 2 + N(M−1)) that one batch can
     * hold in half of {@value #MEMORY_SHARE} of the device memory free now (cuMemGetInfo), the other
     * half being the next batch's, prepared while this one steps, when nothing is known of their
     * families: every run counted with its own set-up group, as a run without a family has.
     */
    @Override
    public int maxBatch(RunConfig shape) {
        return maxBatch(shape, Long.MAX_VALUE);
    }

    /**
     * As {@link #maxBatch(RunConfig)} for a batch whose runs fall into at most {@code families}
     * families (runs without one counting one each): a family's evaluation projections are held
     * once per batch, not per run ({@link Layout#groupBytes}), so fewer families leave room for
     * more runs. Printed to the log. Runs with smaller N fit too: a batch is padded to its largest run.
     */
    @Override
    public int maxBatch(RunConfig shape, long families) {
        Layout lay = Layout.of(shape);
        long free = ctx.freeBytes();
        // A run of H heads holds H slots of per-run state (docs/math.md §7), and H family set-ups are
        // kept. Two batches live at once: one stepping, the next being prepared (trainsOffHost).
        int H = shape.heads();
        long usable = ((long) (free * MEMORY_SHARE) + lay.setupBytes(H)) / 2;
        int r = (int) Math.min(MAX_RUNS / H, lay.runsIn(usable, H, families));
        lastBatch = r;
        log.printf(Locale.ROOT, "cuda: R=%d runs per batch (d=%d M=%d m_k=%d m_v=%d N=%d P=%d: %.1f MiB per run%s, %.2f GiB free)%n",
                r, shape.d(), shape.M(), shape.mk(), shape.mv(), shape.N(), shape.tokenCount(), lay.slotBytes(H) * H / 0x1p20,
                families == Long.MAX_VALUE ? String.format(Locale.ROOT, " and %.1f MiB of its own evaluation rows", lay.groupBytes() * H / 0x1p20)
                        : String.format(Locale.ROOT, ", %.1f MiB per family of %d", lay.groupBytes() * H / 0x1p20, families),
                free / 0x1p30);
        return r;
    }

    /**
     * Prepares a batch on the engine's upload stream (its uploads, family set-ups and slices), so a
     * sweep may open the next batch on another thread while this engine's last one steps on the
     * default stream; batches open one at a time (they share the set-ups and the upload stream).
     */
    @Override
    public synchronized EngineBatch open(List<RunData> runs) {
        return new CudaBatch(ctx, slice, setups, runs);
    }

    /** The family set-ups kept between batches (tests read their counts). */
    FamilySetups setups() {
        return setups;
    }

    /** The device context (benchmarks time kernels against it). */
    CudaContext context() {
        return ctx;
    }

    @Override
    public void close() {
        try {
            setups.close();
            slice.close();
        } finally {
            ctx.close();
        }
    }
}
