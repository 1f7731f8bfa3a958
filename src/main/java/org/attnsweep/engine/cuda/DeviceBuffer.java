package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD8;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * One device allocation, zero-filled when made and freed by {@link #close}. Copies are indexed by
 * element: 4 bytes for float and int arrays, 8 for double arrays, so one buffer type serves every
 * array of a batch.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final CUdeviceptr ptr = new CUdeviceptr();
    private final long bytes;
    private boolean freed;

    /**
     * Allocates {@code bytes} (at least 8, so an empty array still has an address), zero-filled on
     * {@code stream} (null: the default stream).
     */
    DeviceBuffer(long bytes, CUstream stream) {
        this.bytes = Math.max(bytes, 8);
        cuMemAlloc(ptr, this.bytes);
        if (stream == null) cuMemsetD8(ptr, (byte) 0, this.bytes);
        else cuMemsetD8Async(ptr, (byte) 0, this.bytes, stream);
    }

    /** The device address of the buffer's first byte. */
    public CUdeviceptr ptr() {
        live();
        return ptr;
    }

    /** The device address of element {@code index} for elements of {@code elementBytes} bytes. */
    public CUdeviceptr at(long index, int elementBytes) {
        check(index * elementBytes, 0);
        return ptr.withByteOffset(index * elementBytes);
    }

    public void put(float[] src, long index) {
        copyIn(Pointer.to(src), index * Float.BYTES, (long) src.length * Float.BYTES);
    }

    public void put(int[] src, long index) {
        copyIn(Pointer.to(src), index * Integer.BYTES, (long) src.length * Integer.BYTES);
    }

    public void put(double[] src, long index) {
        copyIn(Pointer.to(src), index * Double.BYTES, (long) src.length * Double.BYTES);
    }

    public void get(float[] dst, long index) {
        copyOut(Pointer.to(dst), index * Float.BYTES, (long) dst.length * Float.BYTES);
    }

    public void get(double[] dst, long index) {
        copyOut(Pointer.to(dst), index * Double.BYTES, (long) dst.length * Double.BYTES);
    }

    /**
     * Copies {@code n} bytes from byte {@code from} of pinned host memory to byte {@code offset} of
     * this buffer, asynchronously on {@code stream} (null: the default stream).
     */
    public void putAsync(PinnedBuffer src, long from, long offset, long n, CUstream stream) {
        check(offset, n);
        if (n > 0) cuMemcpyHtoDAsync(ptr.withByteOffset(offset), src.at(from), n, stream);
    }

    /** Copies {@code n} bytes from byte {@code offset} of this buffer to byte {@code to} of pinned host memory, asynchronously. */
    public void getAsync(PinnedBuffer dst, long to, long offset, long n, CUstream stream) {
        check(offset, n);
        if (to + n > dst.size()) throw new IndexOutOfBoundsException("bytes [" + to + ", " + (to + n) + ") outside a pinned buffer of " + dst.size());
        if (n > 0) cuMemcpyDtoHAsync(dst.at(to), ptr.withByteOffset(offset), n, stream);
    }

    /**
     * Copies the first {@code n} bytes of device buffer {@code src} to byte {@code offset} of this
     * buffer, asynchronously on {@code stream} (null: the default stream, after its kernels).
     */
    public void copyFromAsync(DeviceBuffer src, long offset, long n, CUstream stream) {
        check(offset, n);
        src.check(0, n);
        if (n > 0) cuMemcpyDtoDAsync(ptr.withByteOffset(offset), src.ptr, n, stream);
    }

    private void copyIn(Pointer host, long offset, long n) {
        check(offset, n);
        if (n > 0) cuMemcpyHtoD(ptr.withByteOffset(offset), host, n);
    }

    private void copyOut(Pointer host, long offset, long n) {
        check(offset, n);
        if (n > 0) cuMemcpyDtoH(host, ptr.withByteOffset(offset), n);
    }

    private void check(long offset, long n) {
        live();
        if (offset < 0 || offset + n > bytes) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + n) + ") outside a device buffer of " + bytes);
        }
    }

    private void live() {
        if (freed) throw new IllegalStateException("device buffer used after close");
    }

    @Override
    public void close() {
        if (freed) return;
        freed = true;
        cuMemFree(ptr);
    }
}
