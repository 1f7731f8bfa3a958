package org.attnsweep.engine.vector;

import static org.attnsweep.engine.vector.KernelsF32.dot;

import org.attnsweep.data.BatchOrder;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.model.Loss;
import org.attnsweep.model.RunConfig;

/**
 * What both formulations do the same way, in this file's precision: the attention of docs/math.md §2 and
 * the per-token gathers of docs/math.md §4 from the projections of the P distinct training tokens. The span
 * form keeps those projections up to date through G = TᵀT ({@link SpanRunF32}); the direct form
 * recomputes them from the d-wide weights every step ({@link DirectRunF32}). The phases carry the
 * names of the cuda kernels that do the same work (kernels/*.cu). This file is the single source of
 * AttentionRunF64.
 *
 * <p>An object of this class is one head (docs/math.md §7): a run with H heads is H of them in a
 * {@link HeadsRunF32}, each writing its own f_h, and every head's gather reads the g of the summed
 * f = Σ_h f_h. With one head f_h and f are one array.
 *
 * <p>Shapes: N samples of M tokens; map[n·M + l] is the token of position l of sample n; q_j, k_j
 * are the rows j of Q, K (P×w, token-major), u_j = w_O·(W_V t_j). The width w of the scores'
 * inner products is m_k (q_j = W_Q t_j, k_j = W_K t_j), or d where the direct form scores through
 * A = W_QᵀW_K (q_j = Aᵀt_j, k_j = t_j; docs/math.md §7).
 */
abstract class AttentionRunF32 {
    final RunData data;
    final RunConfig c;
    final TokenSet train;
    final int N, M, P, mk, mv;
    final int width;           // w: the width of the rows of Q, K, α, β
    final boolean keys;        // whether gather computes β (the direct form's bilinear scores need α only)
    final boolean trainWo;
    final float eta;
    final int[] map;
    final float[] y;           // N     observed labels ±1
    final float[] Q, K;        // P×w   q_j, k_j at the current weights
    final float[] u;           // P     u_j
    final float[] alpha, beta; // P×w   gathers α_j, β_j (β empty without keys); tile-major with tiledGathers
    final boolean tiledGathers; // α, β held tile-major (GemmF32.tiledAt), as the span update's GEMMs read them; else row-major
    final float[] gamma;       // P     gather γ_j
    final float[] Sm;          // N×M×w_s logits, then the softmax S_la (row-major per sample: Sm[(n·M + l)·M + a]; w_s > M: by columns, see DirectRunF32)
    final float[] ubar;        // N×w_s ū_l = Σ_a S_la u_{j_a}
    final float[] f;           // N     f(X_n) = Σ_h f_h(X_n), shared by the run's heads
    final float[] fh;          // N     this head's f_h(X_n); f itself with one head
    final float[] Dm;          // M×M   D_la of the sample being gathered
    final float[] lanes;       // the scores kernel's scratch (KernelsF32.scoresScratch)
    /** The threads this run's step may use inside it (set by its batch before each step). */
    Par par = Par.SERIAL;
    /** Samples per piece of a forward pass split over threads. */
    static final int SAMPLE_GRAIN = 16;
    final Loss loss;
    final BatchOrder order;    // mini-batch runs' sample order (docs/math.md §8); null for full batch
    final boolean[] inBatch;   // N     the samples of the step being gathered (mini-batch runs)
    long gathered;             // steps gathered so far: the next one is step `gathered` of the order
    /**
     * Whether Sm, ubar and f_h hold {@link #attentionForward}'s pass at the current weights: set by
     * it, cleared before an update (HeadsRunF32.step). While set, the evaluation reads the training
     * samples' softmax and f_h from it ({@link #trainForward}) instead of scoring them again.
     */
    boolean forwardCurrent;

    /**
     * A head of the run {@code data} with scores of width m_k and both gathers, held tile-major,
     * summing its output into {@code f} (N): the span form's.
     */
    AttentionRunF32(RunData data, float[] Q, float[] K, float[] u, float[] f) {
        this(data, data.config().mk(), true, data.train().M(), true, true, Q, K, u, f);
    }

