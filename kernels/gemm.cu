// Batched SGEMM for the span formulation (docs/math.md §4), for every matrix product of the cuda engine
// whose two sides are matrices (products with a vector are kernels/gemv.cu):
//
//     C[r] = C0[r] + alpha·scale[r]·A[r]·op(B[r])       op(B) = B (gemm_nn) or Bᵀ (gemm_nt)
//
// Shapes of run r: A rows×inner (row stride lda), B inner×cols (gemm_nn) or cols×inner (gemm_nt)
// (row stride ldb), C and C0 rows×cols (row stride ldc). rows and inner may differ per run
// (rowsOf/innerOf, or null for the uniform value), so a batch with mixed N costs Σ_r P_r², not
// R·P_max². C0 of run r is at C0 + r·strideC0 and may be C (accumulate in place) or null (C = the
// product); with c0Group/c0Unit/c0Mu it is a family's unit array read as run r's scaled slice
// (common.cuh's Base: group c0Group[r], probes after c0Unit[r] rows, rows 0, 1 times c0Mu[r]).
// scale may be null (1).
// Uses:
//   step      Q|K −= η G [α|β]             gemm_nn  rows = inner = P_r, cols = 2m_k, scale = η, alpha = −1
//   set-up    G = T Tᵀ, Q|K = T [W_Q;W_K]ᵀ, V = T W_Vᵀ, test/probe projections     gemm_nt, one run
//   metrics   Q|K(s) = Q|K(0)(s) + (Tᵀs)ᵀ A_Q|K,  V(s) = V(0)(s) + (Tᵀs)ᵀ A_V      gemm_nn,
//             Q|K(0)(s), V(0)(s) read from the family's unit arrays (C0 as a slice)
//
// Geometry: grid (⌈cols/128⌉, ⌈rows_max/64⌉, number of runs) (runs[z] names the run; null: run z),
// block 256 threads computing a 64×128 tile of C, stepping through inner 16 at a time. Thread
// (tx, ty) = (t mod 16, t / 16) owns the 4×8 outputs at rows 4ty..4ty+3 and columns 4tx..4tx+3,
// 64+4tx..64+4tx+3: per k it reads one float4 of A and two of B from shared memory for 32 FMAs.
// Global loads are float4 along rows wherever the operand is 16-byte aligned with ld a multiple of 4
// and the four elements exist (scalar, zero-filled, otherwise). Shared memory holds two k-steps
// (double buffering: the next tile's global loads are in flight during this tile's FMAs; one
// barrier per k-step), 24 KiB. Tiles are stored k-major with a float4-granular XOR swizzle (group
// m/4 ^ 2·(k/4)): the transposed stores of A (and of B in gemm_nt), where a warp writes 8 rows ×
// 4 k-quads, hit 32 distinct banks, and every float4 read of a quarter-warp covers 128 contiguous
// bytes or is a broadcast, so no access has bank conflicts. Each output is one thread's fmaf chain
// over k in increasing order: the result does not depend on the batch or the grid.
#include "gemm_tile.cuh"

// Element (k, m) of a BK×width tile in shared memory, k-major, float4 groups swizzled by k.
__device__ __forceinline__ int swz(int k, int m, int width) {
    return k * width + ((((m >> 2) ^ ((k >> 2) << 1))) << 2) + (m & 3);
}

// Stores the 4 k-consecutive values v of row m (a transposed float4) into tile s at k..k+3.
__device__ __forceinline__ void store_transposed(SH(float) s, int width, int k, int m, float4 v) {
    s[swz(k, m, width)] = v.x;
    s[swz(k + 1, m, width)] = v.y;
    s[swz(k + 2, m, width)] = v.z;
    s[swz(k + 3, m, width)] = v.w;
}

template <bool TRANS_B>
__device__ __forceinline__ void gemm_tile(GEMM_PARAMS) {
    const GemmBlock blk = gemm_block(GEMM_ARGS);
    if (blk.idle) return;
    SHARED(float, As, 2 * BK * BM);
    SHARED(float, Bs, 2 * BK * BN);
    const int t = threadIdx.x, tx = t % 16, ty = t / 16;
    TileFetch<TRANS_B> in(t);
    // Registers → shared buffer `buf`.
    auto stash = [&](int buf) {
        SH(float) as = As + buf * BK * BM;
        SH(float) bs = Bs + buf * BK * BN;
        store_transposed(as, BM, in.ak, in.am, in.ra);
#pragma unroll
        for (int h = 0; h < 2; h++) {
            if (TRANS_B) store_transposed(bs, BN, in.bk[h], in.bc[h], in.rb[h]);
            else sts4(bs + swz(in.bk[h], in.bc[h], BN), in.rb[h]);
        }
    };

    float acc[4][8];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;

    k_steps(in, blk, stash, [&](int buf) {
        SH(float) as = As + buf * BK * BM;
        SH(float) bs = Bs + buf * BK * BN;
#pragma unroll
        for (int k = 0; k < BK; k++) {
            const float4 a = lds4(as + swz(k, 4 * ty, BM));
            const float4 b0 = lds4(bs + swz(k, 4 * tx, BN)), b1 = lds4(bs + swz(k, 64 + 4 * tx, BN));
            const float av[4] = {a.x, a.y, a.z, a.w};
            const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
    });
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 8; j++)
            gemm_store(blk, blk.row0 + 4 * ty + i, blk.col0 + (j < 4 ? 4 * tx + j : 64 + 4 * tx + j - 4), acc[i][j]);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_nn(GEMM_PARAMS) {
    gemm_tile<false>(GEMM_ARGS);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_nt(GEMM_PARAMS) {
    gemm_tile<true>(GEMM_ARGS);
}
