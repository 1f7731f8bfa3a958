package org.attnsweep.engine.vector;

import static org.attnsweep.engine.vector.KernelsF32.axpy;
import static org.attnsweep.engine.vector.KernelsF32.dot;
import static org.attnsweep.engine.vector.KernelsF32.gemm;
import static org.attnsweep.engine.vector.KernelsF32.toDouble;
import static org.attnsweep.engine.vector.KernelsF32.toFloat;
import static org.attnsweep.engine.vector.KernelsF32.transpose;

import org.attnsweep.data.RunData;
import org.attnsweep.engine.Projected;
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
    /** Tokens per block of the gradient GEMMs: a 256×m_k block of α is 64 KiB at m_k = 64 in float32. */
    static final int TOKEN_BLOCK = 256;

    /**
     * Head w0 of the run {@code data}, summing into f (N); the tokens T, Tᵀ and S are {@code first}'s
     * (the run's first head) when it is not null, else converted here.
     */
    private DirectRunF32(RunData data, Weights w0, float[] f, DirectRunF32 first) {
        super(data, new float[data.train().P() * data.config().mk()], new float[data.train().P() * data.config().mk()],
                new float[data.train().P()], f);
        d = c.d();
        if (first != null) {
            T = first.T;
            Tt = first.Tt;
            Se = first.Se;
        } else {
            T = toFloat(train.tokens());
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

    /** Q = T W_Qᵀ, K = T W_Kᵀ (P×m_k) and u = T (W_Vᵀ w_O) at the current weights. */
    void project() {
        java.util.Arrays.fill(Q, 0);
        java.util.Arrays.fill(K, 0);
        gemm(Q, 1, T, WQt, P, d, mk);
        gemm(K, 1, T, WKt, P, d, mk);
        scalarizeWeights();
        for (int j = 0; j < P; j++) u[j] = dot(T, j * d, vo, 0, d);
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
        tokenGemm(WQt, alpha);
        tokenGemm(WKt, beta);
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
     * W −= η Tᵀ X for a d×m_k weight W and a P×m_k gather X, summed over blocks of {@link #TOKEN_BLOCK}
     * tokens: each block of X stays in cache while every row tile of W passes over it (one pass over
     * all of X per tile would stream it from memory ⌈d/6⌉ times).
     */
    private void tokenGemm(float[] W, float[] X) {
        for (int p0 = 0; p0 < P; p0 += TOKEN_BLOCK) {
            gemm(W, -eta, Tt, p0, P, X, p0 * mk, d, Math.min(TOKEN_BLOCK, P - p0), mk);
        }
    }

    @Override
    Projected[] projections() {
        project();
        Projected tr = new Projected(mk, toDouble(Q), toDouble(K), toDouble(u));
        int E = Se.length / d;
        float[] qe = new float[E * mk], ke = new float[E * mk], ue = new float[E];
        gemm(qe, 1, Se, WQt, E, d, mk);
        gemm(ke, 1, Se, WKt, E, d, mk);
        for (int j = 0; j < E; j++) ue[j] = dot(Se, j * d, vo, 0, d);
        Projected te = new Projected(mk, toDouble(qe), toDouble(ke), toDouble(ue));
        Projected probes = new Projected(mk,
                java.util.Arrays.copyOfRange(te.q(), (E - 2) * mk, E * mk),
                java.util.Arrays.copyOfRange(te.k(), (E - 2) * mk, E * mk),
                java.util.Arrays.copyOfRange(te.u(), E - 2, E));
        return new Projected[] {tr, te, probes};
    }

    @Override
    Weights weights() {
        return new Weights(d, mk, mv, toDouble(transpose(WQt, d, mk)), toDouble(transpose(WKt, d, mk)), toDouble(WV), toDouble(wO));
    }
}
