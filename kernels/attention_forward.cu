// Attention forward of docs/math.md §2 for every sample n of every listed run r, from the projections of
// the tokens the sample holds (span formulation, docs/math.md §4: no d-wide product):
//
//     z_la = q_{j_l}·k_{j_a}     S_la = exp(z_la) / Σ_b exp(z_lb)     ū_l = Σ_a S_la u_{j_a}
//     f = (1/M) Σ_l ū_l          loss = ℓ(y f) (float64)               g = ℓ′(y f)·y / B
//     c_a = (1/M) Σ_l S_la       D_la = (g/M) S_la (u_{j_a} − ū_l)
//
// with j_l = map[n, l], ℓ the run's loss (lossKind[r], common.cuh's loss_value / sample_gradient)
// and B its batch size bOf[r] (docs/math.md §8): g = 0 for a sample outside the step's mini-batch
// (inBatch[r·N_max + n] = 0; inBatch null: every sample is in, B = N). ℓ and ℓ′ are taken in
// float64 as the CPU engines do; g is rounded to float.
// With H heads (docs/math.md §7) each head is a run slot of its own and writes its f_h to f; given
// fRun (the run's f = Σ_h f_h of every sample, kernels/heads_sum.cu), loss and g are those of fRun.
// Shapes of run r (padded): map N_max×M token indices, QK P_max×2m_k with row j = [q_j | k_j],
// u P_max, y N_max (±1). Outputs f N_max and, where not null, loss N_max (double), g N_max,
// c N_max×M, D N_max×M×M. The training step wants all of them; metrics want f (train and test
// tokens) and c (training tokens).
// Geometry: grid (N_max, number of runs), block 128; blocks past N_r return. Dynamic shared memory
// (2·M·(KC+1) + M² + 2M floats + M ints, checked against the limit on the host): the q and k rows of
// the sample are staged KC columns at a time (rows padded by one float against bank conflicts), the
// M² logits accumulate in shared memory with one thread per (l, a) pair, then one thread per row l
// does the softmax.
#include "common.cuh"

#define KC 32

extern "C" __global__ void __launch_bounds__(128) attention_forward(
        const int* __restrict__ runs, const int* __restrict__ nOf, int nMax, int M, int mk,
        const int* __restrict__ map, const float* __restrict__ QK, long long strideQK,
        const float* __restrict__ u, long long strideU, const float* __restrict__ y,
        const int* __restrict__ lossKind, const int* __restrict__ bOf, const int* __restrict__ inBatch,
        float* __restrict__ f, double* __restrict__ loss, float* __restrict__ g,
        float* __restrict__ c, float* __restrict__ D, const float* __restrict__ fRun) {
    const int r = runs[blockIdx.y], n = blockIdx.x;
    const int N = nOf[r];
    if (n >= N) return;
    SHARED_DYNAMIC(float, sh);
    SH(float) qs = sh;                     // M×(KC+1)  q_{j_l}, KC columns at a time
    SH(float) ks = qs + M * (KC + 1);      // M×(KC+1)  k_{j_a}
    SH(float) z = ks + M * (KC + 1);       // M×M       logits, then S
    SH(float) ub = z + M * M;              // M         ū_l
    SH(float) us = ub + M;                 // M         u_{j_a}
    SH(int) tok = SH_CAST(int, us + M);    // M         j_l
    SHARED(float, gs, 1);                  // g of the sample

    const long long sample = (long long)r * nMax + n;
    const int* mp = map + sample * M;
    QK += r * strideQK;
    u += r * strideU;
    const int t = threadIdx.x, bd = blockDim.x, w = 2 * mk;
    for (int a = t; a < M; a += bd) {
        tok[a] = mp[a];
        us[a] = u[mp[a]];
    }
    for (int p = t; p < M * M; p += bd) z[p] = 0.0f;
    __syncthreads();

    for (int k0 = 0; k0 < mk; k0 += KC) {
        const int width = min(KC, mk - k0);
        for (int e = t; e < M * KC; e += bd) {
            const int l = e / KC, kk = e % KC;
            const float* row = QK + (long long)tok[l] * w + k0 + kk;
            qs[l * (KC + 1) + kk] = kk < width ? row[0] : 0.0f;
            ks[l * (KC + 1) + kk] = kk < width ? row[mk] : 0.0f;
        }
        __syncthreads();
        for (int p = t; p < M * M; p += bd) {
            SH(float) ql = qs + (p / M) * (KC + 1);
            SH(float) ka = ks + (p % M) * (KC + 1);
            float s = 0.0f;
#pragma unroll 8
            for (int kk = 0; kk < KC; kk++) s = fmaf(ql[kk], ka[kk], s);
            z[p] += s;
        }
        __syncthreads();
    }

    for (int l = t; l < M; l += bd) {
        SH(float) zl = z + l * M;
        float mx = -INFINITY;
        for (int a = 0; a < M; a++) mx = fmaxf(mx, zl[a]);
        float sum = 0.0f;
        for (int a = 0; a < M; a++) {
            const float e = expf(zl[a] - mx);
            zl[a] = e;
            sum += e;
        }
        float ubar = 0.0f;
        for (int a = 0; a < M; a++) {
            const float s = zl[a] / sum;
            zl[a] = s;
            ubar += s * us[a];
        }
        ub[l] = ubar;
    }
    __syncthreads();

    const float invM = 1.0f / M;
    if (t == 0) {
        float fn = 0.0f;
        for (int l = 0; l < M; l++) fn += ub[l];
        const float fv = fn / M;
        const float yn = y[sample];
        f[sample] = fv;
        const float fr = fRun ? fRun[sample] : fv;
        const double yf = (double)yn * fr;
        if (loss) loss[sample] = loss_value(lossKind[r], yf);
        gs[0] = !inBatch || inBatch[sample] ? (float)sample_gradient(lossKind[r], yn, fr, bOf[r]) : 0.0f;
        if (g) g[sample] = gs[0];
    }
    __syncthreads();
    if (c) {
        for (int a = t; a < M; a += bd) {
            float s = 0.0f;
            for (int l = 0; l < M; l++) s += z[l * M + a];
            c[sample * M + a] = s * invM;
        }
    }
    if (D) {
        const float gM = gs[0] * invM;
        for (int p = t; p < M * M; p += bd) D[sample * M * M + p] = gM * z[p] * (us[p % M] - ub[p / M]);
    }
}
