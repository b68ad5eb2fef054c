/* kernels/cuda/emu/cuda_emu.h — a CPU emulator of the small CUDA runtime + cuBLAS subset that
 * the CUDA backend (kernels/cuda/kern_cuda.cu) uses, so the same .cu compiles with g++ as C++
 * and runs on a machine without a GPU:
 *
 *     g++ -x c++ -std=c++17 -include kernels/cuda/emu/cuda_emu.h -c kernels/cuda/kern_cuda.cu
 *     g++ -std=c++17 -c kernels/cuda/emu/cuda_emu.cpp       (link both with -lopenblas)
 *
 * Why: CI has no GPU. With this shim it still runs the backend's kernels (indexing, shared
 * memory, barriers, warp shuffles, early returns) and its cuBLAS calls (transposes, leading
 * dimensions, strides, reduced-precision compute types) and compares them with the CPU
 * backend. Defines DWPLAN_CUDA_EMU 1, so the .cu can tell (it should not include
 * <cuda_runtime.h> / <cublas_v2.h> then). Neither __CUDACC__ nor __CUDA_ARCH__ is defined.
 *
 * How kernels run (kernels/cuda/emu/cuda_emu.cpp): a launch runs the blocks one after
 * another (blockIdx.x fastest); inside a block every thread is a coroutine (ucontext) on its
 * own stack, scheduled round-robin on the calling OS thread. A thread runs until it reaches a
 * barrier (__syncthreads, __syncwarp, or the two warp barriers inside every __shfl_*_sync) or
 * returns. Consequences:
 *   - __shared__ expands to `static`: since only one block runs at a time, a function-static
 *     array is shared by exactly the threads of the running block. (It is zero at program
 *     start and keeps the previous block's contents, where CUDA leaves it undefined.)
 *     Dynamic shared memory (`extern __shared__ T s[]`) is not supported.
 *   - A warp is 32 consecutive linear thread ids (x fastest, then y, then z); a block whose
 *     size is not a multiple of 32 ends with a partial warp whose missing lanes do not exist.
 *   - __syncthreads() releases when every thread of the block that has not returned has
 *     arrived; a warp barrier when every such thread of that warp has arrived. A barrier that
 *     can never release (e.g. some threads at __syncthreads() while a warp-mate waits in a
 *     __shfl_*_sync) aborts the program with a message naming the launch. With the
 *     environment variable DWPLAN_EMU_STRICT_SYNC=1, a __syncthreads() that some already
 *     returned threads of the block will miss (undefined behaviour in CUDA) aborts too.
 *   - Each thread's stack is DWPLAN_EMU_STACK bytes (default 64 KiB; suffix k or m allowed;
 *     read at the first launch), with a guard page below it: a kernel with big local arrays
 *     that overflows it dies with SIGSEGV; raise the variable then.
 *   - Cost: a thread start or hand-over is a swapcontext (a system call for the signal mask),
 *     about 1-2 µs each: fine for test-sized problems, not for production-sized ones.
 *
 * What it does not model: concurrency between blocks or between streams (everything is
 * synchronous and in order), memory coalescing, bank conflicts, occupancy and timing,
 * atomics (none are provided), warp-divergent shuffles with partial masks (masks are
 * ignored: every live lane of the warp must take part, as in the backend's kernels), the
 * accumulation order of real tensor cores, dynamic parallelism, host-thread safety (launch
 * and call from one host thread at a time).
 *
 * What it checks beyond CUDA: cudaMalloc'd memory starts as 0xFF bytes (NaN in float and
 * double) and has 64-byte guard zones on both sides that are verified after every kernel
 * launch, at cudaDeviceSynchronize and at cudaFree (a write out of bounds aborts, naming the
 * launch); cudaMemcpy/cudaMemset ranges must lie inside one allocation and match the copy
 * direction; cuBLAS operand extents (ld, strides, batch) must lie inside one allocation.
 */
#ifndef DWPLAN_CUDA_EMU_H
#define DWPLAN_CUDA_EMU_H

