package org.attnsweep.engine.vector;

import static org.attnsweep.engine.vector.KernelsF32.dot;

import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.Metrics;

/**
 * One run's evaluation (the per-sample parts of docs/math.md §5, §7) on the vector engine's
 * micro-kernels in this file's precision, straight from the projections the run holds: no float64
 * copies of them. The build derives EvalF64 from this file. The parts go to
 * {@link Metrics#assemble}, where the metric definitions live.
 *
 * <p>Per sample of M tokens: the M×M scores z_la = q_{j_l}·k_{j_a} on the training step's scores
 * kernel ({@link KernelsF32#sampleScores}: each logit dot's sum, over the head's row width), the softmax
 * S_la and f_h = (1/M) Σ_l Σ_a S_la u_{j_a} in the order the training forward pass sums them, and
 * for training samples c_a = (1/M) Σ_l S_la and the scores q·k the metrics name, read from z.
 * Heads are added one at a time ({@link #add}), in head order: f sums them, attention and q·k
 * are averaged over them, u summed, as {@link Metrics#compute} combines them.
 */
final class EvalF32 {
    /**
     * One head's projections at the run's current weights: of the training tokens q_j, k_j (Q, K:
     * P×width row-major) and u_j (P), of the evaluation tokens (qe, ke: E×width, ue: E), whose rows
     * the test set's map indexes, with the probes μ₊, μ₋ at rows probe0, probe0 + 1. The width is
     * m_k, or d_p for a run scoring bilinearly (DirectRunF32): q_j = t_j and k_j = A t_j padded
     * with zeros to d_p, A = W_QᵀW_K, so that q_l·k_a = (W_Q x_l)·(W_K x_a) all the same. The arrays
     * may be the run's own state or this thread's scratch: {@link #add} reads them at once.
     *
     * <p>A family's run before its first update (test rows = the family's W(0) rows with the
     * signal rows times ‖μ‖) may instead hand over its family's shared test scores
     * {@code unitScores} ({@link #unitScores}) and qe, ke the family's unscaled rows, with
     * {@code signalScale} = ‖μ‖ the factor of rows 0, 1 (the signals); else unitScores is null
     * and signalScale 1.
     *
     * <p>{@code rows} null: every row of qe, ke is there. Else qe, ke fill in as {@link #add} asks
     * for them ({@link Rows}), test sample by test sample.
     */
    record Head(float[] Q, float[] K, float[] u, float[] qe, float[] ke, float[] ue, int width, int probe0, float[] unitScores,
                float signalScale, Rows rows) {
    }

    /**
     * Evaluation rows made as they are read: {@link #upTo}(r) makes rows [0, r) of qe and ke (and
     * perhaps some past r) where they are not made yet; {@link #close} once nothing more is read.
     * A run's test rows, made a block of samples at a time and scored at once, are read back from
     * the core's L2 where all of qe and ke (6 MB at paper A's shape) made before the first score
     * went out to memory and came back (SpanRunF32.EvalRows).
     */
    interface Rows {
        void upTo(int to);

        void close();
    }

    /**
     * A head's forward pass over the training samples at the run's current weights
     * (AttentionRunF32.trainForward): the softmax S_la of sample n at Sm[(n·M + l)·M + a] and its
     * f_h(X_n) at fh[n], as {@link #softmax} would compute them from the head's Q, K and u (the same
     * kernels on the same rows, so the same bits).
     */
    record Forward(float[] Sm, float[] fh) {
    }

    /**
     * The M×M scores z_la = q_{j_l}·k_{j_a} of every test sample of a family's unit rows (rows
     * 0, 1 the unit signals e₊, e₋, then the test noise, M − 1 tokens per sample: the layout of
     * DataFactory.samples) for either signal: block (2n + r)·M² holds sample n with token 0 = row
     * r (0: e₊, 1: e₋). A run of the family scales z_la by ‖μ‖ once per signal position among l, a.
     */
    static float[] unitScores(float[] qe, float[] ke, int testN, int M, int mk) {
        float[] Z = new float[2 * testN * M * M], scratch = new float[KernelsF32.scoresScratch(M, mk)];
        int[] map = new int[M];
        for (int n = 0; n < testN; n++) {
            for (int l = 1; l < M; l++) map[l] = 2 + n * (M - 1) + (l - 1);
            for (int r = 0; r < 2; r++) {
                map[0] = r;
                KernelsF32.sampleScores(Z, (2 * n + r) * M, qe, ke, map, 0, M, mk, scratch);
            }
        }
        return Z;
    }

