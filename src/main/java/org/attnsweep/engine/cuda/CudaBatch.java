package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import jcuda.driver.CUdeviceptr;
import org.attnsweep.data.BatchOrder;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Metrics;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;
import org.attnsweep.engine.cuda.Kernels.Operand;

/**
 * A batch of R runs held on the device and trained with the exact span formulation of docs/math.md §4 in
 * float32: the same step as the vector engine's SpanBatchF32, as the kernels of kernels/.
 *
 * <p>Layout: run r's slice of every array starts at r·stride ({@link Layout}); per-token matrices
 * are token-major with q_j and k_j side by side in one 2m_k-wide row, so one GEMM updates both,
 * Q|K −= η G [α|β]. A step is eight launches; the losses of up to {@value #READ_EVERY} steps come
 * back to the host in one copy ({@link #steps}). Metrics are computed on the device as per-sample
 * values and assembled on the host by {@link Metrics#assemble}.
 *
 * <p>Heads (docs/math.md §7): a run of H heads takes H consecutive slots s = r·H + h of every array,
 * each slot one head's span state from that head's W(0), trained by the same kernels as a one-head
 * run; the one difference is the forward pass, in two launches around kernels/heads_sum.cu, so
 * that every head's loss and g are those of the run's f = Σ_h f_h. With H = 1 a slot is a run.
 *
 * <p>Set-up: a run's one-off projections (G, Q|K, u or V, and those of its test tokens and probes)
 * are a scaled slice of its family's, computed once on the device ({@link FamilySetup},
 * kernels/family_slice.cu); what the host still sends per run is its index maps, labels and
 * scalars, from pinned memory on the upload stream. The test tokens' projections Q|K(0)(s),
 * u(0)(s), V(0)(s) are copied once per group and read in place by the metrics as each run's slice.
 * All of it (zeroing, uploads, set-up products, slices) runs on the upload stream, so a batch may
 * be opened on another thread while the previous one steps on the default stream. Tokens and W(0)
 * are the ones {@code DataFactory} drew, so every engine sees identical data.
 */
final class CudaBatch implements EngineBatch {
    private final CudaContext ctx;
    private final Kernels k;
    private final FamilySetups setups;
    private final List<RunData> runs;   // per slot: the data of the slot's run (a run's H slots share it)
    private final Layout lay;
    private final int R, H, d, M, mk, mv, w, nMax, pMax, eMax, ntMax;
    private final int[] P;
    private final boolean[] learn;
    private final double[] target;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    /**
     * The stream the batch is prepared on (the engine's upload stream): its buffers zeroed, its
     * uploads, set-up products and slices, in order, while an earlier batch may step on the default
     * stream; the constructor returns once it is done, so stepping needs no further wait.
     */
    private final jcuda.driver.CUstream prep;

    // Per-run scalars (R each) and the run lists of a launch (3 slots of R).
    private final DeviceBuffer nOf, pOf, eOf, ntOf, trainWoOf, go, runList, etaOf, wo2Of, targetOf;
    // The loss of each run (model/Loss ordinal) and its batch size B (R each), and for batches with
    // mini-batch runs, which samples each step of a read-back stretch takes (READ_EVERY×R×N_max, 0/1).
    private final DeviceBuffer lossKindOf, bOf, inBatch;
    // Mini-batch runs' sample order (in a run's first slot; null for full batch and the other head
    // slots) and the updates each slot has taken.
    private final BatchOrder[] order;
    private final long[] updates;
    // Set-up: ‖μ‖ of each run (1 without a family) and the runs grouped by set-up (R each); each
    // run's set-up group, and the rows of its group's evaluation arrays before the probes (E_r − 2
    // for a family's run, E_r for a run that is its own unit), by which the metrics read the
    // group's Q|K(0)(s), u(0)(s), V(0)(s) as the run's slice (kernels/common.cuh's Base).
    private final DeviceBuffer muOf, setupRuns, groupOf, unitOf;
    // The groups' unit evaluation projections, group g at g·E_max rows: Q|K(0)(s), u(0)(s) (groups
    // with fixed w_O), V(0)(s) (with learnable w_O; null when no run learns it).
    private final DeviceBuffer QK0g, u0g, V0g;
    // Read-back: L of each run at each step of a stretch (READ_EVERY×R doubles) and its pinned host copy.
    private final DeviceBuffer lossHist;
    private final PinnedBuffer lossHost;
    // Training set: token indices, their CSR inverse, labels.
    private final DeviceBuffer map, occStart, occ, y;
    // Span state (docs/math.md §4). V and AV only when some run trains w_O.
    private final DeviceBuffer G, QK, AQK, AB, u, cV, gamma, h, wO, V, AV;
    // Attention forward outputs; fRun: a run's f = Σ_h f_h in each of its head slots (H > 1 only).
    private final DeviceBuffer f, g, c, D, lossTerm, fRun;
    // Test tokens and the probes μ₊, μ₋ (rows E_r−2, E_r−1).
    private final DeviceBuffer testMap, testY, QKe, Te, ue, Ve, fTest, dots;

