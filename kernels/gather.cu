// The gathers of SPEC §4 for every training token j of every listed run r with go[r], summed over
// the occurrences (n, p) of t_j (position p of sample n), and the span updates they feed:
//
//     α_j = Σ_(n,p) Σ_a D_{n,p,a} k_{j_{n,a}}       (t_j as the query, l = p)
//     β_j = Σ_(n,p) Σ_l D_{n,l,p} q_{j_{n,l}}       (t_j as the key,   a = p)
//     γ_j = Σ_(n,p) g_n c_{n,p}
//     A_Q|A_K −= η [α_j | β_j]        fixed w_O: c_V,j −= η γ_j   (A_V = w_O c_Vᵀ)
//
// Learnable w_O updates A_V in value_update (it needs w_O before its own update, as here).
// The occurrences come as a CSR index built on the host from map: occ[occStart[j] .. occStart[j+1])
// holds n·M + p in increasing order, so every sum runs in a fixed order without atomics.
// Two entry points split the tokens by their number of occurrences (disjoint outputs):
//   gather          tokens that occur once (every noise token of generated data), per sample: the
//                   sample's M rows of Q|K are read once, staged GC columns at a time in shared
//                   memory, and give α and β of all its positions.
//   gather_repeats  the other tokens (the two signals; a token that never occurs gets zeros), per
//                   token and column chunk,
//                   each thread summing its column over the occurrences in CSR order.
// Shapes of run r: occStart P_max+1, occ and map N_max·M, D N_max×M×M, g N_max, c N_max×M,
// QK, AB (= [α|β], read by the gemm that follows), AQK P_max×2m_k, gamma, cV P_max; eta R.
// Geometry:
//   gather          grid (N_max, number of runs), block 256; dynamic shared memory
//                   (2·M·GC + M² floats + 2M ints, at most attention_forward's, which the host
//                   checks). Thread t takes column t mod GC of positions t/GC, t/GC + 256/GC, ...:
//                   a warp reads 32 consecutive staged columns (no bank conflicts) and writes 32
//                   consecutive floats of a row of AB and A_Q|K.
//   gather_repeats  grid (P_max, number of runs, ⌈2m_k/128⌉), block 128; blocks of tokens that occur
//                   at most once return at once. A repeated token's 2m_k columns are spread over
//                   ⌈2m_k/128⌉ blocks.
// Both sum α, β with fmaf over a (or l) in increasing order, and over occurrences in CSR order.
#include "common.cuh"

#define GC 32

extern "C" __global__ void __launch_bounds__(256) gather(
        const int* __restrict__ runs, const int* __restrict__ go, const int* __restrict__ nOf,
        int pMax, int nMax, int M, int mk,
        const int* __restrict__ occStart, const int* __restrict__ map,
        const float* __restrict__ D, const float* __restrict__ g, const float* __restrict__ c,
        const float* __restrict__ QK, long long strideQK,
        const float* __restrict__ eta, const int* __restrict__ trainWo,
        float* __restrict__ AB, float* __restrict__ AQK, float* __restrict__ gamma,
        float* __restrict__ cV) {
    const int r = runs[blockIdx.y], n = blockIdx.x;
    if (!go[r] || n >= nOf[r]) return;
    SHARED_DYNAMIC(float, sh);
    SH(float) qs = sh;                     // M×GC   q_{j_l}, GC columns at a time
    SH(float) ks = qs + M * GC;            // M×GC   k_{j_a}
    SH(float) Ds = ks + M * GC;            // M×M    D of the sample
    SH(int) tok = SH_CAST(int, Ds + M * M);   // M   j_p
    SH(int) once = tok + M;                // M      whether t_{j_p} occurs only here

    const long long sample = (long long)r * nMax + n;
    const int* mp = map + sample * M;
    const int* os = occStart + (long long)r * (pMax + 1);
    const float* Dn = D + sample * M * M;
    QK += r * strideQK;
    const long long rowBase = r * strideQK;
    const float e = eta[r];
    const int t = threadIdx.x, bd = blockDim.x, w = 2 * mk;
    for (int p = t; p < M; p += bd) {
        const int j = mp[p];
        const int single = os[j + 1] - os[j] == 1;
        tok[p] = j;
        once[p] = single;
        if (single) {
            const float s = g[sample] * c[sample * M + p];
            const long long jj = (long long)r * pMax + j;
            gamma[jj] = s;
            if (!trainWo[r]) cV[jj] -= e * s;
        }
    }
    for (int i = t; i < M * M; i += bd) Ds[i] = Dn[i];
    __syncthreads();

    for (int k0 = 0; k0 < mk; k0 += GC) {
        const int width = min(GC, mk - k0);
        for (int i = t; i < M * GC; i += bd) {
            const int l = i / GC, kk = i % GC;
            const float* row = QK + (long long)tok[l] * w + k0 + kk;
            qs[i] = kk < width ? row[0] : 0.0f;
            ks[i] = kk < width ? row[mk] : 0.0f;
        }
        __syncthreads();
        for (int i = t; i < M * GC; i += bd) {
            const int p = i / GC, kk = i % GC;
            if (!once[p] || kk >= width) continue;
            float alpha = 0.0f, beta = 0.0f;
            for (int a = 0; a < M; a++) alpha = fmaf(Ds[p * M + a], ks[a * GC + kk], alpha);
            for (int l = 0; l < M; l++) beta = fmaf(Ds[l * M + p], qs[l * GC + kk], beta);
            const long long at = rowBase + (long long)tok[p] * w + k0 + kk;
            AB[at] = alpha;
            AB[at + mk] = beta;
            AQK[at] -= e * alpha;
            AQK[at + mk] -= e * beta;
        }
        __syncthreads();
    }
}