#ifndef __cplusplus
#error "cuda_emu.h is C++17: compile the .cu with g++ -x c++ -std=c++17"
#endif

#define DWPLAN_CUDA_EMU 1

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <functional>
#include <type_traits>

// ============================================================================================
// Device-side language
// ============================================================================================

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
/* Blocks run one at a time, so a function-static variable is shared by the running block. */
#define __shared__ static

struct uint3 {
    unsigned x, y, z;
};

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
    constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
    constexpr operator uint3() const { return uint3{x, y, z}; }
};

/* The built-in variables of the emulated thread that is running (read-only, as in CUDA). */
extern const uint3 &threadIdx;
extern const uint3 &blockIdx;
extern const dim3 &blockDim;
extern const dim3 &gridDim;
constexpr int warpSize = 32;

/* Barrier of all threads of the block (see the release rule in the header comment). */
void __syncthreads();
/* Barrier of the calling thread's warp. The mask is ignored: all live lanes take part. */
void __syncwarp(unsigned mask = 0xffffffffu);

/* Runs one kernel launch: every thread of every block calls body() (a lambda that calls the
 * kernel with its arguments captured by value). Invalid configurations (a zero dimension,
 * blockDim.z > 64, gridDim.y or .z > 65535) set the last error to
 * cudaErrorInvalidConfiguration and run nothing; more than 1024 threads per block aborts.
 * kernel_name, if given, appears in diagnostics. The backend's launch macro expands to
 *     emu_launch(dim3(grid), dim3(block), [=]() { kernel(args...); }, #kernel)        */
void emu_launch(dim3 grid, dim3 block, const std::function<void()> &body,
                const char *kernel_name = nullptr);
/* Number of emu_launch calls so far (the "#N" in diagnostics counts from 1). */
unsigned long emu_launch_count();

// --- warp shuffles ----------------------------------------------------------------------------
// Each lane stores its value in a per-thread slot, the warp meets at a barrier, each lane
// reads its source lane's slot, and the warp meets again (so the slots can be reused). A source
// lane that does not exist (partial last warp) or has already returned yields the caller's
// own value; in CUDA the latter is undefined. Width must be a power of two <= 32 (else abort).
// Types: arithmetic types of at most 8 bytes (float, double, int, unsigned, long long, ...).

namespace emu_detail {
unsigned lane_id(const char *fn);
int check_width(int width, const char *fn);
uint64_t shfl_exchange(uint64_t bits, int src_lane, const char *fn);

template <typename T> inline T shfl(T v, int src_lane, const char *fn) {
    static_assert(std::is_arithmetic<T>::value && sizeof(T) <= 8,
                  "the emulated __shfl_*_sync takes arithmetic types of at most 8 bytes");
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof v);
    bits = shfl_exchange(bits, src_lane, fn);
    T r;
    memcpy(&r, &bits, sizeof r);
    return r;
}
}  // namespace emu_detail

/* Value of lane (srcLane mod width) of the caller's width-lane segment. */
template <typename T> inline T __shfl_sync(unsigned mask, T var, int srcLane, int width = 32) {
    (void)mask;
    int w = emu_detail::check_width(width, "__shfl_sync");
    int lane = (int)emu_detail::lane_id("__shfl_sync");
    return emu_detail::shfl(var, (lane & ~(w - 1)) | (srcLane & (w - 1)), "__shfl_sync");
}

/* Value of lane (lane ^ laneMask); a source in a later segment yields the caller's own value. */
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T var, int laneMask, int width = 32) {
    (void)mask;
    int w = emu_detail::check_width(width, "__shfl_xor_sync");
    int lane = (int)emu_detail::lane_id("__shfl_xor_sync");
    int src = lane ^ laneMask;
    if (src < 0 || src > (lane | (w - 1))) src = lane;
    return emu_detail::shfl(var, src, "__shfl_xor_sync");
}

