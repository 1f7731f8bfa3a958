package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;

/**
 * Device time per kernel, for benchmarks: while installed ({@link #install}) every launch of
 * {@link Kernels} is bracketed by two CUDA events on the default stream, and {@link #drain} sums
 * the elapsed times per kernel file. The events serialise nothing (the stream is in order anyway)
 * but cost a few microseconds of host time per launch, so it stays off outside benchmarks.
 */
public final class KernelTimer implements AutoCloseable {
    private record Mark(String kernel, CUevent start, CUevent end) {
    }

    private final List<Mark> pending = new ArrayList<>();
    private final List<CUevent> free = new ArrayList<>();
    private String open;
    private CUevent openStart;

    private KernelTimer() {
    }

    /** Starts timing every launch in this process (the current context must be the engine's). */
    public static KernelTimer install() {
        KernelTimer t = new KernelTimer();
        Kernels.timer = t;
        return t;
    }

    private CUevent event() {
        if (!free.isEmpty()) return free.removeLast();
        CUevent e = new CUevent();
        cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
        return e;
    }

    void start(String kernel) {
        open = kernel;
        openStart = event();
        cuEventRecord(openStart, null);
    }

    void stop() {
        CUevent end = event();
        cuEventRecord(end, null);
        pending.add(new Mark(open, openStart, end));
    }

    /** Waits for the device and returns the seconds per kernel since the last drain (in first-launch order). */
    public Map<String, Double> drain() {
        cuCtxSynchronize();
        float[] ms = new float[1];
        Map<String, Double> out = new LinkedHashMap<>();
        for (Mark m : pending) {
            cuEventElapsedTime(ms, m.start(), m.end());
            out.merge(m.kernel(), ms[0] * 1e-3, Double::sum);
            free.add(m.start());
            free.add(m.end());
        }
        pending.clear();
        return out;
    }

    /** Stops timing and frees the events. */
    @Override
    public void close() {
        if (Kernels.timer == this) Kernels.timer = null;
        drain();
        for (CUevent e : free) cuEventDestroy(e);
        free.clear();
    }
}
