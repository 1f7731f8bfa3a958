package org.attnsweep.engine.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import jcuda.driver.CUdeviceptr;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Metrics;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;
import org.attnsweep.engine.cuda.Kernels.Operand;

/**
 * A batch of R runs held on the device and trained with the exact span formulation of SPEC §4 in
 * float32: the same step as the vector engine's SpanBatchF32, as the kernels of kernels/.
 *
 * <p>Layout: run r's slice of every array starts at r·stride ({@link Layout}); per-token matrices
 * are token-major with q_j and k_j side by side in one 2m_k-wide row, so one GEMM updates both,
 * Q|K −= η G [α|β]. A step is eight launches and one copy of R losses back to the host; metrics are
 * computed on the device as per-sample values and assembled on the host by {@link Metrics#assemble}.
 *
 * <p>Data: tokens and initial weights are the ones {@code DataFactory} drew on CPU threads, uploaded
 * once and projected on the device at set-up; the simplest way to give every engine identical data.
 */
final class CudaBatch implements EngineBatch {
    private final CudaContext ctx;
    private final Kernels k;
    private final List<RunData> runs;
    private final Layout lay;
    private final int R, d, M, mk, mv, w, nMax, pMax, eMax, ntMax;
    private final int[] P;
    private final boolean[] learn;
    private final List<DeviceBuffer> buffers = new ArrayList<>();

    // Per-run scalars (R each) and the run lists of a launch (3 slots of R).
    private final DeviceBuffer nOf, pOf, eOf, ntOf, trainWoOf, go, runList, etaOf, wo2Of, targetOf, lossOf;
    // Training set: token indices, their CSR inverse, labels.
    private final DeviceBuffer map, occStart, occ, y;
    // Span state (SPEC §4). V and AV only when some run trains w_O.
    private final DeviceBuffer G, QK, AQK, AB, u, cV, gamma, h, wO, V, AV;
    // Attention forward outputs.
    private final DeviceBuffer f, g, c, D, lossTerm;
    // Test tokens and the probes μ₊, μ₋ (rows E_r−2, E_r−1).
    private final DeviceBuffer testMap, testY, QK0e, QKe, Te, u0e, ue, V0e, Ve, fTest, dots;
    private final double[] hostLoss;

