package org.attnsweep.engine.cuda;

/**
 * The CPU side of the per-kernel tests (CudaKernelsTest): one function per kernel of kernels/, of
 * the same name, computing what the kernel's header says for ONE run in float64 with plain loops
 * (docs/math.md §2–4), from that run's unpadded arrays. No tricks: these are the definitions the kernels are
 * held to.
 */
final class CpuPhases {
    private CpuPhases() {
    }

    /** scalarize_v: u_j = Σ_i V_ji w_O,i for rows j < rows (V rows×m_v). */
    static double[] scalarizeV(double[] V, double[] wO, int rows, int mv) {
        double[] u = new double[rows];
        for (int j = 0; j < rows; j++) {
            double s = 0;
            for (int i = 0; i < mv; i++) s += V[j * mv + i] * wO[i];
            u[j] = s;
        }
        return u;
    }

    /** Outputs of attention_forward for one run: f, loss, g (N), c (N×M), D (N×M×M). */
    record Forward(double[] f, double[] loss, double[] g, double[] c, double[] D) {
    }

    /**
     * attention_forward for N samples of M tokens: map N×M token indices into QK (rows [q_j | k_j],
     * 2m_k wide) and u; y the labels; the loss ℓ of the run, and its batch of B samples (inBatch[n] =
     * 1 for the samples of the step, all where inBatch is null), g = ℓ′(y f)·y/B on those, 0 elsewhere.
     */
    static Forward attentionForward(int N, int M, int mk, int[] map, double[] QK, double[] u, double[] y,
                                    org.attnsweep.model.Loss ell, int B, int[] inBatch) {
        double[] f = new double[N], loss = new double[N], g = new double[N], c = new double[N * M], D = new double[N * M * M];
        int w = 2 * mk;
        for (int n = 0; n < N; n++) {
            double[][] S = new double[M][M];
            double[] ubar = new double[M];
            double fn = 0;
            for (int l = 0; l < M; l++) {
                int jl = map[n * M + l];
                double mx = Double.NEGATIVE_INFINITY;
                for (int a = 0; a < M; a++) {
                    int ja = map[n * M + a];
                    double z = 0;
                    for (int i = 0; i < mk; i++) z += QK[jl * w + i] * QK[ja * w + mk + i];
                    S[l][a] = z;
                    mx = Math.max(mx, z);
                }
                double sum = 0;
                for (int a = 0; a < M; a++) {
                    S[l][a] = Math.exp(S[l][a] - mx);
                    sum += S[l][a];
                }
                for (int a = 0; a < M; a++) {
                    S[l][a] /= sum;
                    ubar[l] += S[l][a] * u[map[n * M + a]];
                }
                fn += ubar[l];
            }
            fn /= M;
            f[n] = fn;
            loss[n] = ell.value(y[n] * fn);
            g[n] = inBatch == null || inBatch[n] == 1 ? ell.sampleGradient(y[n], fn, B) : 0;
            for (int a = 0; a < M; a++) {
                double s = 0;
                for (int l = 0; l < M; l++) s += S[l][a];
                c[n * M + a] = s / M;
            }
            for (int l = 0; l < M; l++) {
                for (int a = 0; a < M; a++) D[(n * M + l) * M + a] = g[n] / M * S[l][a] * (u[map[n * M + a]] - ubar[l]);
            }
        }
        return new Forward(f, loss, g, c, D);
    }

    /** loss_reduce: the mean training loss of N per-sample losses. */
    static double lossReduce(double[] loss, int N) {
        double s = 0;
        for (int n = 0; n < N; n++) s += loss[n];
        return s / N;
    }

    /** Outputs of gather for one run: AB = [α|β] (P×2m_k), A_Q|K after the update, γ, c_V after. */
    record Gathered(double[] AB, double[] AQK, double[] gamma, double[] cV) {
    }

    /**
     * gather for one run of N samples over P tokens: α_j, β_j, γ_j summed over every occurrence of
     * t_j, then A_Q|K −= η[α|β] and, for fixed w_O, c_V −= ηγ.
     */
    static Gathered gather(int N, int M, int mk, int P, int[] map, double[] D, double[] g, double[] c, double[] QK,
                           double eta, boolean trainWo, double[] AQK0, double[] cV0) {
        int w = 2 * mk;
        double[] AB = new double[P * w], gamma = new double[P];
        for (int n = 0; n < N; n++) {
            for (int p = 0; p < M; p++) {
                int j = map[n * M + p];
                for (int i = 0; i < mk; i++) {
                    double alpha = 0, beta = 0;
                    for (int a = 0; a < M; a++) alpha += D[(n * M + p) * M + a] * QK[map[n * M + a] * w + mk + i];
                    for (int l = 0; l < M; l++) beta += D[(n * M + l) * M + p] * QK[map[n * M + l] * w + i];
                    AB[j * w + i] += alpha;
                    AB[j * w + mk + i] += beta;
                }
                gamma[j] += g[n] * c[n * M + p];
            }
        }
        double[] AQK = AQK0.clone(), cV = cV0.clone();
        for (int x = 0; x < P * w; x++) AQK[x] -= eta * AB[x];
        if (!trainWo) for (int j = 0; j < P; j++) cV[j] -= eta * gamma[j];
        return new Gathered(AB, AQK, gamma, cV);
    }

