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
