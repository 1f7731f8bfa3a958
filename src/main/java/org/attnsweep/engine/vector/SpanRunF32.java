package org.attnsweep.engine.vector;

import static org.attnsweep.engine.vector.KernelsF32.axpy;
import static org.attnsweep.engine.vector.KernelsF32.dot;
import static org.attnsweep.engine.vector.KernelsF32.gemm;
import static org.attnsweep.engine.vector.KernelsF32.scale;
import static org.attnsweep.engine.vector.KernelsF32.toDouble;
import static org.attnsweep.engine.vector.KernelsF32.toFloat;

import org.attnsweep.data.RunData;
import org.attnsweep.model.Weights;

/**
 * One run trained with the exact span formulation of docs/math.md §4 in this file's precision (the build
 * derives SpanRunF64 from it). Every weight stays W(0) + Aᵀ T over the P training tokens; the run
 * keeps Q, K (and V or u) up to date through G = TᵀT instead of the d-wide weights.
 *
 * <p>Layout: Q, K, V are token-major, P rows of width m (row j = q_j, k_j, ...), so the sample
 * loops touch contiguous rows and the updates Q −= η G α are GEMMs C[P×m] += a·A[P×P]·B[P×m] with
 * the m-wide rows vectorised. Their B's, the gathers α and β, and the span coefficients A_Q, A_K
 * (which only ever add α and β elementwise, or are B of the evaluation's GEMMs) are held tile-major
 * instead (GemmF32.tiledAt): the layout the GEMM's register tiles read B in, so no product copies
 * them first (benchmarks/RESULTS.md, s27).
 */
final class SpanRunF32 extends AttentionRunF32 {
    final float[] G;        // P×P   TᵀT
    final float[] AQ, AK;   // P×m_k span coefficients: W = W(0) + Aᵀ T (tile-major, as α and β: GemmF32.tiledAt)
    final float[] V, AV;    // P×m_v (learnable w_O only)
    final float[] cV;       // P     (fixed w_O: A_V = w_O cVᵀ)
    final float[] wO;       // m_v
    final float[] h;        // P     h = Gγ
    int updates;            // GD updates applied so far
    boolean spanPending;    // the last update's A_Q −= ηα, A_K −= ηβ not applied yet (clearGathers, settleSpan)
    // Evaluation tokens s (test tokens and the probes μ₊, μ₋), projected once at set-up and
    // possibly shared with the run's family: see SpanSetupF32.
    final SpanSetupF32 s;
    final Weights w0;       // this head's W(0)
    final float[] signalRows; // 2 slots of 2×max(m_k, m_v): the signal rows of A_Q and A_K, or of A_V or c_V, while scaled for an evaluation

    private SpanRunF32(RunData data, SpanSetupF32 s, Weights w0, float[] f) {
        super(data, s.Q, s.K, data.config().trainWo() ? new float[data.train().P()] : s.u, f);
        this.s = s;
        this.w0 = w0;
        G = s.G;
        V = s.V;
        wO = toFloat(w0.wO());
        AV = trainWo ? new float[P * mv] : null;
        cV = trainWo ? null : new float[P];
        AQ = new float[P * mk];
        AK = new float[P * mk];
        h = new float[P];
        signalRows = new float[4 * Math.max(mk, mv)];
    }

    /**
     * The run's heads, summing into f (N), from its set-up: its family's, sliced and scaled
     * (generated data), or its own (data from files); one G for all heads.
     */
    static SpanRunF32[] open(RunData data, float[] f) {
        SpanSetupF32[] s = data.family() != null ? SpanSetupF32.ofFamily(data) : SpanSetupF32.own(data);
        SpanRunF32[] heads = new SpanRunF32[s.length];
        for (int h = 0; h < s.length; h++) heads[h] = new SpanRunF32(data, s[h], data.init().head(h), f);
        return heads;
    }

    @Override
    void forward() {
        if (trainWo) scalarizeV(V, wO);
        attentionForward();
    }

    @Override
    void update() {
        updates++;
        gather();
        spanUpdate();
        valueGram();
        if (trainWo) valueUpdate();
    }

