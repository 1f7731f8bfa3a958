// Batched matrix-vector products of the span formulation (docs/math.md §4), the products in which one side
// is a vector, so none of them pays for a 64×128 GEMM tile of which one column is used:
//
//     gemv_n   y[r] = y0[r] + alpha·scale[r]·A[r] x[r]       A rows×inner (row stride lda)
//     gemv_t   y[r] = y0[r] + alpha·scale[r]·A[r]ᵀ x[r]      A inner×rows (row stride lda)
//
// Shapes of run r: x inner, y rows, at r·strideX / r·strideY; y0 rows at r·strideY0, may be y or
// null, and with y0Group/y0Unit/y0Mu is a family's unit array read as run r's scaled slice
// (common.cuh's Base); rows and inner may differ per run (rowsOf/innerOf, or null for the uniform
// value). scale may be null (1). Uses:
//   set-up    v_O = W_V(0)ᵀ w_O (gemv_t, one run), u(0) = T v_O and u(0)(s) = S v_O (gemv_n, one run)
//   metrics   u(s) = u(0)(s) + ‖w_O‖² (Tᵀs)ᵀ c_V for fixed w_O (gemv_n, scale = ‖w_O‖², u(0)(s) read
//             from the family's unit array as a slice)
// Geometry: block 256 = 8 warps; runs[y] names the run (null: run y).
//   gemv_n: grid (⌈rows_max/8⌉, runs): one row per warp, lanes over inner (coalesced row reads), a
//           fixed-order shuffle sum.
//   gemv_t: grid (⌈rows_max/256⌉, runs): one output per thread, walking inner in order; a warp
//           reads 32 consecutive floats of each row of A.
// Every output is a fixed-order sum, so the result does not depend on the batch or the grid.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256) gemv_n(
        const int* __restrict__ runs, const int* __restrict__ rowsOf, const int* __restrict__ innerOf,
        int rows, int inner, const float* __restrict__ A, long long strideA, int lda,
        const float* __restrict__ x, long long strideX, const float* y0, long long strideY0,
        const int* __restrict__ y0Group, const int* __restrict__ y0Unit, const float* __restrict__ y0Mu, float* y, long long strideY,
        const float* __restrict__ scaleOf, float alpha) {
    const int r = runs ? runs[blockIdx.y] : blockIdx.y;
    const int i = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP, lane = threadIdx.x % WARP;
    const int nRows = rowsOf ? rowsOf[r] : rows, K = innerOf ? innerOf[r] : inner;
    if (i >= nRows) return;
    const float* Ai = A + r * strideA + (long long)i * lda;
    x += r * strideX;
    float s = 0.0f;
    for (int k = lane; k < K; k += WARP) s = fmaf(Ai[k], x[k], s);
    s = warp_sum(s);
    if (lane == 0) {
        const Base b = base_of(y0, strideY0, y0Group, y0Unit, y0Mu, r);
        y[r * strideY + i] = base_at(b, i, 1, 0) + alpha * (scaleOf ? scaleOf[r] : 1.0f) * s;
    }
}

extern "C" __global__ void __launch_bounds__(256) gemv_t(
        const int* __restrict__ runs, const int* __restrict__ rowsOf, const int* __restrict__ innerOf,
        int rows, int inner, const float* __restrict__ A, long long strideA, int lda,
        const float* __restrict__ x, long long strideX, const float* y0, long long strideY0,
        const int* __restrict__ y0Group, const int* __restrict__ y0Unit, const float* __restrict__ y0Mu, float* y, long long strideY,
        const float* __restrict__ scaleOf, float alpha) {
    const int r = runs ? runs[blockIdx.y] : blockIdx.y;
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    const int nRows = rowsOf ? rowsOf[r] : rows, K = innerOf ? innerOf[r] : inner;
    if (i >= nRows) return;
    A += r * strideA + i;
    x += r * strideX;
    float s = 0.0f;
    for (int k = 0; k < K; k++) s = fmaf(A[(long long)k * lda], x[k], s);
    const Base b = base_of(y0, strideY0, y0Group, y0Unit, y0Mu, r);
    y[r * strideY + i] = base_at(b, i, 1, 0) + alpha * (scaleOf ? scaleOf[r] : 1.0f) * s;
}