    /** value_gram: h = Gγ (G P×P) and, for fixed w_O, u −= η‖w_O‖² h. Returns {h, u}. */
    static double[][] valueGram(double[] G, double[] gamma, int P, double eta, double wo2, boolean trainWo, double[] u0) {
        double[] h = gemv(false, G, P, P, P, gamma), u = u0.clone();
        if (!trainWo) for (int j = 0; j < P; j++) u[j] -= eta * wo2 * h[j];
        return new double[][] {h, u};
    }

    /**
     * value_update for learnable w_O, with V and w_O before their update: ∇w_O = Vᵀγ,
     * V −= η h w_Oᵀ, A_V −= η γ w_Oᵀ, w_O −= η∇w_O. Returns {V, AV, wO}.
     */
    static double[][] valueUpdate(double[] V0, double[] AV0, double[] wO0, double[] gamma, double[] h, int P, int mv, double eta) {
        double[] V = V0.clone(), AV = AV0.clone(), wO = wO0.clone();
        double[] grad = gemv(true, V0, P, mv, mv, gamma);
        for (int j = 0; j < P; j++) {
            for (int i = 0; i < mv; i++) {
                V[j * mv + i] -= eta * h[j] * wO0[i];
                AV[j * mv + i] -= eta * gamma[j] * wO0[i];
            }
        }
        for (int i = 0; i < mv; i++) wO[i] -= eta * grad[i];
        return new double[][] {V, AV, wO};
    }

    /**
     * metric_dots for one run: per sample n the (qk_sn, qk_ns, qk_nn, v_noise) parts, then the probe
     * row (qk_ss, u(μ₊), u(μ₋), 0); (N+1)×4. QKe and ue hold the test tokens with μ₊, μ₋ at rows
     * E−2, E−1.
     */
    static double[] metricDots(int N, int M, int mk, int E, int[] map, double[] QK, double[] u, double[] QKe, double[] ue) {
        int w = 2 * mk, p3 = Math.min(2, M - 1);
        double[] out = new double[(N + 1) * 4];
        for (int n = 0; n < N; n++) {
            int s = map[n * M], x2 = map[n * M + 1], x3 = map[n * M + p3];
            out[n * 4] = dot(QK, s * w, QK, x2 * w + mk, mk);
            out[n * 4 + 1] = dot(QK, x3 * w, QK, s * w + mk, mk);
            out[n * 4 + 2] = dot(QK, x3 * w, QK, x2 * w + mk, mk);
            out[n * 4 + 3] = u[x2];
        }
        out[N * 4] = dot(QKe, (E - 2) * w, QKe, (E - 2) * w + mk, mk);
        out[N * 4 + 1] = ue[E - 2];
        out[N * 4 + 2] = ue[E - 1];
        return out;
    }

    private static double dot(double[] a, int ai, double[] b, int bi, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += a[ai + i] * b[bi + i];
        return s;
    }

    /**
     * gemm: C0 + alpha·A·op(B) with A rows×inner, op(B) = B (inner×cols) or Bᵀ (B cols×inner), all
     * dense row-major; C0 may be null.
     */
    static double[] gemm(boolean transB, double[] A, double[] B, double[] C0, int rows, int inner, int cols, double alpha) {
        double[] C = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int k = 0; k < inner; k++) s += A[i * inner + k] * (transB ? B[j * inner + k] : B[k * cols + j]);
                C[i * cols + j] = (C0 == null ? 0 : C0[i * cols + j]) + alpha * s;
            }
        }
        return C;
    }

    /** gemv: op(A)·x with A rows×cols row-major, op(A) = A (x cols long) or Aᵀ (x rows long). */
    static double[] gemv(boolean transA, double[] A, int rows, int cols, int ld, double[] x) {
        double[] y = new double[transA ? cols : rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                if (transA) y[j] += A[i * ld + j] * x[i];
                else y[i] += A[i * ld + j] * x[j];
            }
        }
        return y;
    }
}
