// Helpers shared by every attnsweep kernel.
//
// Glossary (README): R runs in a batch, N samples, M tokens per sample, P distinct training tokens,
// E = test tokens + the two probes μ₊, μ₋, m_k / m_v widths. Every per-run array of a batch is padded
// to a common size (P_max, N_max, E_max ...) and run r's slice starts at r·stride; the true sizes of
// run r come in small int arrays (pOf[r], nOf[r] ...). Kernels walk a list of run indices
// (runs[blockIdx.y or z]) built on the host, so runs that have stopped or diverged get no block.
//
// Shared memory is declared and addressed through the macros below, never with a bare __shared__:
// under nvcc they are plain shared arrays and pointers; under native/cuda-emu (emu.h defines them)
// every access goes through a tracked type, so the emulator reports any address one thread writes
// and another reads or writes between the same two __syncthreads (a shared-memory race).
//     SHARED(T, name, n)        a static shared array of n T's
//     SHARED_DYNAMIC(T, name)   the launch's dynamic shared memory, as T's
//     SH(T)                     the type of a pointer into shared memory
//     SH_CAST(T, p)             p (a SH(U)) reinterpreted as SH(T)
//     lds4(p) / sts4(p, v)      a float4 load / store at shared address p (16-byte aligned)
//     ldg4(p)                   a read-only float4 load from global memory (16-byte aligned)
//
// Tensor cores (compute capability ≥ 8.0), as kernels/gemm_tf32x3.cu uses them; the emulator computes
// the same from the warp's fragments:
//     to_tf32(x)                x rounded to TF32 (10 mantissa bits, to nearest, ties away from zero:
//                               cvt.rna.tf32.f32), as the bits of a float whose low 13 bits are zero
//     mma_tf32_tiles(c, a, b)   c[i][j] += A_i·B_j for one warp and every i < TI, j < TJ: A_i 16×8 and
//                               B_j 8×8 in TF32, c[i][j] 16×8 in float32, one
//                               mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 per pair. Lane l
//                               (g = l/4, q = l%4) holds a[i] = A_i(g,q), A_i(g+8,q), A_i(g,q+4),
//                               A_i(g+8,q+4); b[j] = B_j(q,g), B_j(q+4,g); c[i][j] = C(g,2q),
//                               C(g,2q+1), C(g+8,2q), C(g+8,2q+1). Every lane of the warp must call it
//                               together (the emulator shares the fragments once per call).
#pragma once

#define WARP 32

#ifdef __CUDACC__
#define SHARED(T, name, n) __shared__ T name[n]
#define SHARED_DYNAMIC(T, name) extern __shared__ T name[]
#define SH(T) T*
#define SH_CAST(T, p) reinterpret_cast<T*>(p)
__device__ __forceinline__ float4 lds4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ void sts4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }
__device__ __forceinline__ float4 ldg4(const float* p) { return __ldg(reinterpret_cast<const float4*>(p)); }
__device__ __forceinline__ unsigned to_tf32(float x) {
    unsigned r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}
template <int TI, int TJ>
__device__ __forceinline__ void mma_tf32_tiles(float (&c)[TI][TJ][4], const unsigned (&a)[TI][4], const unsigned (&b)[TJ][2]) {
#pragma unroll
    for (int i = 0; i < TI; i++)
#pragma unroll
        for (int j = 0; j < TJ; j++)
            asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                : "+f"(c[i][j][0]), "+f"(c[i][j][1]), "+f"(c[i][j][2]), "+f"(c[i][j][3])
                : "r"(a[i][0]), "r"(a[i][1]), "r"(a[i][2]), "r"(a[i][3]), "r"(b[j][0]), "r"(b[j][1]));
}
#endif

