package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamWaitEvent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import org.attnsweep.engine.cuda.Kernels.Operand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * native/cuda-emu honours streams and events as the engine relies on them, and no more: work on a
 * created stream (copies, memsets, launches) waits until the host makes it run (synchronising the
 * stream, an event recorded in it, the default stream waiting on such an event), in order, with
 * the parameters of the launch and the host memory as they are when it runs. So a missing wait in
 * the engine gives wrong numbers under emulation (CudaPrepareOverlapTest relies on it). Runs only
 * against the emulated driver (on a GPU the unsynchronised reads below would race), skipped elsewhere.
 */
class EmulatorStreamTest {
    private static EmulatedDriver emu;
    private static CudaContext ctx;
    private CUstream stream;
    private CUevent event;

    @BeforeAll
    static void open() {
        emu = EmulatedDriver.open("EmulatorStreamTest");
        ctx = emu.ctx;
    }

    @AfterAll
    static void shut() {
        emu.close();
    }

    @BeforeEach
    void streams() {
        emu.require();
        stream = new CUstream();
        event = new CUevent();
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuEventCreate(event, CUevent_flags.CU_EVENT_DISABLE_TIMING);
    }

    @AfterEach
    void destroy() {
        if (stream == null) return;
        cuEventDestroy(event);
        cuStreamDestroy(stream);
    }

    private static float[] read(DeviceBuffer b, int n) {
        float[] out = new float[n];
        b.get(out, 0);
        return out;
    }

    @Test
    void aCopyOnAStreamRunsWhenTheDefaultStreamWaitsForItsEvent() {
        try (DeviceBuffer d = ctx.alloc(16); PinnedBuffer h = new PinnedBuffer(16)) {
            for (int i = 0; i < 4; i++) h.putFloat(i, i + 1);
            d.putAsync(h, 0, 0, 16, stream);
            h.putFloat(3, 40);   // the copy reads the host memory when it runs, not when it is queued
            assertArrayEquals(new float[4], read(d, 4), "queued, not run: the default stream has not waited");
            cuEventRecord(event, stream);
            cuStreamWaitEvent(null, event, 0);
            assertArrayEquals(new float[] {1, 2, 3, 40}, read(d, 4));
        }
    }

    @Test
    void workAfterAnEventStaysQueuedUntilItsTurn() {
        try (DeviceBuffer d = ctx.alloc(8); PinnedBuffer h = new PinnedBuffer(8)) {
            h.putFloat(0, 5);
            h.putFloat(1, 6);
            d.putAsync(h, 0, 0, 4, stream);
            cuEventRecord(event, stream);
            d.putAsync(h, 4, 4, 4, stream);
            cuEventSynchronize(event);
            assertArrayEquals(new float[] {5, 0}, read(d, 2), "only the work before the event has run");
            cuStreamSynchronize(stream);
            assertArrayEquals(new float[] {5, 6}, read(d, 2));
        }
    }

    @Test
    void aLaunchOnAStreamRunsInOrderWithItsParametersAsLaunched() {
        // y = A x with A = [[1, 2], [3, 4]]: x is uploaded on the stream before the launch, and the
        // zero-fill of y (a memset on the stream) comes before both.
        Kernels k = ctx.kernels().on(stream);
        try (DeviceBuffer A = ctx.alloc(16); DeviceBuffer x = ctx.alloc(8); DeviceBuffer y = ctx.alloc(8, stream); PinnedBuffer h = new PinnedBuffer(24)) {
            A.put(new float[] {1, 2, 3, 4}, 0);
            h.putFloat(0, 1);
            h.putFloat(1, 10);
            x.putAsync(h, 0, 0, 8, stream);
            y.put(new float[] {7, 7}, 0);   // on the default stream, now; the queued memset clears it later
            k.gemv(false, null, 1, null, null, 2, 2, new Operand(A.ptr(), 0, 2), x.ptr(), 0, null, y.ptr(), 0, null, 1f);
            assertArrayEquals(new float[] {7, 7}, read(y, 2), "nothing of the stream has run yet");
            cuStreamSynchronize(stream);
            assertArrayEquals(new float[] {21, 43}, read(y, 2));
        }
    }
}
