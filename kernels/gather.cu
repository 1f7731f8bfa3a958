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
// Shapes of run r: occStart P_max+1, occ and map N_max·M, D N_max×M×M, g N_max, c N_max×M,
// QK, AB (= [α|β], read by the gemm that follows), AQK P_max×2m_k, gamma, cV P_max; eta R.
// Geometry: grid (P_max, number of runs), block 256; thread t owns columns t, t+256, … of the
// 2m_k-wide row, so every read of a Q|K row is coalesced. A token occurring in many samples (the
// two signals) loops longer; every noise token occurs once.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) gather(
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
    const long long samples = (long long)r * nMax;
    const int* oc = occ + samples * M;
    const int* mp = map + samples * M;
    D += samples * M * M;
    g += samples;
    c += samples * M;
    QK += r * strideQK;
    const long long row = r * strideQK + (long long)j * 2 * mk;
    const float e = eta[r];
    const int w = 2 * mk;

    for (int col = threadIdx.x; col < w; col += blockDim.x) {
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
    if (threadIdx.x == 0) {
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
