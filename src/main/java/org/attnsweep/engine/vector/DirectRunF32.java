package org.attnsweep.engine.vector;

import static org.attnsweep.engine.vector.KernelsF32.axpy;
import static org.attnsweep.engine.vector.KernelsF32.dot;
import static org.attnsweep.engine.vector.KernelsF32.gemm;
import static org.attnsweep.engine.vector.KernelsF32.toDouble;
import static org.attnsweep.engine.vector.KernelsF32.toFloat;
import static org.attnsweep.engine.vector.KernelsF32.transpose;

import org.attnsweep.data.RunData;
import org.attnsweep.model.Weights;

/**
 * One run trained with the direct formulation (docs/math.md §2–3, §7): GD on the d-wide weights, in this
 * file's precision (the build derives DirectRunF64 from it). Each step projects the P distinct
 * training tokens through the current weights, runs the same attention and gathers as the span
 * form ({@link AttentionRunF32}), and turns the gathers into the d-wide gradients:
 *
 *     ∇W_Q = αᵀT,  ∇W_K = βᵀT  (m_k×d),   r = Tᵀγ (d),  ∇W_V = w_O rᵀ,  ∇w_O = W_V r.
 *
 * Cost per step about 4·m_k·d·P + 3·N·M²·m_k multiply-adds, memory O(P·(d + m_k) + m·d): no P×P
 * Gram matrix, so it wins where P is large against d (loaded or image data). W_Q and W_K are held
 * transposed (d×m_k) so both their products are GEMMs on the register tile with m_k-wide rows.
 *
 * <p>Where d is small against m_k (image patches: d = 49, m_k = 64) the scores go through the d×d
 * matrix A = W_QᵀW_K instead (docs/math.md §7, bilinear scores): z_la = (Aᵀx_l)·x_a, so the attention
 * runs at width d on Q = T A and K = T, the one gather α = Σ D_la x_a gives Γ = Σ D_la x_l x_aᵀ = Tᵀα,
 * and ∇W_Q = W_K Γᵀ, ∇W_K = W_Q Γ: about 2·d²·P + 2·N·M²·d multiply-adds, the same GD reassociated.
 * {@link CostModel#bilinear} chooses, per run, the order with fewer multiply-adds.
 */
final class DirectRunF32 extends AttentionRunF32 {
    final int d;
    final float[] T, Tt;       // P×d training tokens and their transpose d×P
    final float[] Se;          // E×d evaluation tokens: the test tokens, then μ₊, μ₋
    final float[] WQt, WKt;    // d×m_k  W_Qᵀ, W_Kᵀ
    final float[] WV;          // m_v×d
    final float[] wO;          // m_v
    final float[] vo;          // d      W_Vᵀ w_O: u_j = vo·t_j
    final float[] r;           // d      Tᵀγ
    final boolean bilinear;    // scores through A = W_QᵀW_K at width d_p
    final int dp;              // d_p: d rounded up to whole vectors, the width of the bilinear rows (0 without)
    final float[] Tp;          // P×d_p  the tokens with zero columns past d: the keys k_j (bilinear only; shared by the heads)
    final float[] A, Gm;       // d×d_p  A = W_QᵀW_K and Γ = Tᵀα, zero past column d (bilinear only)
    final float[] GmT;         // d×d    Γᵀ (bilinear only)
    final float[] WK, gQt;     // m_k×d_p W_K, zero past column d, and d×m_k the step's ∇W_Qᵀ (bilinear only)
    /** Tokens per block of the gradient GEMMs: a 256×m_k block of α is 64 KiB at m_k = 64 in float32. */
    static final int TOKEN_BLOCK = 256;

