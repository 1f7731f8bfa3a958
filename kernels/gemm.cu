// Batched SGEMM for the span formulation (SPEC §4), one tiled shared-memory kernel for every
// matrix product of the cuda engine:
//
//     C[r] = C0[r] + alpha·scale[r]·A[r]·op(B[r])       op(B) = B (gemm_nn) or Bᵀ (gemm_nt)
//
// Shapes of run r: A rows×inner (row stride lda), B inner×cols (gemm_nn) or cols×inner (gemm_nt)
// (row stride ldb), C and C0 rows×cols (row stride ldc). rows and inner may differ per run
// (rowsOf/innerOf, or null for the uniform value), so a batch with mixed N costs Σ_r P_r², not
// R·P_max². C0 may be C (accumulate in place) or null (C = the product). scale may be null (1).
// Uses:
//   step      Q|K −= η G [α|β]             gemm_nn  rows = inner = P_r, cols = 2m_k, scale = η, alpha = −1
//   set-up    G = T Tᵀ, Q|K = T [W_Q;W_K]ᵀ, V = T W_Vᵀ, test/probe projections     gemm_nt, one run
//   metrics   Q|K(s) = Q|K(0)(s) + (Tᵀs)ᵀ A_Q|K,  u(s) = u(0)(s) + ‖w_O‖² (Tᵀs)ᵀ c_V       gemm_nn
//
// Geometry: block 256 threads computes a 64×64 tile of C, stepping through inner 16 at a time via
// shared memory (A tile stored transposed, rows padded by 4 floats against bank conflicts). Thread
// (tx, ty) = (t mod 16, t / 16) owns the 4×4 outputs at rows ty + 16i, cols tx + 16j: shared reads are
// broadcasts or 16 consecutive words, and the stores of a half-warp cover 16 consecutive columns.
// grid (⌈cols/64⌉, ⌈rows_max/64⌉, number of runs); runs[z] names the run (null: run z).
#include "common.cuh"

#define BM 64
#define BN 64
#define BK 16
#define GEMM_THREADS 256

template <bool TRANS_B>
__device__ __forceinline__ void gemm_tile(
        const int* __restrict__ runs, const int* __restrict__ go,
        const int* __restrict__ rowsOf, const int* __restrict__ innerOf,
        int rows, int inner, int cols,
        const float* __restrict__ A, long long strideA, int lda,
        const float* __restrict__ B, long long strideB, int ldb,
        const float* C0, float* C, long long strideC, int ldc,
        const float* __restrict__ scaleOf, float alpha) {
    const int r = runs ? runs[blockIdx.z] : blockIdx.z;
    if (go && !go[r]) return;
    const int nRows = rowsOf ? rowsOf[r] : rows;
    const int K = innerOf ? innerOf[r] : inner;
    const int row0 = blockIdx.y * BM, col0 = blockIdx.x * BN;
    if (row0 >= nRows) return;
    A += r * strideA;
    B += r * strideB;
    C += r * strideC;
    if (C0) C0 += r * strideC;
    const float s = alpha * (scaleOf ? scaleOf[r] : 1.0f);

    __shared__ float As[BK][BM + 4];
    __shared__ float Bs[BK][BN + 4];
    const int t = threadIdx.x, tx = t % 16, ty = t / 16;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
        // A tile 64×16: consecutive threads take consecutive k of a row (coalesced reads).
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int e = t + i * GEMM_THREADS, m = e / BK, k = e % BK;
            const int gr = row0 + m, gk = k0 + k;
            As[k][m] = (gr < nRows && gk < K) ? A[(long long)gr * lda + gk] : 0.0f;
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int e = t + i * GEMM_THREADS;
            if (TRANS_B) {  // B is cols×inner: consecutive threads take consecutive k of a column
                const int n = e / BK, k = e % BK, gc = col0 + n, gk = k0 + k;
                Bs[k][n] = (gc < cols && gk < K) ? B[(long long)gc * ldb + gk] : 0.0f;
            } else {        // B is inner×cols: consecutive threads take consecutive columns
                const int k = e / BN, n = e % BN, gc = col0 + n, gk = k0 + k;
                Bs[k][n] = (gc < cols && gk < K) ? B[(long long)gk * ldb + gc] : 0.0f;
            }
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; k++) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = As[k][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = Bs[k][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const int gr = row0 + ty + 16 * i;
        if (gr >= nRows) continue;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            const int gc = col0 + tx + 16 * j;
            if (gc >= cols) continue;
            const long long idx = (long long)gr * ldc + gc;
            C[idx] = (C0 ? C0[idx] : 0.0f) + s * acc[i][j];
        }
    }
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_nn(
        const int* runs, const int* go, const int* rowsOf, const int* innerOf,
        int rows, int inner, int cols,
        const float* A, long long strideA, int lda, const float* B, long long strideB, int ldb,
        const float* C0, float* C, long long strideC, int ldc, const float* scaleOf, float alpha) {
    gemm_tile<false>(runs, go, rowsOf, innerOf, rows, inner, cols, A, strideA, lda, B, strideB, ldb,
                     C0, C, strideC, ldc, scaleOf, alpha);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_nt(
        const int* runs, const int* go, const int* rowsOf, const int* innerOf,
        int rows, int inner, int cols,
        const float* A, long long strideA, int lda, const float* B, long long strideB, int ldb,
        const float* C0, float* C, long long strideC, int ldc, const float* scaleOf, float alpha) {
    gemm_tile<true>(runs, go, rowsOf, innerOf, rows, inner, cols, A, strideA, lda, B, strideB, ldb,
                    C0, C, strideC, ldc, scaleOf, alpha);
}