/* Value of lane (lane + delta) of the same segment, else the caller's own value. */
template <typename T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
    (void)mask;
    int w = emu_detail::check_width(width, "__shfl_down_sync");
    int lane = (int)emu_detail::lane_id("__shfl_down_sync");
    int src = (delta < 32u && (lane & (w - 1)) + (int)delta < w) ? lane + (int)delta : lane;
    return emu_detail::shfl(var, src, "__shfl_down_sync");
}

/* Value of lane (lane - delta) of the same segment, else the caller's own value. */
template <typename T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
    (void)mask;
    int w = emu_detail::check_width(width, "__shfl_up_sync");
    int lane = (int)emu_detail::lane_id("__shfl_up_sync");
    int src = (delta < 32u && (lane & (w - 1)) >= (int)delta) ? lane - (int)delta : lane;
    return emu_detail::shfl(var, src, "__shfl_up_sync");
}

// --- reduced-precision rounding (what tensor cores do to fp32 inputs) --------------------------

/* fp32 -> bfloat16 (8 exponent bits, 7 explicit mantissa bits) -> fp32, round to nearest
 * even; NaN stays NaN (quietened), infinities stay, overflow rounds to infinity. */
inline float emu_round_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) u |= 0x00400000u; /* NaN: keep it a NaN */
    else u += 0x7fffu + ((u >> 16) & 1u);
    u &= 0xffff0000u;
    memcpy(&x, &u, sizeof u);
    return x;
}

/* fp32 -> TF32 (8 exponent bits, 10 explicit mantissa bits) -> fp32, round to nearest even;
 * NaN stays NaN. */
inline float emu_round_tf32(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) u |= 0x00400000u;
    else u += 0xfffu + ((u >> 13) & 1u);
    u &= 0xffffe000u;
    memcpy(&x, &u, sizeof u);
    return x;
}

// ============================================================================================
// Runtime API subset (numeric values as in CUDA 12/13). Everything is synchronous. A call
// that fails also records its error as the "last error", which cudaGetLastError returns and
// resets and cudaPeekAtLastError returns; a failed launch records its error only there.
// With DWPLAN_EMU_NO_DEVICE set (to anything but "" or "0") every call that needs the device
// fails with cudaErrorNoDevice, as the real runtime does on a machine without a GPU. With
// DWPLAN_EMU_FAIL_LAUNCH=N, kernel launch number N (counting from 1) does not run and records
// cudaErrorLaunchFailure, as a faulting kernel would: callers' error paths can be tested.
// ============================================================================================

extern "C" {

enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidMemcpyDirection = 21,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidDevice = 101,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorLaunchFailure = 719,
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4,
};

typedef struct CUstream_st *cudaStream_t; /* NULL (0) is the default stream */
typedef struct CUevent_st *cudaEvent_t;

/* The fields code usually reads; the layout is not the real one (use the names only). */
struct cudaDeviceProp {
    char name[256];             /* "dwplan CPU emulator" */
    size_t totalGlobalMem;      /* physical RAM of the machine */
    size_t sharedMemPerBlock;   /* 48 KiB */
    size_t sharedMemPerBlockOptin;
    size_t sharedMemPerMultiprocessor;
    size_t totalConstMem;
    int regsPerBlock;
    int warpSize;               /* 32 */
    int maxThreadsPerBlock;     /* 1024 */
    int maxThreadsDim[3];       /* 1024, 1024, 64 */
    int maxGridSize[3];         /* 2^31 - 1, 65535, 65535 */
    int maxThreadsPerMultiProcessor;
    int major, minor;           /* 9.0 */
    int multiProcessorCount;    /* 1 */
    int l2CacheSize;
    int unifiedAddressing;
};

const char *cudaGetErrorString(cudaError_t error);
const char *cudaGetErrorName(cudaError_t error);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);

cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device);
cudaError_t cudaRuntimeGetVersion(int *version); /* 13000 */
cudaError_t cudaDriverGetVersion(int *version);  /* 13000 */
cudaError_t cudaDeviceSynchronize(void);

