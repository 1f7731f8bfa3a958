package org.attnsweep.engine.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Metrics;
import org.attnsweep.engine.Projected;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * A batch of runs trained with the exact span formulation of SPEC §4 in this file's precision.
 * This file is the single source: the build derives SpanBatchF64 from it by rewriting the element
 * type, so both precisions run the same code.
 *
 * <p>Layout: every per-token matrix is token-major, P rows of width m (row j = q_j, k_j, ...), so
 * the sample loops touch contiguous rows and the updates Q −= η G α are broadcast-form GEMMs
 * C[P×m] += a·A[P×P]·B[P×m] with the m-wide rows vectorised.
 */
final class SpanBatchF32 implements EngineBatch {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private final Run[] runs;
    private final ExecutorService pool;

    /** Projects every run's tokens and weights (the set-up of SPEC §4), spread over the pool. */
    SpanBatchF32(List<RunData> data, ExecutorService pool) {
        this.pool = pool;
        runs = new Run[data.size()];
        parallel(runs.length, r -> runs[r] = new Run(data.get(r)));
    }

    @Override
    public int size() {
        return runs.length;
    }

    @Override
    public void step(boolean[] active, double[] loss) {
        parallel(runs.length, r -> {
            if (active[r]) loss[r] = runs[r].step();
        });
    }

    @Override
    public void metrics(boolean[] which, double[][] out) {
        parallel(runs.length, r -> {
            if (which[r]) runs[r].metrics(out[r]);
        });
    }

    @Override
    public Weights weights(int r) {
        return runs[r].weights();
    }

    @Override
    public void close() {
        java.util.Arrays.fill(runs, null);
    }

    private interface RunTask {
        void run(int r);
    }

