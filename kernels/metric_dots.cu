// The projection values behind the value and QK metrics of docs/math.md §5, per training sample n of every
// listed run r (s = x_{n,1} the signal token, x2 = ξ_{n,2} at position 1, x3 = ξ_{n,3} at position
// min(2, M−1), so token 2 where M = 2):
//
//     out[n] = ( q(s)·k(x2),  q(x3)·k(s),  q(x3)·k(x2),  u(x2) )        (qk_sn, qk_ns, qk_nn, v_noise)
//     out[N_max] = ( q(μ₊)·k(μ₊),  u(μ₊),  u(μ₋) )                      (qk_ss, v_signal_pos/neg)
//
// The host averages them (Metrics.assemble), so the metric definitions live in one place.
// Shapes of run r: map N_max×M, QK P_max×2m_k ([q|k] rows), u P_max; QKe E_max×2m_k and ue E_max
// (test tokens, then μ₊ at row E_r−2 and μ₋ at row E_r−1); out (N_max+1)×4.
// Geometry: grid (number of runs), block 256 = 8 warps; warp w takes samples w, w+8, … and the probe
// row (index N_r), lanes over m_k with a shuffle sum.
#include "common.cuh"

__device__ __forceinline__ float qk_dot(const float* q, const float* k, int mk, int lane) {
    float s = 0.0f;
    for (int i = lane; i < mk; i += WARP) s = fmaf(q[i], k[i], s);
    return warp_sum(s);
}

extern "C" __global__ void __launch_bounds__(256) metric_dots(
        const int* __restrict__ runs, const int* __restrict__ nOf, const int* __restrict__ eOf,
        int nMax, int pMax, int eMax, int M, int mk, const int* __restrict__ map,
        const float* __restrict__ QK, const float* __restrict__ u,
        const float* __restrict__ QKe, const float* __restrict__ ue, float* __restrict__ out) {
    const int r = runs[blockIdx.x], N = nOf[r];
    const int lane = threadIdx.x % WARP, warps = blockDim.x / WARP, w = 2 * mk;
    const int p3 = min(2, M - 1);
    QK += (long long)r * pMax * w;
    u += (long long)r * pMax;
    QKe += (long long)r * eMax * w;
    ue += (long long)r * eMax;
    const int* mp = map + (long long)r * nMax * M;
    float* o = out + (long long)r * (nMax + 1) * 4;
    for (int n = threadIdx.x / WARP; n <= N; n += warps) {
        if (n < N) {
            const float* s = QK + (long long)mp[n * M] * w;
            const float* x2 = QK + (long long)mp[n * M + 1] * w;
            const float* x3 = QK + (long long)mp[n * M + p3] * w;
            const float sn = qk_dot(s, x2 + mk, mk, lane);
            const float ns = qk_dot(x3, s + mk, mk, lane);
            const float nn = qk_dot(x3, x2 + mk, mk, lane);
            if (lane == 0) {
                o[n * 4] = sn;
                o[n * 4 + 1] = ns;
                o[n * 4 + 2] = nn;
                o[n * 4 + 3] = u[mp[n * M + 1]];
            }
        } else {
            const int E = eOf[r];
            const float* pos = QKe + (long long)(E - 2) * w;
            const float ss = qk_dot(pos, pos + mk, mk, lane);
            if (lane == 0) {
                o[nMax * 4] = ss;
                o[nMax * 4 + 1] = ue[E - 2];
                o[nMax * 4 + 2] = ue[E - 1];
            }
        }
    }
}
