// A run's set-up from its family's (docs/math.md §4, data/Family): runs of a family share their noise tokens
// and W(0) and differ in ‖μ‖ (and N), so every one-off projection of a run is a slice of the
// family's unit projection (signals e₊, e₋ of norm 1) with the signal rows, and for the token Gram
// matrices the signal columns, times μ_r = ‖μ‖ of run r. Every entry is linear in each token, so
// the slice is the projection of the run's own tokens up to rounding:
//
//     dst[r][i][j] = s_r(src_i) · c_r(j) · src[src_i][j]        i < rows_r, j < cols_r
//     s_r(k) = μ_r for k < 2, else 1       c_r(j) = s_r(j) when scaleCols, else 1
//     src_i = i, or with probes: i for i < rows_r − 2, then 0, 1 (μ₊ = μ_r e₊, μ₋ = μ_r e₋ appended
//             after the test tokens, as the metric kernels expect them at rows E_r − 2, E_r − 1)
//
// Uses (unit arrays of one family, run slices at r·strideDst):
//   G = TᵀT            P_u×P_u → P_r×P_r       scaleCols          Te = S Tᵀ  E_u×P_u → E_r×P_r  probes, scaleCols
//   Q|K = W(0)T        P_u×2m_k → P_r×2m_k                        Q|K(0)(s)  E_u×2m_k → E_r×2m_k  probes
//   V, u, V(0)(s), u(0)(s) likewise (width m_v or 1); w_O(0) with muOf null (no scaling, one row).
// A run with no family (data read from files) is its own unit: μ_r = 1, no probes remap.
// Shapes: src rows×lds (row-major); dst run r at dst + r·strideDst, row stride ldd; rowsOf, colsOf
// R ints (rowsOf null: every run has gridDim.x rows; colsOf null: cols columns); muOf R floats or
// null (1). Entries past rows_r × cols_r are left as they are.
// Geometry: grid (rowsMax, number of listed runs), block 128; thread t copies columns t, t+128, …
// of one row (coalesced reads and writes). Pure data movement: no reduction, no order to fix.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(128) family_slice(
        const int* __restrict__ runs, const int* __restrict__ rowsOf, const int* __restrict__ colsOf,
        int cols, int probes, const float* __restrict__ src, int lds, float* __restrict__ dst,
        long long strideDst, int ldd, const float* __restrict__ muOf, int scaleCols) {
    const int r = runs[blockIdx.y], i = blockIdx.x;
    const int rows = rowsOf ? rowsOf[r] : (int)gridDim.x, nc = colsOf ? colsOf[r] : cols;
    if (i >= rows) return;
    const int si = probes && i >= rows - 2 ? i - (rows - 2) : i;
    const float mu = muOf ? muOf[r] : 1.0f;
    const float s = si < 2 ? mu : 1.0f;
    const float* row = src + (long long)si * lds;
    float* out = dst + (long long)r * strideDst + (long long)i * ldd;
    for (int j = threadIdx.x; j < nc; j += blockDim.x) {
        const float c = scaleCols && j < 2 ? mu : 1.0f;
        out[j] = s * c * row[j];
    }
}
