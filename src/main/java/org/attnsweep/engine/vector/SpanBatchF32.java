package org.attnsweep.engine.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.attnsweep.data.Family;
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

    /** One run's span state. Shapes: P training tokens, N samples of M tokens. */
    private static final class Run {
        final RunData data;
        final RunConfig c;
        final TokenSet train;
        final int N, M, P, mk, mv;
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
        final float[] ubar;     // N×M
        final float[] f;        // N
        final float[] Dm;       // M×M D_la of the sample being gathered
        final float[] lanes;    // 8 vectors' lanes, summed in order by scores()
        int updates;            // GD updates applied so far
        // Evaluation tokens s (test tokens and the probes μ₊, μ₋), projected once at set-up and
        // possibly shared with the run's family: see Setup.
        final Setup s;

        Run(RunData data) {
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
            wO = toFloat(data.init().wO());
            s = data.family() != null ? Setup.ofFamily(data) : Setup.direct(data);
            G = s.G;
            Q = s.Q;
            K = s.K;
            V = s.V;
            u = trainWo ? new float[P] : s.u;
            AV = trainWo ? new float[P * mv] : null;
            cV = trainWo ? null : new float[P];
            AQ = new float[P * mk];
            AK = new float[P * mk];
            alpha = new float[P * mk];
            beta = new float[P * mk];
            gamma = new float[P];
            h = new float[P];
            Sm = new float[N * M * M];
            ubar = new float[N * M];
            f = new float[N];
            Dm = new float[M * M];
            lanes = new float[8 * L];
        }

        /** Training loss at the current weights; then one GD step unless it is non-finite or below target. */
        double step() {
            if (trainWo) {
                for (int j = 0; j < P; j++) u[j] = dot(V, j * mv, wO, 0, mv);
            }
            double loss = forward();
            if (!Double.isFinite(loss) || loss < c.targetLoss()) return loss;
            updates++;

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
                        float D = g * invM * s * (u[ja] - ub);
                        Dm[l * M + a] = D;
                        gamma[ja] += g * invM * s;                // γ_{j_a} += g c_a
                    }
                }
                // α_{j_l} += Σ_a D_la k_a (row l of D), β_{j_a} += Σ_l D_la q_l (column a of D).
                for (int l = 0; l < M; l++) gather(alpha, map[base + l] * mk, Dm, l * M, 1, K, map, base, M, mk);
                for (int a = 0; a < M; a++) gather(beta, map[base + a] * mk, Dm, a, M, Q, map, base, M, mk);
            }
            // h = G γ, used by the V (or u) update.
            java.util.Arrays.fill(h, 0);
            gemm(h, 1, gamma, G, 1, P, P);   // h = γᵀG = (Gγ)ᵀ: G is symmetric, and a row runs on the GEMM tiles
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
         * Sm: eight dot products in flight, each summed exactly as {@link #dot} sums it (lanes in
         * order, then the tail). Indices past M − 1 repeat the last one and are not written.
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
            z00.intoArray(lanes, 0);
            z01.intoArray(lanes, L);
            z02.intoArray(lanes, 2 * L);
            z03.intoArray(lanes, 3 * L);
            z10.intoArray(lanes, 4 * L);
            z11.intoArray(lanes, 5 * L);
            z12.intoArray(lanes, 6 * L);
            z13.intoArray(lanes, 7 * L);
            int na = Math.min(4, M - a), nl = l + 1 > last ? 1 : 2;
            for (int ql = 0; ql < nl; ql++) {
                int qo = ql == 0 ? q0 : q1, row = (base + l + ql) * M + a;
                for (int t = 0; t < na; t++) {
                    float sum = 0;
                    for (int k = 0, o = (4 * ql + t) * L; k < L; k++) sum += lanes[o + k];
                    int ko = t == 0 ? k0 : t == 1 ? k1 : t == 2 ? k2 : k3;
                    for (int j = i; j < mk; j++) sum += Q[qo + j] * K[ko + j];
                    Sm[row + t] = sum;
                }
            }
        }

        void metrics(double[] out) {
            if (trainWo) {
                for (int j = 0; j < P; j++) u[j] = dot(V, j * mv, wO, 0, mv);
            }
            Projected tr = new Projected(mk, toDouble(Q), toDouble(K), toDouble(u));
            // Evaluation tokens: q(s) = W_Q(0)s + A_Q (Tᵀ s), likewise k and u. Before the first
            // update every A is zero and the W(0) part is all there is.
            int E = s.Ec;
            float[] qe = java.util.Arrays.copyOf(s.Q0e, E * mk), ke = java.util.Arrays.copyOf(s.K0e, E * mk);
            float[] ue = new float[E];
            boolean moved = updates > 0;
            if (moved) {
                gemm(qe, 1, s.Te, s.ldTe, signalScaled(AQ, mk), E, P, mk);
                gemm(ke, 1, s.Te, s.ldTe, signalScaled(AK, mk), E, P, mk);
            }
            if (trainWo) {
                float[] ve = java.util.Arrays.copyOf(s.V0e, E * mv);
                if (moved) gemm(ve, 1, s.Te, s.ldTe, signalScaled(AV, mv), E, P, mv);
                for (int j = 0; j < E; j++) ue[j] = dot(ve, j * mv, wO, 0, mv);
            } else {
                float wo2 = dot(wO, 0, wO, 0, mv);
                float[] cVs = signalScaled(cV, 1);
                for (int j = 0; j < E; j++) ue[j] = s.u0e[j] + wo2 * dot(s.Te, j * s.ldTe, cVs, 0, P);
            }
            for (int r = 0; r < 2; r++) {
                scale(qe, r * mk, mk, s.scale);
                scale(ke, r * mk, mk, s.scale);
                ue[r] *= s.scale;
            }
            Projected te = new Projected(mk, toDouble(qe), toDouble(ke), toDouble(ue));
            int p0 = s.probe0;
            Projected probes = new Projected(mk,
                    java.util.Arrays.copyOfRange(te.q(), p0 * mk, (p0 + 2) * mk),
                    java.util.Arrays.copyOfRange(te.k(), p0 * mk, (p0 + 2) * mk),
                    java.util.Arrays.copyOfRange(te.u(), p0, p0 + 2));
            Metrics.compute(c, train, tr, data.test(), te, probes, out);
        }

        /** x (rows of width w) with its two signal rows times the set-up's scale; x itself when that is 1. */
        private float[] signalScaled(float[] x, int w) {
            if (s.scale == 1) return x;
            float[] y = x.clone();
            scale(y, 0, 2 * w, s.scale);
            return y;
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

    /**
     * The set-up of SPEC §4 for P training tokens T and E evaluation tokens S (the test tokens, then
     * the probes μ₊, μ₋): G = TᵀT (P×P), Q = W_Q(0)T and K (P×m_k), V = W_V(0)T (P×m_v, learnable
     * w_O) or u = (W_V(0)ᵀw_O)·t (P, fixed w_O), the same projections of S (E rows), and Te = S·Tᵀ
     * (E×P). Runs of one {@link Family} share one set-up of the family's unit tokens and scale
     * the signal rows and columns by ‖μ‖, which is exact: every entry is linear in each token.
     */
    private static final class Setup {
        final int P;
        final float[] G, Q, K, V, u;
        // Evaluation part: Ec rows of W(0)s and of Te (row stride ldTe ≥ P). A family's runs share
        // its unit rows: their signal rows 0, 1 (and the signal columns 0, 1 of Te) are then times
        // scale = ‖μ‖, and the probes μ₊, μ₋ are rows 0, 1; a run of its own has scale 1 and the
        // probes as rows probe0, probe0 + 1.
        final float[] Q0e, K0e, V0e, u0e, Te;
        final int Ec, ldTe, probe0;
        final float scale;

        private Setup(int P, float[] G, float[] Q, float[] K, float[] V, float[] u, float[] Q0e, float[] K0e,
                      float[] V0e, float[] u0e, float[] Te, int Ec, int ldTe, int probe0, float scale) {
            this.P = P;
            this.Ec = Ec;
            this.ldTe = ldTe;
            this.probe0 = probe0;
            this.scale = scale;
            this.G = G;
            this.Q = Q;
            this.K = K;
            this.V = V;
            this.u = u;
            this.Q0e = Q0e;
            this.K0e = K0e;
            this.V0e = V0e;
            this.u0e = u0e;
            this.Te = Te;
        }

        /** Projects tokens T (P×d, float64) and S (E×d) through W(0). */
        static Setup project(double[] tokens, int P, double[] evalTokens, int E, Weights w0, boolean trainWo) {
            int d = w0.d(), mk = w0.mk(), mv = w0.mv();
            float[] T = toFloat(tokens), Se = toFloat(evalTokens);
            float[] Tt = transpose(T, P, d);                     // d×P
            float[] WQt = transpose(toFloat(w0.WQ()), mk, d);     // d×m_k
            float[] WKt = transpose(toFloat(w0.WK()), mk, d);
            float[] G = new float[P * P], Q = new float[P * mk], K = new float[P * mk];
            float[] Q0e = new float[E * mk], K0e = new float[E * mk], Te = new float[E * P];
            gemm(G, 1, T, Tt, P, d, P);
            gemm(Q, 1, T, WQt, P, d, mk);
            gemm(K, 1, T, WKt, P, d, mk);
            gemm(Q0e, 1, Se, WQt, E, d, mk);
            gemm(K0e, 1, Se, WKt, E, d, mk);
            gemm(Te, 1, Se, Tt, E, d, P);
            if (trainWo) {
                float[] WVt = transpose(toFloat(w0.WV()), mv, d);
                float[] V = new float[P * mv], V0e = new float[E * mv];
                gemm(V, 1, T, WVt, P, d, mv);
                gemm(V0e, 1, Se, WVt, E, d, mv);
                return new Setup(P, G, Q, K, V, null, Q0e, K0e, V0e, null, Te, E, P, E - 2, 1);
            }
            // Only u = Vᵀ w_O is ever needed: project W_V(0)ᵀ w_O (d) once.
            float[] vo = new float[d];
            double[] WV = w0.WV();
            for (int i = 0; i < mv; i++) {
                for (int k = 0; k < d; k++) vo[k] += (float) (w0.wO()[i] * WV[i * d + k]);
            }
            float[] u = new float[P], u0e = new float[E];
            for (int j = 0; j < P; j++) u[j] = dot(T, j * d, vo, 0, d);
            for (int j = 0; j < E; j++) u0e[j] = dot(Se, j * d, vo, 0, d);
            return new Setup(P, G, Q, K, null, u, Q0e, K0e, null, u0e, Te, E, P, E - 2, 1);
        }

        /** The run's own tokens, test tokens and probes, projected directly. */
        static Setup direct(RunData data) {
            int d = data.config().d(), Pt = data.test().P();
            double[] S = java.util.Arrays.copyOf(data.test().tokens(), (Pt + 2) * d);
            System.arraycopy(data.muPos(), 0, S, Pt * d, d);
            System.arraycopy(data.muNeg(), 0, S, (Pt + 1) * d, d);
            return project(data.train().tokens(), data.train().P(), S, Pt + 2, data.init(), data.config().trainWo());
        }

        /** Unit set-ups per family: [0] for fixed w_O (u), [1] for learnable w_O (V). */
        private static final java.util.Map<Family, Setup[]> FAMILY = new java.util.WeakHashMap<>();

        /**
         * The family's unit set-up: training tokens [e₊, e₋, noise of N_f samples], evaluation
         * tokens [e₊, e₋, test noise]; computed once per family and w_O mode (again only when a run
         * needs more samples than it covers).
         */
        static Setup unit(RunData data, int P) {
            Family fam = data.family();
            RunConfig c = data.config();
            int mode = c.trainWo() ? 1 : 0;
            synchronized (fam) {
                Setup[] pair;
                synchronized (FAMILY) {
                    pair = FAMILY.computeIfAbsent(fam, k -> new Setup[2]);
                }
                if (pair[mode] != null && pair[mode].P >= P) return pair[mode];
                int d = c.d(), M = c.M(), Et = 2 + c.testN() * (M - 1);
                P = Math.max(P, 2 + fam.reserved() * (M - 1));
                double[][] e = fam.directions();
                double[] T = new double[P * d], S = new double[Et * d];
                for (double[] x : new double[][] {T, S}) {
                    System.arraycopy(e[0], 0, x, 0, d);
                    System.arraycopy(e[1], 0, x, d, d);
                }
                System.arraycopy(fam.trainNoise((P - 2) / (M - 1)), 0, T, 2 * d, (P - 2) * d);
                System.arraycopy(fam.testNoise(), 0, S, 2 * d, (Et - 2) * d);
                pair[mode] = project(T, P, S, Et, fam.init(), c.trainWo());
                return pair[mode];
            }
        }

        /**
         * This run's set-up from its family's: its training part is a slice of the unit set-up with
         * the signal rows (and columns of G) times ‖μ‖; its evaluation part is the unit one, shared.
         */
        static Setup ofFamily(RunData data) {
            RunConfig c = data.config();
            int P = data.train().P(), mk = c.mk(), mv = c.mv();
            Setup unit = unit(data, P);
            int Pu = unit.P;
            float mu = (float) c.mu();
            float[] sT = new float[P];                 // scale of training token j
            for (int j = 0; j < P; j++) sT[j] = j < 2 ? mu : 1;
            float[] G = new float[P * P];
            for (int i = 0; i < P; i++) {
                for (int j = 0; j < P; j++) G[i * P + j] = sT[i] * sT[j] * unit.G[i * Pu + j];
            }
            float[] Q = rows(unit.Q, mk, sT), K = rows(unit.K, mk, sT);
            float[] V = c.trainWo() ? rows(unit.V, mv, sT) : null, u = c.trainWo() ? null : rows(unit.u, 1, sT);
            return new Setup(P, G, Q, K, V, u, unit.Q0e, unit.K0e, unit.V0e, unit.u0e, unit.Te, unit.Ec, Pu, 0, mu);
        }

        /** The first scale.length rows of x (width w), row r times scale[r]. */
        private static float[] rows(float[] x, int w, float[] scale) {
            float[] out = new float[scale.length * w];
            for (int r = 0; r < scale.length; r++) {
                for (int i = 0; i < w; i++) out[r * w + i] = scale[r] * x[r * w + i];
            }
            return out;
        }
    }

    // ---- micro-kernels -------------------------------------------------------------------------

    /**
     * Σ_i a[ia+i]·b[ib+i], i < n. The lanes are summed in lane order by plain scalar adds, not by
     * reduceLanes(ADD): the Vector API leaves that reduction's order open, and C2's intrinsic and
     * the interpreter's fallback do differ, so a run's results would change in the last bits with
     * how warm the JIT is (alone vs. after other runs, or in a later batch of a sweep).
     */
    static float dot(float[] a, int ia, float[] b, int ib, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (int bound = S.loopBound(n); i < bound; i += L) {
            acc = FloatVector.fromArray(S, a, ia + i).fma(FloatVector.fromArray(S, b, ib + i), acc);
        }
        float s = 0;
        for (int k = 0; k < L; k++) s += acc.lane(k);
        for (; i < n; i++) s += a[ia + i] * b[ib + i];
        return s;
    }

    /**
     * out[o..o+m) += Σ_t coef[c + t·stride] · src[map[mo+t]·m ..+m), t < M, added in order of t:
     * one sample's M rows combined with 8 vectors of the output row held in registers, so the row
     * is loaded and stored once instead of M times.
     */
    static void gather(float[] out, int o, float[] coef, int c, int stride, float[] src, int[] map, int mo, int M, int m) {
        int i = 0;
        for (int bound = m - m % (8 * L); i < bound; i += 8 * L) {
            FloatVector s0 = FloatVector.fromArray(S, out, o + i), s1 = FloatVector.fromArray(S, out, o + i + L);
            FloatVector s2 = FloatVector.fromArray(S, out, o + i + 2 * L), s3 = FloatVector.fromArray(S, out, o + i + 3 * L);
            FloatVector s4 = FloatVector.fromArray(S, out, o + i + 4 * L), s5 = FloatVector.fromArray(S, out, o + i + 5 * L);
            FloatVector s6 = FloatVector.fromArray(S, out, o + i + 6 * L), s7 = FloatVector.fromArray(S, out, o + i + 7 * L);
            for (int t = 0; t < M; t++) {
                FloatVector w = FloatVector.broadcast(S, coef[c + t * stride]);
                int x = map[mo + t] * m + i;
                s0 = FloatVector.fromArray(S, src, x).fma(w, s0);
                s1 = FloatVector.fromArray(S, src, x + L).fma(w, s1);
                s2 = FloatVector.fromArray(S, src, x + 2 * L).fma(w, s2);
                s3 = FloatVector.fromArray(S, src, x + 3 * L).fma(w, s3);
                s4 = FloatVector.fromArray(S, src, x + 4 * L).fma(w, s4);
                s5 = FloatVector.fromArray(S, src, x + 5 * L).fma(w, s5);
                s6 = FloatVector.fromArray(S, src, x + 6 * L).fma(w, s6);
                s7 = FloatVector.fromArray(S, src, x + 7 * L).fma(w, s7);
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
        for (int bound = S.loopBound(m); i < bound; i += L) {
            FloatVector s0 = FloatVector.fromArray(S, out, o + i);
            for (int t = 0; t < M; t++) {
                s0 = FloatVector.fromArray(S, src, map[mo + t] * m + i).fma(FloatVector.broadcast(S, coef[c + t * stride]), s0);
            }
            s0.intoArray(out, o + i);
        }
        for (; i < m; i++) {
            float s0 = out[o + i];
            for (int t = 0; t < M; t++) s0 = Math.fma(src[map[mo + t] * m + i], coef[c + t * stride], s0);
            out[o + i] = s0;
        }
    }

    /** x[from..from+n) *= a. */
    static void scale(float[] x, int from, int n, float a) {
        if (a == 1) return;
        for (int i = from; i < from + n; i++) x[i] *= a;
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
        gemm(C, a, A, inner, B, rows, inner, cols);
    }

    /** As {@link #gemm(float[], float, float[], float[], int, int, int)} with A's rows {@code lda} apart (lda ≥ inner). */
    static void gemm(float[] C, float a, float[] A, int lda, float[] B, int rows, int inner, int cols) {
        int tiled = cols - cols % (4 * L);
        for (int r = 0; r < rows; r += 6) {
            for (int c = 0; c < tiled; c += 4 * L) gemmTile(C, a, A, lda, B, r, rows, inner, cols, c);
            for (int rr = r, end = Math.min(r + 6, rows); rr < end; rr++) gemmTail(C, a, A, lda, B, rr, inner, cols, tiled);
        }
    }

    /**
     * Rows r..r+5, columns c..c+4L of {@link #gemm}: 24 accumulators stay in registers for the whole
     * inner loop (with the 4 B vectors and the broadcast, 29 of AVX-512's 32 vector registers; this
     * tile measured fastest on the step's shapes). Rows past the last repeat it and are not stored,
     * so a partial tile costs a full one. No vector is passed to another method: where C2 does not
     * inline the callee (it stops inlining in large methods) it would box every vector argument.
     */
    private static void gemmTile(float[] C, float a, float[] A, int lda, float[] B, int r, int rows, int inner, int cols, int c) {
        int last = rows - 1;
        int a0 = r * lda;
        int a1 = Math.min(r + 1, last) * lda;
        int a2 = Math.min(r + 2, last) * lda;
        int a3 = Math.min(r + 3, last) * lda;
        int a4 = Math.min(r + 4, last) * lda;
        int a5 = Math.min(r + 5, last) * lda;
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
    private static void gemmTail(float[] C, float a, float[] A, int lda, float[] B, int r, int inner, int cols, int from) {
        int c = from;
        int row = r * lda;
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