    /** Steps between two read-backs of the losses: a stopped run recomputes its loss at most this often in vain. */
    static final int READ_EVERY = 32;

    CudaBatch(CudaContext ctx, FamilySlice slice, FamilySetups setups, List<RunData> data) {
        if (data.isEmpty()) throw new IllegalArgumentException("a batch needs at least one run");
        H = data.get(0).config().heads();
        if ((long) data.size() * H > CudaEngine.MAX_RUNS) {
            throw new IllegalArgumentException("a cuda batch holds at most " + CudaEngine.MAX_RUNS + " runs times heads (a grid dimension): got R="
                    + data.size() + ", H=" + H);
        }
        this.ctx = ctx;
        this.k = ctx.kernels();
        this.setups = setups;
        List<RunData> slots = new ArrayList<>();
        for (RunData rd : data) for (int h = 0; h < H; h++) slots.add(rd);
        this.runs = List.copyOf(slots);
        R = runs.size();
        RunConfig c0 = runs.get(0).config();
        d = c0.d();
        M = c0.M();
        mk = c0.mk();
        mv = c0.mv();
        w = 2 * mk;
        P = new int[R];
        learn = new boolean[R];
        target = new double[R];
        int[] N = new int[R], E = new int[R], NT = new int[R];
        order = new BatchOrder[R];
        updates = new long[R];
        boolean anyLearn = false, anyMini = false;
        for (int r = 0; r < R; r++) {
            RunData rd = runs.get(r);
            RunConfig c = rd.config();
            if (c.d() != d || c.M() != M || c.mk() != mk || c.mv() != mv) {
                throw new IllegalArgumentException("runs of a batch must share d, M, m_k, m_v: run 0 has d=" + d + ", M=" + M
                        + ", m_k=" + mk + ", m_v=" + mv + "; run " + r + " has d=" + c.d() + ", M=" + c.M() + ", m_k=" + c.mk()
                        + ", m_v=" + c.mv());
            }
            if (c.heads() != H) {
                throw new IllegalArgumentException("runs of a batch must share H: run 0 has H=" + H + "; run " + r / H + " has H=" + c.heads());
            }
            N[r] = rd.train().N();
            P[r] = rd.train().P();
            NT[r] = rd.test().N();
            E[r] = rd.test().P() + 2;
            learn[r] = c.trainWo();
            target[r] = c.targetLoss();
            anyLearn |= learn[r];
            if (c.miniBatch() && r % H == 0) order[r] = new BatchOrder(c);   // a run's head slots share its order
            anyMini |= c.miniBatch();
        }
        nMax = max(N);
        pMax = max(P);
        eMax = max(E);
        ntMax = max(NT);
        lay = new Layout(d, M, mk, mv, nMax, pMax, ntMax, eMax, anyLearn);
        CudaEngine.checkM(M, ctx.sharedPerBlock());
        List<int[]> groups = groups();
        // Each (family, head) group's arrays once, however many of the batch's runs share it.
        long families = groups.size() / H, need = lay.batchBytes(R / H, H, families), free = ctx.freeBytes();
        if (need > free) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "a cuda batch of R=%d runs (%d families) needs %.2f GiB of device memory; %.2f GiB are free, enough for %d runs of this shape",
                    R / H, families, need / 0x1p30, free / 0x1p30, lay.runsIn(free, H, families)));
        }
        ctx.makeCurrent();
        prep = setups.upload;
        PinnedBuffer staged = null;
        try {
            nOf = ints(R);
            pOf = ints(R);
            eOf = ints(R);
            ntOf = ints(R);
            trainWoOf = ints(R);
            go = ints(R);
            runList = ints(3L * R);
            etaOf = floats(R);
            wo2Of = floats(R);
            targetOf = doubles(R);
            lossKindOf = ints(R);
            bOf = ints(R);
            inBatch = anyMini ? ints((long) READ_EVERY * R * nMax) : null;
            muOf = floats(R);
            setupRuns = ints(R);
            groupOf = ints(R);
            unitOf = ints(R);
            QK0g = floats((long) groups.size() * lay.sQKe());
            u0g = floats((long) groups.size() * eMax);
            V0g = anyLearn ? floats((long) groups.size() * lay.sVe()) : null;
            lossHist = doubles((long) READ_EVERY * R);
            lossHost = new PinnedBuffer(8L * READ_EVERY * R);
            map = ints(R * lay.sSamples());
            occStart = ints(R * (pMax + 1L));
            occ = ints(R * lay.sSamples());
            y = floats((long) R * nMax);
            G = floats(R * lay.sG());
            QK = floats(R * lay.sQK());
            AQK = floats(R * lay.sQK());
            AB = floats(R * lay.sQK());
            u = floats((long) R * pMax);
            cV = floats((long) R * pMax);
            gamma = floats((long) R * pMax);
            h = floats((long) R * pMax);
            wO = floats((long) R * mv);
            V = anyLearn ? floats(R * lay.sV()) : null;
            AV = anyLearn ? floats(R * lay.sV()) : null;
            f = floats((long) R * nMax);
            fRun = H > 1 ? floats((long) R * nMax) : null;
            g = floats((long) R * nMax);
            c = floats(R * lay.sSamples());
            D = floats(R * lay.sD());
            lossTerm = doubles((long) R * nMax);
            testMap = ints(R * lay.sTestSamples());
            testY = floats((long) R * ntMax);
            QKe = floats(R * lay.sQKe());
            Te = floats(R * lay.sTe());
            ue = floats((long) R * eMax);
            Ve = anyLearn ? floats(R * lay.sVe()) : null;
            fTest = floats((long) R * ntMax);
            dots = floats(R * lay.sDots());
            staged = upload(N, E, NT, groups);
            setUp(slice, setups, groups);
            // Done when the upload stream is: only this (preparing) thread waits, not the batch stepping.
            cuStreamSynchronize(prep);
        } catch (RuntimeException e) {
            try {
                cuStreamSynchronize(prep);   // what is queued may still read the buffers freed below
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            close();
            throw e;
        } finally {
            if (staged != null) staged.close();
        }
    }

    /** Slot s's head h = s mod H (its run is s / H). */
    private int head(int s) {
        return s % H;
    }

    /** Slot s's initial weights: its head's W(0). */
    private Weights init(int s) {
        return runs.get(s).init().head(head(s));
    }

    /**
     * The slots grouped by set-up, in order of first appearance: a family's slots of one head together
     * (fixed w_O first, then learnable, so each kind is a contiguous run list), a slot without a
     * family alone. Each group is {first index into setupRuns, fixed count, learnable count, slots...}.
     */
    private List<int[]> groups() {
        Map<Object, List<Integer>> by = new LinkedHashMap<>();
        for (int r = 0; r < R; r++) {
            Object key = runs.get(r).family() != null ? List.of(runs.get(r).family(), head(r)) : Integer.valueOf(r);
            by.computeIfAbsent(key, x -> new ArrayList<>()).add(r);
        }
        List<int[]> out = new ArrayList<>();
        int at = 0;
        for (List<Integer> g : by.values()) {
            int[] e = new int[3 + g.size()];
            e[0] = at;
            int i = 3;
            for (int r : g) if (!learn[r]) e[i++] = r;
            e[1] = i - 3;
            for (int r : g) if (learn[r]) e[i++] = r;
            e[2] = g.size() - e[1];
            out.add(e);
            at += g.size();
        }
        return out;
    }

    private static int max(int[] a) {
        int m = 0;
        for (int v : a) m = Math.max(m, v);
        return m;
    }

    private DeviceBuffer ints(long n) {
        return keep(ctx.alloc(n * Integer.BYTES, prep));
    }

    private DeviceBuffer floats(long n) {
        return keep(ctx.alloc(n * Float.BYTES, prep));
    }

    private DeviceBuffer doubles(long n) {
        return keep(ctx.alloc(n * Double.BYTES, prep));
    }

    private DeviceBuffer keep(DeviceBuffer b) {
        buffers.add(b);
        return b;
    }

    /**
     * Per-run scalars, training and test index maps and labels, and the set-up grouping: written
     * once into pinned memory and copied on the upload stream; the default stream waits for them.
     * Returns the pinned block, to be freed once the copies are done.
     */
    private PinnedBuffer upload(int[] N, int[] E, int[] NT, List<int[]> groups) {
        int[] trainWo = new int[R], order = new int[R], lossKind = new int[R], B = new int[R], group = new int[R], unit = new int[R];
        float[] eta = new float[R], wo2 = new float[R], mu = new float[R];
        double[] tgt = target.clone();
        int[] mapAll = new int[Math.toIntExact(R * lay.sSamples())], occAll = new int[mapAll.length];
        int[] startAll = new int[Math.toIntExact(R * (pMax + 1L))];
        int[] testMapAll = new int[Math.toIntExact(R * lay.sTestSamples())];
        float[] yAll = new float[R * nMax], testYAll = new float[R * ntMax];
        for (int gi = 0; gi < groups.size(); gi++) {
            int[] g = groups.get(gi);
            // ‖w_O(0)‖² as float32 entries summed in float64: once per group, as its runs share w_O(0).
            double s = 0;
            for (double v : init(g[3]).wO()) s += (float) v * (float) v;
            for (int i = 3; i < g.length; i++) {
                order[g[0] + i - 3] = g[i];
                wo2[g[i]] = (float) s;
                group[g[i]] = gi;
            }
        }
        for (int r = 0; r < R; r++) {
            RunData rd = runs.get(r);
            RunConfig cfg = rd.config();
            trainWo[r] = learn[r] ? 1 : 0;
            lossKind[r] = cfg.loss().ordinal();
            B[r] = cfg.batchSize();
            eta[r] = (float) cfg.lr();
            mu[r] = rd.family() != null ? (float) cfg.mu() : 1f;
            unit[r] = E[r] - (rd.family() != null ? 2 : 0);
            TokenSet tr = rd.train();
            int base = Math.toIntExact(r * lay.sSamples());
            System.arraycopy(tr.map(), 0, mapAll, base, tr.map().length);
            for (int n = 0; n < tr.N(); n++) yAll[r * nMax + n] = tr.y()[n];
            occurrences(tr.map(), P[r], startAll, r * (pMax + 1), occAll, base);
            TokenSet te = rd.test();
            System.arraycopy(te.map(), 0, testMapAll, Math.toIntExact(r * lay.sTestSamples()), te.map().length);
            for (int n = 0; n < te.N(); n++) testYAll[r * ntMax + n] = te.y()[n];
        }
        // The doubles first, so they sit 8-byte aligned.
        Object[] src = {tgt, N, P, E, NT, trainWo, order, group, unit, lossKind, B, eta, wo2, mu, mapAll, occAll, startAll, testMapAll,
                yAll, testYAll};
        DeviceBuffer[] dst = {targetOf, nOf, pOf, eOf, ntOf, trainWoOf, setupRuns, groupOf, unitOf, lossKindOf, bOf, etaOf, wo2Of, muOf,
                map, occ, occStart, testMap, y, testY};
        long bytes = 0;
        for (Object a : src) bytes += a instanceof double[] x ? 8L * x.length : 4L * java.lang.reflect.Array.getLength(a);
        PinnedBuffer host = new PinnedBuffer(bytes);
        long at = 0;
        for (int i = 0; i < src.length; i++) {
            long n;
            switch (src[i]) {
                case int[] x -> {
                    host.putInts(at / 4, x);
                    n = 4L * x.length;
                }
                case float[] x -> {
                    for (int j = 0; j < x.length; j++) host.putFloat(at / 4 + j, x[j]);
                    n = 4L * x.length;
                }
                case double[] x -> {
                    for (int j = 0; j < x.length; j++) host.putDouble(at / 8 + j, x[j]);
                    n = 8L * x.length;
                }
                default -> throw new IllegalStateException("unexpected staged array " + src[i].getClass());
            }
            dst[i].putAsync(host, at, 0, n, setups.upload);
            at += n;
        }
        return host;
    }

    /**
     * The CSR inverse of a token map, for gather: the occurrences n·M + p of token j, in increasing
     * order, are occ[start[j] .. start[j+1]). Entries past P point at the end.
     */
    private void occurrences(int[] tokenMap, int tokens, int[] start, int s0, int[] occOut, int o0) {
        int[] next = new int[tokens + 1];
        for (int j : tokenMap) next[j + 1]++;
        for (int j = 0; j < tokens; j++) next[j + 1] += next[j];
        for (int j = 0; j <= pMax; j++) start[s0 + j] = next[Math.min(j, tokens)];
        for (int o = 0; o < tokenMap.length; o++) occOut[o0 + next[tokenMap[o]]++] = o;
    }

    /**
     * The one-off projections of docs/math.md §4 of every run, group by group: G = TᵀT, Q|K = W(0) T, u (fixed
     * w_O) or V (learnable w_O), and for the test tokens and probes S: Tᵀs, each a slice of the group's
     * set-up scaled by the run's ‖μ‖; w_O(0) copied. The evaluation projections Q|K(0)(s), u(0)(s),
     * V(0)(s) are not sliced per run: the group's unit arrays are copied once into the batch and the
     * metrics read them as each run's slice.
     */
    private void setUp(FamilySlice slice, FamilySetups setups, List<int[]> groups) {
        for (int gi = 0; gi < groups.size(); gi++) {
            int[] g = groups.get(gi);
            int count = g.length - 3, fixed = g[1], learnable = g[2], pG = 0, eG = 0;
            for (int i = 3; i < g.length; i++) {
                pG = Math.max(pG, P[g[i]]);
                eG = Math.max(eG, runs.get(g[i]).test().P() + 2);
            }
            FamilySetup s = setups.acquire(runs.get(g[3]), pG, head(g[3]), lay.keptSetupBytes(H));
            try {
                CUdeviceptr all = setupRuns.at(g[0], Integer.BYTES), fix = all, lrn = setupRuns.at(g[0] + fixed, Integer.BYTES);
                slice.launch(all, count, pG, pOf.ptr(), pOf.ptr(), 0, false, s.G.ptr(), s.P, G.ptr(), lay.sG(), pMax, muOf.ptr(), true, prep);
                slice.launch(all, count, pG, pOf.ptr(), null, w, false, s.QK.ptr(), w, QK.ptr(), lay.sQK(), w, muOf.ptr(), false, prep);
                QK0g.copyFromAsync(s.QK0e, gi * lay.sQKe() * Float.BYTES, 4L * s.E * w, prep);
                slice.launch(all, count, eG, eOf.ptr(), pOf.ptr(), 0, s.probes, s.Te.ptr(), s.P, Te.ptr(), lay.sTe(), pMax, muOf.ptr(), true, prep);
                slice.launch(all, count, 1, null, null, mv, false, s.wO.ptr(), mv, wO.ptr(), mv, mv, null, false, prep);
                if (fixed > 0) {
                    slice.launch(fix, fixed, pG, pOf.ptr(), null, 1, false, s.u().ptr(), 1, u.ptr(), pMax, 1, muOf.ptr(), false, prep);
                    u0g.copyFromAsync(s.u0e(), (long) gi * eMax * Float.BYTES, 4L * s.E, prep);
                }
                if (learnable > 0) {
                    slice.launch(lrn, learnable, pG, pOf.ptr(), null, mv, false, s.V().ptr(), mv, V.ptr(), lay.sV(), mv, muOf.ptr(), false, prep);
                    V0g.copyFromAsync(s.V0e(), gi * lay.sVe() * Float.BYTES, 4L * s.E * mv, prep);
                }
            } finally {
                setups.release(s);
            }
        }
    }

    /** Run r's slice of the group unit arrays in {@code b} (group g at g·stride): its group, probes and ‖μ‖. */
    private Kernels.Base unitSlice(DeviceBuffer b, long stride) {
        return new Kernels.Base(b.ptr(), stride, groupOf.ptr(), unitOf.ptr(), muOf.ptr());
    }

    /** A batched operand: run r at r·stride of {@code b}. */
    private static Operand all(DeviceBuffer b, long stride, int ld) {
        return new Operand(b.ptr(), stride, ld);
    }

    /** Uploads the runs r with keep(r) into list slot {@code slot}; returns how many. */
    private int list(int slot, IntPredicate keep) {
        int[] ids = new int[R];
        int n = 0;
        for (int r = 0; r < R; r++) if (keep.test(r)) ids[n++] = r;
        if (n > 0) runList.put(java.util.Arrays.copyOf(ids, n), (long) slot * R);
        return n;
    }

    private CUdeviceptr listAt(int slot) {
        return runList.at((long) slot * R, Integer.BYTES);
    }

    @Override
    public int size() {
        return R / H;
    }

    @Override
    public void step(boolean[] active, double[] loss) {
        steps(active, 1, target, new double[][] {loss});
    }

    /**
     * k steps with one copy of losses to the host per {@value #READ_EVERY}: a run the device stops
     * (loss below target or not finite: loss_reduce clears its go flag, so no kernel updates it) is
     * frozen with the weights of its stop step, and recomputes the same loss at the stretch's later
     * steps, as its inputs no longer change; the host reads its loss at the stop step and lists it
     * no more. Stop steps, losses and weights are those of k single steps. The runs' targets are
     * the device's copy of their configs' (the same as {@code targets}).
     */
    @Override
    public void steps(boolean[] active, int k, double[] targets, double[][] loss) {
        ctx.makeCurrent();
        // Per slot; a run's head slots share its loss (of the summed f), so they stop together.
        boolean[] on = new boolean[R];
        for (int s = 0; s < R; s++) on[s] = active[s / H];
        for (int done = 0; done < k; ) {
            int n = list(0, r -> on[r]);
            if (n == 0) return;
            CUdeviceptr ids = listAt(0);
            int heads = H > 1 ? list(1, r -> on[r] && head(r) == 0) : 0;
            int m = Math.min(READ_EVERY, k - done);
            if (inBatch != null) uploadBatches(on, m);
            for (int i = 0; i < m; i++) {
                launchStep(ids, n, listAt(1), heads, lossHist.at((long) i * R, Double.BYTES),
                        inBatch == null ? null : inBatch.at((long) i * R * nMax, Integer.BYTES));
            }
            lossHist.getAsync(lossHost, 0, 0, 8L * m * R, null);
            cuStreamSynchronize(null);
            for (int r = 0; r < R; r++) {
                for (int i = 0; i < m && on[r]; i++) {
                    double l = lossHost.getDouble((long) i * R + r);
                    if (head(r) == 0) loss[done + i][r / H] = l;
                    if (!(Double.isFinite(l) && l >= target[r])) on[r] = false;
                    else updates[r]++;
                }
            }
            done += m;
        }
    }

    /**
     * The samples of the next m steps of every listed mini-batch run (docs/math.md §8): step i of the
     * stretch is the run's update {@code updates[r] + i} (a run that stops within the stretch takes no
     * more, so the rows past its stop are never used). Full-batch runs' rows say every sample. A
     * run's head slots take the same samples: its first slot's rows, drawn once, are copied.
     */
    private void uploadBatches(boolean[] on, int m) {
        int[] rows = new int[m * R * nMax], b = new int[nMax];
        for (int r = 0; r < R; r++) {
            if (!on[r]) continue;
            for (int i = 0; i < m; i++) {
                int at = (i * R + r) * nMax;
                if (head(r) > 0) {
                    System.arraycopy(rows, at - head(r) * nMax, rows, at, nMax);
                    continue;
                }
                if (order[r] == null) {
                    java.util.Arrays.fill(rows, at, at + runs.get(r).train().N(), 1);
                    continue;
                }
                order[r].batch(updates[r] + i, b);
                for (int j = 0; j < order[r].size(); j++) rows[at + b[j]] = 1;
            }
        }
        inBatch.put(rows, 0);
    }

    /**
     * One step's launches for the n slots listed at ids (and, with H > 1, the first slots of their
     * runs listed at firsts, count of them); their losses L go to {@code L} (R doubles);
     * {@code batch} says which samples each run's step takes (null: all).
     */
    private void launchStep(CUdeviceptr ids, int n, CUdeviceptr firsts, int count, CUdeviceptr L, CUdeviceptr batch) {
        if (lay.learnable()) k.scalarizeV(ids, n, trainWoOf.ptr(), pOf.ptr(), pMax, mv, V.ptr(), wO.ptr(), u.ptr());
        if (H > 1) {
            // Every head's f_h, their sum f per run, then the heads' forward again with the loss and g of f.
            k.attentionForward(ids, n, nOf.ptr(), nMax, M, mk, map.ptr(), QK.ptr(), lay.sQK(), u.ptr(), pMax, y.ptr(),
                    lossKindOf.ptr(), bOf.ptr(), null, f.ptr(), null, null, null, null, null);
            k.headsSum(firsts, count, nOf.ptr(), nMax, H, f.ptr(), fRun.ptr());
        }
        k.attentionForward(ids, n, nOf.ptr(), nMax, M, mk, map.ptr(), QK.ptr(), lay.sQK(), u.ptr(), pMax, y.ptr(),
                lossKindOf.ptr(), bOf.ptr(), batch, f.ptr(), lossTerm.ptr(), g.ptr(), c.ptr(), D.ptr(), H > 1 ? fRun.ptr() : null);
        k.lossReduce(ids, n, nOf.ptr(), nMax, lossTerm.ptr(), targetOf.ptr(), L, go.ptr());
        k.gather(ids, n, go.ptr(), nOf.ptr(), pOf.ptr(), pMax, nMax, M, mk, occStart.ptr(), occ.ptr(), map.ptr(), D.ptr(), g.ptr(),
                c.ptr(), QK.ptr(), lay.sQK(), etaOf.ptr(), trainWoOf.ptr(), AB.ptr(), AQK.ptr(), gamma.ptr(), cV.ptr());
        // Q|K −= η G [α|β], in place.
        k.gemm(false, ids, n, go.ptr(), pOf.ptr(), pOf.ptr(), pMax, pMax, w, all(G, lay.sG(), pMax),
                all(AB, lay.sQK(), w), Kernels.Base.of(QK.ptr(), lay.sQK()), all(QK, lay.sQK(), w), etaOf.ptr(), -1f);
        k.valueGram(ids, n, go.ptr(), pOf.ptr(), pMax, G.ptr(), gamma.ptr(), etaOf.ptr(), wo2Of.ptr(), trainWoOf.ptr(),
                h.ptr(), u.ptr());
        if (lay.learnable()) {
            k.valueUpdate(ids, n, go.ptr(), trainWoOf.ptr(), pOf.ptr(), pMax, mv, gamma.ptr(), h.ptr(), etaOf.ptr(),
                    V.ptr(), AV.ptr(), wO.ptr());
        }
    }

    @Override
    public void metrics(boolean[] which, double[][] out) {
        ctx.makeCurrent();
        int count = list(0, r -> which[r / H]);
        if (count == 0) return;
        int fixed = list(1, r -> which[r / H] && !learn[r]);
        int learnable = list(2, r -> which[r / H] && learn[r]);
        CUdeviceptr ids = listAt(0);
        Operand te = all(Te, lay.sTe(), pMax);
        if (lay.learnable()) k.scalarizeV(listAt(2), learnable, trainWoOf.ptr(), pOf.ptr(), pMax, mv, V.ptr(), wO.ptr(), u.ptr());
        k.attentionForward(ids, count, nOf.ptr(), nMax, M, mk, map.ptr(), QK.ptr(), lay.sQK(), u.ptr(), pMax, y.ptr(),
                lossKindOf.ptr(), bOf.ptr(), null, f.ptr(), null, null, c.ptr(), null, null);
        // Test tokens and probes s: Q|K(s) = Q|K(0)(s) + (Tᵀs)ᵀ A_Q|K, and likewise u(s) (docs/math.md §4).
        // Q|K(0)(s) etc. are the run's slice of its group's unit arrays, read in place.
        k.gemm(false, ids, count, null, eOf.ptr(), pOf.ptr(), eMax, pMax, w, te, all(AQK, lay.sQK(), w), unitSlice(QK0g, lay.sQKe()),
                all(QKe, lay.sQKe(), w), null, 1f);
        // Fixed w_O: u(s) = u(0)(s) + ‖w_O‖² (Tᵀs)ᵀ c_V, since A_V = w_O c_Vᵀ.
        k.gemv(false, listAt(1), fixed, eOf.ptr(), pOf.ptr(), eMax, pMax, te, cV.ptr(), pMax, unitSlice(u0g, eMax), ue.ptr(), eMax,
                wo2Of.ptr(), 1f);
        if (lay.learnable()) {
            k.gemm(false, listAt(2), learnable, null, eOf.ptr(), pOf.ptr(), eMax, pMax, mv, te, all(AV, lay.sV(), mv),
                    unitSlice(V0g, lay.sVe()), all(Ve, lay.sVe(), mv), null, 1f);
            k.scalarizeV(listAt(2), learnable, trainWoOf.ptr(), eOf.ptr(), eMax, mv, Ve.ptr(), wO.ptr(), ue.ptr());
        }
        k.attentionForward(ids, count, ntOf.ptr(), ntMax, M, mk, testMap.ptr(), QKe.ptr(), lay.sQKe(), ue.ptr(), eMax,
                testY.ptr(), lossKindOf.ptr(), bOf.ptr(), null, fTest.ptr(), null, null, null, null, null);
        k.metricDots(ids, count, nOf.ptr(), eOf.ptr(), nMax, pMax, eMax, M, mk, map.ptr(), QK.ptr(), u.ptr(), QKe.ptr(),
                ue.ptr(), dots.ptr());

        float[] fh = new float[R * nMax], ch = new float[Math.toIntExact(R * lay.sSamples())];
        float[] fth = new float[R * ntMax], dh = new float[Math.toIntExact(R * lay.sDots())];
        f.get(fh, 0);
        c.get(ch, 0);
        fTest.get(fth, 0);
        dots.get(dh, 0);
        // A run's parts from its H head slots as Metrics.compute combines heads (docs/math.md §7): f and
        // the values u summed over heads, the attention and q·k averaged; with H = 1 the slot's own.
        // Each head's own values too (H > 1, when out asks for them): the numbers combined here.
        for (int run = 0; run < R / H; run++) {
            if (!which[run]) continue;
            RunData rd = runs.get(run * H);
            int N = rd.train().N(), NT = rd.test().N();
            double[] fTrain = new double[N], sig = new double[N], noise = new double[N], ft = new double[NT];
            double[] uNoise = new double[N], sn = new double[N], ns = new double[N], nn = new double[N];
            double uPos = 0, uNeg = 0, qkSS = 0;
            Metrics.Values[] heads = H > 1 && out[run].length >= Metric.width(H) ? new Metrics.Values[H] : null;
            for (int r = run * H; r < (run + 1) * H; r++) {
                int dr = Math.toIntExact(r * lay.sDots());
                double[] hSig = new double[N], hNoise = new double[N], hu = new double[N];
                double[] hsn = new double[N], hns = new double[N], hnn = new double[N];
                for (int n = 0; n < N; n++) {
                    fTrain[n] += fh[r * nMax + n];
                    int cn = Math.toIntExact(r * lay.sSamples()) + n * M;
                    hSig[n] = ch[cn];
                    hNoise[n] = ch[cn + 1];
                    hsn[n] = dh[dr + 4 * n];
                    hns[n] = dh[dr + 4 * n + 1];
                    hnn[n] = dh[dr + 4 * n + 2];
                    hu[n] = dh[dr + 4 * n + 3];
                    sig[n] += hSig[n] / H;
                    noise[n] += hNoise[n] / H;
                    sn[n] += hsn[n] / H;
                    ns[n] += hns[n] / H;
                    nn[n] += hnn[n] / H;
                    uNoise[n] += hu[n];
                }
                for (int n = 0; n < NT; n++) ft[n] += fth[r * ntMax + n];
                int pr = dr + 4 * nMax;
                uPos += dh[pr + 1];
                uNeg += dh[pr + 2];
                qkSS += (double) dh[pr] / H;
                if (heads != null) heads[r - run * H] = new Metrics.Values(hSig, hNoise, hu, hsn, hns, hnn, dh[pr + 1], dh[pr + 2], dh[pr]);
            }
            Metrics.assemble(rd.config(), rd.train(), rd.test(), new Metrics.Parts(fTrain, ft,
                    new Metrics.Values(sig, noise, uNoise, sn, ns, nn, uPos, uNeg, qkSS), heads), out[run]);
        }
    }

    /** W = W(0) + Aᵀ T in float64, from A_Q|A_K and A_V (= w_O c_Vᵀ for fixed w_O), head by head. */
    @Override
    public Weights weights(int run) {
        ctx.makeCurrent();
        List<Weights> heads = new ArrayList<>(H);
        for (int r = run * H; r < (run + 1) * H; r++) heads.add(slotWeights(r));
        return Weights.stack(heads);
    }

    /** Slot r's weights: one head's. */
    private Weights slotWeights(int r) {
        RunData rd = runs.get(r);
        int Pr = P[r];
        float[] aqk = new float[Pr * w], wo = new float[mv], av = new float[learn[r] ? Pr * mv : Pr];
        AQK.get(aqk, r * lay.sQK());
        wO.get(wo, (long) r * mv);
        if (learn[r]) AV.get(av, r * lay.sV());
        else cV.get(av, (long) r * pMax);
        Weights w0 = init(r);
        double[] T = rd.train().tokens();
        double[] WQ = w0.WQ().clone(), WK = w0.WK().clone(), WV = w0.WV().clone();
        for (int j = 0; j < Pr; j++) {
            for (int i = 0; i < mk; i++) {
                double aq = aqk[j * w + i], ak = aqk[j * w + mk + i];
                for (int x = 0; x < d; x++) {
                    WQ[i * d + x] += aq * T[j * d + x];
                    WK[i * d + x] += ak * T[j * d + x];
                }
            }
            for (int i = 0; i < mv; i++) {
                double a = learn[r] ? av[j * mv + i] : (double) wo[i] * av[j];
                for (int x = 0; x < d; x++) WV[i * d + x] += a * T[j * d + x];
            }
        }
        double[] wod = new double[mv];
        for (int i = 0; i < mv; i++) wod[i] = wo[i];
        return new Weights(d, mk, mv, WQ, WK, WV, wod);
    }

    @Override
    public void close() {
        if (buffers.isEmpty()) return;
        ctx.makeCurrent();
        if (lossHost != null) lossHost.close();
        for (int i = buffers.size() - 1; i >= 0; i--) buffers.get(i).close();
        buffers.clear();
    }
}