    private void parallel(int n, RunTask task) {
        if (n == 1 || pool == null) {
            for (int r = 0; r < n; r++) task.run(r);
            return;
        }
        List<Callable<Void>> jobs = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            int rr = r;
            jobs.add(() -> {
                task.run(rr);
                return null;
            });
        }
        try {
            for (var f : pool.invokeAll(jobs)) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** One run's span state. Shapes: P training tokens, E = test tokens + 2 probes. */
    private static final class Run {
        final RunData data;
        final RunConfig c;
        final TokenSet train;
        final int N, M, P, E, mk, mv;
        final boolean trainWo;
        final float eta;
        final int[] map;
        final float[] y;
        final float[] G;        // P×P   TᵀT
        final float[] Q, K;     // P×m_k current W_Q t_j, W_K t_j
        final float[] AQ, AK;   // P×m_k span coefficients: W = W(0) + Aᵀ T (token-major)
        final float[] V, AV;    // P×m_v (learnable w_O only)
        final float[] cV;       // P     (fixed w_O: A_V = w_O cVᵀ)
        final float[] wO;       // m_v
        final float[] u;        // P     u_j = w_O·(W_V t_j)
        final float[] alpha, beta; // P×m_k gathers
        final float[] gamma, h; // P
        final float[] Sm;       // N×M×M softmax
        final float[] D;        // M×M    D_la of the sample being gathered
        final float[] ubar;     // N×M
        final float[] f;        // N
        // Test tokens and the two probes μ₊, μ₋ (rows E−2, E−1), projected once at set-up.
        final float[] Q0e, K0e; // E×m_k  W(0) s
        final float[] V0e;      // E×m_v  (learnable w_O) W_V(0) s
        final float[] u0e;      // E      (fixed w_O) (W_V(0)ᵀ w_O)·s
        final float[] Te;       // E×P    Tᵀ s

        Run(RunData data) {
            this.data = data;
            this.c = data.config();
            this.train = data.train();
            N = train.N();
            M = train.M();
            P = train.P();
            E = data.test().P() + 2;
            mk = c.mk();
            mv = c.mv();
            trainWo = c.trainWo();
            eta = (float) c.lr();
            map = train.map();
            y = new float[N];
            for (int n = 0; n < N; n++) y[n] = train.y()[n];
            int d = c.d();
            float[] T = toFloat(train.tokens());                 // P×d
            float[] Tt = transpose(T, P, d);                     // d×P
            float[] Se = new float[E * d];                       // E×d
            double[] testTokens = data.test().tokens();
            for (int i = 0; i < testTokens.length; i++) Se[i] = (float) testTokens[i];
            for (int i = 0; i < d; i++) {
                Se[(E - 2) * d + i] = (float) data.muPos()[i];
                Se[(E - 1) * d + i] = (float) data.muNeg()[i];
            }
            Weights w0 = data.init();
            float[] WQt = transpose(toFloat(w0.WQ()), mk, d);     // d×m_k
            float[] WKt = transpose(toFloat(w0.WK()), mk, d);
            wO = toFloat(w0.wO());

            G = new float[P * P];
            gemm(G, 1, T, Tt, P, d, P);
            Q = new float[P * mk];
            K = new float[P * mk];
            gemm(Q, 1, T, WQt, P, d, mk);
            gemm(K, 1, T, WKt, P, d, mk);
            Q0e = new float[E * mk];
            K0e = new float[E * mk];
            gemm(Q0e, 1, Se, WQt, E, d, mk);
            gemm(K0e, 1, Se, WKt, E, d, mk);
            Te = new float[E * P];
            gemm(Te, 1, Se, Tt, E, d, P);
            u = new float[P];
            if (trainWo) {
                float[] WVt = transpose(toFloat(w0.WV()), mv, d);
                V = new float[P * mv];
                gemm(V, 1, T, WVt, P, d, mv);
                V0e = new float[E * mv];
                gemm(V0e, 1, Se, WVt, E, d, mv);
                AV = new float[P * mv];
                cV = null;
                u0e = null;
            } else {
                // Only u = Vᵀ w_O is ever needed: project W_V(0)ᵀ w_O (d) once.
                float[] vo = new float[d];
                double[] WV = w0.WV();
                for (int i = 0; i < mv; i++) {
                    for (int k = 0; k < d; k++) vo[k] += (float) (w0.wO()[i] * WV[i * d + k]);
                }
                for (int j = 0; j < P; j++) u[j] = dot(T, j * d, vo, 0, d);
                u0e = new float[E];
                for (int j = 0; j < E; j++) u0e[j] = dot(Se, j * d, vo, 0, d);
                V = null;
                AV = null;
                V0e = null;
                cV = new float[P];
            }
            AQ = new float[P * mk];
            AK = new float[P * mk];
            alpha = new float[P * mk];
            beta = new float[P * mk];
            gamma = new float[P];
            h = new float[P];
            Sm = new float[N * M * M];
            D = new float[M * M];
            ubar = new float[N * M];
            f = new float[N];
        }

        /** Training loss at the current weights; then one GD step unless it is non-finite or below target. */
        double step() {
            if (trainWo) {
                for (int j = 0; j < P; j++) u[j] = dot(V, j * mv, wO, 0, mv);
            }
            double loss = forward();
            if (!Double.isFinite(loss) || loss < c.targetLoss()) return loss;

            java.util.Arrays.fill(alpha, 0);
            java.util.Arrays.fill(beta, 0);
            java.util.Arrays.fill(gamma, 0);
            float invM = (float) (1.0 / M);
            for (int n = 0; n < N; n++) {
                float g = (float) (-y[n] * Metrics.sigmoid(-y[n] * f[n]) / N);
                int base = n * M;
                for (int l = 0; l < M; l++) {
                    float ub = ubar[base + l];
                    for (int a = 0; a < M; a++) {
                        int ja = map[base + a];
                        float s = Sm[(base + l) * M + a];
                        D[l * M + a] = g * invM * s * (u[ja] - ub);
                        gamma[ja] += g * invM * s;                // γ_{j_a} += g c_a
                    }
                }
                // α_{j_l} += Σ_a D_la k_a (row l of D), β_{j_a} += Σ_l D_la q_l (column a of D).
                for (int l = 0; l < M; l++) gather(alpha, map[base + l] * mk, D, l * M, 1, K, base);
                for (int a = 0; a < M; a++) gather(beta, map[base + a] * mk, D, a, M, Q, base);
            }
            // h = G γ (as γᵀ G: G is symmetric, and a row vector times G runs on the GEMM tiles).
            java.util.Arrays.fill(h, 0);
            gemm(h, 1, gamma, G, 1, P, P);
            axpy(-eta, alpha, 0, AQ, 0, P * mk);
            axpy(-eta, beta, 0, AK, 0, P * mk);
            gemm(Q, -eta, G, alpha, P, P, mk);
            gemm(K, -eta, G, beta, P, P, mk);
            if (trainWo) {
                // ∇w_O = V γ, with V before its own update.
                float[] gradWo = new float[mv];
                for (int j = 0; j < P; j++) axpy(gamma[j], V, j * mv, gradWo, 0, mv);
                for (int j = 0; j < P; j++) {
                    axpy(-eta * gamma[j], wO, 0, AV, j * mv, mv);
                    axpy(-eta * h[j], wO, 0, V, j * mv, mv);
                }
                axpy(-eta, gradWo, 0, wO, 0, mv);
            } else {
                float wo2 = dot(wO, 0, wO, 0, mv);
                axpy(-eta, gamma, 0, cV, 0, P);
                axpy(-eta * wo2, h, 0, u, 0, P);
            }
            return loss;
        }

        /** Attention forward over all samples: fills Sm, ubar, f and returns the training loss. */
        private double forward() {
            double loss = 0;
            for (int n = 0; n < N; n++) {
                int base = n * M;
                float fn = 0;
                for (int l = 0; l < M; l += 2) {
                    for (int a = 0; a < M; a += 4) scores(base, l, a);
                }
                for (int l = 0; l < M; l++) {
                    int row = (base + l) * M;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int a = 0; a < M; a++) max = Math.max(max, Sm[row + a]);
                    float sum = 0;
                    for (int a = 0; a < M; a++) {
                        float e = (float) Math.exp(Sm[row + a] - max);
                        Sm[row + a] = e;
                        sum += e;
                    }
                    float ub = 0;
                    for (int a = 0; a < M; a++) {
                        float s = Sm[row + a] / sum;
                        Sm[row + a] = s;
                        ub += s * u[map[base + a]];
                    }
                    ubar[base + l] = ub;
                    fn += ub;
                }
                f[n] = fn / M;
                loss += Metrics.logistic(y[n] * f[n]);
            }
            return loss / N;
        }

        /**
         * z_la = q_{j_l}·k_{j_a} for queries l, l+1 and keys a..a+3 of the sample at {@code base}, into
         * Sm: eight dot products in flight, each summed exactly as {@link #dot} sums it. Indices past
         * M − 1 repeat the last one and are not written.
         */
        private void scores(int base, int l, int a) {
            int last = M - 1;
            int q0 = map[base + l] * mk, q1 = map[base + Math.min(l + 1, last)] * mk;
            int k0 = map[base + a] * mk, k1 = map[base + Math.min(a + 1, last)] * mk;
            int k2 = map[base + Math.min(a + 2, last)] * mk, k3 = map[base + Math.min(a + 3, last)] * mk;
            FloatVector z00 = FloatVector.zero(S), z01 = z00, z02 = z00, z03 = z00;
            FloatVector z10 = z00, z11 = z00, z12 = z00, z13 = z00;
            int i = 0;
            for (int bound = S.loopBound(mk); i < bound; i += L) {
                FloatVector vq0 = FloatVector.fromArray(S, Q, q0 + i), vq1 = FloatVector.fromArray(S, Q, q1 + i);
                FloatVector vk = FloatVector.fromArray(S, K, k0 + i);
                z00 = vq0.fma(vk, z00);
                z10 = vq1.fma(vk, z10);
                vk = FloatVector.fromArray(S, K, k1 + i);
                z01 = vq0.fma(vk, z01);
                z11 = vq1.fma(vk, z11);
                vk = FloatVector.fromArray(S, K, k2 + i);
                z02 = vq0.fma(vk, z02);
                z12 = vq1.fma(vk, z12);
                vk = FloatVector.fromArray(S, K, k3 + i);
                z03 = vq0.fma(vk, z03);
                z13 = vq1.fma(vk, z13);
            }
            int row = (base + l) * M + a;
            int na = Math.min(4, M - a);
            Sm[row] = dotTail(z00.reduceLanes(VectorOperators.ADD), Q, q0, K, k0, i, mk);
            if (na > 1) Sm[row + 1] = dotTail(z01.reduceLanes(VectorOperators.ADD), Q, q0, K, k1, i, mk);
            if (na > 2) Sm[row + 2] = dotTail(z02.reduceLanes(VectorOperators.ADD), Q, q0, K, k2, i, mk);
            if (na > 3) Sm[row + 3] = dotTail(z03.reduceLanes(VectorOperators.ADD), Q, q0, K, k3, i, mk);
            if (l + 1 > last) return;
            row += M;
            Sm[row] = dotTail(z10.reduceLanes(VectorOperators.ADD), Q, q1, K, k0, i, mk);
            if (na > 1) Sm[row + 1] = dotTail(z11.reduceLanes(VectorOperators.ADD), Q, q1, K, k1, i, mk);
            if (na > 2) Sm[row + 2] = dotTail(z12.reduceLanes(VectorOperators.ADD), Q, q1, K, k2, i, mk);
            if (na > 3) Sm[row + 3] = dotTail(z13.reduceLanes(VectorOperators.ADD), Q, q1, K, k3, i, mk);
        }

        /**
         * out[o..o+m_k) += Σ_t coef[c + t·stride]·X[j_t] over the M tokens j_t of the sample at
         * {@code base}, in order of t: 8 vectors of the output row stay in registers across the
         * M terms, so the row is loaded and stored once instead of M times.
         */
        private void gather(float[] out, int o, float[] coef, int c, int stride, float[] X, int base) {
            int i = 0;
            for (int bound = mk - mk % (8 * L); i < bound; i += 8 * L) {
                FloatVector s0 = FloatVector.fromArray(S, out, o + i), s1 = FloatVector.fromArray(S, out, o + i + L);
                FloatVector s2 = FloatVector.fromArray(S, out, o + i + 2 * L), s3 = FloatVector.fromArray(S, out, o + i + 3 * L);
                FloatVector s4 = FloatVector.fromArray(S, out, o + i + 4 * L), s5 = FloatVector.fromArray(S, out, o + i + 5 * L);
                FloatVector s6 = FloatVector.fromArray(S, out, o + i + 6 * L), s7 = FloatVector.fromArray(S, out, o + i + 7 * L);
                for (int t = 0; t < M; t++) {
                    FloatVector w = FloatVector.broadcast(S, coef[c + t * stride]);
                    int x = map[base + t] * mk + i;
                    s0 = FloatVector.fromArray(S, X, x).fma(w, s0);
                    s1 = FloatVector.fromArray(S, X, x + L).fma(w, s1);
                    s2 = FloatVector.fromArray(S, X, x + 2 * L).fma(w, s2);
                    s3 = FloatVector.fromArray(S, X, x + 3 * L).fma(w, s3);
                    s4 = FloatVector.fromArray(S, X, x + 4 * L).fma(w, s4);
                    s5 = FloatVector.fromArray(S, X, x + 5 * L).fma(w, s5);
                    s6 = FloatVector.fromArray(S, X, x + 6 * L).fma(w, s6);
                    s7 = FloatVector.fromArray(S, X, x + 7 * L).fma(w, s7);
                }
                s0.intoArray(out, o + i);
                s1.intoArray(out, o + i + L);
                s2.intoArray(out, o + i + 2 * L);
                s3.intoArray(out, o + i + 3 * L);
                s4.intoArray(out, o + i + 4 * L);
                s5.intoArray(out, o + i + 5 * L);
                s6.intoArray(out, o + i + 6 * L);
                s7.intoArray(out, o + i + 7 * L);
            }
            for (int bound = S.loopBound(mk); i < bound; i += L) {
                FloatVector s0 = FloatVector.fromArray(S, out, o + i);
                for (int t = 0; t < M; t++) {
                    s0 = FloatVector.fromArray(S, X, map[base + t] * mk + i).fma(FloatVector.broadcast(S, coef[c + t * stride]), s0);
                }
                s0.intoArray(out, o + i);
            }
            for (; i < mk; i++) {
                float s0 = out[o + i];
                for (int t = 0; t < M; t++) s0 = Math.fma(X[map[base + t] * mk + i], coef[c + t * stride], s0);
                out[o + i] = s0;
            }
        }

        void metrics(double[] out) {
            if (trainWo) {
                for (int j = 0; j < P; j++) u[j] = dot(V, j * mv, wO, 0, mv);
            }
            Projected tr = new Projected(mk, toDouble(Q), toDouble(K), toDouble(u));
            // Test tokens and probes: q(s) = W_Q(0)s + A_Q (Tᵀ s), likewise k and u.
            float[] qe = Q0e.clone(), ke = K0e.clone(), ue = new float[E];
            gemm(qe, 1, Te, AQ, E, P, mk);
            gemm(ke, 1, Te, AK, E, P, mk);
            if (trainWo) {
                float[] ve = V0e.clone();
                gemm(ve, 1, Te, AV, E, P, mv);
                for (int j = 0; j < E; j++) ue[j] = dot(ve, j * mv, wO, 0, mv);
            } else {
                float wo2 = dot(wO, 0, wO, 0, mv);
                for (int j = 0; j < E; j++) ue[j] = u0e[j] + wo2 * dot(Te, j * P, cV, 0, P);
            }
            int Pt = E - 2;
            Projected te = new Projected(mk, toDouble(qe), toDouble(ke), toDouble(ue));
            Projected probes = new Projected(mk,
                    java.util.Arrays.copyOfRange(te.q(), Pt * mk, E * mk),
                    java.util.Arrays.copyOfRange(te.k(), Pt * mk, E * mk),
                    java.util.Arrays.copyOfRange(te.u(), Pt, E));
            Metrics.compute(c, train, tr, data.test(), te, probes, out);
        }

        /** W = W(0) + Aᵀ T, in float64. */
        Weights weights() {
            Weights w0 = data.init();
            int d = c.d();
            double[] T = train.tokens();
            double[] WQ = w0.WQ().clone(), WK = w0.WK().clone(), WV = w0.WV().clone();
            for (int j = 0; j < P; j++) {
                for (int i = 0; i < mk; i++) {
                    double aq = AQ[j * mk + i], ak = AK[j * mk + i];
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

    // ---- micro-kernels -------------------------------------------------------------------------

    /** Σ_i a[ia+i]·b[ib+i], i < n. */
    static float dot(float[] a, int ia, float[] b, int ib, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, ia + i).fma(FloatVector.fromArray(S, b, ib + i), acc);
        }
        return dotTail(acc.reduceLanes(VectorOperators.ADD), a, ia, b, ib, i, n);
    }

    /** The scalar tail of {@link #dot}: s + Σ_i a[ia+i]·b[ib+i] for from ≤ i < n, added in order. */
    static float dotTail(float s, float[] a, int ia, float[] b, int ib, int from, int n) {
        for (int i = from; i < n; i++) s += a[ia + i] * b[ib + i];
        return s;
    }

    /** y[iy+i] += a·x[ix+i], i < n. */
    static void axpy(float a, float[] x, int ix, float[] y, int iy, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(S, a);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, ix + i).fma(va, FloatVector.fromArray(S, y, iy + i)).intoArray(y, iy + i);
        }
        for (; i < n; i++) y[iy + i] += a * x[ix + i];
    }