    /**
     * Head w0 of the run {@code data}, summing into f (N); the tokens T, Tᵀ and S are {@code first}'s
     * (the run's first head) when it is not null, else converted here.
     */
    private DirectRunF32(RunData data, Weights w0, float[] f, DirectRunF32 first) {
        int P = data.train().P(), d = data.config().d(), mk = data.config().mk();
        boolean bilinear = CostModel.bilinear(data.train().N(), data.train().M(), d, mk, P);
        float[] T = first != null ? first.T : toFloat(data.train().tokens());
        // The bilinear rows are padded with zeros to whole vectors: a width of d = 49 would leave the
        // GEMM's register tile unused (all columns in its one-vector tail) and the scores a scalar tail.
        int dp = bilinear ? padded(d) : 0;
        float[] Tp = !bilinear ? null : first != null ? first.Tp : pad(T, P, d, dp);
        int width = bilinear ? dp : mk;
        super(data, width, !bilinear, new float[P * width], bilinear ? Tp : new float[P * width], new float[P], f);
        this.d = d;
        this.bilinear = bilinear;
        this.dp = dp;
        this.T = T;
        this.Tp = Tp;
        if (first != null) {
            Tt = first.Tt;
            Se = first.Se;
        } else {
            Tt = transpose(T, P, d);
            int Pt = data.test().P();
            Se = new float[(Pt + 2) * d];
            System.arraycopy(toFloat(data.test().tokens()), 0, Se, 0, Pt * d);
            System.arraycopy(toFloat(data.muPos()), 0, Se, Pt * d, d);
            System.arraycopy(toFloat(data.muNeg()), 0, Se, (Pt + 1) * d, d);
        }
        WQt = transpose(toFloat(w0.WQ()), mk, d);
        WKt = transpose(toFloat(w0.WK()), mk, d);
        WV = toFloat(w0.WV());
        wO = toFloat(w0.wO());
        vo = new float[d];
        r = new float[d];
        A = bilinear ? new float[d * dp] : null;
        Gm = bilinear ? new float[d * dp] : null;
        GmT = bilinear ? new float[d * d] : null;
        WK = bilinear ? new float[mk * dp] : null;
        gQt = bilinear ? new float[d * mk] : null;
    }

    /** d rounded up to a whole number of vectors. */
    static int padded(int d) {
        return (d + KernelsF32.L - 1) / KernelsF32.L * KernelsF32.L;
    }

    /** x (rows×cols) with zero columns up to {@code width}. */
    private static float[] pad(float[] x, int rows, int cols, int width) {
        float[] out = new float[rows * width];
        for (int i = 0; i < rows; i++) System.arraycopy(x, i * cols, out, i * width, cols);
        return out;
    }

    /** The run's heads, summing into f (N), sharing one float copy of the tokens. */
    static DirectRunF32[] open(RunData data, float[] f) {
        DirectRunF32[] heads = new DirectRunF32[data.config().heads()];
        for (int h = 0; h < heads.length; h++) heads[h] = new DirectRunF32(data, data.init().head(h), f, h == 0 ? null : heads[0]);
        return heads;
    }

    @Override
    void forward() {
        project();
        attentionForward();
    }

    @Override
    void update() {
        gather();
        weightUpdate();
    }

    /**
     * The attention's rows at the current weights: Q = T W_Qᵀ, K = T W_Kᵀ (P×m_k), or with bilinear
     * scores Q = T A (P×d, A = W_QᵀW_K) and K = T as it is; and u = T (W_Vᵀ w_O).
     */
    void project() {
        java.util.Arrays.fill(Q, 0);
        if (bilinear) {
            transposeInto(WKt, d, mk, WK, dp);
            java.util.Arrays.fill(A, 0);
            gemm(A, 1, WQt, WK, d, mk, dp);
            gemmPar(Q, 1, T, A, P, d, dp);
        } else {
            java.util.Arrays.fill(K, 0);
            gemmPar(Q, 1, T, WQt, P, d, mk);
            gemmPar(K, 1, T, WKt, P, d, mk);
        }
        scalarizeWeights();
        for (int j = 0; j < P; j++) u[j] = dot(T, j * d, vo, 0, d);
    }

