package org.attnsweep.engine.reference;

import java.util.ArrayList;
import java.util.List;
import org.attnsweep.data.BatchOrder;
import org.attnsweep.data.RunData;
import org.attnsweep.data.TokenSet;
import org.attnsweep.engine.Engine;
import org.attnsweep.engine.EngineBatch;
import org.attnsweep.engine.Metrics;
import org.attnsweep.engine.Projected;
import org.attnsweep.model.Loss;
import org.attnsweep.model.RunConfig;
import org.attnsweep.model.Weights;

/**
 * The definition of correctness: float64, plain loops, direct GD on the d-wide weights with the
 * closed-form gradients of docs/math.md §3. Slow on purpose and never optimised; every other engine is
 * tested against it.
 */
public final class ReferenceEngine implements Engine {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public org.attnsweep.model.Precision precision() {
        return org.attnsweep.model.Precision.FLOAT64;
    }

    /** Direct GD on the d-wide weights, sample by sample: it holds no more than the direct form's figure. */
    @Override
    public org.attnsweep.engine.Formulation formulation() {
        return org.attnsweep.engine.Formulation.DIRECT;
    }

    @Override
    public String describe() {
        return "engine=reference precision=float64 (direct GD, single thread)";
    }

    @Override
    public EngineBatch open(List<RunData> runs) {
        return new Batch(runs);
    }

    /** The gradients of L with respect to W_Q, W_K, W_V and w_O, shaped like the weights (head after head). */
    public record Gradients(double[] WQ, double[] WK, double[] WV, double[] wO) {
    }

    /** L = (1/N) Σ_n ℓ(y_n f(X_n)) at weights w on the training set, in loss ℓ; f sums the heads (docs/math.md §7). */
    public static double loss(Weights w, TokenSet train, Loss ell) {
        Projected[] pr = Projected.heads(w, train.tokens());
        double l = 0;
        for (int n = 0; n < train.N(); n++) l += ell.value(train.y()[n] * Metrics.forward(train, n, pr, null));
        return l / train.N();
    }

    /**
     * docs/math.md §3's closed-form gradients at weights w, straight from the d-wide weights, of the
     * loss ℓ averaged over the samples with {@code inBatch[n]} (all N where it is null; docs/math.md §8);
     * with H heads (§7) each head's are §3's with the g of the summed f.
     */
    public static Gradients gradients(Weights w, TokenSet train, Loss ell, boolean[] inBatch) {
        int d = w.d(), mk = w.mk(), mv = w.mv(), H = w.heads(), N = train.N(), M = train.M();
        double[] gQ = new double[H * mk * d], gK = new double[H * mk * d], gV = new double[H * mv * d], gO = new double[H * mv];
        Head[] heads = new Head[H];
        for (int h = 0; h < H; h++) heads[h] = new Head(w.head(h), M);
        double[][] x = new double[M][d];
        int B = N;
        if (inBatch != null) {
            B = 0;
            for (boolean b : inBatch) B += b ? 1 : 0;
        }
        for (int n = 0; n < N; n++) {
            if (inBatch != null && !inBatch[n]) continue;
            for (int a = 0; a < M; a++) System.arraycopy(train.tokens(), train.token(n, a) * d, x[a], 0, d);
            double f = 0;
            for (Head head : heads) f += head.forward(x);
            double g = ell.sampleGradient(train.y()[n], f, B);
            for (int h = 0; h < H; h++) heads[h].accumulate(g, x, gQ, gK, gO, h);
        }
        for (int h = 0; h < H; h++) {
            double[] wO = heads[h].w.wO(), r = heads[h].r;
            for (int i = 0; i < mv; i++) {
                for (int c = 0; c < d; c++) gV[(h * mv + i) * d + c] = wO[i] * r[c];
            }
        }
        return new Gradients(gQ, gK, gV, gO);
    }

    /** One head's forward pass over one sample and its share of the gradients (docs/math.md §3, §7). */
    private static final class Head {
        final Weights w;
        final int d, mk, mv, M;
        final double[][] q, k, wv, S;
        final double[] u, ubar, cAttn;
        final double[] r;   // d: Σ_n g Σ_a c_a x_a, so that ∇W_V = w_O rᵀ

        Head(Weights w, int M) {
            this.w = w;
            this.M = M;
            d = w.d();
            mk = w.mk();
            mv = w.mv();
            q = new double[M][mk];
            k = new double[M][mk];
            wv = new double[M][mv];
            S = new double[M][M];
            u = new double[M];
            ubar = new double[M];
            cAttn = new double[M];
            r = new double[d];
        }