    /**
     * A head of the run {@code data} whose heads sum their outputs into {@code f} (N), its scores of
     * {@code width}, β gathered only with {@code keys}, and {@code sampleWidth} ≥ M floats per
     * sample and token in Sm and ubar (M, or M padded to whole vectors where a subclass holds the
     * scores by columns); α (and β) per token only with {@code tokenGathers} (a subclass that
     * folds α into its gradient sample by sample holds none), tile-major with {@code tiledGathers}.
     */
    AttentionRunF32(RunData data, int width, boolean keys, int sampleWidth, boolean tokenGathers, boolean tiledGathers, float[] Q, float[] K,
                    float[] u, float[] f) {
        this.data = data;
        this.c = data.config();
        this.train = data.train();
        N = train.N();
        M = train.M();
        P = train.P();
        mk = c.mk();
        mv = c.mv();
        trainWo = c.trainWo();
        eta = (float) c.lr();
        map = train.map();
        y = new float[N];
        for (int n = 0; n < N; n++) y[n] = train.y()[n];
        this.Q = Q;
        this.K = K;
        this.u = u;
        this.width = width;
        this.keys = keys;
        this.tiledGathers = tiledGathers;
        alpha = new float[tokenGathers ? P * width : 0];
        beta = new float[tokenGathers && keys ? P * width : 0];
        gamma = new float[P];
        Sm = new float[N * M * sampleWidth];
        ubar = new float[N * sampleWidth];
        this.f = f;
        fh = c.heads() == 1 ? f : new float[N];
        Dm = new float[M * M];
        lanes = new float[KernelsF32.scoresScratch(M, width)];
        loss = c.loss();
        order = c.miniBatch() ? new BatchOrder(c) : null;
        inBatch = order != null ? new boolean[N] : null;
    }

    /** scalarize_v: u_j = V_j·w_O for the P rows of V (P×m_v); learnable w_O. */
    final void scalarizeV(float[] V, float[] wO) {
        for (int j = 0; j < P; j++) u[j] = dot(V, j * mv, wO, 0, mv);
    }

    /** This head's forward pass at the current weights: its projections, then {@link #attentionForward}. */
    abstract void forward();

    /** This head's GD step from the summed f: the gathers and the weight update. */
    abstract void update();

    /**
     * This head's projections at the current weights, in this file's precision: of the training
     * tokens, the test tokens, and the probes μ₊, μ₋ (what {@link EvalF32#add} reads).
     */
    abstract EvalF32.Head projections();

    /** This head's current weights in float64. */
    abstract org.attnsweep.model.Weights weights();

    /**
     * attention_forward: z_la = q_{j_l}·k_{j_a}, S_la = softmax_a(z_la), ū_l = Σ_a S_la u_{j_a} and
     * f_n = (1/M) Σ_l ū_l for every sample, into Sm, ubar and this head's f_h.
     */
    final void attentionForward() {
        if (par.ways == 1) attentionForward(0, N, lanes);
        else par.rows(N, SAMPLE_GRAIN, (from, to) -> attentionForward(from, to, from == 0 ? lanes : new float[lanes.length]));
        forwardCurrent = true;
    }

    /**
     * The training samples' softmax S (Sm, row-major: M×M per sample) and f_h from the last
     * {@link #attentionForward} where it ran at the current weights (the stop step's forward, read
     * by the final evaluation), else null. Its rows are those the evaluation would compute from
     * {@link #projections}' Q, K and u: the same kernels on the same rows, so the same bits.
     */
    final EvalF32.Forward trainForward() {
        return forwardCurrent ? new EvalF32.Forward(Sm, fh) : null;
    }

    /** Rows per piece of a GEMM split over threads (a multiple of every register tile's height). */
    static final int ROW_GRAIN = 24;

    /**
     * C[rows×cols] += a·A[rows×inner]·B[inner×cols], split over this run's threads: the same bits as
     * one thread. B row-major, or with {@code tiledB} tile-major (GemmF32.tiledAt: a gather of
     * {@link #tiledGathers}), which the GEMM's tiles read as it is where a row-major B is copied
     * into that layout panel by panel. Each piece of a split by rows reads its rows of A and all of
     * B (and packs all of a row-major B); of a split by columns (whole register tiles), all of A and
     * its own columns of B. Whichever repeats fewer bytes: by columns when B outweighs A (rows <
     * 2·cols: the span update, Q −= ηGα at P ≤ 2m_k) and there are tiles enough, else by rows (the
     * direct form's projections of P ≫ m_k tokens).
     */
    final void gemmPar(float[] C, float a, float[] A, float[] B, boolean tiledB, int rows, int inner, int cols) {
        int width = GemmF32.WIDTH, tiles = cols / width;
        if (par.ways == 1) KernelsF32.gemmPart(C, a, A, B, tiledB, 0, rows, inner, cols, 0, cols);
        else if (rows < 2 * cols && tiles >= 2) {
            // Tile t starts at column t·width; the last piece also takes the columns past the last tile.
            // (Par may hand out an empty piece [tiles, tiles): it must stay empty.)
            par.rows(tiles, 1, (t0, t1) -> KernelsF32.gemmPart(C, a, A, B, tiledB, 0, rows, inner, cols, t0 == tiles ? cols : t0 * width,
                    t1 == tiles ? cols : t1 * width));
        } else par.rows(rows, ROW_GRAIN, (from, to) -> KernelsF32.gemmPart(C, a, A, B, tiledB, from, to, inner, cols, 0, cols));
    }

