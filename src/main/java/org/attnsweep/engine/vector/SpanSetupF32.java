package org.attnsweep.engine.vector;

import static org.attnsweep.engine.vector.KernelsF32.dot;
import static org.attnsweep.engine.vector.KernelsF32.gemm;
import static org.attnsweep.engine.vector.KernelsF32.toFloat;
import static org.attnsweep.engine.vector.KernelsF32.transpose;

import org.attnsweep.data.Family;
import org.attnsweep.data.RunData;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * The set-up of docs/math.md §4 for P training tokens T and E evaluation tokens S (the test tokens, then
 * the probes μ₊, μ₋): G = TᵀT (P×P), Q = W_Q(0)T and K (P×m_k), V = W_V(0)T (P×m_v, learnable
 * w_O) or u = (W_V(0)ᵀw_O)·t (P, fixed w_O), the same projections of S (E rows), and Te = S·Tᵀ
 * (E×P). Runs of one {@link Family} share one set-up of the family's unit tokens and scale
 * the signal rows and columns by ‖μ‖, which is exact: every entry is linear in each token.
 */
final class SpanSetupF32 {
    final int P;
    final float[] G, Q, K, V, u;
    // Evaluation part: Ec rows of W(0)s and of Te (row stride ldTe ≥ P). A family's runs share
    // its unit rows: their signal rows 0, 1 (and the signal columns 0, 1 of Te) are then times
    // scale = ‖μ‖, and the probes μ₊, μ₋ are rows 0, 1; a run of its own has scale 1 and the
    // probes as rows probe0, probe0 + 1.
    final float[] Q0e, K0e, V0e, u0e, Te;
    final int Ec, ldTe, probe0;
    final float scale;
    /** A family run's unit set-up (whose evaluation rows it shares); null for a unit or a run of its own. */
    final SpanSetupF32 unit;
    /** A unit set-up's test scores at W(0) ({@link EvalF32#unitScores}), made on first use by {@link #testScores}. */
    private float[] testScores;

