// CPU emulation of the CUDA built-ins the kernels of kernels/ use, so the same .cu sources compile as
// C++ into a stand-in libcuda.so.1 (driver.cpp) and the whole cuda engine can be tested on a machine
// without a GPU. Blocks run one after another; the threads of a block run as fibers (ucontext) on one
// OS thread and switch only at __syncthreads and warp shuffles, which therefore behave as the
// barriers they are. A block whose threads wait at different barriers is reported as a deadlock.
//
// Shared-memory race detection: kernels declare shared memory with common.cuh's SHARED /
// SHARED_DYNAMIC / SH macros, which here become emu::Array / emu::Ptr, and every element access
// goes through emu::Ref, which reports the access to the driver with the calling thread. Each
// 4-byte word of shared memory has a shadow (emu::Word): the last writer and the readers within the
// current barrier interval (the epoch: it advances when a __syncthreads opens and when a block
// starts). A word written by one thread and read or written by another thread within one interval
// is a race: the launch fails (CUDA_ERROR_LAUNCH_FAILED) and the report names the kernel, the block,
// the array and word, and the two threads. Warp shuffles order nothing here: CUDA does not make them
// fences for shared memory, so warp-synchronous shared-memory code is reported too.
#pragma once
#include <cmath>
#include <cstdint>
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
// Every lane of the calling thread's warp gives `bytes` (at most EMU_SHARE_BYTES) at mine; the
// result holds the 32 lanes' in lane order, EMU_SHARE_BYTES apart, readable until the warp's next
// share. A warp barrier before and after, as a shuffle.
#define EMU_SHARE_BYTES 128
const unsigned char* emu_warp_share(const void* mine, int bytes);
extern unsigned char emu_dynamic_shared[];
void emu_fault(const char* what);   // fails the launch with this reason (first fault of a launch wins)

#define threadIdx emu_thread_idx()
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__
#define __syncthreads() emu_syncthreads()

// A product rounded on its own: on a GPU never contracted into an FMA; g++ here emits no FMA.
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }

struct float4 {
    float x, y, z, w;
};
static inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

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

static inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
static inline unsigned __float_as_uint(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}

// cvt.rna.tf32.f32: to nearest on the 10 mantissa bits TF32 keeps, ties away from zero (half of
// the dropped part added to the magnitude, then dropped; a carry moves into the exponent as it
// should). Infinities and NaNs are kept as they are.
static inline unsigned to_tf32(float x) {
    const unsigned u = __float_as_uint(x);
    if ((u & 0x7f800000u) == 0x7f800000u) return u;
    return (u + 0x1000u) & 0xffffe000u;
}

// TI×TJ tiles of mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 (common.cuh's mma_tf32_tiles and
// its fragment layout) for the calling lane: the warp's fragments shared once, then this lane's
// four sums per tile pair. The tensor core reads only the TF32 bits of each operand (the low 13
// bits ignored); products of TF32 values are exact in float32, and each is added to c in k order,
// rounded at every addition.
template <int TI, int TJ>
static inline void mma_tf32_tiles(float (&c)[TI][TJ][4], const unsigned (&a)[TI][4], const unsigned (&b)[TJ][2]) {
    static_assert((TI * 4 + TJ * 2) * 4 <= EMU_SHARE_BYTES, "fragments wider than a share");
    unsigned mine[TI * 4 + TJ * 2];
    for (int i = 0; i < TI; i++) for (int e = 0; e < 4; e++) mine[i * 4 + e] = a[i][e];
    for (int j = 0; j < TJ; j++) for (int e = 0; e < 2; e++) mine[TI * 4 + j * 2 + e] = b[j][e];
    const unsigned char* all = emu_warp_share(mine, sizeof mine);
    // Register r of lane l, as the TF32 value the tensor core reads.
    auto reg = [all](int l, int r) {
        unsigned u;
        std::memcpy(&u, all + l * EMU_SHARE_BYTES + r * 4, 4);
        return __uint_as_float(u & 0xffffe000u);
    };
    const int g = (threadIdx.x % 32) / 4, q = threadIdx.x % 4;
    for (int i = 0; i < TI; i++) {
        for (int j = 0; j < TJ; j++) {
            for (int e = 0; e < 4; e++) {
                const int row = g + (e >= 2 ? 8 : 0), col = 2 * q + (e & 1);
                float s = c[i][j][e];
                for (int k = 0; k < 8; k++) {
                    // A(row, k): lane 4·(row mod 8) + k mod 4, register (k ≥ 4 ? 2 : 0) + (row ≥ 8);
                    // B(k, col): lane 4·col + k mod 4, register k ≥ 4.
                    const float x = reg(4 * (row % 8) + k % 4, i * 4 + (k >= 4 ? 2 : 0) + (row >= 8 ? 1 : 0));
                    const float y = reg(4 * col + k % 4, TI * 4 + j * 2 + (k >= 4 ? 1 : 0));
                    s += x * y;
                }
                c[i][j][e] = s;
            }
        }
    }
}

