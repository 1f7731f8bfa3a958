// h = G γ for every training token j of every listed run r with go[r] (SPEC §4):
//
//     h_j = Σ_i G_ji γ_i          (G = TᵀT is symmetric, so row j is read contiguously)
//
// and, for fixed w_O, the update of the scalarised values that is all V's update amounts to:
//     u_j −= η ‖w_O‖² h_j         (V −= η w_O (γᵀG)  ⇒  u = Vᵀw_O −= η ‖w_O‖² Gγ)
// Learnable w_O keeps h for value_update (V −= η h w_Oᵀ).
// Shapes of run r: G P_max×P_max, gamma, h, u P_max; eta, wo2 (= ‖w_O‖²) R.
// Geometry: grid (P_max, number of runs), block 128; one fixed-order block reduction per row.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(128) value_gram(
        const int* __restrict__ runs, const int* __restrict__ go, const int* __restrict__ pOf,
        int pMax, const float* __restrict__ G, const float* __restrict__ gamma,
        const float* __restrict__ eta, const float* __restrict__ wo2,
        const int* __restrict__ trainWo, float* __restrict__ h, float* __restrict__ u) {
    __shared__ float scratch[WARP];
    const int r = runs[blockIdx.y], j = blockIdx.x, P = pOf[r];
    if (!go[r] || j >= P) return;
    const float* Gj = G + (long long)r * pMax * pMax + (long long)j * pMax;
    const float* gr = gamma + (long long)r * pMax;
    float s = 0.0f;
    for (int i = threadIdx.x; i < P; i += blockDim.x) s = fmaf(Gj[i], gr[i], s);
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) {
        const long long jj = (long long)r * pMax + j;
        h[jj] = s;
        if (!trainWo[r]) u[jj] -= eta[r] * wo2[r] * s;
    }
}