    private SpanSetupF32(int P, float[] G, float[] Q, float[] K, float[] V, float[] u, float[] Q0e, float[] K0e,
                         float[] V0e, float[] u0e, float[] Te, int Ec, int ldTe, int probe0, float scale, SpanSetupF32 unit) {
        this.P = P;
        this.unit = unit;
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

    /**
     * Projects tokens T (P×d, float64) and S (E×d) through W(0): one set-up per head of w0, all
     * sharing one G and one Te (they depend on the tokens alone).
     */
    static SpanSetupF32[] project(double[] tokens, int P, double[] evalTokens, int E, Weights w0, boolean trainWo) {
        int d = w0.d();
        float[] T = toFloat(tokens), Se = toFloat(evalTokens);
        float[] Tt = transpose(T, P, d);                     // d×P
        float[] G = new float[P * P], Te = new float[E * P];
        gemm(G, 1, T, Tt, P, d, P);
        gemm(Te, 1, Se, Tt, E, d, P);
        SpanSetupF32[] heads = new SpanSetupF32[w0.heads()];
        for (int h = 0; h < heads.length; h++) heads[h] = projectHead(T, P, Se, E, G, Te, w0.head(h), trainWo);
        return heads;
    }

    /** One head's projections of T and S (float32, P×d and E×d) through its W(0), with the shared G and Te. */
    private static SpanSetupF32 projectHead(float[] T, int P, float[] Se, int E, float[] G, float[] Te, Weights w0, boolean trainWo) {
        int d = w0.d(), mk = w0.mk(), mv = w0.mv();
        float[] WQt = transpose(toFloat(w0.WQ()), mk, d);     // d×m_k
        float[] WKt = transpose(toFloat(w0.WK()), mk, d);
        float[] Q = new float[P * mk], K = new float[P * mk];
        float[] Q0e = new float[E * mk], K0e = new float[E * mk];
        gemm(Q, 1, T, WQt, P, d, mk);
        gemm(K, 1, T, WKt, P, d, mk);
        gemm(Q0e, 1, Se, WQt, E, d, mk);
        gemm(K0e, 1, Se, WKt, E, d, mk);
        if (trainWo) {
            float[] WVt = transpose(toFloat(w0.WV()), mv, d);
            float[] V = new float[P * mv], V0e = new float[E * mv];
            gemm(V, 1, T, WVt, P, d, mv);
            gemm(V0e, 1, Se, WVt, E, d, mv);
            return new SpanSetupF32(P, G, Q, K, V, null, Q0e, K0e, V0e, null, Te, E, P, E - 2, 1, null);
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
        return new SpanSetupF32(P, G, Q, K, null, u, Q0e, K0e, null, u0e, Te, E, P, E - 2, 1, null);
    }

    /** A run without a family (data read from files): its own tokens, test tokens and probes, projected, per head. */
    static SpanSetupF32[] own(RunData data) {
        int d = data.config().d(), Pt = data.test().P();
        double[] S = java.util.Arrays.copyOf(data.test().tokens(), (Pt + 2) * d);
        System.arraycopy(data.muPos(), 0, S, Pt * d, d);
        System.arraycopy(data.muNeg(), 0, S, (Pt + 1) * d, d);
        return project(data.train().tokens(), data.train().P(), S, Pt + 2, data.init(), data.config().trainWo());
    }

    /** Unit set-ups per family, per head: [0] for fixed w_O (u), [1] for learnable w_O (V). */
    private static final java.util.Map<Family, SpanSetupF32[][]> FAMILY = new java.util.WeakHashMap<>();

    /**
     * The family's unit set-up: training tokens [e₊, e₋, noise of N_f samples], evaluation
     * tokens [e₊, e₋, test noise]; computed once per family and w_O mode (again only when a run
     * needs more samples than it covers); one per head, sharing G and Te.
     */
    static SpanSetupF32[] unit(RunData data, int P) {
        Family fam = data.family();
        RunConfig c = data.config();
        int mode = c.trainWo() ? 1 : 0;
        synchronized (fam) {
            SpanSetupF32[][] pair;
            synchronized (FAMILY) {
                pair = FAMILY.computeIfAbsent(fam, k -> new SpanSetupF32[2][]);
            }
            if (pair[mode] != null && pair[mode][0].P >= P) return pair[mode];
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
     * This run's set-up from its family's, per head: its training part is a slice of the unit
     * set-up with the signal rows (and columns of G) times ‖μ‖, one G for all heads; its evaluation
     * part is the unit one, shared.
     */
    static SpanSetupF32[] ofFamily(RunData data) {
        RunConfig c = data.config();
        int P = data.train().P(), mk = c.mk(), mv = c.mv();
        SpanSetupF32[] units = unit(data, P);
        int Pu = units[0].P;
        float mu = (float) c.mu();
        float[] sT = new float[P];                 // scale of training token j
        for (int j = 0; j < P; j++) sT[j] = j < 2 ? mu : 1;
        float[] G = new float[P * P];
        for (int i = 0; i < P; i++) {
            for (int j = 0; j < P; j++) G[i * P + j] = sT[i] * sT[j] * units[0].G[i * Pu + j];
        }
        SpanSetupF32[] heads = new SpanSetupF32[units.length];
        for (int h = 0; h < heads.length; h++) {
            SpanSetupF32 unit = units[h];
            float[] Q = rows(unit.Q, mk, sT), K = rows(unit.K, mk, sT);
            float[] V = c.trainWo() ? rows(unit.V, mv, sT) : null, u = c.trainWo() ? null : rows(unit.u, 1, sT);
            heads[h] = new SpanSetupF32(P, G, Q, K, V, u, unit.Q0e, unit.K0e, unit.V0e, unit.u0e, unit.Te, unit.Ec, Pu, 0, mu, unit);
        }
        return heads;
    }

    /**
     * This unit set-up's test scores at W(0) for samples of M tokens, made once and shared by every
     * run of the family: before its first update a run's test rows are these rows with the signals
     * times ‖μ‖, so its scores are these times ‖μ‖ at the signal position ({@link EvalF32}).
     */
    synchronized float[] testScores(int M) {
        if (testScores == null) testScores = EvalF32.unitScores(Q0e, K0e, (Ec - 2) / (M - 1), M, Q0e.length / Ec);
        return testScores;
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
