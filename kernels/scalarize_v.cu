// Scalarised values (docs/math.md §2, u_a = w_O·(W_V x_a)) from the value projections, for learnable w_O:
//
//     u_j = Σ_i V_ji w_O,i          for rows j < rowsOf[r] of every listed run r with trainWo[r]
//
// Used on the training tokens before each step (V P_max×m_v, rows P_r) and on the test tokens and
// probes for metrics (V(s) E_max×m_v, rows E_r). Fixed w_O keeps u up to date in value_gram instead.
// Shapes of run r: V rowsMax×m_v, wO m_v, u rowsMax.
// Geometry: grid (⌈rowsMax/8⌉, number of runs), block 256 = 8 warps, one row per warp, lanes over
// m_v (coalesced), shuffle sum.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) scalarize_v(
        const int* __restrict__ runs, const int* __restrict__ trainWo, const int* __restrict__ rowsOf,
        int rowsMax, int mv, const float* __restrict__ V, const float* __restrict__ wO,
        float* __restrict__ u) {
    const int r = runs[blockIdx.y];
    const int j = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    if (!trainWo[r] || j >= rowsOf[r]) return;
    const float* vj = V + ((long long)r * rowsMax + j) * mv;
    const float* w = wO + (long long)r * mv;
    float s = 0.0f;
    for (int i = lane; i < mv; i += WARP) s = fmaf(vj[i], w[i], s);
    s = warp_sum(s);
    if (lane == 0) u[(long long)r * rowsMax + j] = s;
}
