// Training loss of every listed run and the mask of runs the step updates (docs/math.md §2, §4):
//
//     L_r = (1/N_r) Σ_n loss_n         go[r] = L_r finite and L_r ≥ target_r
//
// A run below its target, or diverged, is left as it is so the caller can record it at this step.
// The sum runs in a fixed order (block tree), so L_r does not depend on scheduling.
// Shapes: loss N_max per run (double), target, L R (double), go R. The step's later kernels walk
// the same run list, so they only ever read entries of go written here.
// Geometry: grid (number of runs), block 128.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(128) loss_reduce(
        const int* __restrict__ runs, const int* __restrict__ nOf, int nMax,
        const double* __restrict__ loss, const double* __restrict__ target,
        double* __restrict__ L, int* __restrict__ go) {
    SHARED(double, scratch, WARP);
    const int r = runs[blockIdx.x], N = nOf[r];
    const double* lr = loss + (long long)r * nMax;
    double s = 0.0;
    for (int n = threadIdx.x; n < N; n += blockDim.x) s += lr[n];
    s = block_sum(s, scratch);
    if (threadIdx.x == 0) {
        const double mean = s / N;
        L[r] = mean;
        go[r] = isfinite(mean) && mean >= target[r];
    }
}
