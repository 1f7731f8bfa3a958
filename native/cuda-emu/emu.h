// CPU emulation of the CUDA built-ins the kernels of kernels/ use, so the same .cu sources compile as
// C++ into a stand-in libcuda.so.1 (driver.cpp) and the whole cuda engine can be tested on a machine
// without a GPU. Blocks run one after another; the threads of a block run as fibers (ucontext) on one
// OS thread and switch only at __syncthreads and warp shuffles, which therefore behave as the
// barriers they are. A block whose threads wait at different barriers is reported as a deadlock.
#pragma once
#include <cmath>
#include <cstring>
#include <math.h>

struct Dim3 {
    unsigned x, y, z;
};
extern Dim3 blockIdx, blockDim, gridDim;
Dim3 emu_thread_idx();
void emu_syncthreads();
void emu_warp_barrier();
double* emu_warp_slots();   // 32 exchange slots of the calling thread's warp
extern unsigned char emu_dynamic_shared[];

#define threadIdx emu_thread_idx()
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__
#define __shared__ static
#define __syncthreads() emu_syncthreads()

static inline int min(int a, int b) { return a < b ? a : b; }

template <typename T>
T __shfl_xor_sync(unsigned, T v, int lane_mask) {
    static_assert(sizeof(T) <= sizeof(double), "shuffle of a value wider than 8 bytes");
    double* slots = emu_warp_slots();
    const unsigned lane = threadIdx.x % 32;
    std::memcpy(&slots[lane], &v, sizeof(T));
    emu_warp_barrier();
    T r;
    std::memcpy(&r, &slots[lane ^ lane_mask], sizeof(T));
    emu_warp_barrier();
    return r;
}