    /**
     * The span coefficients and projections of W_Q, W_K (kernels/gather.cu does the first two,
     * kernels/gemm.cu the last two): A_Q −= ηα, A_K −= ηβ, Q −= η Gα, K −= η Gβ; with fixed w_O
     * also c_V −= ηγ (A_V = w_O c_Vᵀ).
     */
    private void spanUpdate() {
        spanPending = true;   // A_Q −= ηα, A_K −= ηβ: in the next step's reset of α, β (clearGathers) or before a read (settleSpan)
        if (!trainWo) axpy(-eta, gamma, 0, cV, 0, P);
        gemmPar(Q, -eta, G, alpha, true, P, P, mk);
        gemmPar(K, -eta, G, beta, true, P, P, mk);
    }

    /**
     * The last update's A_Q −= ηα, A_K −= ηβ, in the pass that zeroes α, β for this step's gathers
     * instead of a pass of its own: A_Q, A_K are read only by the evaluation and {@link #weights},
     * which apply a pending update first ({@link #settleSpan}). Either way each element gets
     * axpy's operation once per update, in update order, so the bits are those of updating at once.
     */
    @Override
    void clearGathers() {
        if (!spanPending) {
            super.clearGathers();
            return;
        }
        spanPending = false;
        KernelsF32.axpyClear(-eta, alpha, AQ, P * mk);
        KernelsF32.axpyClear(-eta, beta, AK, P * mk);
    }

    /** A_Q, A_K up to date: the last update's pending part applied (α, β stay as gathered). */
    private void settleSpan() {
        if (!spanPending) return;
        spanPending = false;
        axpy(-eta, alpha, 0, AQ, 0, P * mk);
        axpy(-eta, beta, 0, AK, 0, P * mk);
    }

    /** value_gram: h = Gγ; with fixed w_O all V's update amounts to, u −= η‖w_O‖² h. */
    private void valueGram() {
        java.util.Arrays.fill(h, 0);
        gemm(h, 1, gamma, G, 1, P, P);   // h = γᵀG = (Gγ)ᵀ: G is symmetric, and a row runs on the GEMM tiles
        if (!trainWo) {
            float wo2 = dot(wO, 0, wO, 0, mv);
            axpy(-eta * wo2, h, 0, u, 0, P);
        }
    }

    /**
     * value_update (learnable w_O), with V and w_O before their own update: ∇w_O = Vᵀγ,
     * V −= η h w_Oᵀ, A_V −= η γ w_Oᵀ, w_O −= η ∇w_O.
     */
    private void valueUpdate() {
        float[] gradWo = new float[mv];
        for (int j = 0; j < P; j++) axpy(gamma[j], V, j * mv, gradWo, 0, mv);
        for (int j = 0; j < P; j++) {
            axpy(-eta * gamma[j], wO, 0, AV, j * mv, mv);
            axpy(-eta * h[j], wO, 0, V, j * mv, mv);
        }
        axpy(-eta, gradWo, 0, wO, 0, mv);
    }

    @Override
    EvalF32.Head projections() {
        settleSpan();
        if (trainWo) scalarizeV(V, wO);
        // Evaluation tokens: q(s) = W_Q(0)s + A_Q (Tᵀ s), likewise k and u. Before the first
        // update every A is zero and the W(0) part is all there is.
        int E = s.Ec;
        boolean moved = updates > 0;
        // A family's run before its first update evaluates on its family's test scores at W(0):
        // no projections of its own (EvalF32.Head), where the shapes let it (CostModel.sharesTestScores).
        boolean shared = !moved && s.unit != null && CostModel.sharesTestScores(M, mk);
        float[] ue = scratch(3, E);
        if (trainWo) {
            float[] ve = evalRows(2, s.V0e, AV, mv, moved);
            for (int j = 0; j < E; j++) ue[j] = dot(ve, j * mv, wO, 0, mv);
        } else {
            float wo2 = dot(wO, 0, wO, 0, mv);
            scaleSignal(cV, 1, false, 0);
            for (int j = 0; j < E; j++) ue[j] = s.u0e[j] + wo2 * dot(s.Te, j * s.ldTe, cV, 0, P);
            restoreSignal(cV, 1, false, 0);
        }
        for (int r = 0; r < 2; r++) ue[r] *= s.scale;
        if (shared) return new EvalF32.Head(Q, K, u, s.Q0e, s.K0e, ue, mk, s.probe0, s.unit.testScores(M), s.scale, null);
        if (moved) {
            EvalRows rows = new EvalRows();
            return new EvalF32.Head(Q, K, u, rows.qe, rows.ke, ue, mk, s.probe0, null, 1, rows);
        }
        float[] qe = evalRows(0, s.Q0e, null, mk, false), ke = evalRows(1, s.K0e, null, mk, false);
        scaleTestSignals(qe, ke, 0, 2);
        return new EvalF32.Head(Q, K, u, qe, ke, ue, mk, s.probe0, null, 1, null);
    }