    /** attention_forward of samples [from, to), with {@code lanes} the scores kernel's scratch (one per thread). */
    private void attentionForward(int from, int to, float[] lanes) {
        for (int n = from; n < to; n++) {
            int base = n * M;
            float fn = 0;
            KernelsF32.sampleScores(Sm, base, Q, K, map, base, M, width, lanes);
            for (int l = 0; l < M; l++) {
                float ub = KernelsF32.softmaxRow(Sm, (base + l) * M, M, u, map, base);
                ubar[base + l] = ub;
                fn += ub;
            }
            fh[n] = fn / M;
        }
    }

    /** loss_reduce: L = (1/N) Σ_n ℓ(y_n f_n) over all N samples (also for mini-batch runs), summed in sample order in float64. */
    final double lossReduce() {
        double l = 0;
        for (int n = 0; n < N; n++) l += loss.value(y[n] * f[n]);
        return l / N;
    }

    /** Whether a run at training loss L takes its step: L finite and not below its target. */
    final boolean go(double loss) {
        return Double.isFinite(loss) && loss >= c.targetLoss();
    }

    /** α = β = 0 before a step's gathers (the span form also finishes its previous update in that pass: {@link SpanRunF32}). */
    void clearGathers() {
        java.util.Arrays.fill(alpha, 0);
        java.util.Arrays.fill(beta, 0);
    }

    /**
     * gather: with g_n = ℓ′(y_n f_n)·y_n/B ({@link Loss#sampleGradient}) and D_la = (g/M) S_la
     * (u_{j_a} − ū_l) per sample of this step's batch (all N samples, or the next B of the run's
     * order), α_j = Σ D_la k_{j_a} over the queries l at which t_j occurs, β_j = Σ D_la q_{j_l} over
     * the keys a at which it occurs (with keys), γ_j = Σ g c_a over the same keys; samples in order.
     * Then every subnormal entry of α, β, γ is set to a zero of its sign
     * ({@link KernelsF32#flushSubnormals}): on an Intel core each vector instruction that reads one
     * takes a microcode assist, and the update's GEMMs read α and β once per row block.
     */
    final void gather() {
        clearGathers();
        java.util.Arrays.fill(gamma, 0);
        float invM = (float) (1.0 / M);
        int B = batchSamples();
        for (int n = 0; n < N; n++) {
            if (inBatch != null && !inBatch[n]) continue;   // outside the batch: g_n = 0, nothing to add
            float g = (float) loss.sampleGradient(y[n], f[n], B);
            gatherSample(n, g * invM);
        }
        KernelsF32.flushSubnormals(alpha, alpha.length);
        KernelsF32.flushSubnormals(beta, beta.length);
        KernelsF32.flushSubnormals(gamma, gamma.length);
    }

    /**
     * The number B of samples this step's gradient averages over: N, or for a mini-batch run the
     * next B of its order, which {@link #inBatch} then marks. Counts the step.
     */
    final int batchSamples() {
        int B = N;
        if (order != null) {
            order.mask(gathered, inBatch);
            B = order.size();
        }
        gathered++;
        return B;
    }

    /** The gathers of sample n with gm = g_n/M, from its S and ū in {@link #attentionForward}'s row-major layout. */
    void gatherSample(int n, float gm) {
        int base = n * M;
        for (int l = 0; l < M; l++) {
            float ub = ubar[base + l];
            for (int a = 0; a < M; a++) {
                int ja = map[base + a];
                float s = Sm[(base + l) * M + a];
                float D = gm * s * (u[ja] - ub);
                Dm[l * M + a] = D;
                gamma[ja] += gm * s;                // γ_{j_a} += g c_a
            }
        }
        // α_{j_l} += Σ_a D_la k_a (row l of D), β_{j_a} += Σ_l D_la q_l (column a of D), rows in order.
        if (tiledGathers) {
            KernelsF32.gatherRowsTiled(alpha, P, Dm, M, 1, K, map, base, M, width);
            if (keys) KernelsF32.gatherRowsTiled(beta, P, Dm, 1, M, Q, map, base, M, width);
            return;
        }
        KernelsF32.gatherRows(alpha, Dm, M, 1, K, map, base, M, width);
        if (!keys) return;
        KernelsF32.gatherRows(beta, Dm, 1, M, Q, map, base, M, width);
    }
}
