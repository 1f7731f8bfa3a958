// The gathers of docs/math.md §4 for every training token j of every listed run r with go[r], summed over
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
//
// Geometry: grid (N_max, number of runs), block 256: one block per sample n, for the tokens at its
// M positions. Dynamic shared memory 2·M·GC + M² floats + 2M ints (never more than
// attention_forward's, which the host checks against the device).
//   Tokens that occur once (every noise token of generated data): the sample's M rows of Q|K are
//   read once, staged GC columns at a time, and give α and β of all those positions; thread t takes
//   column t mod GC of positions t/GC, t/GC + 256/GC, ...: a warp reads 32 consecutive staged columns
//   (no bank conflicts) and writes 32 consecutive floats of a row of AB and A_Q|K.
//   Tokens that occur k > 1 times (the two signals): their work is spread over the k blocks of the
//   samples they occur in: the block of occurrence i (in CSR order) owns columns
//   [i·2m_k/k, (i+1)·2m_k/k) of [α_j|β_j] and sums each over all k occurrences, so a signal token
//   costs each of its blocks about what one sample's own tokens cost. The block of occurrence 0
//   also sums γ_j.
//   Tokens that never occur (a signal no label picked): sample 0's block writes their zero α, β, γ.
// Every α, β, γ is one thread's fmaf chain over a (or l) in increasing order and over occurrences in
// CSR order: the result does not depend on the batch or the grid.
#include "common.cuh"

#define GC 32

// (256, 1): without the minimum of one block per SM, ptxas for sm_90 caps gather at 48 registers and
// spills; with it, 80 registers and no spill.
extern "C" __global__ void __launch_bounds__(256, 1) gather(
        const int* __restrict__ runs, const int* __restrict__ go, const int* __restrict__ nOf,
        const int* __restrict__ pOf, int pMax, int nMax, int M, int mk,
        const int* __restrict__ occStart, const int* __restrict__ occ, const int* __restrict__ map,
        const float* __restrict__ D, const float* __restrict__ g, const float* __restrict__ c,
        const float* __restrict__ QK, long long strideQK,
        const float* __restrict__ eta, const int* __restrict__ trainWo,
        float* __restrict__ AB, float* __restrict__ AQK, float* __restrict__ gamma,
        float* __restrict__ cV) {
    const int r = runs[blockIdx.y], n = blockIdx.x;
    if (!go[r] || n >= nOf[r]) return;
    SHARED_DYNAMIC(float, sh);
    SH(float) qs = sh;                        // M×GC   q_{j_l}, GC columns at a time
    SH(float) ks = qs + M * GC;               // M×GC   k_{j_a}
    SH(float) Ds = ks + M * GC;               // M×M    D of the sample
    SH(int) tok = SH_CAST(int, Ds + M * M);   // M      j_p
    SH(int) count = tok + M;                  // M      occurrences of t_{j_p}

    const long long samples = (long long)r * nMax, sample = samples + n;
    const int* mp = map + sample * M;
    const int* os = occStart + (long long)r * (pMax + 1);
    const int* oc = occ + samples * M;
    const float* Dr = D + samples * M * M;
    const float* gr = g + samples;
    const float* cr = c + samples * M;
    QK += r * strideQK;
    const long long rowBase = r * strideQK;
    const float e = eta[r];
    const bool fixedWo = !trainWo[r];
    const int t = threadIdx.x, bd = blockDim.x, w = 2 * mk;
    for (int p = t; p < M; p += bd) {
        const int j = mp[p];
        const int k = os[j + 1] - os[j];
        tok[p] = j;
        count[p] = k;
        if (k == 1) {
            const float s = gr[n] * cr[n * M + p];
            const long long jj = (long long)r * pMax + j;
            gamma[jj] = s;
            if (fixedWo) cV[jj] -= e * s;
        }
    }
    for (int i = t; i < M * M; i += bd) Ds[i] = Dr[n * M * M + i];
    __syncthreads();

    // Tokens occurring once.
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
            if (count[p] != 1 || kk >= width) continue;
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

    // Tokens occurring k > 1 times: this occurrence's share of the columns, summed over all k.
    for (int p = 0; p < M; p++) {
        const int k = count[p];
        if (k <= 1) continue;
        const int j = tok[p], o0 = os[j], key = n * M + p;
        int lo = 0, hi = k - 1;   // rank of this occurrence: occ is increasing within a token
        while (lo < hi) {
            const int mid = (lo + hi) / 2;
            if (oc[o0 + mid] < key) lo = mid + 1;
            else hi = mid;
        }
        const int c0 = (int)((long long)lo * w / k), c1 = (int)((long long)(lo + 1) * w / k);
        const long long row = rowBase + (long long)j * w;
        for (int col = c0 + t; col < c1; col += bd) {
            // α (col < m_k) pairs D's row p' with k (the second half of a Q|K row); β pairs D's
            // column p' with q (the first half).
            const bool isAlpha = col < mk;
            const int src = isAlpha ? col + mk : col - mk;
            const int step = isAlpha ? 1 : M;
            float acc = 0.0f;
            for (int o = o0; o < o0 + k; o++) {
                const int np = oc[o], n2 = np / M, p2 = np - n2 * M;
                const float* d = Dr + (long long)n2 * M * M + (isAlpha ? p2 * M : p2);
                const int* tn = map + (samples + n2) * M;
                for (int i = 0; i < M; i++) acc = fmaf(d[i * step], QK[(long long)tn[i] * w + src], acc);
            }
            AB[row + col] = acc;
            AQK[row + col] -= e * acc;
        }
        if (lo == 0 && t == 0) {
            float s = 0.0f;
            for (int o = o0; o < o0 + k; o++) {
                const int np = oc[o];
                s += gr[np / M] * cr[np];
            }
            const long long jj = (long long)r * pMax + j;
            gamma[jj] = s;
            if (fixedWo) cV[jj] -= e * s;
        }
    }

    // Tokens that never occur: zero α, β, γ (A_Q|K and c_V keep their values).
    if (n == 0) {
        const int P = pOf[r];
        for (int j = 0; j < P; j++) {
            if (os[j + 1] != os[j]) continue;
            for (int col = t; col < w; col += bd) AB[rowBase + (long long)j * w + col] = 0.0f;
            if (t == 0) gamma[(long long)r * pMax + j] = 0.0f;
        }
    }
}