    /** Evaluation rows [from, to) of qe, ke: those of the signals (rows 0, 1) times the set-up's scale. */
    private void scaleTestSignals(float[] qe, float[] ke, int from, int to) {
        for (int r = from; r < Math.min(to, 2); r++) {
            scale(qe, r * mk, mk, s.scale);
            scale(ke, r * mk, mk, s.scale);
        }
    }

    /**
     * Evaluation rows {@link EvalRows} makes at a time: a block's W(0) rows and output rows (48 × m_k
     * floats each, 96 KiB at m_k = 512) stay in the core's L2 beside a panel of A (GemmF32.panel)
     * until the block's samples are scored; smaller blocks stream A from L3 once per few rows
     * (benchmarks/RESULTS.md, s29).
     */
    static final int EVAL_BLOCK = 48;

    /**
     * The evaluation rows of a run that has moved, qe = W_Q(0)s + Te·A_Q and ke likewise (each the
     * GEMM of {@link #evalRows}, from the W(0) rows, A's signal rows times the set-up's scale), made
     * {@link #EVAL_BLOCK} rows or more at a time as the evaluation reaches them (EvalF32.Rows): a
     * family's test samples hold rows in order, so a block's rows are scored while still in the
     * core's L2, where all of qe and ke (6 MB at paper A's shape) made at once went out to memory
     * before the first score read them back. Before each product its block's W(0) rows and output
     * rows are read ahead ({@link KernelsF32#readAhead}). Each element is the same fma chain as in
     * the GEMM over all rows: the same bits. A_Q and A_K hold their scaled signal rows from the
     * first {@link #upTo} to {@link #close} (a Rows never asked for changes nothing).
     */
    private final class EvalRows implements EvalF32.Rows {
        private final float[] qe = scratch(0, s.Ec * mk), ke = scratch(1, s.Ec * mk);
        private int made;
        private boolean scaled;

        @Override
        public void upTo(int to) {
            if (to <= made) return;
            if (!scaled) {
                scaled = true;
                scaleSignal(AQ, mk, true, 0);
                scaleSignal(AK, mk, true, 1);
            }
            int end = Math.min(s.Ec, Math.max(to, made + EVAL_BLOCK));
            block(qe, s.Q0e, AQ, end);
            block(ke, s.K0e, AK, end);
            scaleTestSignals(qe, ke, made, end);
            made = end;
        }

        /** Rows [made, end) of x = x0 + Te·A, their rows of x0 and x read ahead. */
        private void block(float[] x, float[] x0, float[] A, int end) {
            KernelsF32.readAhead(x0, made * mk, end * mk);
            KernelsF32.readAhead(x, made * mk, end * mk);
            KernelsF32.gemmFromTiledB(x, x0, 1, s.Te, s.ldTe, A, made, end, P, mk);
        }

        @Override
        public void close() {
            if (!scaled) return;
            scaled = false;
            restoreSignal(AQ, mk, true, 0);
            restoreSignal(AK, mk, true, 1);
        }
    }

    /**
     * Per thread (evaluations run one run at a time, head by head, on the thread that asks for the
     * metrics, and {@link EvalF32#add} reads a head's projections before the next head's): the
     * evaluation tokens' projections qe, ke (E×m_k), ve (E×m_v) and ue (E), reused across
     * evaluations, heads and runs instead of allocated per evaluation. Per thread rather than per
     * run so that the memory stays what CostModel.testWords counts (nothing of these lives between
     * evaluations of a run).
     */
    private static final ThreadLocal<float[][]> EVAL = ThreadLocal.withInitial(() -> new float[4][0]);

