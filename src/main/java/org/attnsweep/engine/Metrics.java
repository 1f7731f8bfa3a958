package org.attnsweep.engine;

import org.attnsweep.data.TokenSet;
import org.attnsweep.model.Loss;
import org.attnsweep.model.Metric;
import org.attnsweep.model.RunConfig;

/**
 * The metric definitions of docs/math.md §5, one place for every engine: {@link #assemble} turns the
 * per-sample parts (f of every sample, attention, u and q·k values) into the metrics. The reference
 * engine gets its parts from float64 projections of the training tokens, the test tokens and the two
 * signal probes μ₊, μ₋ ({@link #compute}); the vector engine (EvalF32) and the cuda engine compute
 * them in their own precision from the projections they hold.
 */
public final class Metrics {
    private Metrics() {
    }

    /**
     * f(X) of sample n (docs/math.md §2) and, when {@code attnOut} is not null, the attention each key
     * position receives averaged over queries, c_a = (1/M) Σ_l S_la, written to attnOut[0..M).
     */
    public static double forward(TokenSet set, int n, Projected pr, double[] attnOut) {
        return forward(set, n, pr, attnOut, new double[set.M()]);
    }

    /** As {@link #forward(TokenSet, int, Projected, double[])}, the logits of a query row in {@code z} (M scratch). */
    private static double forward(TokenSet set, int n, Projected pr, double[] attnOut, double[] z) {
        int M = set.M();
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
     * f(X) of sample n with H heads (docs/math.md §7): Σ_h f_h(X), each head's from its projections
     * {@code heads[h]}, summed in head order; with {@code attnOut}, c_a averaged over the heads.
     */
    public static double forward(TokenSet set, int n, Projected[] heads, double[] attnOut) {
        return forward(set, n, heads, attnOut, null, new double[set.M()], new double[set.M()]);
    }

    /**
     * As {@link #forward(TokenSet, int, Projected[], double[])}, and with {@code headAttnOut} (H·M,
     * H > 1 only) each head's own c^h_a at [h·M + a], the numbers attnOut averages. Scratch of the
     * caller's, so a pass over the N samples allocates nothing per sample: {@code z} (M) a query
     * row's logits, {@code one} (M) one head's c_a.
     */
    private static double forward(TokenSet set, int n, Projected[] heads, double[] attnOut, double[] headAttnOut,
                                  double[] z, double[] one) {
        if (heads.length == 1) return forward(set, n, heads[0], attnOut, z);
        int M = set.M();
        double f = 0;
        if (attnOut != null) java.util.Arrays.fill(attnOut, 0, M, 0);
        for (int h = 0; h < heads.length; h++) {
            f += forward(set, n, heads[h], attnOut == null ? null : one, z);
            if (attnOut == null) continue;
            for (int a = 0; a < M; a++) attnOut[a] += one[a] / heads.length;
            if (headAttnOut != null) System.arraycopy(one, 0, headAttnOut, h * M, M);
        }
        return f;
    }

    /**
     * The per-sample values of the metrics of {@link Metric#PER_HEAD}: one head's, or a run's,
     * combined over its heads as docs/math.md §7 says (the attention and q·k averaged, u summed).
     *
     * @param attnSignal c_1, the attention token 1 (the signal) receives in training sample n (N)
     * @param attnNoise  c_2, the same for token 2 (N)
     * @param uNoise     u(ξ_{n,2}) of every training sample (N)
     * @param qkSN       q(x_{n,1})·k(ξ_{n,2}) (N)
     * @param qkNS       q(ξ_{n,3})·k(x_{n,1}) (N; token 2 where M = 2)
     * @param qkNN       q(ξ_{n,3})·k(ξ_{n,2}) (N)
     * @param uPos       u(μ₊)
     * @param uNeg       u(μ₋)
     * @param qkSS       q(μ₊)·k(μ₊)
     */
    public record Values(double[] attnSignal, double[] attnNoise, double[] uNoise, double[] qkSN, double[] qkNS,
                         double[] qkNN, double uPos, double uNeg, double qkSS) {
    }

    /**
     * The per-sample values every metric of docs/math.md §5 is a function of. An engine that computes them
     * elsewhere (the cuda engine, on the device) hands them to {@link #assemble}, so the metric
     * definitions stay in this file.
     *
     * @param fTrain f(X_n) of every training sample (N)
     * @param fTest  f(X_n) of every test sample
     * @param run    the run's values, combined over its heads
     * @param heads  each head's own values (H > 1), from the numbers {@code run} combines; null
     *               when the caller wants the run's metrics only
     */
    public record Parts(double[] fTrain, double[] fTest, Values run, Values[] heads) {
    }

    /**
     * Every metric of docs/math.md §5 into {@code out} (length {@link Metric#COUNT}), from the projections
     * of each of the H heads (§7): f sums the heads, the values u (v_*) are summed over heads like f,
     * the attention and the scores q·k (attn_*, qk_*) are averaged over heads. With one head these
     * are §5's metrics bit for bit. With H > 1 and {@code out} of length {@link Metric#width}(H),
     * each head's own {@link Metric#PER_HEAD} values follow, from the same numbers.
     *
     * @param train  the training set, with its projections {@code tr[h]}
     * @param test   the test set, with its projections {@code te[h]}
     * @param probes projections of μ₊ (token 0) and μ₋ (token 1) per head
     */
    public static void compute(RunConfig c, TokenSet train, Projected[] tr, TokenSet test, Projected[] te,
                               Projected[] probes, double[] out) {
        int N = train.N(), M = train.M(), H = tr.length;
        boolean perHead = H > 1 && out.length >= Metric.width(H);
        double[] attn = new double[M], headAttn = perHead ? new double[H * M] : null, z = new double[M], one = new double[M];
        double[] fTrain = new double[N], sig = new double[N], noise = new double[N];
        double[][] hSig = new double[perHead ? H : 0][N], hNoise = new double[perHead ? H : 0][N];
        for (int n = 0; n < N; n++) {
            fTrain[n] = forward(train, n, tr, attn, headAttn, z, one);
            sig[n] = attn[0];
            noise[n] = attn[1];
            for (int h = 0; h < hSig.length; h++) {
                hSig[h][n] = headAttn[h * M];
                hNoise[h][n] = headAttn[h * M + 1];
            }
        }
        double[] fTest = new double[test.N()];
        for (int n = 0; n < test.N(); n++) fTest[n] = forward(test, n, te, null, null, z, one);
        // Noise positions: ξ_{n,2} is position 1; ξ_{n,3} is position 2, or position 1 where M = 2
        // (kernels/metric_dots.cu picks the same).
        int p2 = 1, p3 = Math.min(2, M - 1);
        double[] uNoise = new double[N], sn = new double[N], ns = new double[N], nn = new double[N];
        double uPos = 0, uNeg = 0, qkSS = 0;
        Values[] heads = perHead ? new Values[H] : null;
        for (int h = 0; h < H; h++) {
            Projected t = tr[h];
            double[] hu = new double[N], hsn = new double[N], hns = new double[N], hnn = new double[N];
            for (int n = 0; n < N; n++) {
                int s = train.token(n, 0), x2 = train.token(n, p2), x3 = train.token(n, p3);
                hu[n] = t.u()[x2];
                hsn[n] = t.qk(s, x2);
                hns[n] = t.qk(x3, s);
                hnn[n] = t.qk(x3, x2);
                uNoise[n] += hu[n];
                sn[n] += hsn[n] / H;
                ns[n] += hns[n] / H;
                nn[n] += hnn[n] / H;
            }
            double pos = probes[h].u()[0], neg = probes[h].u()[1], ss = probes[h].qk(0, 0);
            uPos += pos;
            uNeg += neg;
            qkSS += ss / H;
            if (perHead) heads[h] = new Values(hSig[h], hNoise[h], hu, hsn, hns, hnn, pos, neg, ss);
        }
        assemble(c, train, test, new Parts(fTrain, fTest, new Values(sig, noise, uNoise, sn, ns, nn, uPos, uNeg, qkSS), heads), out);
    }

    /**
     * Every metric of docs/math.md §5 into {@code out} (length {@link Metric#COUNT}) from the per-sample parts,
     * and with {@code s.heads()} each head's {@link Metric#PER_HEAD} values after them ({@code out}
     * of length {@link Metric#width}(H)), by the same definitions.
     */
    public static void assemble(RunConfig c, TokenSet train, TokenSet test, Parts s, double[] out) {
        int N = train.N();
        // A NaN output (a diverged run) is neither right nor wrong: it makes its error NaN, never a hit.
        Loss ell = c.loss();
        double loss = 0, logistic = 0, err = 0;
        for (int n = 0; n < N; n++) {
            double f = s.fTrain()[n];
            int y = train.y()[n];
            loss += ell.value(y * f);
            logistic += Loss.LOGISTIC.value(y * f);
            if (!(y * f > 0)) err += Double.isNaN(f) ? Double.NaN : 1;
        }
        out[Metric.TRAIN_LOSS.ordinal()] = loss / N;
        out[Metric.TRAIN_LOSS_LOGISTIC.ordinal()] = logistic / N;
        out[Metric.TRAIN_ERROR.ordinal()] = err / N;

        double tl = 0, tlLogistic = 0, te0 = 0, tec = 0;
        for (int n = 0; n < test.N(); n++) {
            double f = s.fTest()[n];
            tl += ell.value(test.y()[n] * f);
            tlLogistic += Loss.LOGISTIC.value(test.y()[n] * f);
            if (!(test.y()[n] * f > 0)) te0 += Double.isNaN(f) ? Double.NaN : 1;
            if (!(test.yClean()[n] * f > 0)) tec += Double.isNaN(f) ? Double.NaN : 1;
        }
        out[Metric.TEST_LOSS.ordinal()] = tl / test.N();
        out[Metric.TEST_LOSS_LOGISTIC.ordinal()] = tlLogistic / test.N();
        out[Metric.TEST_ERROR.ordinal()] = te0 / test.N();
        out[Metric.TEST_ERROR_CLEAN.ordinal()] = tec / test.N();

        int K = Metric.PER_HEAD.size();
        double[] v = new double[K];
        values(c, train, s.run(), v);
        for (int i = 0; i < K; i++) out[Metric.PER_HEAD.get(i).ordinal()] = v[i];
        if (s.heads() == null) return;
        for (int h = 0; h < s.heads().length; h++) {
            values(c, train, s.heads()[h], v);
            System.arraycopy(v, 0, out, Metric.headIndex(h, 0), K);
        }
    }

    /** The {@link Metric#PER_HEAD} metrics of one set of values, in that order, into v. */
    private static void values(RunConfig c, TokenSet train, Values s, double[] v) {
        int N = train.N();
        double attnSig = 0, attnNoise = 0, vNoise = 0, sn = 0, ns = 0, nn = 0;
        for (int n = 0; n < N; n++) {
            if (c.attnSample() < 0 || c.attnSample() == n) {
                attnSig += s.attnSignal()[n];
                attnNoise += s.attnNoise()[n];
            }
            vNoise += train.y()[n] * s.uNoise()[n];
            sn += s.qkSN()[n];
            ns += s.qkNS()[n];
            nn += s.qkNN()[n];
        }
        int attnCount = c.attnSample() < 0 ? N : 1;
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (Metric.PER_HEAD.get(i)) {
                case ATTN_SIGNAL -> attnSig / attnCount;
                case ATTN_NOISE -> attnNoise / attnCount;
                case V_SIGNAL_POS -> s.uPos();
                case V_SIGNAL_NEG -> s.uNeg();
                case V_NOISE -> vNoise / N;
                case QK_SS -> s.qkSS();
                case QK_SN -> sn / N;
                case QK_NS -> ns / N;
                case QK_NN -> nn / N;
                default -> throw new IllegalStateException(Metric.PER_HEAD.get(i) + " is not a per-head metric");
            };
        }
    }
}