// Sum over the 32 lanes of a warp in a fixed butterfly order; every lane gets the total.
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum over a block whose size is a multiple of 32 (at most 1024); thread 0 gets the total.
// scratch: SH(T) of 32 entries. The order is fixed, so the result is deterministic.
template <typename T, typename S>
__device__ __forceinline__ T block_sum(T v, S scratch) {
    const int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    const int warps = blockDim.x / WARP;
    v = (int)threadIdx.x < warps ? (T)scratch[threadIdx.x] : T(0);
    if (warp == 0) v = warp_sum(v);
    return v;
}

// The term C0 a product adds its result to (kernels/gemm.cu's C0, kernels/gemv.cu's y0), run r's
// block at C0 + g·strideC0 with g = groupOf[r] (null: g = r). With unitOf and muOf it is a scaled
// slice of a family's unit array as kernels/family_slice.cu makes one (probes remapped, signal rows
// times μ_r), read in place so that no run needs a copy of its own:
//     C0_r[i][j] = s_r(si) · C0[g][si][j]       si = i < unitOf[r] ? i : i − unitOf[r]
//     s_r(k) = muOf[r] for k < 2 (muOf null: 1), else 1
// Family runs have unitOf[r] = E_r − 2 (rows E_r − 2, E_r − 1 are the probes μ₊, μ₋ = rows 0, 1);
// a run that is its own unit has unitOf[r] = E_r and μ_r = 1. The product s·v is rounded on its
// own (__fmul_rn: never fused with the sum that follows), as family_slice rounds it, so the result
// is the same as adding to a family_slice copy.
struct Base {
    const float* at;   // run r's block (null: no C0)
    int unit;          // rows before the probes (INT_MAX: none)
    float mu;          // μ_r
    bool scaled;       // whether rows 0, 1 are scaled
};

__device__ __forceinline__ Base base_of(const float* C0, long long strideC0, const int* groupOf, const int* unitOf,
                                        const float* muOf, int r) {
    Base b;
    b.at = C0 ? C0 + (groupOf ? groupOf[r] : r) * strideC0 : nullptr;
    b.unit = unitOf ? unitOf[r] : 0x7fffffff;
    b.mu = muOf ? muOf[r] : 1.0f;
    b.scaled = muOf != nullptr;
    return b;
}

// Entry (i, j) of run r's C0 (0 without one), rows ld floats apart.
__device__ __forceinline__ float base_at(const Base& b, int i, int ld, int j) {
    if (!b.at) return 0.0f;
    const int si = i < b.unit ? i : i - b.unit;
    const float v = b.at[(long long)si * ld + j];
    return b.scaled && si < 2 ? __fmul_rn(b.mu, v) : v;
}

// σ(x) = 1/(1 + e^{−x}) without overflow, in float64 as the CPU engines compute it.
__device__ __forceinline__ double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    const double e = exp(x);
    return e / (1.0 + e);
}

// The losses of docs/math.md §8 by kind, numbered as model/Loss.java's constants (0 logistic,
// 1 exponential, 2 hinge, 3 squared), with the same formulas in float64:
//     ℓ(t) = softplus(−t) | e^{−t} | max(0, 1 − t) | (1 − t)²
//     ℓ′(t) = −σ(−t)      | −e^{−t} | −1 if t < 1, else 0 | −2(1 − t)
__device__ __forceinline__ double loss_value(int kind, double t) {
    switch (kind) {
        case 1: return exp(-t);
        case 2: return t < 1.0 ? 1.0 - t : 0.0;
        case 3: return (1.0 - t) * (1.0 - t);
        default: {
            const double x = -t;
            return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
        }
    }
}

__device__ __forceinline__ double loss_derivative(int kind, double t) {
    switch (kind) {
        case 1: return -exp(-t);
        case 2: return t < 1.0 ? -1.0 : 0.0;
        case 3: return -2.0 * (1.0 - t);
        default: return -sigmoid(-t);
    }
}

// g = ∂L/∂f of one sample of a batch of B samples, ℓ′(y f)·y/B (model/Loss.sampleGradient).
__device__ __forceinline__ double sample_gradient(int kind, double y, double f, int B) {
    return loss_derivative(kind, y * f) * y / B;
}
