// h = G γ for every training token j of every listed run r with go[r] (docs/math.md §4):
//
//     h_j = Σ_i G_ji γ_i          (G = TᵀT is symmetric, so row j is read contiguously)
//
// and, for fixed w_O, the update of the scalarised values that is all V's update amounts to:
//     u_j −= η ‖w_O‖² h_j         (V −= η w_O (γᵀG)  ⇒  u = Vᵀw_O −= η ‖w_O‖² Gγ)
// Learnable w_O keeps h for value_update (V −= η h w_Oᵀ).
// Shapes of run r: G P_max×P_max, gamma, h, u P_max; eta, wo2 (= ‖w_O‖²) R.
// Geometry: grid (⌈P_max/8⌉, number of runs), block 256 = 8 warps, one row j per warp: lanes over i
// (coalesced reads of row j), a fixed-order shuffle sum. A dot product of P ≤ a few hundred terms
// is a warp's work, not a block's.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) value_gram(
        const int* __restrict__ runs, const int* __restrict__ go, const int* __restrict__ pOf,
        int pMax, const float* __restrict__ G, const float* __restrict__ gamma,
        const float* __restrict__ eta, const float* __restrict__ wo2,
        const int* __restrict__ trainWo, float* __restrict__ h, float* __restrict__ u) {
    const int r = runs[blockIdx.y], P = pOf[r];
    const int j = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (!go[r] || j >= P) return;
    const float* Gj = G + (long long)r * pMax * pMax + (long long)j * pMax;
    const float* gr = gamma + (long long)r * pMax;
    float s = 0.0f;
    for (int i = lane; i < P; i += WARP) s = fmaf(Gj[i], gr[i], s);
    s = warp_sum(s);
    if (lane == 0) {
        const long long jj = (long long)r * pMax + j;
        h[jj] = s;
        if (!trainWo[r]) u[jj] -= eta[r] * wo2[r] * s;
    }
}