/* 64-byte aligned, filled with 0xFF bytes; size 0 gives NULL and cudaSuccess. */
cudaError_t cudaMalloc(void **devPtr, size_t size);
cudaError_t cudaFree(void *devPtr);
/* total = physical RAM; free = total less the bytes currently allocated by cudaMalloc. */
cudaError_t cudaMemGetInfo(size_t *free, size_t *total);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                            cudaStream_t stream = 0);
cudaError_t cudaMemset(void *devPtr, int value, size_t count);
cudaError_t cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream = 0);

cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);

cudaError_t cudaEventCreate(cudaEvent_t *event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = 0);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
/* Wall-clock milliseconds between the two records (CLOCK_MONOTONIC). */
cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end);

}  // extern "C"

/* The C++ convenience overload of the real runtime: cudaMalloc(&float_ptr, bytes). */
template <class T> inline cudaError_t cudaMalloc(T **devPtr, size_t size) {
    return ::cudaMalloc((void **)(void *)devPtr, size);
}

// ============================================================================================
// cuBLAS v2 subset, computed by CBLAS (OpenBLAS) in fp32: column-major,
// C = alpha·op(A)·op(B) + beta·C, alpha and beta are host pointers to float (pointer mode
// host). Argument checks as cuBLAS: a bad handle gives NOT_INITIALIZED; a negative m, n, k or
// batchCount, an unknown operation or algorithm, lda < max(1, rows of A as stored), ldb
// likewise, ldc < max(1, m), or a NULL alpha/beta give INVALID_VALUE; a data type other than
// CUDA_R_32F, or a compute type other than 32F, 32F_PEDANTIC, 32F_FAST_TF32, 32F_FAST_16BF,
// gives NOT_SUPPORTED. beta == 0 never reads C; alpha == 0 or k == 0 reads neither A nor B.
// FAST_16BF / FAST_TF32 round every element of A and B (emu_round_bf16 / emu_round_tf32)
// and multiply the rounded values in fp32. The math mode is stored and has no effect.
// ============================================================================================

extern "C" {

typedef enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
} cublasStatus_t;

typedef enum { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 } cublasOperation_t;

typedef enum {
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_TENSOR_OP_MATH = 1,
    CUBLAS_PEDANTIC_MATH = 2,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
} cublasMath_t;

typedef enum { CUDA_R_32F = 0, CUDA_R_16BF = 14 } cudaDataType_t;
typedef cudaDataType_t cudaDataType;

typedef enum {
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
} cublasComputeType_t;

typedef enum { CUBLAS_GEMM_DEFAULT = -1, CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99 } cublasGemmAlgo_t;

typedef struct cublasContext *cublasHandle_t;

const char *cublasGetStatusString(cublasStatus_t status);
const char *cublasGetStatusName(cublasStatus_t status);
cublasStatus_t cublasCreate(cublasHandle_t *handle); /* NOT_INITIALIZED without a device */
cublasStatus_t cublasDestroy(cublasHandle_t handle);
cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream);
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);
cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t *mode);

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa,
                           cublasOperation_t transb, int m, int n, int k, const float *alpha,
                           const float *A, int lda, const float *B, int ldb, const float *beta,
                           float *C, int ldc);

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType_t Atype, int lda, const void *B,
                            cudaDataType_t Btype, int ldb, const void *beta, void *C,
                            cudaDataType_t Ctype, int ldc, cublasComputeType_t computeType,
                            cublasGemmAlgo_t algo);

cublasStatus_t cublasGemmStridedBatchedEx(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
    int k, const void *alpha, const void *A, cudaDataType_t Atype, int lda, long long strideA,
    const void *B, cudaDataType_t Btype, int ldb, long long strideB, const void *beta, void *C,
    cudaDataType_t Ctype, int ldc, long long strideC, int batchCount,
    cublasComputeType_t computeType, cublasGemmAlgo_t algo);

}  // extern "C"

#endif
