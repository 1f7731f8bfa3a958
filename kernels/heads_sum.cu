// The output of a run with H heads (docs/math.md §7): f(X_n) = Σ_h f_h(X_n). The heads of a run are H
// consecutive slots of the batch (slot s = r·H + h, each slot a run of its own to every other kernel);
// runs lists the first slot r·H of every run a launch works on. For every sample n < N of it, the
// heads' outputs f[(r·H + h)·N_max + n] are summed in head order (as the vector engine does) and the
// sum is written to fRun[(r·H + h)·N_max + n] for every head h, so each head's attention_forward
// takes its loss and g from the run's f.
// Geometry: grid (⌈N_max/128⌉, number of runs), block 128; threads past N_r return.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(128) heads_sum(
        const int* __restrict__ runs, const int* __restrict__ nOf, int nMax, int H,
        const float* __restrict__ f, float* __restrict__ fRun) {
    const int s0 = runs[blockIdx.y];
    const int n = blockIdx.x * blockDim.x + threadIdx.x;
    if (n >= nOf[s0]) return;
    float sum = 0.0f;
    for (int h = 0; h < H; h++) sum += f[(long long)(s0 + h) * nMax + n];
    for (int h = 0; h < H; h++) fRun[(long long)(s0 + h) * nMax + n] = sum;
}