    private final TokenSet train, test;
    private final int N, M, H;
    // Noise positions: ξ_{n,2} is position 1; ξ_{n,3} is position 2, or position 1 where M = 2
    // (Metrics.compute and kernels/metric_dots.cu pick the same).
    private final int p2, p3;
    private final boolean perHead;
    // The run's parts, filled head by head.
    private final double[] fTrain, fTest, sig, noise, uNoise, qkSN, qkNS, qkNN;
    private double uPos, uNeg, qkSS;
    private final Metrics.Values[] heads;   // H > 1 with per-head values only
    private int added;
    // Scratch of one sample: the M×M scores then softmax, c_a (M), the scores kernel's (grown to the widest head's need); and
    // the training sample's scores z at (0, p2), (p3, 0), (p3, p2), kept by softmax.
    private final float[] Z, attn;
    private float[] scratch = new float[0];
    private float zSN, zNS, zNN;

    /**
     * The evaluation of a run of H heads on its training set and test set, each head's projections
     * as wide as it says ({@link Head#width}); with {@code perHead} (H > 1) each head's own values too ({@link Metrics.Parts#heads}).
     */
    EvalF32(TokenSet train, TokenSet test, int H, boolean perHead) {
        this.train = train;
        this.test = test;
        N = train.N();
        M = train.M();
        p2 = 1;
        p3 = Math.min(2, M - 1);
        this.H = H;
        this.perHead = perHead && H > 1;
        fTrain = new double[N];
        fTest = new double[test.N()];
        sig = new double[N];
        noise = new double[N];
        uNoise = new double[N];
        qkSN = new double[N];
        qkNS = new double[N];
        qkNN = new double[N];
        heads = this.perHead ? new Metrics.Values[H] : null;
        Z = new float[M * M];
        attn = new float[M];
    }

    /**
     * Adds head number {@link #added} (heads come in order 0..H−1) from its projections, its
     * training samples' softmax and f_h read from {@code forward} where it is not null.
     */
    void add(Head p, Forward forward) {
        int h = added++;
        // This head's own values (signal and noise attention, u(ξ₂), the three q·k), kept only
        // when the caller wants each head's metrics.
        double[][] own = perHead ? new double[6][N] : null;
        int[] map = train.map();
        for (int n = 0; n < N; n++) {
            if (forward == null) {
                scores(p.Q(), p.K(), p.width(), map, n);
                fTrain[n] += softmax(p.u(), map, n, true);
            } else {
                fTrain[n] += forward.fh()[n];
                keep(forward.Sm(), p, map, n);
            }
            // z_la before the softmax is q_{j_l}·k_{j_a} (scores sums each as dot does): kept by softmax or keep.
            double hSig = attn[0], hNoise = attn[1], hu = p.u()[map[n * M + p2]], hsn = zSN, hns = zNS, hnn = zNN;
            sig[n] += hSig / H;
            noise[n] += hNoise / H;
            uNoise[n] += hu;
            qkSN[n] += hsn / H;
            qkNS[n] += hns / H;
            qkNN[n] += hnn / H;
            if (own == null) continue;
            own[0][n] = hSig;
            own[1][n] = hNoise;
            own[2][n] = hu;
            own[3][n] = hsn;
            own[4][n] = hns;
            own[5][n] = hnn;
        }
        int[] testMap = test.map();
        Rows rows = p.rows();
        int r = p.probe0(), w = p.width();
        double ss;
        try {
            for (int n = 0; n < fTest.length; n++) {
                if (rows != null) rows.upTo(lastRow(testMap, n) + 1);
                if (p.unitScores() == null) scores(p.qe(), p.ke(), p.width(), testMap, n);
                else sharedScores(p.unitScores(), p.signalScale(), testMap, n);
                fTest[n] += softmax(p.ue(), testMap, n, false);
            }
            if (rows != null) rows.upTo(r + 2);
            float sc = p.signalScale();
            ss = sc * sc * dot(p.qe(), r * w, p.ke(), r * w, w);
        } finally {
            if (rows != null) rows.close();
        }
        double pos = p.ue()[r], neg = p.ue()[r + 1];
        uPos += pos;
        uNeg += neg;
        qkSS += ss / H;
        if (own != null) heads[h] = new Metrics.Values(own[0], own[1], own[2], own[3], own[4], own[5], pos, neg, ss);
    }

