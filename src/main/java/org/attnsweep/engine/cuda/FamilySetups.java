package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import org.attnsweep.data.RunData;

/**
 * Where batches get their runs' set-ups: the family set-up most recently used is kept on the
 * device, so consecutive batches of one family (a sweep's batches follow its plan, family by
 * family) share it; a run without a family gets its own, dropped after use. Holds the upload
 * stream (non-blocking, so its copies may overlap kernels on the default stream) and the event
 * that orders the default stream after its copies. At most two set-ups live at once, which is what
 * {@link Layout#setupBytes} reserves.
 */
final class FamilySetups implements AutoCloseable {
    private final CudaContext ctx;
    final CUstream upload = new CUstream();
    final CUevent uploaded = new CUevent();
    private FamilySetup kept;

    FamilySetups(CudaContext ctx) {
        this.ctx = ctx;
        ctx.makeCurrent();
        cuStreamCreate(upload, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuEventCreate(uploaded, CUevent_flags.CU_EVENT_DISABLE_TIMING);
    }

    /**
     * The set-up of head {@code head} of run {@code data} (0 for a one-head run, docs/math.md §7),
     * covering at least P training tokens and, for its family, the w_O kind of the run. Give it back
     * with {@link #release}.
     */
    FamilySetup acquire(RunData data, int P, int head) {
        ctx.makeCurrent();
        if (data.family() == null) return FamilySetup.ofRun(ctx, upload, uploaded, data, head);
        if (kept != null && kept.family == data.family() && kept.head == head && kept.P >= P) return kept;
        if (kept != null) kept.close();
        kept = null;
        kept = FamilySetup.ofFamily(ctx, upload, uploaded, data, P, head);
        return kept;
    }

    /** Done with a set-up: a family's is kept for the next batch, a run's own is freed. */
    void release(FamilySetup s) {
        if (s != kept) s.close();
    }

    @Override
    public void close() {
        ctx.makeCurrent();
        if (kept != null) kept.close();
        kept = null;
        cuEventDestroy(uploaded);
        cuStreamDestroy(upload);
    }
}
