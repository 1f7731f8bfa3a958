package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.Pointer;

/**
 * Page-locked (pinned) host memory from cuMemAllocHost, seen from Java as a native-order direct
 * buffer. The driver copies between it and the device by DMA, asynchronously on a stream
 * ({@link DeviceBuffer#putAsync}, {@link DeviceBuffer#getAsync}); pageable Java arrays would be
 * staged through a driver buffer and copied synchronously. Filled by absolute index: float and int
 * views by 4-byte element, double by 8-byte element. Freed by {@link #close}; a copy that reads or
 * writes it must be complete by then (synchronise its stream first).
 */
final class PinnedBuffer implements AutoCloseable {
    private final Pointer host = new Pointer();
    private final ByteBuffer bytes;
    private boolean freed;

    /** Allocates {@code size} bytes (at least 8) of pinned host memory, zero-filled. */
    PinnedBuffer(long size) {
        long n = Math.max(size, 8);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("a pinned buffer holds at most 2 GiB: asked for " + n + " bytes");
        cuMemAllocHost(host, n);
        bytes = host.getByteBuffer(0, n).order(ByteOrder.nativeOrder());
        byte[] zero = new byte[(int) Math.min(n, 1 << 16)];
        for (int i = 0; i < n; i += zero.length) bytes.put(i, zero, 0, (int) Math.min(zero.length, n - i));
    }

    long size() {
        return bytes.capacity();
    }

    /** The host address of byte {@code offset}, for the driver's copies. */
    Pointer at(long offset) {
        live();
        if (offset < 0 || offset > bytes.capacity()) throw new IndexOutOfBoundsException("byte " + offset + " outside a pinned buffer of " + bytes.capacity());
        return host.withByteOffset(offset);
    }

    void putFloat(long index, float v) {
        bytes.putFloat(Math.toIntExact(4 * index), v);
    }

    void putInt(long index, int v) {
        bytes.putInt(Math.toIntExact(4 * index), v);
    }

    void putDouble(long index, double v) {
        bytes.putDouble(Math.toIntExact(8 * index), v);
    }

    /** Floats x[from, from+n) rounded to float32 into elements at, at+1, … (the one conversion). */
    void putFloats(long at, double[] x, int from, int n) {
        for (int i = 0; i < n; i++) putFloat(at + i, (float) x[from + i]);
    }

    void putInts(long at, int[] x) {
        for (int i = 0; i < x.length; i++) putInt(at + i, x[i]);
    }

    float getFloat(long index) {
        return bytes.getFloat(Math.toIntExact(4 * index));
    }

    double getDouble(long index) {
        return bytes.getDouble(Math.toIntExact(8 * index));
    }

    private void live() {
        if (freed) throw new IllegalStateException("pinned buffer used after close");
    }

    @Override
    public void close() {
        if (freed) return;
        freed = true;
        cuMemFreeHost(host);
    }
}
