// The block tiling shared by the two batched GEMMs, kernels/gemm.cu (FP32 FMAs) and
// kernels/gemm_tf32x3.cu (tensor cores, 3xTF32): a block of GEMM_THREADS threads computes a BM×BN
// tile of C, stepping through the inner dimension BK at a time, and both load their operands from
// global memory the same way (TileFetch); they differ in how the tiles sit in shared memory and in
// the arithmetic.
#pragma once
#include "common.cuh"

#define BM 64
#define BN 128
#define BK 16
#define GEMM_THREADS 256

// The 4 floats at p..p+3 of which the first `avail` exist (zero past them): one float4 load when
// `vec` (p 16-byte aligned) and all 4 exist.
__device__ __forceinline__ float4 load4(const float* p, int avail, bool vec) {
    if (vec && avail >= 4) return ldg4(p);
    return make_float4(avail > 0 ? p[0] : 0.0f, avail > 1 ? p[1] : 0.0f, avail > 2 ? p[2] : 0.0f,
                       avail > 3 ? p[3] : 0.0f);
}

// Whether float4 loads along rows of an operand at p with rows ld floats apart are aligned.
__device__ __forceinline__ bool aligned4(const float* p, int ld) {
    return (reinterpret_cast<unsigned long long>(p) & 15) == 0 && (ld & 3) == 0;
}

// The parameters of every batched GEMM entry point, in the order Kernels.gemm passes them (their
// meaning: kernels/gemm.cu's header), and the same names as arguments.
#define GEMM_PARAMS                                                                                           \
    const int *runs, const int *go, const int *rowsOf, const int *innerOf, int rows, int inner, int cols,    \
        const float *A, long long strideA, int lda, const float *B, long long strideB, int ldb,              \
        const float *C0, long long strideC0, const int *c0Group, const int *c0Unit, const float *c0Mu,        \
        float *C, long long strideC, int ldc, const float *scaleOf, float alpha
#define GEMM_ARGS                                                                                             \
    runs, go, rowsOf, innerOf, rows, inner, cols, A, strideA, lda, B, strideB, ldb, C0, strideC0, c0Group,   \
        c0Unit, c0Mu, C, strideC, ldc, scaleOf, alpha

// What this block computes: the BM×BN tile at (row0, col0) of run r = runs[blockIdx.z] (null runs:
// blockIdx.z), with the run's own sizes, its operands, its C0 and the factor alpha·scale[r].
struct GemmBlock {
    bool idle;   // the run is masked by go, or the tile starts past its rows: the block does nothing
    int nRows, K, cols, row0, col0, lda, ldb, ldc;
    const float *A, *B;
    float* C;
    Base base;
    float s;
    bool vecA, vecB;   // float4 loads along A's, B's rows
};

__device__ __forceinline__ GemmBlock gemm_block(GEMM_PARAMS) {
    GemmBlock b;
    const int r = runs ? runs[blockIdx.z] : blockIdx.z;
    b.nRows = rowsOf ? rowsOf[r] : rows;
    b.K = innerOf ? innerOf[r] : inner;
    b.cols = cols;
    b.row0 = blockIdx.y * BM;
    b.col0 = blockIdx.x * BN;
    b.idle = (go && !go[r]) || b.row0 >= b.nRows;
    b.lda = lda;
    b.ldb = ldb;
    b.ldc = ldc;
    b.A = A + r * strideA;
    b.B = B + r * strideB;
    b.C = C + r * strideC;
    b.base = base_of(C0, strideC0, c0Group, c0Unit, c0Mu, r);
    b.s = alpha * (scaleOf ? scaleOf[r] : 1.0f);
    b.vecA = aligned4(b.A, lda);
    b.vecB = aligned4(b.B, ldb);
    return b;
}

// One k-step's operands, global → registers, for thread t of a GEMM block: of A (rows×K, row
// stride lda) row am of the block's BM rows and k-quad ak (64 rows × 4 quads: one float4 each);
// of B two float4s (h = 0, 1): gemm_nn (B K×cols) row bk[h] of the k-step, columns bc[h]..+3;
// gemm_nt (B cols×K) column bc[h] of C (a row of B), k-quad bk[h]. Elements past an operand's
// rows, columns or K are zeros, so a ragged edge tile needs no other case.
template <bool TRANS_B>
struct TileFetch {
    int am, ak, bk[2], bc[2];
    float4 ra, rb[2];

    __device__ __forceinline__ explicit TileFetch(int t) : am(t / 4), ak((t % 4) * 4) {
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int e = t + h * GEMM_THREADS;
            bk[h] = TRANS_B ? (e % 4) * 4 : e / 32;
            bc[h] = TRANS_B ? e / 4 : (e % 32) * 4;
        }
    }

    // The k-step at k0 of block b's tile.
    __device__ __forceinline__ void operator()(const GemmBlock& b, int k0) {
        const int gr = b.row0 + am;
        ra = load4(b.A + (long long)gr * b.lda + k0 + ak, gr < b.nRows ? b.K - (k0 + ak) : 0, b.vecA);
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int gc = b.col0 + bc[h], gk = k0 + bk[h];
            if (TRANS_B) rb[h] = load4(b.B + (long long)gc * b.ldb + gk, gc < b.cols ? b.K - gk : 0, b.vecB);
            else rb[h] = load4(b.B + (long long)gk * b.ldb + gc, gk < b.K ? b.cols - gc : 0, b.vecB);
        }
    }
};

// C(gr, gc) = C0(gr, gc) + s·acc, for an element inside the run's C (gr, gc: the run's row and column).
__device__ __forceinline__ void gemm_store(const GemmBlock& b, int gr, int gc, float acc) {
    if (gr >= b.nRows || gc >= b.cols) return;
    b.C[(long long)gr * b.ldc + gc] = base_at(b.base, gr, b.ldc, gc) + b.s * acc;
}

// The k-loop of both GEMMs, double-buffered: the first k-step fetched and stashed into buffer 0;
// then per k-step the next one's global loads issued, step(buf) computing on buffer buf, the loads
// stashed into the other buffer, and one barrier.
template <bool TRANS_B, typename Stash, typename Step>
__device__ __forceinline__ void k_steps(TileFetch<TRANS_B>& in, const GemmBlock& blk, Stash stash, Step step) {
    in(blk, 0);
    stash(0);
    __syncthreads();
    int buf = 0;
    for (int k0 = 0; k0 < blk.K; k0 += BK) {
        const bool next = k0 + BK < blk.K;
        if (next) in(blk, k0 + BK);
        step(buf);
        if (next) stash(buf ^ 1);
        __syncthreads();
        buf ^= 1;
    }
}
