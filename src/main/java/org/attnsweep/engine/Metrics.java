package org.attnsweep.engine;

import org.attnsweep.data.TokenSet;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunConfig;

/**
 * The metric definitions of SPEC §5, computed once for every engine from the projections of the
 * training tokens, the test tokens and the two signal probes μ₊, μ₋. Engines differ only in how they
 * obtain the projections.
 */
public final class Metrics {
    private Metrics() {
    }

    /** Logistic loss ℓ(t) = log(1 + e^{−t}), computed stably as softplus(−t). */
    public static double logistic(double t) {
        double x = -t;
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** σ(x) = 1/(1 + e^{−x}) without overflow. */
    public static double sigmoid(double x) {
        if (x >= 0) return 1 / (1 + Math.exp(-x));
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /**
     * f(X) of sample n (SPEC §2) and, when {@code attnOut} is not null, the attention each key
     * position receives averaged over queries, c_a = (1/M) Σ_l S_la, written to attnOut[0..M).
     */
    public static double forward(TokenSet set, int n, Projected pr, double[] attnOut) {
        int M = set.M();
        double[] z = new double[M];
        double f = 0;
        if (attnOut != null) java.util.Arrays.fill(attnOut, 0, M, 0);
        for (int l = 0; l < M; l++) {
            int jl = set.token(n, l);
            double max = Double.NEGATIVE_INFINITY;
            for (int a = 0; a < M; a++) {
                z[a] = pr.qk(jl, set.token(n, a));
                max = Math.max(max, z[a]);
            }
            double sum = 0;
            for (int a = 0; a < M; a++) {
                z[a] = Math.exp(z[a] - max);
                sum += z[a];
            }
            for (int a = 0; a < M; a++) {
                double s = z[a] / sum;
                f += s * pr.u()[set.token(n, a)];
                if (attnOut != null) attnOut[a] += s / M;
            }
        }
        return f / M;
    }

    /**
     * Every metric of SPEC §5 into {@code out} (length {@link Metric#COUNT}).
     *
     * @param train  the training set, with its projections {@code tr}
     * @param test   the test set, with its projections {@code te}
     * @param probes projections of μ₊ (token 0) and μ₋ (token 1)
     */
    public static void compute(RunConfig c, TokenSet train, Projected tr, TokenSet test, Projected te,
                               Projected probes, double[] out) {
        int N = train.N(), M = train.M();
        double[] attn = new double[M];
        double loss = 0, err = 0, attnSig = 0, attnNoise = 0;
        for (int n = 0; n < N; n++) {
            double f = forward(train, n, tr, attn);
            int y = train.y()[n];
            loss += logistic(y * f);
            if (y * f <= 0) err++;
            if (c.attnSample() < 0 || c.attnSample() == n) {
                attnSig += attn[0];
                attnNoise += attn[1];
            }
        }
        int attnCount = c.attnSample() < 0 ? N : 1;
        out[Metric.TRAIN_LOSS.ordinal()] = loss / N;
        out[Metric.TRAIN_ERROR.ordinal()] = err / N;
        out[Metric.ATTN_SIGNAL.ordinal()] = attnSig / attnCount;
        out[Metric.ATTN_NOISE.ordinal()] = attnNoise / attnCount;

        double tl = 0, te0 = 0, tec = 0;
        for (int n = 0; n < test.N(); n++) {
            double f = forward(test, n, te, null);
            tl += logistic(test.y()[n] * f);
            if (test.y()[n] * f <= 0) te0++;
            if (test.yClean()[n] * f <= 0) tec++;
        }
        out[Metric.TEST_LOSS.ordinal()] = tl / test.N();
        out[Metric.TEST_ERROR.ordinal()] = te0 / test.N();
        out[Metric.TEST_ERROR_CLEAN.ordinal()] = tec / test.N();

        out[Metric.V_SIGNAL_POS.ordinal()] = probes.u()[0];
        out[Metric.V_SIGNAL_NEG.ordinal()] = probes.u()[1];
        out[Metric.QK_SS.ordinal()] = probes.qk(0, 0);

        // Noise positions: ξ_{n,2} is position 1; ξ_{n,3} is position 2, or position 1 where M = 2.
        int p2 = 1, p3 = Math.min(2, M - 1);
        double vNoise = 0, sn = 0, ns = 0, nn = 0;
        for (int n = 0; n < N; n++) {
            int s = train.token(n, 0), x2 = train.token(n, p2), x3 = train.token(n, p3);
            vNoise += train.y()[n] * tr.u()[x2];
            sn += tr.qk(s, x2);
            ns += tr.qk(x3, s);
            nn += tr.qk(x3, x2);
        }
        out[Metric.V_NOISE.ordinal()] = vNoise / N;
        out[Metric.QK_SN.ordinal()] = sn / N;
        out[Metric.QK_NS.ordinal()] = ns / N;
        out[Metric.QK_NN.ordinal()] = nn / N;
    }
}
