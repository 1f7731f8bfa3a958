// The batched GEMM of kernels/gemm.cu on tensor cores, in 3xTF32: the same products, the same
// parameters and launch geometry, chosen by ATTNSWEEP_CUDA_GEMM=tf32x3 (engine/cuda/GemmKind;
// off by default):
//
//     C[r] = C0[r] + alpha·scale[r]·A[r]·op(B[r])       op(B) = B (gemm_nn_tf32x3) or Bᵀ (gemm_nt_tf32x3)
//
// A TF32 number keeps 10 of float32's 23 mantissa bits, so one TF32 product is off by up to ~2⁻¹¹
// relative. Each float32 operand x is split as x = hi + lo + ε with hi = tf32(x), lo = tf32(x − hi)
// (common.cuh's to_tf32), |ε| ≤ 2⁻²²|x|, and each product is taken as three tensor-core products
//
//     a·b ≈ lo_a·hi_b + hi_a·lo_b + hi_a·hi_b        (lo_a·lo_b, ~2⁻²² relative, dropped)
//
// accumulated in float32, the small terms first: about float32's accuracy, at three tensor-core
// operations per product where a TF32 tensor core does ~8× the FP32 FMA rate (H100/H200: 495
// against 67 TFLOP/s dense), so up to ~2.5× the FP32 kernel's peak. The rounding differs from
// gemm.cu's fmaf chains (the tensor core sums 8 products at a time): results agree with them to
// float32 tolerances, not bit for bit; for one choice of kernel the result does not depend on the
// batch or the grid (each output is one warp's fixed sequence of mma over k in increasing order).
//
// Geometry: as gemm.cu — grid (⌈cols/128⌉, ⌈rows_max/64⌉, number of runs), block 256 threads for a
// 64×128 tile of C, the inner dimension 16 at a time with two shared buffers (the next k-step's
// global loads in flight during this one's products; one barrier per k-step), operands loaded by
// gemm_tile.cuh's TileFetch (float4 where aligned, zeros past the edges). Warp w (8 warps, 2×4)
// owns the 32×32 sub-tile at rows 32·(w/4), columns 32·(w%4): two 16-row by four 8-column mma
// tiles, 32 accumulators a lane. Per 8-wide k-slice a lane reads its A fragments (2 tiles × 4) and
// B fragments (4 tiles × 2) from shared memory, splits each into hi and lo, and issues 3 × 8 mma
// (common.cuh's mma_tf32_tiles: first lo·hi for every tile pair, then hi·lo, then hi·hi).
// Shared memory, 30 KiB: A row-major, rows of BK + 4 floats; B k-major with rows of BN + 8
// (gemm_nn) or n-major with rows of BK + 4 (gemm_nt). With those paddings a warp's fragment reads
// (8 row groups × 4 k, or 4 k × 8 columns) hit 32 distinct banks; the float4 stores of TileFetch's
// values are 16-byte aligned.
#include "gemm_tile.cuh"

#define TF_LDA (BK + 4)      // A: element (m, k) at m·TF_LDA + k
#define TF_LDB_NN (BN + 8)   // B of gemm_nn: element (k, n) at k·TF_LDB_NN + n
#define TF_LDB_NT (BK + 4)   // B of gemm_nt: element (k, n) at n·TF_LDB_NT + k
#define TF_A_FLOATS (BM * TF_LDA)
#define TF_B_FLOATS (BN * TF_LDB_NT)   // ≥ BK·TF_LDB_NN: either layout fits

template <bool TRANS_B>
__device__ __forceinline__ int tf_b(int k, int n) {
    return TRANS_B ? n * TF_LDB_NT + k : k * TF_LDB_NN + n;
}

// x as hi = tf32(x) and lo = tf32(x − hi) (x − hi is exact in float32).
__device__ __forceinline__ void split_tf32(float x, unsigned& hi, unsigned& lo) {
    hi = to_tf32(x);
    lo = to_tf32(x - __uint_as_float(hi));
}

template <bool TRANS_B>
__device__ __forceinline__ void gemm_tf32x3_tile(GEMM_PARAMS) {
    const GemmBlock blk = gemm_block(GEMM_ARGS);
    if (blk.idle) return;
    SHARED(float, As, 2 * TF_A_FLOATS);
    SHARED(float, Bs, 2 * TF_B_FLOATS);
    const int t = threadIdx.x, lane = t % WARP, warp = t / WARP;
    const int g = lane / 4, q = lane % 4;
    const int wr = 32 * (warp / 4), wc = 32 * (warp % 4);   // the warp's sub-tile: its first row and column in the block's tile
    TileFetch<TRANS_B> in(t);
    // Registers → shared buffer `buf`: A's row am, k-quad ak as one float4; B's two float4s.
    auto stash = [&](int buf) {
        SH(float) as = As + buf * TF_A_FLOATS;
        SH(float) bs = Bs + buf * TF_B_FLOATS;
        sts4(as + in.am * TF_LDA + in.ak, in.ra);
#pragma unroll
        for (int h = 0; h < 2; h++) sts4(bs + tf_b<TRANS_B>(in.bk[h], in.bc[h]), in.rb[h]);
    };

    float acc[2][4][4];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[i][j][e] = 0.0f;

    k_steps(in, blk, stash, [&](int buf) {
        SH(float) as = As + buf * TF_A_FLOATS;
        SH(float) bs = Bs + buf * TF_B_FLOATS;
#pragma unroll
        for (int kk = 0; kk < BK; kk += 8) {
            unsigned ahi[2][4], alo[2][4], bhi[4][2], blo[4][2];
#pragma unroll
            for (int i = 0; i < 2; i++) {
                const int m = wr + 16 * i + g;
                split_tf32(as[m * TF_LDA + kk + q], ahi[i][0], alo[i][0]);
                split_tf32(as[(m + 8) * TF_LDA + kk + q], ahi[i][1], alo[i][1]);
                split_tf32(as[m * TF_LDA + kk + q + 4], ahi[i][2], alo[i][2]);
                split_tf32(as[(m + 8) * TF_LDA + kk + q + 4], ahi[i][3], alo[i][3]);
            }
#pragma unroll
            for (int j = 0; j < 4; j++) {
                const int n = wc + 8 * j + g;
                split_tf32(bs[tf_b<TRANS_B>(kk + q, n)], bhi[j][0], blo[j][0]);
                split_tf32(bs[tf_b<TRANS_B>(kk + q + 4, n)], bhi[j][1], blo[j][1]);
            }
            // Every tile's sum takes lo·hi, then hi·lo, then hi·hi.
            mma_tf32_tiles(acc, alo, bhi);
            mma_tf32_tiles(acc, ahi, blo);
            mma_tf32_tiles(acc, ahi, bhi);
        }
    });
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 4; j++)
#pragma unroll
            for (int e = 0; e < 4; e++)
                gemm_store(blk, blk.row0 + wr + 16 * i + g + (e >= 2 ? 8 : 0), blk.col0 + wc + 8 * j + 2 * q + (e & 1), acc[i][j][e]);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_nn_tf32x3(GEMM_PARAMS) {
    gemm_tf32x3_tile<false>(GEMM_ARGS);
}

extern "C" __global__ void __launch_bounds__(GEMM_THREADS) gemm_nt_tf32x3(GEMM_PARAMS) {
    gemm_tf32x3_tile<true>(GEMM_ARGS);
}
