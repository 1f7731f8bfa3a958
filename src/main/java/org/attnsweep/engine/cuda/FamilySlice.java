package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;

/**
 * The launcher of kernels/family_slice.cu (math, shapes and geometry in its header): a run's
 * one-off projections as a scaled slice of its family's. Loads its own module from the PTX
 * resource native/build-kernels.sh builds, into the context current when constructed.
 */
final class FamilySlice implements AutoCloseable {
    static final String FILE = "family_slice";
    private static final int THREADS = 128;

    private final CUmodule module = new CUmodule();
    private final CUfunction function = new CUfunction();
    private boolean closed;

    FamilySlice() {
        byte[] ptx;
        try (InputStream in = FamilySlice.class.getResourceAsStream(Kernels.resource(FILE))) {
            if (in == null) throw new IllegalStateException("no PTX resource " + Kernels.resource(FILE) + " in the jar: built without nvcc");
            ptx = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + Kernels.resource(FILE), e);
        }
        cuModuleLoadData(module, java.util.Arrays.copyOf(ptx, ptx.length + 1));   // NUL-terminated PTX
        try {
            cuModuleGetFunction(function, module, FILE);
        } catch (RuntimeException e) {
            cuModuleUnload(module);
            throw e;
        }
    }

    /**
     * dst[r] = the scaled slice of src for each of the {@code count} runs listed at {@code runs}.
     *
     * @param rowsMax   the grid's rows: the largest rows_r
     * @param rowsOf    rows of run r (R ints), or null: rowsMax for every run
     * @param colsOf    columns of run r (R ints), or null: {@code cols} for every run
     * @param probes    append rows 0, 1 again after the first rows_r − 2 (the probes μ₊, μ₋)
     * @param muOf      ‖μ‖ of run r (R floats), or null: no scaling
     * @param scaleCols scale columns 0, 1 too (the Gram matrices G = TᵀT and Te = S Tᵀ)
     * @param stream    where it runs (null: the default stream)
     */
    void launch(CUdeviceptr runs, int count, int rowsMax, CUdeviceptr rowsOf, CUdeviceptr colsOf, int cols,
                boolean probes, CUdeviceptr src, int lds, CUdeviceptr dst, long strideDst, int ldd, CUdeviceptr muOf,
                boolean scaleCols, CUstream stream) {
        if (closed) throw new IllegalStateException("family_slice used after close");
        if (count == 0 || rowsMax == 0) return;
        Pointer params = Pointer.to(Pointer.to(runs), Pointer.to(rowsOf == null ? new CUdeviceptr() : rowsOf), Pointer.to(colsOf == null ? new CUdeviceptr() : colsOf),
                Pointer.to(new int[] {cols}), Pointer.to(new int[] {probes ? 1 : 0}), Pointer.to(src), Pointer.to(new int[] {lds}),
                Pointer.to(dst), Pointer.to(new long[] {strideDst}), Pointer.to(new int[] {ldd}),
                Pointer.to(muOf == null ? new CUdeviceptr() : muOf), Pointer.to(new int[] {scaleCols ? 1 : 0}));
        cuLaunchKernel(function, rowsMax, count, 1, THREADS, 1, 1, 0, stream, params, null);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        cuModuleUnload(module);
    }
}