    /** out = xᵀ for x rows×cols, into a held array of cols rows {@code stride} ≥ rows apart (the rest untouched). */
    private static void transposeInto(float[] x, int rows, int cols, float[] out, int stride) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) out[j * stride + i] = x[i * cols + j];
        }
    }

    /** vo = W_Vᵀ w_O (d): the scalarised value weights, rows of W_V summed in order. */
    private void scalarizeWeights() {
        java.util.Arrays.fill(vo, 0);
        for (int i = 0; i < mv; i++) axpy(wO[i], WV, i * d, vo, 0, d);
    }

    /**
     * W_Qᵀ −= η Tᵀα, W_Kᵀ −= η Tᵀβ; r = Tᵀγ; W_V −= η w_O rᵀ; and with learnable w_O,
     * w_O −= η W_V r with W_V before its own update.
     */
    void weightUpdate() {
        if (bilinear) {
            // Γ = Tᵀα (d×d); ∇W_Qᵀ = Γ W_Kᵀ and ∇W_Kᵀ = Γᵀ W_Qᵀ, both at the weights before the step.
            java.util.Arrays.fill(Gm, 0);
            tokenGemm(Gm, 1, alpha, dp);
            java.util.Arrays.fill(gQt, 0);
            gemm(gQt, 1, Gm, dp, WKt, d, d, mk);
            for (int i = 0; i < d; i++) {   // Γᵀ from Γ's first d columns (its rows are d_p apart)
                for (int j = 0; j < d; j++) GmT[j * d + i] = Gm[i * dp + j];
            }
            gemm(WKt, -eta, GmT, WQt, d, d, mk);
            axpy(-eta, gQt, 0, WQt, 0, d * mk);
        } else {
            tokenGemm(WQt, -eta, alpha, mk);
            tokenGemm(WKt, -eta, beta, mk);
        }
        java.util.Arrays.fill(r, 0);
        gemm(r, 1, gamma, T, 1, P, d);   // r = γᵀT, a row on the GEMM's path
        float[] gradWo = trainWo ? new float[mv] : null;
        for (int i = 0; i < mv; i++) {
            if (trainWo) gradWo[i] = dot(WV, i * d, r, 0, d);
            axpy(-eta * wO[i], r, 0, WV, i * d, d);
        }
        if (trainWo) axpy(-eta, gradWo, 0, wO, 0, mv);
    }

    /**
     * W += a·Tᵀ X for a d×w matrix W and a P×w gather X, summed over blocks of {@link #TOKEN_BLOCK}
     * tokens: each block of X stays in cache while every row tile of W passes over it (one pass over
     * all of X per tile would stream it from memory ⌈d/6⌉ times).
     */
    private void tokenGemm(float[] W, float a, float[] X, int w) {
        par.rows(d, 8, (from, to) -> {   // W's rows over the run's threads, every one summed over the blocks in order
            for (int p0 = 0; p0 < P; p0 += TOKEN_BLOCK) {
                KernelsF32.gemmRows(W, a, Tt, p0, P, X, p0 * w, from, to, Math.min(TOKEN_BLOCK, P - p0), w);
            }
        });
    }

    @Override
    EvalF32.Head projections() {
        project();
        float[] qm = Q, km = K;
        if (bilinear) { // the evaluation reads the m_k-wide projections
            qm = new float[P * mk];
            km = new float[P * mk];
            gemm(qm, 1, T, WQt, P, d, mk);
            gemm(km, 1, T, WKt, P, d, mk);
        }
        int E = Se.length / d;
        float[] qe = new float[E * mk], ke = new float[E * mk], ue = new float[E];
        gemm(qe, 1, Se, WQt, E, d, mk);
        gemm(ke, 1, Se, WKt, E, d, mk);
        for (int j = 0; j < E; j++) ue[j] = dot(Se, j * d, vo, 0, d);
        return new EvalF32.Head(qm, km, u, qe, ke, ue, E - 2, null, 1);
    }

    @Override
    Weights weights() {
        return new Weights(d, mk, mv, toDouble(transpose(WQt, d, mk)), toDouble(transpose(WKt, d, mk)), toDouble(WV), toDouble(wO));
    }
}