extern "C" __global__ void __launch_bounds__(128) gather_repeats(
        const int* __restrict__ runs, const int* __restrict__ go, const int* __restrict__ pOf,
        int pMax, int nMax, int M, int mk,
        const int* __restrict__ occStart, const int* __restrict__ occ, const int* __restrict__ map,
        const float* __restrict__ D, const float* __restrict__ g, const float* __restrict__ c,
        const float* __restrict__ QK, long long strideQK,
        const float* __restrict__ eta, const int* __restrict__ trainWo,
        float* __restrict__ AB, float* __restrict__ AQK, float* __restrict__ gamma,
        float* __restrict__ cV) {
    const int r = runs[blockIdx.y], j = blockIdx.x;
    if (!go[r] || j >= pOf[r]) return;
    const int* os = occStart + (long long)r * (pMax + 1);
    const int o0 = os[j], o1 = os[j + 1];
    if (o1 - o0 == 1) return;   // gather's (tokens that never occur get zeros here)
    const long long samples = (long long)r * nMax;
    const int* oc = occ + samples * M;
    const int* mp = map + samples * M;
    D += samples * M * M;
    g += samples;
    c += samples * M;
    QK += r * strideQK;
    const long long row = r * strideQK + (long long)j * 2 * mk;
    const float e = eta[r];
    const int w = 2 * mk, col = blockIdx.z * blockDim.x + threadIdx.x;

    if (col < w) {
        // α (col < m_k) pairs D's row p with k (the second half of a Q|K row); β pairs D's
        // column p with q (the first half).
        const bool alpha = col < mk;
        const int src = alpha ? col + mk : col - mk;
        const int step = alpha ? 1 : M;
        float acc = 0.0f;
        for (int o = o0; o < o1; o++) {
            const int np = oc[o], n = np / M, p = np - n * M;
            const float* d = D + (long long)n * M * M + (alpha ? p * M : p);
            const int* tn = mp + n * M;
            for (int i = 0; i < M; i++) acc = fmaf(d[i * step], QK[(long long)tn[i] * w + src], acc);
        }
        AB[row + col] = acc;
        AQK[row + col] -= e * acc;
    }
    if (blockIdx.z == 0 && threadIdx.x == 0) {
        float s = 0.0f;
        for (int o = o0; o < o1; o++) {
            const int np = oc[o];
            s += g[np / M] * c[np];
        }
        const long long jj = (long long)r * pMax + j;
        gamma[jj] = s;
        if (!trainWo[r]) cV[jj] -= e * s;
    }
}
