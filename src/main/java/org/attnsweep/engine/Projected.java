package org.attnsweep.engine;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The projections of P tokens under one run's current weights, in float64: q_j = W_Q t_j and
 * k_j = W_K t_j (P×m_k row-major) and the scalarised value u_j = w_O·(W_V t_j).
 */
public record Projected(int mk, double[] q, double[] k, double[] u) {
    private static final VectorSpecies<Double> S = org.attnsweep.engine.vector.VectorWidth.species(DoubleVector.SPECIES_PREFERRED);

    /** Projections of the P tokens (P×d row-major) straight from the weights: O(P·(2m_k+m_v)·d). */
    public static Projected direct(org.attnsweep.model.Weights w, double[] tokens) {
        int d = w.d(), mk = w.mk(), mv = w.mv(), P = tokens.length / d;
        double[] q = new double[P * mk], k = new double[P * mk], u = new double[P];
        double[] v = new double[mv];
        for (int j = 0; j < P; j++) {
            for (int i = 0; i < mk; i++) {
                double sq = 0, sk = 0;
                for (int c = 0; c < d; c++) {
                    sq += w.WQ()[i * d + c] * tokens[j * d + c];
                    sk += w.WK()[i * d + c] * tokens[j * d + c];
                }
                q[j * mk + i] = sq;
                k[j * mk + i] = sk;
            }
            double su = 0;
            for (int i = 0; i < mv; i++) {
                double s = 0;
                for (int c = 0; c < d; c++) s += w.WV()[i * d + c] * tokens[j * d + c];
                v[i] = s;
                su += w.wO()[i] * s;
            }
            u[j] = su;
        }
        return new Projected(mk, q, k, u);
    }

    /** The projections of the P tokens under each of w's H heads (docs/math.md §7), head by head. */
    public static Projected[] heads(org.attnsweep.model.Weights w, double[] tokens) {
        Projected[] out = new Projected[w.heads()];
        for (int h = 0; h < out.length; h++) out[h] = direct(w.head(h), tokens);
        return out;
    }

    /** q_{jq} · k_{jk}. */
    public double qk(int jq, int jk) {
        int a = jq * mk, b = jk * mk, i = 0;
        // Metrics.compute evaluates M² of these per test sample: vectorised, as they dominate its evaluation.
        DoubleVector acc = DoubleVector.zero(S);
        for (int bound = S.loopBound(mk); i < bound; i += S.length()) {
            acc = DoubleVector.fromArray(S, q, a + i).fma(DoubleVector.fromArray(S, k, b + i), acc);
        }
        // Lanes summed in a fixed order (reduceLanes may reorder): results repeat bit for bit.
        double s = 0;
        for (int l = 0; l < S.length(); l++) s += acc.lane(l);
        for (; i < mk; i++) s += q[a + i] * k[b + i];
        return s;
    }
}