    /**
     * C[rows×cols] += a·A[rows×inner]·B[inner×cols], all row-major and dense. Register tiles of
     * 6 rows × 4 vectors ({@link #gemmTile}), then one vector and scalars for the columns that do not
     * fill a tile. Every element is summed the same way whichever path computes it: fma over inner in
     * order, then C += a·sum.
     */
    static void gemm(float[] C, float a, float[] A, float[] B, int rows, int inner, int cols) {
        int tiled = cols - cols % (4 * L);
        for (int r = 0; r < rows; r += 6) {
            for (int c = 0; c < tiled; c += 4 * L) gemmTile(C, a, A, B, r, rows, inner, cols, c);
            for (int rr = r, end = Math.min(r + 6, rows); rr < end; rr++) gemmTail(C, a, A, B, rr, inner, cols, tiled);
        }
    }

    /**
     * Rows r..r+5, columns c..c+4L of {@link #gemm}: 24 accumulators stay in registers for the whole
     * inner loop (with the 4 B vectors and the broadcast, 29 of AVX-512's 32 vector registers; this
     * tile measured fastest on the step's shapes). Rows past the last repeat it and are not stored,
     * so a partial tile costs a full one. No vector is passed to another method: where C2 does not
     * inline the callee (it stops inlining in large methods) it would box every vector argument.
     */
    private static void gemmTile(float[] C, float a, float[] A, float[] B, int r, int rows, int inner, int cols, int c) {
        int last = rows - 1;
        int a0 = r * inner;
        int a1 = Math.min(r + 1, last) * inner;
        int a2 = Math.min(r + 2, last) * inner;
        int a3 = Math.min(r + 3, last) * inner;
        int a4 = Math.min(r + 4, last) * inner;
        int a5 = Math.min(r + 5, last) * inner;
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        FloatVector s40 = s00, s41 = s00, s42 = s00, s43 = s00;
        FloatVector s50 = s00, s51 = s00, s52 = s00, s53 = s00;
        FloatVector g;
        for (int i = 0, b = c; i < inner; i++, b += cols) {
            FloatVector b0 = FloatVector.fromArray(S, B, b);
            FloatVector b1 = FloatVector.fromArray(S, B, b + L);
            FloatVector b2 = FloatVector.fromArray(S, B, b + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, B, b + 3 * L);
            g = FloatVector.broadcast(S, A[a0 + i]);
            s00 = b0.fma(g, s00); s01 = b1.fma(g, s01); s02 = b2.fma(g, s02); s03 = b3.fma(g, s03);
            g = FloatVector.broadcast(S, A[a1 + i]);
            s10 = b0.fma(g, s10); s11 = b1.fma(g, s11); s12 = b2.fma(g, s12); s13 = b3.fma(g, s13);
            g = FloatVector.broadcast(S, A[a2 + i]);
            s20 = b0.fma(g, s20); s21 = b1.fma(g, s21); s22 = b2.fma(g, s22); s23 = b3.fma(g, s23);
            g = FloatVector.broadcast(S, A[a3 + i]);
            s30 = b0.fma(g, s30); s31 = b1.fma(g, s31); s32 = b2.fma(g, s32); s33 = b3.fma(g, s33);
            g = FloatVector.broadcast(S, A[a4 + i]);
            s40 = b0.fma(g, s40); s41 = b1.fma(g, s41); s42 = b2.fma(g, s42); s43 = b3.fma(g, s43);
            g = FloatVector.broadcast(S, A[a5 + i]);
            s50 = b0.fma(g, s50); s51 = b1.fma(g, s51); s52 = b2.fma(g, s52); s53 = b3.fma(g, s53);
        }
        FloatVector va = FloatVector.broadcast(S, a);
        int o0 = r * cols + c;
        s00.fma(va, FloatVector.fromArray(S, C, o0)).intoArray(C, o0);
        s01.fma(va, FloatVector.fromArray(S, C, o0 + L)).intoArray(C, o0 + L);
        s02.fma(va, FloatVector.fromArray(S, C, o0 + 2 * L)).intoArray(C, o0 + 2 * L);
        s03.fma(va, FloatVector.fromArray(S, C, o0 + 3 * L)).intoArray(C, o0 + 3 * L);
        if (r + 1 > last) return;
        int o1 = (r + 1) * cols + c;
        s10.fma(va, FloatVector.fromArray(S, C, o1)).intoArray(C, o1);
        s11.fma(va, FloatVector.fromArray(S, C, o1 + L)).intoArray(C, o1 + L);
        s12.fma(va, FloatVector.fromArray(S, C, o1 + 2 * L)).intoArray(C, o1 + 2 * L);
        s13.fma(va, FloatVector.fromArray(S, C, o1 + 3 * L)).intoArray(C, o1 + 3 * L);
        if (r + 2 > last) return;
        int o2 = (r + 2) * cols + c;
        s20.fma(va, FloatVector.fromArray(S, C, o2)).intoArray(C, o2);
        s21.fma(va, FloatVector.fromArray(S, C, o2 + L)).intoArray(C, o2 + L);
        s22.fma(va, FloatVector.fromArray(S, C, o2 + 2 * L)).intoArray(C, o2 + 2 * L);
        s23.fma(va, FloatVector.fromArray(S, C, o2 + 3 * L)).intoArray(C, o2 + 3 * L);
        if (r + 3 > last) return;
        int o3 = (r + 3) * cols + c;
        s30.fma(va, FloatVector.fromArray(S, C, o3)).intoArray(C, o3);
        s31.fma(va, FloatVector.fromArray(S, C, o3 + L)).intoArray(C, o3 + L);
        s32.fma(va, FloatVector.fromArray(S, C, o3 + 2 * L)).intoArray(C, o3 + 2 * L);
        s33.fma(va, FloatVector.fromArray(S, C, o3 + 3 * L)).intoArray(C, o3 + 3 * L);
        if (r + 4 > last) return;
        int o4 = (r + 4) * cols + c;
        s40.fma(va, FloatVector.fromArray(S, C, o4)).intoArray(C, o4);
        s41.fma(va, FloatVector.fromArray(S, C, o4 + L)).intoArray(C, o4 + L);
        s42.fma(va, FloatVector.fromArray(S, C, o4 + 2 * L)).intoArray(C, o4 + 2 * L);
        s43.fma(va, FloatVector.fromArray(S, C, o4 + 3 * L)).intoArray(C, o4 + 3 * L);
        if (r + 5 > last) return;
        int o5 = (r + 5) * cols + c;
        s50.fma(va, FloatVector.fromArray(S, C, o5)).intoArray(C, o5);
        s51.fma(va, FloatVector.fromArray(S, C, o5 + L)).intoArray(C, o5 + L);
        s52.fma(va, FloatVector.fromArray(S, C, o5 + 2 * L)).intoArray(C, o5 + 2 * L);
        s53.fma(va, FloatVector.fromArray(S, C, o5 + 3 * L)).intoArray(C, o5 + 3 * L);
    }

    /** Row r of C, columns [from, cols): one vector at a time, then scalars. */
    private static void gemmTail(float[] C, float a, float[] A, float[] B, int r, int inner, int cols, int from) {
        int c = from;
        int row = r * inner;
        for (; c + L <= cols; c += L) {
            FloatVector s = FloatVector.zero(S);
            for (int i = 0, b = c; i < inner; i++, b += cols) {
                s = FloatVector.fromArray(S, B, b).fma(FloatVector.broadcast(S, A[row + i]), s);
            }
            int off = r * cols + c;
            s.fma(FloatVector.broadcast(S, a), FloatVector.fromArray(S, C, off)).intoArray(C, off);
        }
        for (; c < cols; c++) {
            float s = 0;
            for (int i = 0; i < inner; i++) s = Math.fma(B[i * cols + c], A[row + i], s);
            C[r * cols + c] = Math.fma(s, a, C[r * cols + c]);
        }
    }

    private static float[] toFloat(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) x[i];
        return out;
    }

    private static double[] toDouble(float[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i];
        return out;
    }

    /** rows×cols → cols×rows. */
    private static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        }
        return t;
    }
}
