// The value side of the step for learnable w_O (docs/math.md §4), for every column i of every listed run r
// with go[r] and trainWo[r], with V and w_O taken before their own update:
//
//     ∇w_O,i = Σ_j γ_j V_ji      V_ji −= η h_j w_O,i      A_V,ji −= η γ_j w_O,i      w_O,i −= η ∇w_O,i
//
// (h = Gγ from value_gram.) Column i of V and A_V and entry i of w_O belong to one thread, so the
// "before its own update" order needs no synchronisation.
// Shapes of run r: V, AV P_max×m_v, gamma, h P_max, wO m_v; eta R.
// Geometry: grid (⌈m_v/128⌉, number of runs), block 128; each thread walks the P_r rows, and a warp
// reads 32 consecutive columns of a row.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(128) value_update(
        const int* __restrict__ runs, const int* __restrict__ go, const int* __restrict__ trainWo,
        const int* __restrict__ pOf, int pMax, int mv,
        const float* __restrict__ gamma, const float* __restrict__ h, const float* __restrict__ eta,
        float* __restrict__ V, float* __restrict__ AV, float* __restrict__ wO) {
    const int r = runs[blockIdx.y], i = blockIdx.x * blockDim.x + threadIdx.x;
    if (!go[r] || !trainWo[r] || i >= mv) return;
    const int P = pOf[r];
    const long long base = (long long)r * pMax * mv + i;
    const float* gr = gamma + (long long)r * pMax;
    const float* hr = h + (long long)r * pMax;
    const float e = eta[r], w = wO[(long long)r * mv + i];
    float grad = 0.0f;
    for (int j = 0; j < P; j++) {
        const long long at = base + (long long)j * mv;
        grad = fmaf(gr[j], V[at], grad);
        V[at] -= e * hr[j] * w;
        AV[at] -= e * gr[j] * w;
    }
    wO[(long long)r * mv + i] = w - e * grad;
}
