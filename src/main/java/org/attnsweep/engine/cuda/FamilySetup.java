package org.attnsweep.engine.cuda;

import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import org.attnsweep.data.Family;
import org.attnsweep.data.RunData;
import org.attnsweep.engine.cuda.Kernels.Operand;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * The one-off projections of docs/math.md §4 of a {@link Family}'s unit tokens through its W(0), computed
 * once on the device for every run of the family: each run's own set-up is then a scaled slice of
 * these (kernels/family_slice.cu), with no per-run conversion, upload or product.
 *
 * <p>Unit tokens: training T = [e₊, e₋, the family's first N_u·(M−1) noise tokens] (P_u×d, N_u the
 * largest N the family announced), evaluation S = [e₊, e₋, the test noise] (E_u×d, E_u = test P).
 * A run without a family (data read from files) is its own unit: T its training tokens, S its test
 * tokens then the probes μ₊, μ₋, and scale 1.
 *
 * <p>Arrays (float32, row-major): G = TTᵀ P_u×P_u, Q|K = T[W_Q;W_K]ᵀ P_u×2m_k, Q|K(0)(s) = S[W_Q;W_K]ᵀ
 * E_u×2m_k, Te = STᵀ E_u×P_u, w_O(0) m_v; for fixed w_O u = T(W_Vᵀw_O) P_u and u(0)(s) E_u, for
 * learnable w_O V = TW_Vᵀ P_u×m_v and V(0)(s) E_u×m_v — each made when a run of that kind first
 * asks. The float64 inputs are rounded to float32 once, into pinned memory, and copied on the
 * engine's upload stream; the products run on that stream too, after the copies, so a set-up made
 * for the batch being prepared overlaps the steps of the batch training on the default stream.
 * Whoever uses the arrays on another stream waits for the upload stream first.
 */
final class FamilySetup implements AutoCloseable {
    /** The family, or null for one run's own set-up. */
    final Family family;
    /** The head whose W(0) it projects (docs/math.md §7; 0 with one head). */
    final int head;
    final int P, E, d, mk, mv;
    /** Whether run slices append the probes (rows 0, 1 of S scaled) after their test rows. */
    final boolean probes;
    /** ‖w_O(0)‖² as the batch uses it (float32 entries summed in float64). */
    final float wo2;
    final DeviceBuffer G, QK, QK0e, Te, wO;
    private DeviceBuffer u, u0e, V, V0e;
    private final DeviceBuffer T, S, Wv;
    private final List<DeviceBuffer> buffers = new ArrayList<>();
    private final CudaContext ctx;
    private final CUstream upload;
    private final Kernels k;
    /** Floats converted from float64 for this set-up (the cost model counts them). */
    final long converted;

