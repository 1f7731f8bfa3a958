package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;

import java.util.LinkedHashMap;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import org.attnsweep.data.Family;
import org.attnsweep.data.RunData;

/**
 * Where batches get their runs' set-ups: family set-ups (one per family and head, docs/math.md
 * §7) are kept on the device, least recently used dropped first, within a byte bound the opening
 * batch gives: H set-ups of its shape ({@link Layout#keptSetupBytes}), so every head of a family
 * survives from one batch to the next (a sweep's batches follow its plan, family by family) and
 * the runs of a multi-head sweep project each head once, not once per batch. A run without a
 * family gets its own, dropped after use. Counts the family set-ups made and reused. Holds the
 * upload stream (non-blocking, so its copies may overlap kernels on the default stream) and the
 * event that orders the default stream after its copies.
 */
final class FamilySetups implements AutoCloseable {
    private final CudaContext ctx;
    final CUstream upload = new CUstream();
    final CUevent uploaded = new CUevent();
    /** Kept family set-ups by (family, head), in order of last use (the eldest first). */
    private final LinkedHashMap<Key, FamilySetup> kept = new LinkedHashMap<>(16, 0.75f, true);
    private long keptBytes, made, reused;

    /** A family by identity (Family has no value equality) and a head. */
    private record Key(Family family, int head) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.family == family && k.head == head;
        }

        @Override
        public int hashCode() {
            return 31 * System.identityHashCode(family) + head;
        }
    }

    FamilySetups(CudaContext ctx) {
        this.ctx = ctx;
        ctx.makeCurrent();
        cuStreamCreate(upload, CUstream_flags.CU_STREAM_NON_BLOCKING);
        cuEventCreate(uploaded, CUevent_flags.CU_EVENT_DISABLE_TIMING);
    }

    /**
     * The set-up of head {@code head} of run {@code data} (0 for a one-head run, docs/math.md §7),
     * covering at least P training tokens. A family's is made unless kept; making one first drops
     * the least recently used kept set-ups until what stays, with it, fits in {@code bound} bytes
     * (all of them if it is larger alone). Give it back with {@link #release}.
     */
    FamilySetup acquire(RunData data, int P, int head, long bound) {
        ctx.makeCurrent();
        if (data.family() == null) return FamilySetup.ofRun(ctx, upload, uploaded, data, head);
        Key key = new Key(data.family(), head);
        FamilySetup s = kept.get(key);
        if (s != null && s.P >= P) {
            reused++;
            return s;
        }
        if (s != null) drop(key);
        long need = FamilySetup.bytesOf(data, P);
        for (var it = kept.entrySet().iterator(); it.hasNext() && keptBytes + need > bound; ) {
            FamilySetup old = it.next().getValue();
            it.remove();
            keptBytes -= old.bytes();
            old.close();
        }
        s = FamilySetup.ofFamily(ctx, upload, uploaded, data, P, head);
        kept.put(key, s);
        keptBytes += s.bytes();
        made++;
        return s;
    }

    private void drop(Key key) {
        FamilySetup s = kept.remove(key);
        keptBytes -= s.bytes();
        s.close();
    }

    /** Done with a set-up: a family's stays kept, a run's own is freed. */
    void release(FamilySetup s) {
        if (s.family == null) s.close();
    }

    /** Family set-ups made since the engine opened. */
    long made() {
        return made;
    }

    /** Times a batch took a kept family set-up instead of making one. */
    long reused() {
        return reused;
    }

    /** Family set-ups kept now, and their device bytes. */
    int keptCount() {
        return kept.size();
    }

    long keptBytes() {
        return keptBytes;
    }

    @Override
    public void close() {
        ctx.makeCurrent();
        for (FamilySetup s : kept.values()) s.close();
        kept.clear();
        keptBytes = 0;
        cuEventDestroy(uploaded);
        cuStreamDestroy(upload);
    }
}