        /** This head's f_h(X) = (1/M) Σ_l Σ_a S_la u_a for the sample's tokens x (M×d). */
        double forward(double[][] x) {
            for (int a = 0; a < M; a++) {
                matVec(w.WQ(), x[a], q[a], mk, d);
                matVec(w.WK(), x[a], k[a], mk, d);
                matVec(w.WV(), x[a], wv[a], mv, d);
                u[a] = dot(w.wO(), wv[a]);
            }
            double f = 0;
            java.util.Arrays.fill(cAttn, 0);
            for (int l = 0; l < M; l++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int a = 0; a < M; a++) {
                    S[l][a] = dot(q[l], k[a]);
                    max = Math.max(max, S[l][a]);
                }
                double sum = 0;
                for (int a = 0; a < M; a++) {
                    S[l][a] = Math.exp(S[l][a] - max);
                    sum += S[l][a];
                }
                ubar[l] = 0;
                for (int a = 0; a < M; a++) {
                    S[l][a] /= sum;
                    ubar[l] += S[l][a] * u[a];
                    cAttn[a] += S[l][a] / M;
                }
                f += ubar[l] / M;
            }
            return f;
        }

        /** Adds the sample's terms, with its g = ∂L/∂f, to head h's blocks of ∇W_Q, ∇W_K, ∇w_O and to r. */
        void accumulate(double g, double[][] x, double[] gQ, double[] gK, double[] gO, int h) {
            int oq = h * mk * d, oo = h * mv;
            for (int l = 0; l < M; l++) {
                for (int a = 0; a < M; a++) {
                    double D = g * S[l][a] * (u[a] - ubar[l]) / M;
                    // ∇W_Q += D k_a x_lᵀ,  ∇W_K += D q_l x_aᵀ
                    for (int i = 0; i < mk; i++) {
                        double dq = D * k[a][i], dk = D * q[l][i];
                        for (int c = 0; c < d; c++) {
                            gQ[oq + i * d + c] += dq * x[l][c];
                            gK[oq + i * d + c] += dk * x[a][c];
                        }
                    }
                }
            }
            for (int a = 0; a < M; a++) {
                for (int c = 0; c < d; c++) r[c] += g * cAttn[a] * x[a][c];
                for (int i = 0; i < mv; i++) gO[oo + i] += g * cAttn[a] * wv[a][i];
            }
        }
    }

    private static void matVec(double[] W, double[] x, double[] out, int rows, int d) {
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int c = 0; c < d; c++) s += W[i * d + c] * x[c];
            out[i] = s;
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static final class Batch implements EngineBatch {
        private final List<RunData> runs;
        private final List<Weights> weights = new ArrayList<>();
        // Mini-batch runs: their sample order (null for full batch) and the updates taken so far.
        private final BatchOrder[] order;
        private final long[] updates;

        Batch(List<RunData> runs) {
            this.runs = List.copyOf(runs);
            for (RunData r : runs) weights.add(r.init().copy());
            order = new BatchOrder[runs.size()];
            updates = new long[runs.size()];
            for (int r = 0; r < order.length; r++) {
                if (runs.get(r).config().miniBatch()) order[r] = new BatchOrder(runs.get(r).config());
            }
        }

        @Override
        public int size() {
            return runs.size();
        }

        @Override
        public void step(boolean[] active, double[] loss) {
            for (int r = 0; r < runs.size(); r++) {
                if (!active[r]) continue;
                RunData run = runs.get(r);
                RunConfig c = run.config();
                Weights w = weights.get(r);
                loss[r] = loss(w, run.train(), c.loss());
                if (!Double.isFinite(loss[r]) || loss[r] < c.targetLoss()) continue;
                boolean[] in = null;
                if (order[r] != null) {
                    in = new boolean[c.N()];
                    order[r].mask(updates[r], in);
                }
                updates[r]++;
                Gradients g = gradients(w, run.train(), c.loss(), in);
                double eta = c.lr();
                axpy(-eta, g.WQ(), w.WQ());
                axpy(-eta, g.WK(), w.WK());
                axpy(-eta, g.WV(), w.WV());
                if (c.trainWo()) axpy(-eta, g.wO(), w.wO());
            }
        }

        private static void axpy(double a, double[] x, double[] y) {
            for (int i = 0; i < y.length; i++) y[i] += a * x[i];
        }

        @Override
        public void metrics(boolean[] which, double[][] out) {
            for (int r = 0; r < runs.size(); r++) {
                if (!which[r]) continue;
                RunData run = runs.get(r);
                Weights w = weights.get(r);
                double[] probes = new double[2 * w.d()];
                System.arraycopy(run.muPos(), 0, probes, 0, w.d());
                System.arraycopy(run.muNeg(), 0, probes, w.d(), w.d());
                Metrics.compute(run.config(), run.train(), Projected.heads(w, run.train().tokens()), run.test(),
                        Projected.heads(w, run.test().tokens()), Projected.heads(w, probes), out[r]);
            }
        }

        @Override
        public Weights weights(int r) {
            return weights.get(r).copy();
        }

        @Override
        public void close() {
        }
    }
}
