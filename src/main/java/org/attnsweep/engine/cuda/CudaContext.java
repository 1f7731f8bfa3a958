package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device with its primary context and the engine's kernels loaded into it. Every CUDA
 * handle the engine uses hangs off an instance (no static CUDA state); JCuda's exceptions are on,
 * so every failing driver call throws a {@link jcuda.CudaException} naming the error.
 */
public final class CudaContext implements AutoCloseable {
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final String name;
    private final int ccMajor, ccMinor, sharedPerBlock;
    private final Kernels kernels;
    private boolean closed;

    /**
     * Opens device {@code ordinal} and loads the kernels from the classpath: the cubin built for its
     * compute capability where the jar has one, else the PTX ({@link Kernels#image}); products on
     * the GEMM {@link GemmKind#ENV} chooses.
     */
    public CudaContext(int ordinal) {
        this(ordinal, GemmKind.fromEnv());
    }

    /** As {@link #CudaContext(int)}, products on the GEMM kernels of {@code gemm}. */
    public CudaContext(int ordinal, GemmKind gemm) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        cuDeviceGet(device, ordinal);
        byte[] raw = new byte[256];
        cuDeviceGetName(raw, raw.length, device);
        int len = 0;
        while (len < raw.length && raw[len] != 0) len++;
        name = new String(raw, 0, len, java.nio.charset.StandardCharsets.US_ASCII).trim();
        ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        sharedPerBlock = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
        cuDevicePrimaryCtxRetain(context, device);
        try {
            cuCtxSetCurrent(context);
            kernels = new Kernels(ccMajor, ccMinor, gemm);
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    private int attribute(int which) {
        int[] v = new int[1];
        cuDeviceGetAttribute(v, which, device);
        return v[0];
    }

    /** Makes this context current on the calling thread (cheap; done at every batch entry point). */
    public void makeCurrent() {
        live();
        cuCtxSetCurrent(context);
    }

    /** The device name as the driver reports it, e.g. {@code NVIDIA H100 80GB HBM3}. */
    public String name() {
        return name;
    }

    /** Compute capability as major.minor, e.g. {@code 9.0}. */
    public String computeCapability() {
        return ccMajor + "." + ccMinor;
    }

    /** Shared memory a block may use without opting in (bytes). */
    public int sharedPerBlock() {
        return sharedPerBlock;
    }

    /** Free device memory in bytes (cuMemGetInfo). */
    public long freeBytes() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        return free[0];
    }

    /** A zero-filled device buffer of {@code bytes} bytes in this context. */
    public DeviceBuffer alloc(long bytes) {
        return alloc(bytes, null);
    }

    /**
     * A device buffer of {@code bytes} bytes zero-filled on {@code stream} (null: the default
     * stream), so work queued after it on that stream sees the zeros.
     */
    public DeviceBuffer alloc(long bytes, jcuda.driver.CUstream stream) {
        makeCurrent();
        return new DeviceBuffer(bytes, stream);
    }

    public Kernels kernels() {
        live();
        return kernels;
    }

    /** Waits for every kernel launched so far (benchmarks; the engine syncs by its copies). */
    public void synchronize() {
        makeCurrent();
        cuCtxSynchronize();
    }

    private void live() {
        if (closed) throw new IllegalStateException("CUDA context used after close");
    }

    @Override
    public void close() {
        if (closed) return;
        makeCurrent();
        closed = true;
        try {
            kernels.close();
        } finally {
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