    CudaBatch(CudaContext ctx, List<RunData> data) {
        if (data.isEmpty()) throw new IllegalArgumentException("a batch needs at least one run");
        if (data.size() > CudaEngine.MAX_RUNS) {
            throw new IllegalArgumentException("a cuda batch holds at most " + CudaEngine.MAX_RUNS + " runs (a grid dimension): got R=" + data.size());
        }
        this.ctx = ctx;
        this.k = ctx.kernels();
        this.runs = List.copyOf(data);
        R = runs.size();
        RunConfig c0 = runs.get(0).config();
        d = c0.d();
        M = c0.M();
        mk = c0.mk();
        mv = c0.mv();
        w = 2 * mk;
        P = new int[R];
        learn = new boolean[R];
        int[] N = new int[R], E = new int[R], NT = new int[R];
        boolean anyLearn = false;
        for (int r = 0; r < R; r++) {
            RunData rd = runs.get(r);
            RunConfig c = rd.config();
            if (c.d() != d || c.M() != M || c.mk() != mk || c.mv() != mv) {
                throw new IllegalArgumentException("runs of a batch must share d, M, m_k, m_v: run 0 has d=" + d + ", M=" + M
                        + ", m_k=" + mk + ", m_v=" + mv + "; run " + r + " has d=" + c.d() + ", M=" + c.M() + ", m_k=" + c.mk()
                        + ", m_v=" + c.mv());
            }
            N[r] = rd.train().N();
            P[r] = rd.train().P();
            NT[r] = rd.test().N();
            E[r] = rd.test().P() + 2;
            learn[r] = c.trainWo();
            anyLearn |= learn[r];
        }
        nMax = max(N);
        pMax = max(P);
        eMax = max(E);
        ntMax = max(NT);
        lay = new Layout(d, M, mk, mv, nMax, pMax, ntMax, eMax, anyLearn);
        int shared = Kernels.forwardSharedBytes(M) + 16; // + attention_forward's static g
        if (shared > ctx.sharedPerBlock()) {
            throw new IllegalArgumentException("--M " + M + " needs " + shared + " bytes of shared memory per block in "
                    + "attention_forward; the device allows " + ctx.sharedPerBlock());
        }
        long need = R * lay.bytesPerRun() + lay.stagingBytes(), free = ctx.freeBytes();
        if (need > free) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "a cuda batch of R=%d runs needs %.2f GiB of device memory; %.2f GiB are free, enough for %d runs of this shape",
                    R, need / 0x1p30, free / 0x1p30, Math.max(0, (free - lay.stagingBytes()) / lay.bytesPerRun())));
        }
        hostLoss = new double[R];
        ctx.makeCurrent();
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
            lossOf = doubles(R);
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
            g = floats((long) R * nMax);
            c = floats(R * lay.sSamples());
            D = floats(R * lay.sD());
            lossTerm = doubles((long) R * nMax);
            testMap = ints(R * lay.sTestSamples());
            testY = floats((long) R * ntMax);
            QK0e = floats(R * lay.sQKe());
            QKe = floats(R * lay.sQKe());
            Te = floats(R * lay.sTe());
            u0e = floats((long) R * eMax);
            ue = floats((long) R * eMax);
            V0e = anyLearn ? floats(R * lay.sVe()) : null;
            Ve = anyLearn ? floats(R * lay.sVe()) : null;
            fTest = floats((long) R * ntMax);
            dots = floats(R * lay.sDots());
            upload(N, E, NT);
            project(E);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static int max(int[] a) {
        int m = 0;
        for (int v : a) m = Math.max(m, v);
        return m;
    }

    private DeviceBuffer ints(long n) {
        return keep(ctx.alloc(n * Integer.BYTES));
    }

    private DeviceBuffer floats(long n) {
        return keep(ctx.alloc(n * Float.BYTES));
    }

    private DeviceBuffer doubles(long n) {
        return keep(ctx.alloc(n * Double.BYTES));
    }

    private DeviceBuffer keep(DeviceBuffer b) {
        buffers.add(b);
        return b;
    }

    /** Per-run scalars, training and test index maps, labels and w_O. */
    private void upload(int[] N, int[] E, int[] NT) {
        int[] trainWo = new int[R];
        float[] eta = new float[R], wo2 = new float[R], wo = new float[R * mv];
        double[] target = new double[R];
        int[] mapAll = new int[Math.toIntExact(R * lay.sSamples())], occAll = new int[mapAll.length];
        int[] startAll = new int[Math.toIntExact(R * (pMax + 1L))];
        int[] testMapAll = new int[Math.toIntExact(R * lay.sTestSamples())];
        float[] yAll = new float[R * nMax], testYAll = new float[R * ntMax];
        for (int r = 0; r < R; r++) {
            RunData rd = runs.get(r);
            RunConfig cfg = rd.config();
            trainWo[r] = learn[r] ? 1 : 0;
            eta[r] = (float) cfg.lr();
            target[r] = cfg.targetLoss();
            double s = 0;
            for (int i = 0; i < mv; i++) {
                float v = (float) rd.init().wO()[i];
                wo[r * mv + i] = v;
                s += v * v;
            }
            wo2[r] = (float) s;
            TokenSet tr = rd.train();
            int base = Math.toIntExact(r * lay.sSamples());
            System.arraycopy(tr.map(), 0, mapAll, base, tr.map().length);
            for (int n = 0; n < tr.N(); n++) yAll[r * nMax + n] = tr.y()[n];
            occurrences(tr.map(), P[r], startAll, r * (pMax + 1), occAll, base);
            TokenSet te = rd.test();
            System.arraycopy(te.map(), 0, testMapAll, Math.toIntExact(r * lay.sTestSamples()), te.map().length);
            for (int n = 0; n < te.N(); n++) testYAll[r * ntMax + n] = te.y()[n];
        }
        nOf.put(N, 0);
        pOf.put(P, 0);
        eOf.put(E, 0);
        ntOf.put(NT, 0);
        trainWoOf.put(trainWo, 0);
        etaOf.put(eta, 0);
        wo2Of.put(wo2, 0);
        targetOf.put(target, 0);
        wO.put(wo, 0);
        map.put(mapAll, 0);
        occ.put(occAll, 0);
        occStart.put(startAll, 0);
        y.put(yAll, 0);
        testMap.put(testMapAll, 0);
        testY.put(testYAll, 0);
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
     * The one-off projections of SPEC §4, run by run through a staging area: G = TᵀT, Q|K = W(0) T,
     * V = W_V(0) T (learnable w_O) or u = (W_V(0)ᵀ w_O)ᵀ T (fixed w_O: only u is ever needed), and
     * for the test tokens and probes S: Q|K(0)(s), Tᵀs, and V(0)(s) or u(0)(s).
     */
    private void project(int[] E) {
        try (DeviceBuffer T = ctx.alloc(4L * pMax * d); DeviceBuffer S = ctx.alloc(4L * eMax * d);
             DeviceBuffer Wqk = ctx.alloc(4L * w * d); DeviceBuffer Wv = ctx.alloc(4L * mv * d);
             DeviceBuffer vo = ctx.alloc(4L * d)) {
            Operand t = new Operand(T.ptr(), 0, d), s = new Operand(S.ptr(), 0, d);
            Operand wqk = new Operand(Wqk.ptr(), 0, d), wv = new Operand(Wv.ptr(), 0, d), vop = new Operand(vo.ptr(), 0, d);
            for (int r = 0; r < R; r++) {
                RunData rd = runs.get(r);
                int Pr = P[r], Er = E[r];
                Weights w0 = rd.init();
                // Synchronous copies on the default stream: each waits for the previous run's kernels,
                // so the staging area is free to overwrite.
                T.put(toFloat(rd.train().tokens(), 0, Pr * d), 0);
                float[] se = toFloat(rd.test().tokens(), 0, Er * d);
                for (int i = 0; i < d; i++) {
                    se[(Er - 2) * d + i] = (float) rd.muPos()[i];
                    se[(Er - 1) * d + i] = (float) rd.muNeg()[i];
                }
                S.put(se, 0);
                float[] stacked = toFloat(w0.WQ(), 0, w * d);      // [W_Q; W_K], 2m_k×d: W_K goes below W_Q
                System.arraycopy(toFloat(w0.WK(), 0, mk * d), 0, stacked, mk * d, mk * d);
                Wqk.put(stacked, 0);
                Wv.put(toFloat(w0.WV(), 0, mv * d), 0);
                k.gemm(true, null, 1, null, null, null, Pr, d, Pr, t, t, null, slot(G, r * lay.sG(), pMax), null, 1f);
                k.gemm(true, null, 1, null, null, null, Pr, d, w, t, wqk, null, slot(QK, r * lay.sQK(), w), null, 1f);
                k.gemm(true, null, 1, null, null, null, Er, d, w, s, wqk, null, slot(QK0e, r * lay.sQKe(), w), null, 1f);
                k.gemm(true, null, 1, null, null, null, Er, d, Pr, s, t, null, slot(Te, r * lay.sTe(), pMax), null, 1f);
                if (learn[r]) {
                    k.gemm(true, null, 1, null, null, null, Pr, d, mv, t, wv, null, slot(V, r * lay.sV(), mv), null, 1f);
                    k.gemm(true, null, 1, null, null, null, Er, d, mv, s, wv, null, slot(V0e, r * lay.sVe(), mv), null, 1f);
                } else {
                    k.gemm(false, null, 1, null, null, null, 1, mv, d, slot(wO, (long) r * mv, mv), wv, null, vop, null, 1f);
                    k.gemm(true, null, 1, null, null, null, Pr, d, 1, t, vop, null, slot(u, (long) r * pMax, 1), null, 1f);
                    k.gemm(true, null, 1, null, null, null, Er, d, 1, s, vop, null, slot(u0e, (long) r * eMax, 1), null, 1f);
                }
            }
            ctx.synchronize();
        }
    }

    /** Run r's matrix at float index {@code at} of {@code b} (one-run launches: stride 0). */
    private static Operand slot(DeviceBuffer b, long at, int ld) {
        return new Operand(b.at(at, Float.BYTES), 0, ld);
    }

    /** A batched operand: run r at r·stride of {@code b}. */
    private static Operand all(DeviceBuffer b, long stride, int ld) {
        return new Operand(b.ptr(), stride, ld);
    }

    /** Float copy of x[from, from+n), zero-padded when x is shorter (the staging rows of missing tokens). */
    private static float[] toFloat(double[] x, int from, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n && from + i < x.length; i++) out[i] = (float) x[from + i];
        return out;
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
        return R;
    }

    @Override
    public void step(boolean[] active, double[] loss) {
        ctx.makeCurrent();
        int n = list(0, r -> active[r]);
        if (n == 0) return;
        CUdeviceptr ids = listAt(0);
        if (lay.learnable()) k.scalarizeV(ids, n, trainWoOf.ptr(), pOf.ptr(), pMax, mv, V.ptr(), wO.ptr(), u.ptr());
        k.attentionForward(ids, n, nOf.ptr(), nMax, M, mk, map.ptr(), QK.ptr(), lay.sQK(), u.ptr(), pMax, y.ptr(),
                f.ptr(), lossTerm.ptr(), g.ptr(), c.ptr(), D.ptr());
        k.lossReduce(ids, n, nOf.ptr(), nMax, lossTerm.ptr(), targetOf.ptr(), lossOf.ptr(), go.ptr());
        k.gather(ids, n, go.ptr(), nOf.ptr(), pOf.ptr(), pMax, nMax, M, mk, occStart.ptr(), occ.ptr(), map.ptr(), D.ptr(), g.ptr(),
                c.ptr(), QK.ptr(), lay.sQK(), etaOf.ptr(), trainWoOf.ptr(), AB.ptr(), AQK.ptr(), gamma.ptr(), cV.ptr());
        // Q|K −= η G [α|β], in place.
        k.gemm(false, ids, n, go.ptr(), pOf.ptr(), pOf.ptr(), pMax, pMax, w, all(G, lay.sG(), pMax),
                all(AB, lay.sQK(), w), QK.ptr(), all(QK, lay.sQK(), w), etaOf.ptr(), -1f);
        k.valueGram(ids, n, go.ptr(), pOf.ptr(), pMax, G.ptr(), gamma.ptr(), etaOf.ptr(), wo2Of.ptr(), trainWoOf.ptr(),
                h.ptr(), u.ptr());
        if (lay.learnable()) {
            k.valueUpdate(ids, n, go.ptr(), trainWoOf.ptr(), pOf.ptr(), pMax, mv, gamma.ptr(), h.ptr(), etaOf.ptr(),
                    V.ptr(), AV.ptr(), wO.ptr());
        }
        lossOf.get(hostLoss, 0);
        for (int r = 0; r < R; r++) if (active[r]) loss[r] = hostLoss[r];
    }

    @Override
    public void metrics(boolean[] which, double[][] out) {
        ctx.makeCurrent();
        int count = list(0, r -> which[r]);
        if (count == 0) return;
        int fixed = list(1, r -> which[r] && !learn[r]);
        int learnable = list(2, r -> which[r] && learn[r]);
        CUdeviceptr ids = listAt(0);
        Operand te = all(Te, lay.sTe(), pMax);
        if (lay.learnable()) k.scalarizeV(listAt(2), learnable, trainWoOf.ptr(), pOf.ptr(), pMax, mv, V.ptr(), wO.ptr(), u.ptr());
        k.attentionForward(ids, count, nOf.ptr(), nMax, M, mk, map.ptr(), QK.ptr(), lay.sQK(), u.ptr(), pMax, y.ptr(),
                f.ptr(), null, null, c.ptr(), null);
        // Test tokens and probes s: Q|K(s) = Q|K(0)(s) + (Tᵀs)ᵀ A_Q|K, and likewise u(s) (SPEC §4).
        k.gemm(false, ids, count, null, eOf.ptr(), pOf.ptr(), eMax, pMax, w, te, all(AQK, lay.sQK(), w), QK0e.ptr(),
                all(QKe, lay.sQKe(), w), null, 1f);
        // Fixed w_O: u(s) = u(0)(s) + ‖w_O‖² (Tᵀs)ᵀ c_V, since A_V = w_O c_Vᵀ.
        k.gemv(false, listAt(1), fixed, eOf.ptr(), pOf.ptr(), eMax, pMax, te, cV.ptr(), pMax, u0e.ptr(), ue.ptr(), eMax,
                wo2Of.ptr(), 1f);
        if (lay.learnable()) {
            k.gemm(false, listAt(2), learnable, null, eOf.ptr(), pOf.ptr(), eMax, pMax, mv, te, all(AV, lay.sV(), mv),
                    V0e.ptr(), all(Ve, lay.sVe(), mv), null, 1f);
            k.scalarizeV(listAt(2), learnable, trainWoOf.ptr(), eOf.ptr(), eMax, mv, Ve.ptr(), wO.ptr(), ue.ptr());
        }
        k.attentionForward(ids, count, ntOf.ptr(), ntMax, M, mk, testMap.ptr(), QKe.ptr(), lay.sQKe(), ue.ptr(), eMax,
                testY.ptr(), fTest.ptr(), null, null, null, null);
        k.metricDots(ids, count, nOf.ptr(), eOf.ptr(), nMax, pMax, eMax, M, mk, map.ptr(), QK.ptr(), u.ptr(), QKe.ptr(),
                ue.ptr(), dots.ptr());

        float[] fh = new float[R * nMax], ch = new float[Math.toIntExact(R * lay.sSamples())];
        float[] fth = new float[R * ntMax], dh = new float[Math.toIntExact(R * lay.sDots())];
        f.get(fh, 0);
        c.get(ch, 0);
        fTest.get(fth, 0);
        dots.get(dh, 0);
        for (int r = 0; r < R; r++) {
            if (!which[r]) continue;
            RunData rd = runs.get(r);
            int N = rd.train().N(), NT = rd.test().N();
            double[] fTrain = new double[N], sig = new double[N], noise = new double[N], ft = new double[NT];
            double[] uNoise = new double[N], sn = new double[N], ns = new double[N], nn = new double[N];
            int dr = Math.toIntExact(r * lay.sDots());
            for (int n = 0; n < N; n++) {
                fTrain[n] = fh[r * nMax + n];
                int cn = Math.toIntExact(r * lay.sSamples()) + n * M;
                sig[n] = ch[cn];
                noise[n] = ch[cn + 1];
                sn[n] = dh[dr + 4 * n];
                ns[n] = dh[dr + 4 * n + 1];
                nn[n] = dh[dr + 4 * n + 2];
                uNoise[n] = dh[dr + 4 * n + 3];
            }
            for (int n = 0; n < NT; n++) ft[n] = fth[r * ntMax + n];
            int pr = dr + 4 * nMax;
            Metrics.assemble(rd.config(), rd.train(), rd.test(), new Metrics.Parts(fTrain, sig, noise, ft, uNoise, sn, ns,
                    nn, dh[pr + 1], dh[pr + 2], dh[pr]), out[r]);
        }
    }

    /** W = W(0) + Aᵀ T in float64, from A_Q|A_K and A_V (= w_O c_Vᵀ for fixed w_O). */
    @Override
    public Weights weights(int r) {
        ctx.makeCurrent();
        RunData rd = runs.get(r);
        int Pr = P[r];
        float[] aqk = new float[Pr * w], wo = new float[mv], av = new float[learn[r] ? Pr * mv : Pr];
        AQK.get(aqk, r * lay.sQK());
        wO.get(wo, (long) r * mv);
        if (learn[r]) AV.get(av, r * lay.sV());
        else cV.get(av, (long) r * pMax);
        Weights w0 = rd.init();
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
        for (int i = buffers.size() - 1; i >= 0; i--) buffers.get(i).close();
        buffers.clear();
    }
}
