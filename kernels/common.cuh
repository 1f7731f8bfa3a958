// Helpers shared by every attnsweep kernel.
//
// Glossary (README): R runs in a batch, N samples, M tokens per sample, P distinct training tokens,
// E = test tokens + the two probes μ₊, μ₋, m_k / m_v widths. Every per-run array of a batch is padded
// to a common size (P_max, N_max, E_max ...) and run r's slice starts at r·stride; the true sizes of
// run r come in small int arrays (pOf[r], nOf[r] ...). Kernels walk a list of run indices
// (runs[blockIdx.y or z]) built on the host, so runs that have stopped or diverged get no block.
#pragma once

#define WARP 32

// Sum over the 32 lanes of a warp in a fixed butterfly order; every lane gets the total.
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum over a block whose size is a multiple of 32 (at most 1024); thread 0 gets the total.
// scratch: 32 entries of shared memory. The order is fixed, so the result is deterministic.
template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch) {
    const int lane = threadIdx.x % WARP, warp = threadIdx.x / WARP;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    const int warps = blockDim.x / WARP;
    v = (int)threadIdx.x < warps ? scratch[threadIdx.x] : T(0);
    if (warp == 0) v = warp_sum(v);
    return v;
}

// σ(x) = 1/(1 + e^{−x}) without overflow, in float64 as the CPU engines compute it.
__device__ __forceinline__ double sigmoid(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    const double e = exp(x);
    return e / (1.0 + e);
}

// Logistic loss ℓ(t) = log(1 + e^{−t}) computed stably as softplus(−t), in float64.
__device__ __forceinline__ double logistic(double t) {
    const double x = -t;
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}
