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
 * matrix A = W_QᵀW_K instead (docs/math.md §7, bilinear scores): z_la = x_l·(A x_a), so the keys
 * are k'_j = A t_j (GEMMs, K'_cᵀ = A X_cᵀ chunk by chunk in the step) and the queries the fixed tokens, the one gather
 * α = Σ D_la x_a gives Γ = Σ D_la x_l x_aᵀ = Tᵀα, and ∇W_Q = W_K Γᵀ, ∇W_K = W_Q Γ: about 2·d²·P +
 * 2·N·M²·d multiply-adds, the same GD reassociated. {@link CostModel#bilinear} chooses, per run,
 * the order with fewer multiply-adds. In this order the values and r come out of the chunk GEMMs
 * the step makes anyway, so it makes no pass over T: u_j = vo·t_j as one more row of the keys'
 * GEMM, [A; voᵀ] X_cᵀ, and r = Tᵀγ as column d of Γ's, γ's terms in E_c's first zero column.
 *
 * <p>The bilinear scores are computed by columns: each sample's tokens are laid out transposed once
 * (X_nᵀ, d×M, in Xt, {@link #SAMPLE_CHUNK} samples side by side), so a vector holds one key's logits for M_p queries (M_p = M padded to whole
 * vectors; lanes past M read on into the next row and are never used), z_{·a} = Σ_i k'_{a,i} X_nᵀ[i,·]: broadcast-fmas on a register block
 * ({@link KernelsF32#rowPanel}) instead of M² horizontal dot products, and the softmax over the keys
 * is lane-wise ({@link KernelsF32#softmaxColumns}). Sm and ubar then hold S_la at
 * Sm[(n·M + a)·M_p + l] and ū_l at ubar[n·M_p + l].
 */
final class DirectRunF32 extends AttentionRunF32 {
    final int d;
    final float[] T, Tt;       // P×d training tokens and their transpose d×P (projected order only)
    final float[] Se;          // E×d evaluation tokens: the test tokens, then μ₊, μ₋
    final float[] WQt, WKt;    // d×m_k  W_Qᵀ, W_Kᵀ
    final float[] WV;          // m_v×d
    final float[] wO;          // m_v
    final float[] vo;          // d      W_Vᵀ w_O: u_j = vo·t_j
    final float[] r;           // d      Tᵀγ
    final boolean bilinear;    // scores through A = W_QᵀW_K at width d_p
    final int dp;              // d_p: d + 1 rounded up to whole vectors, the width of the bilinear rows (0 without): column d of E_c and Γ carries r
    final float[] Tp;          // P×d_p  the tokens with zero columns past d: the keys k_j (bilinear only; shared by the heads)
    final float[] A, Gm;       // d×d_p  Aᵀ = W_KᵀW_Q (A = W_QᵀW_K), zero past column d, and Γ = Tᵀα with r = Tᵀγ in column d (bilinear only)
    final float[] square;      // (d+1)×d  A with vo as row d during the forward (its keys and values are [A; voᵀ] X_cᵀ), Γᵀ in its first d rows during the update (bilinear only)
    final float[] WQ, gQt;     // m_k×d_p W_Q, zero past column d, and d×m_k the step's ∇W_Qᵀ (bilinear only)
    final int mp;              // M_p: M rounded up to whole vectors, the lanes of a column of scores (bilinear only)
    final float[] Xt;          // ⌈N/C⌉×d×C·M  each chunk of C samples' tokens transposed, X_cᵀ, then M_p zeros (bilinear only; shared by the heads)
    final float[][] Gg;        // G of d×d_p  Γ_g, the part of Γ summed over sample group g (bilinear only)
    final float[][] Dt;        // M×M_p  per thread's piece of groups (made at its first use, by its first group): D_la of the sample it is gathering, by columns: Dt[a·M_p + l] (bilinear only)
    final float[][] E;         // C·M×d_p  per piece likewise: E_n = D_n X_n for the chunk's samples, row l of sample s the α contribution Σ_a D_la x_a, and in column d γ's term g_n/M·Σ_l S_la of occurrence l (bilinear only)
    final float[] uOcc;        // N×M    u_{j_a} = vo·x_a of every token occurrence at this step's weights, by sample (bilinear only)
    final float[] gm;          // N      g_n/M of this step's samples (bilinear only)
    /**
     * Whether the forward pass does the gradient's work too, chunk by chunk while the chunk's
     * scores, softmax and tokens are in cache ({@link #forwardGroups}): with bilinear scores, one
     * head (f_n is then this head's f_h, final once its sample's forward is done) and full-batch GD
     * (g_n = ℓ'(y_n f_n)/N needs nothing else). The update then only sums the parts. The same
     * chunks and groups in the same order: the same bits as the gradient taken after the loss.
     */
    final boolean fused;
    /** Tokens per block of the gradient GEMMs: a 256×m_k block of α is 64 KiB at m_k = 64 in float32. */
    static final int TOKEN_BLOCK = 256;
    /**
     * G, the fixed groups of consecutive samples whose parts Γ_g of Γ are summed apart and then added
     * in order of g: the unit a run's threads share in {@link #gradientCore}, fixed so that the bits
     * do not depend on the thread count, and enough of them that 2–8 threads get near-equal shares.
     */
    static final int GRADIENT_GROUPS = 16;
    /**
     * C, samples whose transposed tokens lie side by side in {@link #Xt}: Γ_g += X_cᵀ E_c is then one
     * GEMM over C·M = 64 inner indices (at M = 16) instead of C products over M, each of which
     * loaded and stored its d×d_p tile of Γ for 16 multiply-adds an element; E_c (C·M×d_p, 16 KiB
     * at d_p = 64) stays in L1 beside the chunk's tokens (C = 8 measured no faster, within noise).
     */
    static final int SAMPLE_CHUNK = 4;
    /** Rows of K' per block of {@link #project}: a 256×d_p block is 64 KiB at d_p = 64, zeroed just before the GEMM writes it. */
    static final int KEY_BLOCK = 256;

    /**
     * The read-only token arrays a run's heads step and evaluate on, made once from its data and
     * shared by the heads of a run and by the runs of a batch that train on the same token sets
     * (one data directory read for every run of a command: a batch of 16 runs then holds them once,
     * not 16 times, and its runs stream the same T_p and X_cᵀ through the shared cache): T (P×d),
     * T_p (T's rows padded to d_p, bilinear only), X_cᵀ ({@link #sampleTransposes}, bilinear only),
     * Tᵀ (d×P, for the projected order's gradient GEMMs only) and S_e (the test tokens, then μ₊ and
     * μ₋: (P_test + 2)×d).
     */
    record Tokens(float[] T, float[] Tp, float[] Xt, float[] Tt, float[] Se) {
        /** What runs holding the same token arrays have in common: their training and test sets and μ's, by identity. */
        static java.util.List<Object> dataKey(RunData data) {
            return java.util.List.of(data.train(), data.test(), data.muPos(), data.muNeg());
        }

        static Tokens of(RunData data, boolean bilinear) {
            int P = data.train().P(), d = data.config().d(), N = data.train().N(), M = data.train().M();
            float[] T = toFloat(data.train().tokens());
            int Pt = data.test().P();
            float[] Se = new float[(Pt + 2) * d];
            System.arraycopy(toFloat(data.test().tokens()), 0, Se, 0, Pt * d);
            System.arraycopy(toFloat(data.muPos()), 0, Se, Pt * d, d);
            System.arraycopy(toFloat(data.muNeg()), 0, Se, (Pt + 1) * d, d);
            return new Tokens(T, bilinear ? pad(T, P, d, rowWidth(d)) : null,
                    bilinear ? sampleTransposes(T, data.train().map(), N, M, d, padded(M)) : null, bilinear ? null : transpose(T, P, d), Se);
        }
    }

    /**
     * Head w0 of the run {@code data}, summing into f (N), in the scoring order {@code bilinear}
     * chose for it, on the token arrays {@code tokens} (made for that order from data or shared).
     */
    private DirectRunF32(RunData data, Weights w0, float[] f, boolean bilinear, Tokens tokens) {
        int P = data.train().P(), d = data.config().d(), mk = data.config().mk();
        float[] T = tokens.T();
        // The bilinear rows are padded with zeros to whole vectors: a width of d = 49 would leave the
        // GEMM's register tile unused (all columns in its one-vector tail) and the scores a scalar tail.
        // At least one zero column past d: E_c's column d carries γ's terms, so the Γ GEMM sums r too.
        int dp = bilinear ? rowWidth(d) : 0;
        float[] Tp = tokens.Tp();
        int width = bilinear ? dp : mk, M = data.train().M(), mp = bilinear ? padded(M) : 0;
        super(data, width, !bilinear, bilinear ? mp : M, !bilinear, false, new float[P * width], bilinear ? Tp : new float[P * width], new float[P], f);
        this.mp = mp;
        this.d = d;
        this.bilinear = bilinear;
        this.dp = dp;
        this.T = T;
        this.Tp = Tp;
        Tt = tokens.Tt();
        Se = tokens.Se();
        Xt = tokens.Xt();
        WQt = transpose(toFloat(w0.WQ()), mk, d);
        WKt = transpose(toFloat(w0.WK()), mk, d);
        WV = toFloat(w0.WV());
        wO = toFloat(w0.wO());
        vo = new float[d];
        r = new float[d];
        A = bilinear ? new float[d * dp] : null;
        Gm = bilinear ? new float[d * dp] : null;
        square = bilinear ? new float[(d + 1) * d] : null;
        WQ = bilinear ? new float[mk * dp] : null;
        gQt = bilinear ? new float[d * mk] : null;
        Gg = bilinear ? new float[GRADIENT_GROUPS][d * dp] : null;
        Dt = bilinear ? new float[GRADIENT_GROUPS][] : null;
        E = bilinear ? new float[GRADIENT_GROUPS][] : null;
        uOcc = bilinear ? new float[N * M] : null;
        gm = bilinear ? new float[N] : null;
        fused = bilinear && c.heads() == 1 && order == null;
    }

    /**
     * Each chunk of C = {@link #SAMPLE_CHUNK} samples' tokens transposed: sample n = c·C + s at
     * out[(c·d + i)·C·M + s·M + l] = T[map[n·M + l]·d + i] (⌈N/C⌉×d×C·M; the last chunk's missing
     * samples zero), then mp zeros, so that a vector of mp lanes read from any row stays in the array.
     */
    private static float[] sampleTransposes(float[] T, int[] map, int N, int M, int d, int mp) {
        int C = SAMPLE_CHUNK, chunks = (N + C - 1) / C;
        float[] out = new float[chunks * d * C * M + mp];
        for (int n = 0; n < N; n++) {
            for (int l = 0; l < M; l++) {
                int t = map[n * M + l] * d, o = sampleColumn(n, d, M) + l;
                for (int i = 0; i < d; i++) out[o + i * C * M] = T[t + i];
            }
        }
        return out;
    }

    /** Where sample n's X_nᵀ starts in {@link #Xt}: its column in its chunk's first row (rows C·M apart). */
    private static int sampleColumn(int n, int d, int M) {
        return (n / SAMPLE_CHUNK * d * SAMPLE_CHUNK + n % SAMPLE_CHUNK) * M;
    }

    /** d rounded up to a whole number of vectors. */
    static int padded(int d) {
        return (d + KernelsF32.L - 1) / KernelsF32.L * KernelsF32.L;
    }

    /** d_p, the bilinear rows' width: d + 1 rounded up to whole vectors (column d of E_c carries γ's terms). */
    static int rowWidth(int d) {
        return padded(d + 1);
    }

    /** x (rows×cols) with zero columns up to {@code width}. */
    private static float[] pad(float[] x, int rows, int cols, int width) {
        float[] out = new float[rows * width];
        for (int i = 0; i < rows; i++) System.arraycopy(x, i * cols, out, i * width, cols);
        return out;
    }

    /** Whether run {@code data} scores through A = W_QᵀW_K ({@link CostModel#bilinear}). */
    private static boolean bilinear(RunData data) {
        return CostModel.bilinear(data.train().N(), data.train().M(), data.config().d(), data.config().mk(), data.train().P());
    }

    /**
     * The run's heads, summing into f (N), on one set of token arrays: {@code shared}'s for the
     * same token sets (the same training and test sets and μ's, by identity, and the same scoring
     * order), else made now and left in {@code shared} for the next run of the batch. {@code shared}
     * is one batch's, and is locked while it is looked up or filled (runs open on several threads).
     */
    static DirectRunF32[] open(RunData data, float[] f, java.util.Map<java.util.List<Object>, Tokens> shared) {
        boolean bilinear = bilinear(data);
        Tokens tokens;
        synchronized (shared) {
            tokens = shared.computeIfAbsent(java.util.List.of(Tokens.dataKey(data), bilinear),
                    k -> Tokens.of(data, bilinear));
        }
        DirectRunF32[] heads = new DirectRunF32[data.config().heads()];
        for (int h = 0; h < heads.length; h++) heads[h] = new DirectRunF32(data, data.init().head(h), f, bilinear, tokens);
        return heads;
    }

    @Override
    void forward() {
        if (!bilinear) {
            project();
            attentionForward();
            return;
        }
        scalarizeWeights();
        bilinearWeights();
        if (par.ways == 1) forwardGroups(0, GRADIENT_GROUPS);
        else par.rows(GRADIENT_GROUPS, 1, this::forwardGroups);
    }

    /**
     * attention_forward with bilinear scores for the samples of groups [from, to) (the groups of
     * {@link #gradientGroups}, so a thread's piece is the same and so is its scratch), chunk by
     * chunk: the chunk's keys by columns and its values, [K'_cᵀ; u_cᵀ] = [A; voᵀ] X_cᵀ ((d+1)×C·M:
     * k'_{j} = A t_j and u_j = vo·t_j for each token position of its C samples, one GEMM from the
     * transposed tokens in {@link #Xt}, into the piece's scratch, (d+1)·C·M ≤ C·M·d_p floats:
     * 12.5 KiB at d = 49, M = 16, in L1 for the scores that follow; row d costs nothing at d = 49,
     * as the GEMM's last 6-row tile was one row full), the values copied out by occurrence into
     * {@link #uOcc} (instead of a pass u = T vo over all of T from memory), then per sample
     * z_la = Σ_i K'_cᵀ[i, s·M + a]·X_nᵀ[i, l] for a column a of L
     * queries at a time, the lane-wise softmax, ū and f_h. K' itself (P×d_p) is neither written nor
     * read back (the evaluation makes its own, {@link #project}): every key k'_{j_a} is the fma
     * chain over i in order that K' = T Aᵀ gives, so the bits are the same, and the step no longer
     * streams P×d_p floats out to memory and back in.
     */
    private void forwardGroups(int from, int to) {
        int C = SAMPLE_CHUNK, chunks = (N + C - 1) / C, w = C * M;
        float[] Kc = pieceScratch(from), Dt = this.Dt[from];
        float invM = (float) (1.0 / M);
        for (int grp = from; grp < to; grp++) {
            if (fused) java.util.Arrays.fill(Gg[grp], 0);
            for (int ch = grp * chunks / GRADIENT_GROUPS, end = (grp + 1) * chunks / GRADIENT_GROUPS; ch < end; ch++) {
                java.util.Arrays.fill(Kc, 0, (d + 1) * w, 0);
                KernelsF32.gemm(Kc, 1, square, 0, d, Xt, ch * d * w, d + 1, d, w);
                int first = ch * C, last = Math.min(N, first + C);
                System.arraycopy(Kc, d * w, uOcc, first * M, (last - first) * M);
                for (int n = first; n < last; n++) {
                    int base = n * M, z0 = base * mp;
                    KernelsF32.rowPanel(Sm, z0, Kc, null, (n - first) * M, 1, w, Xt, sampleColumn(n, d, M), w, M, d, mp);
                    fh[n] = KernelsF32.softmaxColumns(Sm, z0, uOcc, base, M, mp, ubar, n * mp) / M;
                    if (fused) gm[n] = (float) loss.sampleGradient(y[n], f[n], N) * invM;
                }
                if (fused) gradientChunk(ch, Gg[grp], Kc, Dt);   // Kc done with: it becomes E_c
            }
        }
    }

    /**
     * The E scratch of the thread piece that starts at group {@code from} (C·M×d_p, with D's M×M_p
     * beside it), made at the piece's first use: the forward's K'_cᵀ and the gradient's E_c.
     */
    private float[] pieceScratch(int from) {
        if (E[from] == null) {
            Dt[from] = new float[M * mp];
            E[from] = new float[SAMPLE_CHUNK * M * dp];   // ≥ (d+1)·C·M, the forward's [K'_cᵀ; u_cᵀ], as d_p > d
        }
        return E[from];
    }

    /**
     * The gathers with bilinear scores, folded sample by sample into Γ = Σ_n X_nᵀ D_n X_n (d×d_p) and
     * γ: with g_n/M for this step's samples ({@link #batchSamples}), each sample's D by columns,
     * E_n = D_n X_n (the sample's α rows, {@link KernelsF32#gatherRowsTo}) and, per chunk of C samples,
     * Γ_g += X_cᵀ E_c on the GEMM's tile, from the chunk's transposed tokens, into its group's part,
     * with γ's terms g/M·Σ_l S_la in E_c's column d, so that Γ_g's column d is the group's part of
     * r = Tᵀγ = Σ_{n,a} (g_n/M·Σ_l S_la) x_{j_a} (no γ over P and no pass r = Tᵀγ over T);
     * then Γ and r = Σ_g Γ_g in order of g. The {@link #GRADIENT_GROUPS}
     * groups are split over the run's threads, each sample's work done once by one thread, and
     * nothing a thread sums depends on which thread it is or how many there are, so neither do
     * the bits; no P×d_p α is written, cleared or read back. Where the run is {@link #fused}, the
     * forward pass has already done the groups' work: only the sums are left here.
     */
    private void gradientCore() {
        float invM = (float) (1.0 / M);
        int B = batchSamples();
        if (!fused) {
            for (int n = 0; n < N; n++) {
                gm[n] = inBatch != null && !inBatch[n] ? 0 : (float) loss.sampleGradient(y[n], f[n], B) * invM;
            }
            if (par.ways == 1) gradientGroups(0, GRADIENT_GROUPS);
            else par.rows(GRADIENT_GROUPS, 1, this::gradientGroups);
        }
        java.util.Arrays.fill(Gm, 0);
        for (float[] part : Gg) KernelsF32.axpy(1, part, 0, Gm, 0, d * dp);
    }

    /**
     * Γ_g for groups [from, to): group g takes chunks [g·⌈N/C⌉/G, (g+1)·⌈N/C⌉/G) in order, with the
     * piece's scratch (one set per thread, reused from group to group and step to step: one per
     * group would cycle G·C·M·d_p floats through the cache of a run stepped on one thread); for each chunk E_c (C·M×d_p: each sample's E_n and γ terms, zero for samples outside the batch
     * or past N), then Γ_g += X_cᵀ E_c.
     */
    private void gradientGroups(int from, int to) {
        int chunks = (N + SAMPLE_CHUNK - 1) / SAMPLE_CHUNK;
        float[] E = pieceScratch(from), Dt = this.Dt[from];
        for (int grp = from; grp < to; grp++) {
            java.util.Arrays.fill(Gg[grp], 0);
            for (int ch = grp * chunks / GRADIENT_GROUPS, end = (grp + 1) * chunks / GRADIENT_GROUPS; ch < end; ch++) gradientChunk(ch, Gg[grp], E, Dt);
        }
    }

    /**
     * Chunk ch's part of Γ_g and of r (Γ_g's column d), from its samples' g_n/M in {@link #gm}: each
     * sample's D by columns into Dt, E_n = D_n X_n into its rows of E (E_c, C·M×d_p, zero for samples
     * outside the batch or past N; T_p's column d is zero, so is E_n's) and its γ terms
     * g/M·Σ_l S_la into E's column d, then Γ_g += X_cᵀ E_c.
     */
    private void gradientChunk(int ch, float[] Gg, float[] E, float[] Dt) {
        int C = SAMPLE_CHUNK;
        java.util.Arrays.fill(E, 0);
        for (int n = ch * C; n < Math.min(N, (ch + 1) * C); n++) {
            if (inBatch != null && !inBatch[n]) continue;   // outside the batch: g_n = 0, its rows of E stay zero
            int base = n * M, z0 = base * mp;
            float g = gm[n];
            for (int c = 0; c < mp; c += KernelsF32.L) {
                var ub = jdk.incubator.vector.FloatVector.fromArray(KernelsF32.S, ubar, n * mp + c);
                for (int a = 0; a < M; a++) {
                    var s = jdk.incubator.vector.FloatVector.fromArray(KernelsF32.S, Sm, z0 + a * mp + c);
                    s.mul(g).mul(ub.neg().add(uOcc[base + a])).intoArray(Dt, a * mp + c);
                }
            }
            int e0 = (n - ch * C) * M * dp;
            KernelsF32.gatherRowsTo(E, e0, Dt, 1, mp, K, map, base, M, dp);
            for (int a = 0; a < M; a++) {
                float sum = 0;
                for (int l = 0; l < M; l++) sum += Sm[z0 + a * mp + l];
                E[e0 + a * dp + d] = g * sum;
            }
        }
        KernelsF32.gemm(Gg, 1, Xt, ch * d * C * M, C * M, E, 0, d, C * M, dp);
    }

    @Override
    void update() {
        if (bilinear) gradientCore();
        else gather();
        weightUpdate();
    }

    /**
     * The attention's rows at the current weights: Q = T W_Qᵀ, K = T W_Kᵀ (P×m_k), or with bilinear
     * scores Q = T Aᵀ (P×d_p: the keys k'_j = A t_j, A = W_QᵀW_K, held transposed in {@link #A}) and
     * K = T as it is; and u = T (W_Vᵀ w_O). The projected order's step and the evaluation take it;
     * the bilinear step makes its keys chunk by chunk instead ({@link #forwardGroups}), the same bits.
     */
    void project() {
        scalarizeWeights();
        if (bilinear) {
            bilinearWeights();
            int blocks = (P + KEY_BLOCK - 1) / KEY_BLOCK;
            if (par.ways == 1) keys(0, blocks);
            else par.rows(blocks, 1, this::keys);
        } else {
            java.util.Arrays.fill(Q, 0);
            java.util.Arrays.fill(K, 0);
            gemmPar(Q, 1, T, WQt, false, P, d, mk);
            gemmPar(K, 1, T, WKt, false, P, d, mk);
            for (int j = 0; j < P; j++) u[j] = dot(T, j * d, vo, 0, d);
        }
    }

    /**
     * Blocks [from, to) of {@link #KEY_BLOCK} tokens: their rows of K' = T Aᵀ, each block zeroed just
     * before the GEMM adds into it (while it is in cache: a separate pass would stream all P×d_p of it
     * through memory once more), and their u_j = t_j·vo from the rows of T the GEMM has just read
     * (u as axpys down Tᵀ's rows, without the dots' lane sums, reads Tᵀ from memory besides: no
     * faster in A/B pairs at R = 16). The blocks are fixed, whatever the threads.
     */
    private void keys(int from, int to) {
        for (int blk = from; blk < to; blk++) {
            int b = blk * KEY_BLOCK, e = Math.min(P, b + KEY_BLOCK);
            java.util.Arrays.fill(Q, b * dp, e * dp, 0);
            KernelsF32.gemmRows(Q, 1, T, A, b, e, d, dp);
            for (int j = b; j < e; j++) u[j] = dot(T, j * d, vo, 0, d);
        }
    }

    /**
     * Aᵀ = W_KᵀW_Q (d×d_p, zero past column d) and A itself (d×d, in {@link #square}, with vo, which
     * {@link #scalarizeWeights} has made, as row d: the forward's keys and values are [A; voᵀ] X_cᵀ),
     * at the current weights.
     */
    private void bilinearWeights() {
        transposeInto(WQt, d, mk, WQ, dp);
        java.util.Arrays.fill(A, 0);
        gemm(A, 1, WKt, WQ, d, mk, dp);
        transposeSquare(A, dp, square, d);
        System.arraycopy(vo, 0, square, d * d, d);
    }

    /** out (d×d) = the transpose of x's first d columns, x's d rows {@code ldx} apart (Aᵀ → A, Γ → Γᵀ). */
    private static void transposeSquare(float[] x, int ldx, float[] out, int d) {
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) out[j * d + i] = x[i * ldx + j];
        }
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
            // Γ = Tᵀα (d×d, from gradientCore); ∇W_Qᵀ = Γ W_Kᵀ and ∇W_Kᵀ = Γᵀ W_Qᵀ, both at the weights before the step.
            java.util.Arrays.fill(gQt, 0);
            gemm(gQt, 1, Gm, dp, WKt, d, d, mk);
            transposeSquare(Gm, dp, square, d);
            gemm(WKt, -eta, square, WQt, d, d, mk);
            axpy(-eta, gQt, 0, WQt, 0, d * mk);
            for (int i = 0; i < d; i++) r[i] = Gm[i * dp + d];   // r = Tᵀγ, summed with Γ (gradientCore)
        } else {
            tokenGemm(WQt, -eta, alpha, mk);
            tokenGemm(WKt, -eta, beta, mk);
            java.util.Arrays.fill(r, 0);
            for (int j = 0; j < P; j++) axpy(gamma[j], T, j * d, r, 0, d);   // r = Tᵀγ, tokens in order, one pass over T
        }
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

    /**
     * The evaluation's rows at the current weights ({@link EvalF32.Head}). With bilinear scores they
     * are the step's own, d_p wide: the training queries the padded tokens {@link #Tp} and the keys
     * A t_j the step holds in Q, so q_l·k_a = x_l·(A x_a) as the step scores it, at no cost; the
     * evaluation tokens padded likewise and their keys Se A (one E×d×d_p product, against two
     * E×d×m_k ones for W_Q and W_K). Else Q, K as they are and qe, ke = Se W_Qᵀ, Se W_Kᵀ (E×m_k).
     * The evaluation tokens' rows go to this thread's scratch ({@link #EVAL}).
     */
    @Override
    EvalF32.Head projections() {
        project();
        int E = Se.length / d, w = bilinear ? dp : mk;
        float[] qe = scratch(0, E * w), ke = scratch(1, E * w), ue = scratch(2, E);
        java.util.Arrays.fill(ke, 0);
        if (bilinear) {
            for (int j = 0; j < E; j++) {
                System.arraycopy(Se, j * d, qe, j * dp, d);
                java.util.Arrays.fill(qe, j * dp + d, (j + 1) * dp, 0);   // the scratch holds whatever its last use left
            }
            gemm(ke, 1, Se, A, E, d, dp);   // k_e = A s_e: rows of Se Aᵀ, A held transposed
        } else {
            java.util.Arrays.fill(qe, 0);
            gemm(qe, 1, Se, WQt, E, d, mk);
            gemm(ke, 1, Se, WKt, E, d, mk);
        }
        for (int j = 0; j < E; j++) ue[j] = dot(Se, j * d, vo, 0, d);
        return bilinear ? new EvalF32.Head(Tp, Q, u, qe, ke, ue, dp, E - 2, null, 1, null)
                : new EvalF32.Head(Q, K, u, qe, ke, ue, mk, E - 2, null, 1, null);
    }

    /**
     * Per thread (a run's evaluation runs on the thread that asks for its metrics, head by head,
     * and {@link EvalF32#add} reads a head's rows before the next head's): the evaluation tokens'
     * qe, ke (E×m_k, or E×d_p with bilinear scores) and ue (E), reused across evaluations, heads
     * and runs instead of allocated at each evaluation; nothing of them lives between a run's
     * evaluations, so its memory stays what CostModel.testWords counts.
     */
    private static final ThreadLocal<float[][]> EVAL = ThreadLocal.withInitial(() -> new float[3][0]);

    /** Scratch {@code k} of this thread, n floats (contents left from its last use). */
    private static float[] scratch(int k, int n) {
        float[][] scratch = EVAL.get();
        if (scratch[k].length != n) scratch[k] = new float[n];
        return scratch[k];
    }

    @Override
    Weights weights() {
        return new Weights(d, mk, mv, toDouble(transpose(WQt, d, mk)), toDouble(transpose(WKt, d, mk)), toDouble(WV), toDouble(wO));
    }
}