    private FamilySetup(CudaContext ctx, CUstream upload, CUevent uploaded, Family family, int head, double[] tokens, int P,
                        double[] evalTokens, int E, Weights w0) {
        this.ctx = ctx;
        this.upload = upload;
        this.k = ctx.kernels().on(upload);
        this.family = family;
        this.head = head;
        this.P = P;
        this.E = E;
        this.d = w0.d();
        this.mk = w0.mk();
        this.mv = w0.mv();
        this.probes = family != null;
        int w = 2 * mk;
        double s = 0;
        for (double v : w0.wO()) s += (float) v * (float) v;
        wo2 = (float) s;
        try {
            T = keep(4L * P * d);
            S = keep(4L * E * d);
            DeviceBuffer Wqk = keep(4L * w * d);
            Wv = keep(4L * mv * d);
            wO = keep(4L * mv);
            // One pinned block [T | S | W_Q; W_K | W_V | w_O], converted once and copied asynchronously.
            long[] at = {0, (long) P * d, (long) (P + E) * d, (long) (P + E + w) * d, (long) (P + E + w + mv) * d};
            converted = at[4] + mv;
            try (PinnedBuffer host = new PinnedBuffer(4 * converted)) {
                host.putFloats(at[0], tokens, 0, P * d);
                host.putFloats(at[1], evalTokens, 0, E * d);
                host.putFloats(at[2], w0.WQ(), 0, mk * d);
                host.putFloats(at[2] + (long) mk * d, w0.WK(), 0, mk * d);
                host.putFloats(at[3], w0.WV(), 0, mv * d);
                host.putFloats(at[4], w0.wO(), 0, mv);
                DeviceBuffer[] to = {T, S, Wqk, Wv, wO};
                long[] end = {at[1], at[2], at[3], at[4], converted};
                for (int i = 0; i < to.length; i++) to[i].putAsync(host, 4 * at[i], 0, 4 * (end[i] - at[i]), upload);
                cuEventRecord(uploaded, upload);
                // The products below follow the copies on the upload stream.
                Operand t = op(T, d), se = op(S, d), wqk = op(Wqk, d);
                G = keep(4L * P * P);
                QK = keep(4L * P * w);
                QK0e = keep(4L * E * w);
                Te = keep(4L * E * P);
                k.gemm(true, null, 1, null, null, null, P, d, P, t, t, null, op(G, P), null, 1f);
                k.gemm(true, null, 1, null, null, null, P, d, w, t, wqk, null, op(QK, w), null, 1f);
                k.gemm(true, null, 1, null, null, null, E, d, w, se, wqk, null, op(QK0e, w), null, 1f);
                k.gemm(true, null, 1, null, null, null, E, d, P, se, t, null, op(Te, P), null, 1f);
                // The pinned block is freed on leaving: its copies must be done (the products may run on).
                cuEventSynchronize(uploaded);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The set-up of head {@code head} shared by {@code data}'s family, for at least P training tokens
     * (its largest announced N).
     */
    static FamilySetup ofFamily(CudaContext ctx, CUstream upload, CUevent uploaded, RunData data, int P, int head) {
        Family fam = data.family();
        RunConfig c = data.config();
        int d = c.d(), M = c.M(), E = familyE(c);
        P = familyP(data, P);
        double[][] e = fam.directions();
        double[] T = new double[P * d], S = new double[E * d];
        for (double[] x : new double[][] {T, S}) {
            System.arraycopy(e[0], 0, x, 0, d);
            System.arraycopy(e[1], 0, x, d, d);
        }
        System.arraycopy(fam.trainNoise((P - 2) / (M - 1)), 0, T, 2 * d, (P - 2) * d);
        System.arraycopy(fam.testNoise(), 0, S, 2 * d, (E - 2) * d);
        return new FamilySetup(ctx, upload, uploaded, fam, head, T, P, S, E, fam.init().head(head));
    }

    /** Training rows of the family set-up {@link #ofFamily} makes for {@code data} and at least P. */
    private static int familyP(RunData data, int P) {
        return Math.max(P, 2 + data.family().reserved() * (data.config().M() - 1));
    }

    /** Evaluation rows of a family's set-up: e₊, e₋ and the test noise. */
    private static int familyE(RunConfig c) {
        return 2 + c.testN() * (c.M() - 1);
    }

    /** Device bytes of the family set-up {@link #ofFamily} would make for {@code data} and at least P. */
    static long bytesOf(RunData data, int P) {
        RunConfig c = data.config();
        return bytes(familyP(data, P), familyE(c), c.d(), c.mk(), c.mv());
    }

    /** Device bytes this set-up may hold (both w_O kinds made). */
    long bytes() {
        return bytes(P, E, d, mk, mv);
    }

    /** One run's own set-up for head {@code head}: its training tokens; its test tokens, then μ₊, μ₋. */
    static FamilySetup ofRun(CudaContext ctx, CUstream upload, CUevent uploaded, RunData data, int head) {
        int d = data.config().d(), Pt = data.test().P();
        double[] S = java.util.Arrays.copyOf(data.test().tokens(), (Pt + 2) * d);
        System.arraycopy(data.muPos(), 0, S, Pt * d, d);
        System.arraycopy(data.muNeg(), 0, S, (Pt + 1) * d, d);
        return new FamilySetup(ctx, upload, uploaded, null, head, data.train().tokens(), data.train().P(), S, Pt + 2,
                data.init().head(head));
    }

    /** u and u(0)(s) for fixed w_O: u = T v_o with v_o = W_Vᵀ w_O (d), made on first use (kernels/gemv.cu). */
    DeviceBuffer u() {
        if (u == null) {
            // v_O is kept, not freed at once: the products reading it may still be queued.
            DeviceBuffer vo = keep(4L * d);
            u = keep(4L * P);
            u0e = keep(4L * E);
            // Products with one vector side: gemv, not a GEMM tile of which one column is used.
            k.gemv(true, null, 1, null, null, d, mv, op(Wv, d), wO.ptr(), 0, null, vo.ptr(), 0, null, 1f);
            k.gemv(false, null, 1, null, null, P, d, op(T, d), vo.ptr(), 0, null, u.ptr(), 0, null, 1f);
            k.gemv(false, null, 1, null, null, E, d, op(S, d), vo.ptr(), 0, null, u0e.ptr(), 0, null, 1f);
        }
        return u;
    }

    DeviceBuffer u0e() {
        u();
        return u0e;
    }

    /** V and V(0)(s) for learnable w_O, made on first use. */
    DeviceBuffer V() {
        if (V == null) {
            V = keep(4L * P * mv);
            V0e = keep(4L * E * mv);
            k.gemm(true, null, 1, null, null, null, P, d, mv, op(T, d), op(Wv, d), null, op(V, mv), null, 1f);
            k.gemm(true, null, 1, null, null, null, E, d, mv, op(S, d), op(Wv, d), null, op(V0e, mv), null, 1f);
        }
        return V;
    }

    DeviceBuffer V0e() {
        V();
        return V0e;
    }

    /** Device bytes of a set-up of P training and E evaluation tokens with both w_O kinds made. */
    static long bytes(int P, int E, int d, int mk, int mv) {
        long w = 2L * mk;
        return 4L * ((long) (P + E) * d + mv * (long) d + mv          // T, S, W_V, w_O
                + (long) P * P + P * w + E * w + (long) E * P            // G, Q|K, Q|K(0)(s), Te
                + P + E + (long) (P + E) * mv                           // u, u(0)(s); V, V(0)(s)
                + w * d + d);                                           // [W_Q; W_K], v_o while projecting
    }

    private static Operand op(DeviceBuffer b, int ld) {
        return new Operand(b.ptr(), 0, ld);
    }

    private DeviceBuffer keep(long bytes) {
        DeviceBuffer b = ctx.alloc(bytes, upload);
        buffers.add(b);
        return b;
    }

    @Override
    public void close() {
        if (buffers.isEmpty()) return;
        ctx.makeCurrent();
        cuStreamSynchronize(upload);   // nothing queued there may still read what is freed
        for (int i = buffers.size() - 1; i >= 0; i--) buffers.get(i).close();
        buffers.clear();
    }
}