    /** The last evaluation row sample n reads (its tokens' rows, map[n·M ..]). */
    private int lastRow(int[] map, int n) {
        int last = 0;
        for (int l = n * M; l < (n + 1) * M; l++) last = Math.max(last, map[l]);
        return last;
    }

    /** The run's parts, once all H heads are added. */
    Metrics.Parts parts() {
        if (added != H) throw new IllegalStateException(added + " of " + H + " heads added");
        return new Metrics.Parts(fTrain, fTest, new Metrics.Values(sig, noise, uNoise, qkSN, qkNS, qkNN, uPos, uNeg, qkSS), heads);
    }

    /** The M×M scores z_la = q_{j_l}·k_{j_a} of sample n (tokens map[n·M ..]) into Z, from the rows Q, K (w wide). */
    private void scores(float[] Q, float[] K, int w, int[] map, int n) {
        int need = KernelsF32.scoresScratch(M, w);
        if (scratch.length < need) scratch = new float[need];
        KernelsF32.sampleScores(Z, 0, Q, K, map, n * M, M, w, scratch);
    }

    /**
     * The scores of test sample n of a family's run at W(0) into Z: the family's unit scores of the
     * sample's signal ({@link #unitScores}), row and column 0 (the signal position) times ‖μ‖.
     */
    private void sharedScores(float[] unit, float scale, int[] map, int n) {
        System.arraycopy(unit, (2 * n + map[n * M]) * M * M, Z, 0, M * M);
        for (int a = 0; a < M; a++) Z[a] *= scale;
        for (int l = 0; l < M; l++) Z[l * M] *= scale;
    }

    /**
     * What {@link #softmax} keeps of training sample n, from the forward pass's softmax Sm instead
     * of Z: c_0, c_1 into {@link #attn} (summed over l in the same order), and the three named
     * scores, which the softmax has overwritten in Sm, as {@link KernelsF32#dot} of their rows
     * (each logit of the scores kernel is dot's sum bit for bit: MicroKernelTest).
     */
    private void keep(float[] Sm, Head p, int[] map, int n) {
        int base = n * M, w = p.width();
        float[] Q = p.Q(), K = p.K();
        int j0 = map[base] * w, j2 = map[base + p2] * w, j3 = map[base + p3] * w;
        zSN = dot(Q, j0, K, j2, w);
        zNS = dot(Q, j3, K, j0, w);
        zNN = dot(Q, j3, K, j2, w);
        float c0 = 0, c1 = 0;
        for (int l = 0; l < M; l++) {
            int row = (base + l) * M;
            c0 += Sm[row] / M;
            c1 += Sm[row + 1] / M;
        }
        attn[0] = c0;
        attn[1] = c1;
    }

    /**
     * f_h(X_n) of sample n from its scores in Z and the values u, summed as the training forward
     * pass sums it ({@link KernelsF32#softmaxRow}, as AttentionRunF32.attentionForward); for a training sample ({@code keep}) also
     * c_a into {@link #attn} and its three named scores.
     */
    private float softmax(float[] u, int[] map, int n, boolean keep) {
        int base = n * M;
        if (keep) {
            zSN = Z[p2];
            zNS = Z[p3 * M];
            zNN = Z[p3 * M + p2];
            java.util.Arrays.fill(attn, 0);
        }
        float fn = 0;
        for (int l = 0; l < M; l++) {
            int row = l * M;
            fn += KernelsF32.softmaxRow(Z, row, M, u, map, base);
            if (keep) {
                for (int a = 0; a < M; a++) attn[a] += Z[row + a] / M;
            }
        }
        return fn / M;
    }
}