namespace emu {

// The shadow of one 4-byte word of shared memory within the current barrier interval.
struct Word {
    unsigned long long wEpoch, rEpoch;   // interval of the last write / of the readers below
    int writer, reader, reader2;         // reader2: a second distinct reader, or −1
};

// Checks an access of `words` words at shadow w (element `index` words into array `name`) by the
// calling thread against the shadow, reports a race, and records the access.
void access(Word* w, int words, bool write, const char* name, long index);

template <typename T>
class Ptr;

// One element of shared memory: reads and writes are checked and recorded.
template <typename T>
class Ref {
    static_assert(sizeof(T) % 4 == 0, "shared elements are whole 4-byte words");
    T* p;
    Word* s;
    const char* name;
    long index;

    void read() const { access(s, sizeof(T) / 4, false, name, index); }
    void write() const { access(s, sizeof(T) / 4, true, name, index); }

public:
    Ref(T* p, Word* s, const char* name, long index) : p(p), s(s), name(name), index(index) {}
    operator T() const {
        read();
        return *p;
    }
    Ref& operator=(T v) {
        write();
        *p = v;
        return *this;
    }
    Ref& operator=(const Ref& o) { return *this = static_cast<T>(o); }
    Ref& operator+=(T v) { return *this = static_cast<T>(*this) + v; }
    Ref& operator-=(T v) { return *this = static_cast<T>(*this) - v; }
    Ref& operator*=(T v) { return *this = static_cast<T>(*this) * v; }
};

// A pointer into shared memory: the data address, its shadow, and the array it points into.
template <typename T>
class Ptr {
    template <typename U>
    friend class Ptr;
    T* p;
    Word* s;
    Word* base;
    const char* name;

public:
    static constexpr long W = sizeof(T) / 4;
    Ptr(T* p, Word* s, Word* base, const char* name) : p(p), s(s), base(base), name(name) {}
    Ref<T> operator[](long long i) const { return Ref<T>(p + i, s + i * W, name, (long)(s + i * W - base)); }
    Ref<T> operator*() const { return (*this)[0]; }
    Ptr operator+(long long i) const { return Ptr(p + i, s + i * W, base, name); }
    Ptr operator-(long long i) const { return Ptr(p - i, s - i * W, base, name); }
    template <typename U>
    Ptr<U> as() const {
        return Ptr<U>(reinterpret_cast<U*>(p), s, base, name);
    }
    T* raw() const { return p; }
};

// A static shared array of N elements (a function-local static: blocks run one after another).
template <typename T, long N>
struct Array {
    T data[N];
    Word shadow[N * sizeof(T) / 4];
    Ptr<T> ptr(const char* name) { return Ptr<T>(data, shadow, shadow, name); }
};

extern Word dynamic_shadow[];

template <typename T>
Ptr<T> dynamic(const char* name) {
    return Ptr<T>(reinterpret_cast<T*>(emu_dynamic_shared), dynamic_shadow, dynamic_shadow, name);
}

}  // namespace emu

#define SHARED(T, name, n)                    \
    static emu::Array<T, (n)> name##_storage; \
    emu::Ptr<T> name = name##_storage.ptr(#name)
#define SHARED_DYNAMIC(T, name) emu::Ptr<T> name = emu::dynamic<T>(#name)
#define SH(T) emu::Ptr<T>
#define SH_CAST(T, p) (p).template as<T>()

static inline void emu_aligned(const void* p, const char* what) {
    if (reinterpret_cast<std::uintptr_t>(p) % 16 != 0) emu_fault(what);
}
static inline float4 lds4(emu::Ptr<float> p) {
    emu_aligned(p.raw(), "misaligned float4 load from shared memory");
    return float4{p[0], p[1], p[2], p[3]};
}
static inline void sts4(emu::Ptr<float> p, float4 v) {
    emu_aligned(p.raw(), "misaligned float4 store to shared memory");
    p[0] = v.x;
    p[1] = v.y;
    p[2] = v.z;
    p[3] = v.w;
}
static inline float4 ldg4(const float* p) {
    emu_aligned(p, "misaligned float4 load from global memory");
    return float4{p[0], p[1], p[2], p[3]};
}