    /** Scratch {@code k} of this thread, n floats (contents left from its last use). */
    private static float[] scratch(int k, int n) {
        float[][] scratch = EVAL.get();
        if (scratch[k].length != n) scratch[k] = new float[n];
        return scratch[k];
    }

    /**
     * Scratch {@code k} of this thread holding the evaluation tokens' rows (E×w) at the current
     * weights: {@code initial}'s (the W(0) part, E×w), plus Te·A with A's two signal rows times the
     * set-up's scale once the run has moved (A row-major: A_V; A_Q and A_K, tile-major, are made a
     * block at a time by {@link EvalRows}); the GEMM starts from {@code initial} rather than from a
     * copy of it (one pass over the E×w rows instead of two, the same bits).
     */
    private float[] evalRows(int k, float[] initial, float[] A, int w, boolean moved) {
        int n = s.Ec * w;
        float[] x = scratch(k, n);
        if (!moved) {
            System.arraycopy(initial, 0, x, 0, n);
            return x;
        }
        scaleSignal(A, w, false, 0);
        KernelsF32.gemmFrom(x, initial, 1, s.Te, s.ldTe, A, s.Ec, P, w);
        restoreSignal(A, w, false, 0);
        return x;
    }

    /**
     * The two signal rows of x (P rows of width w, tile-major with {@code tiles}) times the set-up's
     * scale, in place, their values kept in slot {@code slot} (0 or 1) of {@link #signalRows} for
     * {@link #restoreSignal}: the same floats a scaled copy of all of x would hold, without copying
     * its P rows at every evaluation.
     */
    private void scaleSignal(float[] x, int w, boolean tiles, int slot) {
        if (s.scale == 1) return;
        signalRows(x, w, tiles, slot, false);
    }

    /** x's two signal rows back to their values before {@link #scaleSignal} into the same slot (copied, so exactly). */
    private void restoreSignal(float[] x, int w, boolean tiles, int slot) {
        if (s.scale == 1) return;
        signalRows(x, w, tiles, slot, true);
    }

    /**
     * Rows 0 and 1 of x, stretch by stretch: row-major one stretch of 2w floats; tile-major
     * ({@link GemmF32#tiledAt}) 2 rows of each tile, one after the other at the tile's start, then
     * the two rows of the columns past the last tile. Each stretch is copied into slot
     * {@code slot} of {@link #signalRows} and scaled, or with {@code restore} copied back.
     */
    private void signalRows(float[] x, int w, boolean tiles, int slot, boolean restore) {
        int W = GemmF32.WIDTH, tiled = tiles ? w - w % W : 0, k = slot * signalRows.length / 2;
        for (int c = 0; c < tiled; c += W, k += 2 * W) signalStretch(x, c * P, 2 * W, k, restore);
        if (tiled < w) signalStretch(x, tiled * P, 2 * (w - tiled), k, restore);
    }

    /** x[from, from + n) into signalRows from k and scaled in place, or with {@code restore} signalRows' copy put back. */
    private void signalStretch(float[] x, int from, int n, int k, boolean restore) {
        if (restore) {
            System.arraycopy(signalRows, k, x, from, n);
            return;
        }
        System.arraycopy(x, from, signalRows, k, n);
        scale(x, from, n, s.scale);
    }

    /** W = W(0) + Aᵀ T, in float64. */
    @Override
    Weights weights() {
        settleSpan();
        int d = c.d();
        double[] T = train.tokens();
        double[] WQ = w0.WQ().clone(), WK = w0.WK().clone(), WV = w0.WV().clone();
        for (int j = 0; j < P; j++) {
            for (int i = 0; i < mk; i++) {
                int at = GemmF32.tiledAt(j, i, P, mk, GemmF32.WIDTH);
                double aq = AQ[at], ak = AK[at];
                for (int k = 0; k < d; k++) {
                    WQ[i * d + k] += aq * T[j * d + k];
                    WK[i * d + k] += ak * T[j * d + k];
                }
            }
            for (int i = 0; i < mv; i++) {
                double av = trainWo ? AV[j * mv + i] : (double) wO[i] * cV[j];
                for (int k = 0; k < d; k++) WV[i * d + k] += av * T[j * d + k];
            }
        }
        return new Weights(d, mk, mv, WQ, WK, WV, toDouble(wO));
    }
}
