// A deliberately racy kernel, compiled only into the emulator (native/cuda-emu/build.sh), never into
// the jar: EmuRaceTest launches it and expects the emulator to fail the launch with a report naming
// the kernel, the array and the two threads, and to pass the same kernel with its barrier in place.
//
//     buf[t] = t;  [__syncthreads() unless racy]  out[t] = buf[(t + 1) mod blockDim]
//
// Shapes: out blockDim floats. Geometry: grid 1, block any multiple of 32 up to 1024.
#include "common.cuh"

extern "C" __global__ void race_demo(int racy, float* out) {
    SHARED(float, buf, 1024);
    const int t = threadIdx.x;
    buf[t] = (float)t;
    if (!racy) __syncthreads();
    out[t] = buf[(t + 1) % blockDim.x];
}
