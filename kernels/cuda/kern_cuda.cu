/* kernels/cuda/kern_cuda.cu — the CUDA backend of kernels/kern.h: GEMMs through cuBLAS,
 * everything else in the kernels below. Built by nvcc into libdwplan_cuda.so, which
 * kernels/kern.c loads with dlopen when `--backend cuda` asks for it (dwplan never links
 * CUDA). The same source also compiles with g++ as C++ against kernels/cuda/emu/cuda_emu.h
 * (DWPLAN_CUDA_EMU), an emulator of the CUDA and cuBLAS subset used here, so CI runs these
 * kernels and cuBLAS calls on a CPU (tests/test_cuda_backend.c) — see kernels/cuda/README.md
 * for what that does and does not check.
 *
 * Mathematics: the element-wise and row-wise formulas (GELU and its derivative, the
 * LayerNorm rstd, the RoPE rotation, exp, the AdamW update) are kern_math.h's KERN_HD
 * functions, the code the CPU backend runs and its tests check.
 *
 * Layout of the work:
 *   - GEMMs (linear layers, attention scores and products, bias gradients): cuBLAS
 *     cublasGemmStridedBatchedEx on fp32 tensors; the compute type is CUBLAS_COMPUTE_32F,
 *     or _FAST_TF32 / _FAST_16BF for --math tf32 / bf16 (tensor cores, fp32 accumulation).
 *     Row-major products map to cuBLAS's column-major ones by swapping the operands
 *     (gemm_rm_).
 *   - Row reductions (LayerNorm, causal softmax and its backward): one warp per row,
 *     shuffles; cross-entropy: one block per row.
 *   - Column reductions (LayerNorm dw/db) and global sums of squares: fixed partitions into
 *     partial sums, then one pass over the partials in order. No atomics anywhere, so a run
 *     is deterministic on a given GPU and math mode.
 *   - Causal attention computes the full T×T scores per head (as cuBLAS batched GEMMs) and
 *     masks in the softmax: twice the causal FLOPs, in exchange for a handful of large
 *     GEMMs; a fused (flash) kernel is the step after this one.
 *
 * Errors: every CUDA and cuBLAS call goes through DW_TRY_CUDA / DW_TRY_CUBLAS, and every
 * launch through DW_TRY_LAUNCH, which return DW_EDEVICE with "call failed at file:line:
 * the runtime's message" recorded through the host's dw_error_set.
 */
#ifndef DWPLAN_CUDA_EMU
#include <cublas_v2.h>
#include <cuda_runtime.h>
#define KLAUNCH(kern, grid, block, stream, ...)                                               \
    kern<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
#define KERN_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define KLAUNCH(kern, grid, block, stream, ...)                                               \
    ((void)(stream), emu_launch(dim3(grid), dim3(block), [=]() { kern(__VA_ARGS__); }, #kern))
#define KERN_EXPORT extern "C" __attribute__((visibility("default")))
#endif

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/dw.h" /* the DW_E* codes only: this library calls no dwplan code */
#include "../kern.h"
#include "../kern_math.h"

// ----------------------------------------------------------------------------
// state and error handling

typedef struct {
    int device;
    cudaStream_t stream;
    cublasHandle_t blas;
    cublasComputeType_t compute; /* the GEMMs' compute type for ctx->math */
    void *scratch;               /* partial sums, segment tables (grown on demand) */
    size_t scratch_bytes;
    float *ones;                 /* a vector of ones for the bias gradients */
    size_t ones_n;
    int32_t *h_ids;              /* host: the embedding gradient's token buckets */
    size_t h_ids_n;
} CudaImpl;

static const KernHost *g_host; /* dwplan's services (dw_error_set) */

static int fail_cuda_(const char *call, const char *file, int line, cudaError_t e) {
    return g_host->error_set(DW_EDEVICE, "%s failed at %s:%d: %s (%s)", call, file, line,
                             cudaGetErrorString(e), cudaGetErrorName(e));
}

static int fail_cublas_(const char *call, const char *file, int line, cublasStatus_t s) {
    return g_host->error_set(DW_EDEVICE, "%s failed at %s:%d: %s", call, file, line,
                             cublasGetStatusString(s));
}

#define DW_TRY_CUDA(call)                                                                     \
    do {                                                                                      \
        cudaError_t e_ = (call);                                                              \
        if (e_ != cudaSuccess) return fail_cuda_(#call, __FILE__, __LINE__, e_);              \
    } while (0)
#define DW_TRY_CUBLAS(call)                                                                   \
    do {                                                                                      \
        cublasStatus_t s_ = (call);                                                           \
        if (s_ != CUBLAS_STATUS_SUCCESS) return fail_cublas_(#call, __FILE__, __LINE__, s_);  \
    } while (0)
/* after a kernel launch: a bad configuration or an earlier asynchronous fault */
#define DW_TRY_LAUNCH(kern)                                                                   \
    do {                                                                                      \
        cudaError_t e_ = cudaGetLastError();                                                  \
        if (e_ != cudaSuccess) return fail_cuda_("launch of " #kern, __FILE__, __LINE__, e_); \
    } while (0)
#define DW_CHECK_ARG(cond)                                                                    \
    do {                                                                                      \
        if (!(cond))                                                                          \
            return g_host->error_set(DW_EINVAL, "CUDA backend: %s: bad argument (%s)",        \
                                     __func__, #cond);                                        \
    } while (0)

static CudaImpl *impl_(KernCtx *ctx) { return (CudaImpl *)ctx->impl; }

/* Device scratch of at least `bytes` (contents undefined). Growing synchronises (cudaFree
 * waits for queued work that may still read the old buffer). */
static int scratch_(KernCtx *ctx, size_t bytes, void **out) {
    CudaImpl *im = impl_(ctx);
    if (im->scratch_bytes < bytes) {
        size_t want = bytes < ((size_t)1 << 20) ? ((size_t)1 << 20) : bytes;
        if (im->scratch) DW_TRY_CUDA(cudaFree(im->scratch));
        im->scratch = NULL;
        im->scratch_bytes = 0;
        DW_TRY_CUDA(cudaMalloc(&im->scratch, want));
        im->scratch_bytes = want;
    }
    *out = im->scratch;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// launch geometry and reductions

#define THREADS 256
#define WARPS_PER_BLOCK (THREADS / 32)

/* blocks for a grid-stride loop over n elements (at most 65535·8, every SM busy) */
static unsigned grid_for_(size_t n) {
    size_t b = (n + THREADS - 1) / THREADS;
    if (b < 1) b = 1;
    if (b > 65535u * 8u) b = 65535u * 8u;
    return (unsigned)b;
}
/* blocks for one warp per row */
static unsigned grid_rows_(int rows) {
    return (unsigned)((rows + WARPS_PER_BLOCK - 1) / WARPS_PER_BLOCK);
}

template <class T> __device__ __forceinline__ T warp_sum_(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max_(float v) {
    for (int o = 16; o > 0; o >>= 1) {
        float u = __shfl_xor_sync(0xffffffffu, v, o);
        v = u > v ? u : v;
    }
    return v;
}

/* Sum over a block of THREADS threads, returned to every thread; fixed order. */
template <class T> __device__ T block_sum_(T v) {
    __shared__ T part[WARPS_PER_BLOCK];
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    v = warp_sum_(v);
    if (lane == 0) part[warp] = v;
    __syncthreads();
    T s = lane < WARPS_PER_BLOCK ? part[lane] : (T)0;
    s = warp_sum_(s);
    __syncthreads(); /* part may be reused by the next call */
    return s;
}
__device__ float block_max_(float v) {
    __shared__ float part[WARPS_PER_BLOCK];
    int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    v = warp_max_(v);
    if (lane == 0) part[warp] = v;
    __syncthreads();
    float s = lane < WARPS_PER_BLOCK ? part[lane] : -INFINITY;
    s = warp_max_(s);
    __syncthreads();
    return s;
}

// ----------------------------------------------------------------------------
// GEMM: row-major products on cuBLAS

/* Row-major C (M×N, ldc) = alpha·op(A)·op(B) + beta·C for `batch` matrices at strides sA,
 * sB, sC, where op(A) is M×K. A row-major matrix is its transpose in column-major, so this
 * is cuBLAS's C^T = op(B)^T·op(A)^T: operands swapped, flags unchanged. `compute` is the
 * context's type except for sums that must stay fp32 (the bias gradients). */
static int gemm_rm_(KernCtx *ctx, int transA, int transB, int M, int N, int K, float alpha,
                    const float *A, int lda, long long sA, const float *B, int ldb, long long sB,
                    float beta, float *C, int ldc, long long sC, int batch,
                    cublasComputeType_t compute) {
    CudaImpl *im = impl_(ctx);
    if (M == 0 || N == 0 || batch == 0) return DW_OK;
    cublasOperation_t opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
    cublasOperation_t opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
    DW_TRY_CUBLAS(cublasGemmStridedBatchedEx(im->blas, opB, opA, N, M, K, &alpha, B, CUDA_R_32F,
                                             ldb, sB, A, CUDA_R_32F, lda, sA, &beta, C,
                                             CUDA_R_32F, ldc, sC, batch, compute,
                                             CUBLAS_GEMM_DEFAULT));
    return DW_OK;
}

// ----------------------------------------------------------------------------
// kernels

__global__ void bias_fill_k(float *out, const float *bias, size_t n, int N) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = bias[i % (size_t)N];
}

__global__ void fill_k(float *x, size_t n, float v) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        x[i] = v;
}

/* LayerNorm forward, one warp per row: two passes (mean, squared deviations) as the CPU. */
__global__ void layernorm_fwd_k(float *out, float *mean, float *rstd, const float *inp,
                                const float *w, const float *b, int N, int C, float eps) {
    int row = blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= N) return;
    const float *x = inp + (size_t)row * C;
    float s = 0;
    for (int i = lane; i < C; i += 32) s += x[i];
    float mu = warp_sum_(s) / (float)C;
    float v = 0;
    for (int i = lane; i < C; i += 32) {
        float d = x[i] - mu;
        v += d * d;
    }
    float rs = kern_ln_rstd_f(warp_sum_(v), C, eps);
    float *o = out + (size_t)row * C;
    for (int i = lane; i < C; i += 32) o[i] = (x[i] - mu) * rs * w[i] + b[i];
    if (lane == 0) {
        mean[row] = mu;
        rstd[row] = rs;
    }
}

/* LayerNorm backward, the input gradient (accumulates), one warp per row. */
__global__ void layernorm_bwd_rows_k(float *dinp, const float *dout, const float *inp,
                                     const float *w, const float *mean, const float *rstd,
                                     int N, int C) {
    int row = blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= N) return;
    const float *x = inp + (size_t)row * C, *d = dout + (size_t)row * C;
    float *dx = dinp + (size_t)row * C;
    float mu = mean[row], rs = rstd[row], s1 = 0, s2 = 0;
    for (int i = lane; i < C; i += 32) {
        float dn = d[i] * w[i];
        s1 += dn;
        s2 += dn * (x[i] - mu) * rs;
    }
    s1 = warp_sum_(s1) / (float)C;
    s2 = warp_sum_(s2) / (float)C;
    for (int i = lane; i < C; i += 32) {
        float xhat = (x[i] - mu) * rs;
        dx[i] += rs * (d[i] * w[i] - s1 - xhat * s2);
    }
}

/* LayerNorm dw, db, stage 1: chunk blockIdx.y of the rows, one thread per column; partial
 * sums to part (2, nchunk, C). */
__global__ void layernorm_bwd_cols_k(float *part, const float *dout, const float *inp,
                                     const float *mean, const float *rstd, int N, int C,
                                     int rows_per_chunk) {
    int c = blockIdx.x * blockDim.x + threadIdx.x, chunk = blockIdx.y;
    if (c >= C) return;
    int r0 = chunk * rows_per_chunk, r1 = r0 + rows_per_chunk < N ? r0 + rows_per_chunk : N;
    float sw = 0, sb = 0;
    for (int r = r0; r < r1; r++) {
        float d = dout[(size_t)r * C + c];
        sw += d * (inp[(size_t)r * C + c] - mean[r]) * rstd[r];
        sb += d;
    }
    part[(size_t)chunk * C + c] = sw;
    part[((size_t)gridDim.y + chunk) * C + c] = sb;
}

/* stage 2: dw[c] += Σ_chunk part, in chunk order */
__global__ void layernorm_bwd_reduce_k(float *dw, float *db, const float *part, int C,
                                       int nchunk) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= C) return;
    float sw = 0, sb = 0;
    for (int k = 0; k < nchunk; k++) {
        sw += part[(size_t)k * C + c];
        sb += part[((size_t)nchunk + k) * C + c];
    }
    dw[c] += sw;
    db[c] += sb;
}

/* RoPE on q and k of qkv (B,T,NH,3,HS): one thread per rotated pair. */
__global__ void rope_k(float *qkv, const float *cos_t, const float *sin_t, int BT, int T, int NH,
                       int HS, int backward) {
    int half = HS / 2;
    size_t n = (size_t)BT * NH * 2 * half;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        int j = (int)(i % half);
        size_t rest = i / half;
        int part = (int)(rest % 2); /* 0 q, 1 k */
        rest /= 2;
        int h = (int)(rest % NH);
        size_t r = rest / NH; /* row b·T + t */
        int t = (int)(r % T);
        float *x = qkv + r * 3 * NH * HS + (size_t)h * 3 * HS + (size_t)part * HS;
        float c = cos_t[(size_t)t * half + j], s = sin_t[(size_t)t * half + j];
        if (backward) kern_rope_rotate_back_f(&x[j], &x[j + half], c, s);
        else kern_rope_rotate_f(&x[j], &x[j + half], c, s);
    }
}

/* Causal softmax of the score rows (rows of T; row index mod T is the query position t):
 * keys 0..t, zeros above. One warp per row. */
__global__ void softmax_causal_k(float *P, int rows, int T) {
    int row = blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= rows) return;
    int t = row % T;
    float *p = P + (size_t)row * T;
    float m = -INFINITY;
    for (int j = lane; j <= t; j += 32) m = p[j] > m ? p[j] : m;
    m = warp_max_(m);
    float sum = 0;
    for (int j = lane; j <= t; j += 32) {
        float e = kern_exp_f(p[j] - m);
        p[j] = e;
        sum += e;
    }
    float inv = 1.0f / warp_sum_(sum);
    for (int j = lane; j < T; j += 32) p[j] = j <= t ? p[j] * inv : 0.0f;
}

/* Softmax backward in place on dP: dS = scale·P ⊙ (dP − Σ_j P·dP), zeros above t. */
__global__ void softmax_back_k(float *dS, const float *P, int rows, int T, float scale) {
    int row = blockIdx.x * WARPS_PER_BLOCK + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (row >= rows) return;
    int t = row % T;
    const float *p = P + (size_t)row * T;
    float *d = dS + (size_t)row * T;
    float dot = 0;
    for (int j = lane; j <= t; j += 32) dot += p[j] * d[j];
    dot = warp_sum_(dot);
    for (int j = lane; j < T; j += 32) d[j] = j <= t ? scale * p[j] * (d[j] - dot) : 0.0f;
}

__global__ void gelu_fwd_k(float *out, const float *inp, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = kern_gelu_f(inp[i]);
}

__global__ void gelu_bwd_k(float *dinp, const float *inp, const float *dout, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        dinp[i] = kern_gelu_grad_f(inp[i]) * dout[i];
}

__global__ void residual_fwd_k(float *out, const float *a, const float *b, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        out[i] = a[i] + b[i];
}

__global__ void residual_bwd_k(float *da, float *db, const float *dout, size_t n) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

__global__ void scale_k(float *x, size_t n, float s) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        x[i] *= s;
}

__global__ void embedding_fwd_k(float *out, const int32_t *tokens, const float *wte, int N,
                                int C) {
    size_t n = (size_t)N * C;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        size_t r = i / C, c = i % C;
        out[i] = wte[(size_t)tokens[r] * C + c];
    }
}

/* dwte[v] += dout[r] over the rows r holding token v, one block per distinct token (bucket
 * u: token uniq[u], rows order[start[u] .. start[u+1]) ascending), threads over columns.
 * Each element adds its rows in row order onto the old value, exactly as the CPU does, and
 * no two blocks touch one row of dwte: deterministic without atomics. */
__global__ void embedding_bwd_k(float *dwte, const float *dout, const int32_t *uniq,
                                const int32_t *start, const int32_t *order, int C) {
    int u = blockIdx.x;
    float *dst = dwte + (size_t)uniq[u] * C;
    int k0 = start[u], k1 = start[u + 1];
    for (int c = threadIdx.x; c < C; c += blockDim.x) {
        float s = dst[c];
        for (int k = k0; k < k1; k++) s += dout[(size_t)order[k] * C + c];
        dst[c] = s;
    }
}

/* Fused softmax + cross-entropy (+ dlogits when wanted), one block per row. */
__global__ void crossentropy_k(float *losses, float *dlogits, const float *logits,
                               const int32_t *targets, int N, int V, float dscale) {
    int r = blockIdx.x;
    if (r >= N) return;
    const float *l = logits + (size_t)r * V;
    float m = -INFINITY;
    for (int j = threadIdx.x; j < V; j += blockDim.x) m = l[j] > m ? l[j] : m;
    m = block_max_(m);
    float sum = 0;
    for (int j = threadIdx.x; j < V; j += blockDim.x) sum += kern_exp_f(l[j] - m);
    sum = block_sum_(sum);
    int y = targets[r];
    if (dlogits) {
        float *d = dlogits + (size_t)r * V, s = dscale / sum;
        for (int j = threadIdx.x; j < V; j += blockDim.x)
            d[j] = kern_exp_f(l[j] - m) * s - (j == y ? dscale : 0.0f);
    }
    if (threadIdx.x == 0) losses[r] = m + (float)log((double)sum) - l[y];
}

__global__ void adamw_k(float *params, const float *grads, float *m, float *v, size_t n, float lr,
                        float beta1, float beta2, float eps, float wd, float bc1,
                        float sqrt_bc2) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        kern_adamw_update_f(&params[i], &m[i], &v[i], grads[i], lr, beta1, beta2, eps, wd, bc1,
                            sqrt_bc2);
}

/* Sum of squares in double, stage 1: block b sums its grid-stride share → part[b]. */
__global__ void sumsq_part_k(double *part, const float *x, size_t n) {
    double s = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        s += (double)x[i] * (double)x[i];
    s = block_sum_(s);
    if (threadIdx.x == 0) part[blockIdx.x] = s;
}

/* stage 2 (one block): out[0] = Σ part in a fixed tree */
__global__ void sum_parts_k(double *out, const double *part, int n) {
    double s = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += part[i];
    s = block_sum_(s);
    if (threadIdx.x == 0) out[0] = s;
}

/* Per-segment sums of squares: block s takes segment s. */
__global__ void segment_sumsq_k(double *out, const float *base, const size_t *off,
                                const size_t *len) {
    int seg = blockIdx.x;
    const float *x = base + off[seg];
    size_t n = len[seg];
    double s = 0;
    for (size_t i = threadIdx.x; i < n; i += blockDim.x) s += (double)x[i] * (double)x[i];
    s = block_sum_(s);
    if (threadIdx.x == 0) out[seg] = s;
}

// ----------------------------------------------------------------------------
// operations (the float table of kern.h)

static int cu_matmul_forward(KernCtx *ctx, float *out, const float *inp, const float *w,
                             const float *bias, int M, int K, int N) {
    CudaImpl *im = impl_(ctx);
    DW_CHECK_ARG(out && inp && w && M >= 0 && K > 0 && N > 0);
    float beta = 0;
    if (bias && M > 0) {
        size_t n = (size_t)M * N;
        KLAUNCH(bias_fill_k, grid_for_(n), THREADS, im->stream, out, bias, n, N);
        DW_TRY_LAUNCH(bias_fill_k);
        beta = 1;
    }
    /* out = inp (M×K) · w^T (w is N×K) */
    return gemm_rm_(ctx, 0, 1, M, N, K, 1.0f, inp, K, 0, w, K, 0, beta, out, N, 0, 1,
                    im->compute);
}

/* a vector of at least n ones (the bias gradient is ones^T · dout) */
static int ones_(KernCtx *ctx, size_t n, const float **out) {
    CudaImpl *im = impl_(ctx);
    if (im->ones_n < n) {
        if (im->ones) DW_TRY_CUDA(cudaFree(im->ones));
        im->ones = NULL;
        im->ones_n = 0;
        DW_TRY_CUDA(cudaMalloc((void **)&im->ones, n * sizeof(float)));
        KLAUNCH(fill_k, grid_for_(n), THREADS, im->stream, im->ones, n, 1.0f);
        DW_TRY_LAUNCH(fill_k);
        im->ones_n = n;
    }
    *out = im->ones;
    return DW_OK;
}

static int cu_matmul_backward(KernCtx *ctx, float *dinp, float *dw, float *dbias,
                              const float *dout, const float *inp, const float *w, int M, int K,
                              int N) {
    CudaImpl *im = impl_(ctx);
    int rc;
    DW_CHECK_ARG(dw && dout && inp && w && M >= 0 && K > 0 && N > 0);
    if (M == 0) return DW_OK;
    /* dinp (M×K) = dout (M×N) · w (N×K) */
    if (dinp && (rc = gemm_rm_(ctx, 0, 0, M, K, N, 1.0f, dout, N, 0, w, K, 0, 0.0f, dinp, K, 0,
                               1, im->compute)))
        return rc;
    /* dw (N×K) += dout^T (N×M) · inp (M×K) */
    if ((rc = gemm_rm_(ctx, 1, 0, N, K, M, 1.0f, dout, N, 0, inp, K, 0, 1.0f, dw, K, 0, 1,
                       im->compute)))
        return rc;
    if (dbias) {
        /* dbias (1×N) += ones (1×M) · dout (M×N), in fp32 whatever the math mode */
        const float *ones = NULL;
        if ((rc = ones_(ctx, (size_t)M, &ones))) return rc;
        if ((rc = gemm_rm_(ctx, 0, 0, 1, N, M, 1.0f, ones, M, 0, dout, N, 0, 1.0f, dbias, N, 0,
                           1, CUBLAS_COMPUTE_32F)))
            return rc;
    }
    return DW_OK;
}

static int cu_layernorm_forward(KernCtx *ctx, float *out, float *mean, float *rstd,
                                const float *inp, const float *w, const float *b, int N, int C,
                                float eps) {
    DW_CHECK_ARG(out && mean && rstd && inp && w && b && N >= 0 && C > 0);
    if (N == 0) return DW_OK;
    KLAUNCH(layernorm_fwd_k, grid_rows_(N), THREADS, impl_(ctx)->stream, out, mean, rstd, inp,
            w, b, N, C, eps);
    DW_TRY_LAUNCH(layernorm_fwd_k);
    return DW_OK;
}

static int cu_layernorm_backward(KernCtx *ctx, float *dinp, float *dw, float *db,
                                 const float *dout, const float *inp, const float *w,
                                 const float *mean, const float *rstd, int N, int C) {
    CudaImpl *im = impl_(ctx);
    DW_CHECK_ARG(dinp && dw && db && dout && inp && w && mean && rstd && N >= 0 && C > 0);
    if (N == 0) return DW_OK;
    KLAUNCH(layernorm_bwd_rows_k, grid_rows_(N), THREADS, im->stream, dinp, dout, inp, w, mean,
            rstd, N, C);
    DW_TRY_LAUNCH(layernorm_bwd_rows_k);
    /* columns: at most 256 chunks of rows, partial sums, then the chunks in order */
    int rows_per_chunk = (N + 255) / 256;
    if (rows_per_chunk < 16) rows_per_chunk = 16;
    int nchunk = (N + rows_per_chunk - 1) / rows_per_chunk;
    void *part;
    int rc = scratch_(ctx, sizeof(float) * 2 * (size_t)nchunk * C, &part);
    if (rc) return rc;
    dim3 grid((unsigned)((C + THREADS - 1) / THREADS), (unsigned)nchunk);
    KLAUNCH(layernorm_bwd_cols_k, grid, THREADS, im->stream, (float *)part, dout, inp, mean,
            rstd, N, C, rows_per_chunk);
    DW_TRY_LAUNCH(layernorm_bwd_cols_k);
    KLAUNCH(layernorm_bwd_reduce_k, (unsigned)((C + THREADS - 1) / THREADS), THREADS,
            im->stream, dw, db, (const float *)part, C, nchunk);
    DW_TRY_LAUNCH(layernorm_bwd_reduce_k);
    return DW_OK;
}

static int rope_(KernCtx *ctx, float *qkv, const float *cos_t, const float *sin_t, int B,
                 int T, int NH, int HS, int backward) {
    DW_CHECK_ARG(qkv && cos_t && sin_t && HS % 2 == 0 && B >= 0 && T > 0 && NH > 0);
    size_t n = (size_t)B * T * NH * HS; /* pairs: 2 parts × HS/2 */
    if (n == 0) return DW_OK;
    KLAUNCH(rope_k, grid_for_(n), THREADS, impl_(ctx)->stream, qkv, cos_t, sin_t, B * T, T, NH,
            HS, backward);
    DW_TRY_LAUNCH(rope_k);
    return DW_OK;
}

static int cu_rope_forward(KernCtx *ctx, float *qkv, const float *cos_t, const float *sin_t,
                           int B, int T, int NH, int HS) {
    return rope_(ctx, qkv, cos_t, sin_t, B, T, NH, HS, 0);
}

static int cu_rope_backward(KernCtx *ctx, float *dqkv, const float *cos_t, const float *sin_t,
                            int B, int T, int NH, int HS) {
    return rope_(ctx, dqkv, cos_t, sin_t, B, T, NH, HS, 1);
}

/* Attention, per batch row b, as GEMMs batched over the NH heads: head h's q, k, v are
 * (T × HS) with row stride 3C, at h·3HS (stride between heads 3HS); its scores (T × T) at
 * h·T² in att; its output at h·HS in out (row stride C). */
static int cu_attention_forward(KernCtx *ctx, float *out, float *att, const float *qkv, int B,
                                int T, int C, int NH) {
    CudaImpl *im = impl_(ctx);
    DW_CHECK_ARG(out && att && qkv && NH > 0 && C % NH == 0 && T > 0 && B >= 0);
    const int HS = C / NH, C3 = 3 * C;
    const long long TT = (long long)T * T;
    const float scale = (float)(1.0 / sqrt((double)HS));
    int rc;
    for (int b = 0; b < B; b++) {
        const float *q = qkv + (size_t)b * T * C3, *k = q + HS;
        float *P = att + (size_t)b * NH * TT;
        /* S = scale · q k^T */
        if ((rc = gemm_rm_(ctx, 0, 1, T, T, HS, scale, q, C3, 3 * HS, k, C3, 3 * HS, 0.0f, P, T,
                           TT, NH, im->compute)))
            return rc;
    }
    int rows = B * NH * T;
    if (rows > 0) {
        KLAUNCH(softmax_causal_k, grid_rows_(rows), THREADS, im->stream, att, rows, T);
        DW_TRY_LAUNCH(softmax_causal_k);
    }
    for (int b = 0; b < B; b++) {
        const float *v = qkv + (size_t)b * T * C3 + 2 * HS;
        const float *P = att + (size_t)b * NH * TT;
        /* out = P v */
        if ((rc = gemm_rm_(ctx, 0, 0, T, HS, T, 1.0f, P, T, TT, v, C3, 3 * HS, 0.0f,
                           out + (size_t)b * T * C, C, HS, NH, im->compute)))
            return rc;
    }
    return DW_OK;
}

static int cu_attention_backward(KernCtx *ctx, float *dqkv, float *datt, const float *dout,
                                 const float *qkv, const float *att, int B, int T, int C,
                                 int NH) {
    CudaImpl *im = impl_(ctx);
    DW_CHECK_ARG(dqkv && datt && dout && qkv && att && NH > 0 && C % NH == 0 && T > 0);
    const int HS = C / NH, C3 = 3 * C;
    const long long TT = (long long)T * T;
    const float scale = (float)(1.0 / sqrt((double)HS));
    int rc;
    for (int b = 0; b < B; b++) {
        const float *v = qkv + (size_t)b * T * C3 + 2 * HS;
        const float *dO = dout + (size_t)b * T * C;
        /* dP = dO v^T */
        if ((rc = gemm_rm_(ctx, 0, 1, T, T, HS, 1.0f, dO, C, HS, v, C3, 3 * HS, 0.0f,
                           datt + (size_t)b * NH * TT, T, TT, NH, im->compute)))
            return rc;
    }
    int rows = B * NH * T;
    if (rows > 0) {
        KLAUNCH(softmax_back_k, grid_rows_(rows), THREADS, im->stream, datt, att, rows, T,
                scale);
        DW_TRY_LAUNCH(softmax_back_k);
    }
    for (int b = 0; b < B; b++) {
        const float *q = qkv + (size_t)b * T * C3, *k = q + HS;
        float *dq = dqkv + (size_t)b * T * C3, *dk = dq + HS, *dv = dq + 2 * HS;
        const float *dS = datt + (size_t)b * NH * TT, *P = att + (size_t)b * NH * TT;
        const float *dO = dout + (size_t)b * T * C;
        /* dq = dS k,  dk = dS^T q,  dv = P^T dO */
        if ((rc = gemm_rm_(ctx, 0, 0, T, HS, T, 1.0f, dS, T, TT, k, C3, 3 * HS, 0.0f, dq, C3,
                           3 * HS, NH, im->compute)) ||
            (rc = gemm_rm_(ctx, 1, 0, T, HS, T, 1.0f, dS, T, TT, q, C3, 3 * HS, 0.0f, dk, C3,
                           3 * HS, NH, im->compute)) ||
            (rc = gemm_rm_(ctx, 1, 0, T, HS, T, 1.0f, P, T, TT, dO, C, HS, 0.0f, dv, C3, 3 * HS,
                           NH, im->compute)))
            return rc;
    }
    return DW_OK;
}

static int cu_gelu_forward(KernCtx *ctx, float *out, const float *inp, size_t n) {
    DW_CHECK_ARG(out && inp);
    if (n == 0) return DW_OK;
    KLAUNCH(gelu_fwd_k, grid_for_(n), THREADS, impl_(ctx)->stream, out, inp, n);
    DW_TRY_LAUNCH(gelu_fwd_k);
    return DW_OK;
}

static int cu_gelu_backward(KernCtx *ctx, float *dinp, const float *inp, const float *dout,
                            size_t n) {
    DW_CHECK_ARG(dinp && inp && dout);
    if (n == 0) return DW_OK;
    KLAUNCH(gelu_bwd_k, grid_for_(n), THREADS, impl_(ctx)->stream, dinp, inp, dout, n);
    DW_TRY_LAUNCH(gelu_bwd_k);
    return DW_OK;
}

static int cu_residual_forward(KernCtx *ctx, float *out, const float *a, const float *b,
                               size_t n) {
    DW_CHECK_ARG(out && a && b);
    if (n == 0) return DW_OK;
    KLAUNCH(residual_fwd_k, grid_for_(n), THREADS, impl_(ctx)->stream, out, a, b, n);
    DW_TRY_LAUNCH(residual_fwd_k);
    return DW_OK;
}

static int cu_residual_backward(KernCtx *ctx, float *da, float *db, const float *dout,
                                size_t n) {
    DW_CHECK_ARG(da && db && dout && da != db);
    if (n == 0) return DW_OK;
    KLAUNCH(residual_bwd_k, grid_for_(n), THREADS, impl_(ctx)->stream, da, db, dout, n);
    DW_TRY_LAUNCH(residual_bwd_k);
    return DW_OK;
}

static int cu_embedding_forward(KernCtx *ctx, float *out, const int32_t *tokens,
                                const float *wte, int N, int C, int V) {
    DW_CHECK_ARG(out && tokens && wte && N >= 0 && C > 0 && V > 0);
    size_t n = (size_t)N * C;
    if (n == 0) return DW_OK;
    KLAUNCH(embedding_fwd_k, grid_for_(n), THREADS, impl_(ctx)->stream, out, tokens, wte, N, C);
    DW_TRY_LAUNCH(embedding_fwd_k);
    return DW_OK;
}

/* The token ids come to the host (N int32, once per step) and are bucketed there by a
 * stable counting sort: the distinct tokens, where each one's rows start, and the rows in
 * ascending order, uploaded as one array [uniq (U) | start (U+1) | order (N)]. */
static int cu_embedding_backward(KernCtx *ctx, float *dwte, const float *dout,
                                 const int32_t *tokens, int N, int C, int V) {
    CudaImpl *im = impl_(ctx);
    DW_CHECK_ARG(dwte && dout && tokens && N >= 0 && C > 0 && V > 0);
    if (N == 0) return DW_OK;
    /* host: ids (N), count/next per token (V), packed buckets (2N + 1 at most + N) */
    size_t need = (size_t)N + (size_t)V + 3 * (size_t)N + 1;
    if (im->h_ids_n < need) {
        int32_t *p = (int32_t *)realloc(im->h_ids, need * sizeof(int32_t));
        if (!p) return g_host->error_set(DW_ENOMEM, "out of memory for the token buckets");
        im->h_ids = p;
        im->h_ids_n = need;
    }
    int32_t *ids = im->h_ids, *next = ids + N, *pack = next + V;
    DW_TRY_CUDA(cudaMemcpyAsync(ids, tokens, sizeof(int32_t) * (size_t)N,
                                cudaMemcpyDeviceToHost, im->stream));
    DW_TRY_CUDA(cudaStreamSynchronize(im->stream));
    memset(next, 0, sizeof(int32_t) * (size_t)V);
    int U = 0;
    for (int r = 0; r < N; r++) {
        if (ids[r] < 0 || ids[r] >= V)
            return g_host->error_set(DW_EINVAL, "CUDA backend: token id %d at row %d is "
                                     "outside [0, %d)", ids[r], r, V);
        if (next[ids[r]]++ == 0) U++;
    }
    int32_t *uniq = pack, *start = uniq + U, *order = start + U + 1;
    int u = 0, at = 0;
    for (int r = 0; r < N; r++) { /* buckets in order of first appearance */
        int32_t v = ids[r];
        if (next[v] > 0) {
            uniq[u] = v;
            start[u++] = at;
            at += next[v];
            next[v] = -(start[u - 1]) - 1; /* from now on: -(next free slot) - 1 */
        }
    }
    start[U] = N;
    for (int r = 0; r < N; r++) { /* rows ascending within each bucket */
        int32_t slot = -next[ids[r]] - 1;
        order[slot] = r;
        next[ids[r]]--;
    }
    size_t bytes = sizeof(int32_t) * ((size_t)2 * U + 1 + (size_t)N);
    void *d_pack = NULL;
    int rc = scratch_(ctx, bytes, &d_pack);
    if (rc) return rc;
    DW_TRY_CUDA(cudaMemcpyAsync(d_pack, pack, bytes, cudaMemcpyHostToDevice, im->stream));
    const int32_t *d_uniq = (const int32_t *)d_pack;
    KLAUNCH(embedding_bwd_k, (unsigned)U, THREADS, im->stream, dwte, dout, d_uniq, d_uniq + U,
            d_uniq + 2 * U + 1, C);
    DW_TRY_LAUNCH(embedding_bwd_k);
    return DW_OK;
}

static int cu_crossentropy_forward(KernCtx *ctx, float *losses, float *dlogits,
                                   const float *logits, const int32_t *targets, int N, int V,
                                   float dscale) {
    DW_CHECK_ARG(losses && logits && targets && dlogits != logits && N >= 0 && V > 0);
    if (N == 0) return DW_OK;
    KLAUNCH(crossentropy_k, (unsigned)N, THREADS, impl_(ctx)->stream, losses, dlogits, logits,
            targets, N, V, dscale);
    DW_TRY_LAUNCH(crossentropy_k);
    return DW_OK;
}

static int cu_adamw(KernCtx *ctx, float *params, const float *grads, float *m, float *v,
                    size_t n, float lr, float beta1, float beta2, float eps, float wd,
                    int step) {
    DW_CHECK_ARG(params && grads && m && v && step >= 1);
    if (n == 0) return DW_OK;
    /* the bias corrections as the CPU computes them, in double on the host */
    const float bc1 = (float)(1.0 - pow((double)beta1, step));
    const float sqrt_bc2 = (float)sqrt(1.0 - pow((double)beta2, step));
    KLAUNCH(adamw_k, grid_for_(n), THREADS, impl_(ctx)->stream, params, grads, m, v, n, lr,
            beta1, beta2, eps, wd, bc1, sqrt_bc2);
    DW_TRY_LAUNCH(adamw_k);
    return DW_OK;
}

#define SUMSQ_BLOCKS 256

static int cu_sumsq(KernCtx *ctx, double *out, const float *x, size_t n) {
    CudaImpl *im = impl_(ctx);
    DW_CHECK_ARG(out && x);
    void *s = NULL;
    int rc = scratch_(ctx, sizeof(double) * (SUMSQ_BLOCKS + 1), &s);
    if (rc) return rc;
    double *part = (double *)s, *res = part + SUMSQ_BLOCKS;
    KLAUNCH(sumsq_part_k, SUMSQ_BLOCKS, THREADS, im->stream, part, x, n);
    DW_TRY_LAUNCH(sumsq_part_k);
    KLAUNCH(sum_parts_k, 1, THREADS, im->stream, res, (const double *)part, SUMSQ_BLOCKS);
    DW_TRY_LAUNCH(sum_parts_k);
    DW_TRY_CUDA(cudaMemcpyAsync(out, res, sizeof(double), cudaMemcpyDeviceToHost, im->stream));
    DW_TRY_CUDA(cudaStreamSynchronize(im->stream));
    return DW_OK;
}

static int cu_segment_sumsq(KernCtx *ctx, double *out, const float *base, const size_t *off,
                            const size_t *len, int nseg) {
    CudaImpl *im = impl_(ctx);
    DW_CHECK_ARG(out && base && off && len && nseg >= 0);
    if (nseg == 0) return DW_OK;
    /* scratch: off (nseg), len (nseg), then the results (nseg doubles) */
    size_t tbl = sizeof(size_t) * (size_t)nseg;
    void *s = NULL;
    int rc = scratch_(ctx, 2 * tbl + sizeof(double) * (size_t)nseg, &s);
    if (rc) return rc;
    size_t *d_off = (size_t *)s, *d_len = d_off + nseg;
    double *d_out = (double *)(d_len + nseg);
    DW_TRY_CUDA(cudaMemcpyAsync(d_off, off, tbl, cudaMemcpyHostToDevice, im->stream));
    DW_TRY_CUDA(cudaMemcpyAsync(d_len, len, tbl, cudaMemcpyHostToDevice, im->stream));
    KLAUNCH(segment_sumsq_k, (unsigned)nseg, THREADS, im->stream, d_out, base,
            (const size_t *)d_off, (const size_t *)d_len);
    DW_TRY_LAUNCH(segment_sumsq_k);
    DW_TRY_CUDA(cudaMemcpyAsync(out, d_out, sizeof(double) * (size_t)nseg,
                                cudaMemcpyDeviceToHost, im->stream));
    DW_TRY_CUDA(cudaStreamSynchronize(im->stream));
    return DW_OK;
}

static int cu_scale(KernCtx *ctx, float *x, size_t n, float s) {
    DW_CHECK_ARG(x);
    if (n == 0) return DW_OK;
    KLAUNCH(scale_k, grid_for_(n), THREADS, impl_(ctx)->stream, x, n, s);
    DW_TRY_LAUNCH(scale_k);
    return DW_OK;
}

static int cu_zero(KernCtx *ctx, float *x, size_t n) {
    DW_CHECK_ARG(x || n == 0);
    if (n == 0) return DW_OK;
    DW_TRY_CUDA(cudaMemsetAsync(x, 0, n * sizeof(float), impl_(ctx)->stream));
    return DW_OK;
}

static const KernOps kern_cuda_ops = {
    cu_matmul_forward,  cu_matmul_backward,  cu_layernorm_forward,   cu_layernorm_backward,
    cu_rope_forward,    cu_rope_backward,    cu_attention_forward,   cu_attention_backward,
    cu_gelu_forward,    cu_gelu_backward,    cu_residual_forward,    cu_residual_backward,
    cu_embedding_forward, cu_embedding_backward, cu_crossentropy_forward, cu_adamw,
    cu_sumsq,           cu_segment_sumsq,    cu_scale,               cu_zero,
};

// ----------------------------------------------------------------------------
// memory

static void *cu_alloc(KernCtx *ctx, size_t bytes) {
    void *p = NULL;
    if (bytes == 0) bytes = 1;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess) {
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        g_host->error_set(DW_ENOMEM, "cudaMalloc of %.1f MiB failed: %s (%.1f of %.1f MiB free "
                          "on the device)", (double)bytes / 1048576.0, cudaGetErrorString(e),
                          (double)free_b / 1048576.0, (double)total_b / 1048576.0);
        return NULL;
    }
    e = cudaMemsetAsync(p, 0, bytes, impl_(ctx)->stream);
    if (e != cudaSuccess) {
        fail_cuda_("cudaMemsetAsync", __FILE__, __LINE__, e);
        cudaFree(p);
        return NULL;
    }
    return p;
}

static void cu_release(KernCtx *ctx, void *p) {
    (void)ctx;
    /* synchronises; a failure here (the device already lost) has no caller to tell, and the
     * operation that lost it has reported already */
    cudaFree(p);
}

static int cu_upload(KernCtx *ctx, void *dst, const void *src, size_t bytes) {
    if (bytes == 0) return DW_OK;
    /* from pageable memory: returns once src has been staged, so the caller may reuse it */
    DW_TRY_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, impl_(ctx)->stream));
    return DW_OK;
}

static int cu_download(KernCtx *ctx, void *dst, const void *src, size_t bytes) {
    CudaImpl *im = impl_(ctx);
    if (bytes == 0) return DW_OK;
    DW_TRY_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, im->stream));
    DW_TRY_CUDA(cudaStreamSynchronize(im->stream));
    return DW_OK;
}

static int cu_sync(KernCtx *ctx) {
    DW_TRY_CUDA(cudaStreamSynchronize(impl_(ctx)->stream));
    DW_TRY_CUDA(cudaGetLastError());
    return DW_OK;
}

static void cu_close(KernCtx *ctx) {
    CudaImpl *im = impl_(ctx);
    if (!im) return;
    if (im->stream) cudaStreamSynchronize(im->stream);
    if (im->scratch) cudaFree(im->scratch);
    if (im->ones) cudaFree(im->ones);
    free(im->h_ids);
    if (im->blas) cublasDestroy(im->blas);
    if (im->stream) cudaStreamDestroy(im->stream);
    free(im);
    ctx->impl = NULL;
}

static const KernMem kern_cuda_mem = {cu_alloc, cu_release, cu_upload,
                                      cu_download, cu_sync, cu_close};

// ----------------------------------------------------------------------------
// entry points

static const char *kern_math_name_cu_(int math) {
    return math == KERN_MATH_TF32 ? "tf32" : math == KERN_MATH_BF16 ? "bf16" : "fp32";
}

KERN_EXPORT int dwplan_kern_abi(void) { return KERN_ABI_VERSION; }

KERN_EXPORT int dwplan_kern_open(KernCtx *ctx, const KernOptions *o, const KernHost *host) {
    if (!host || host->abi != KERN_ABI_VERSION || !host->error_set) return DW_EINVAL;
    g_host = host;
    memset(ctx, 0, sizeof *ctx);
    int n = 0, rt = 0, drv = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess)
        return host->error_set(DW_EDEVICE, "no usable CUDA device: cudaGetDeviceCount: %s (%s)",
                               cudaGetErrorString(e), cudaGetErrorName(e));
    if (n == 0) return host->error_set(DW_EDEVICE, "no CUDA device found");
    if (o->device >= n)
        return host->error_set(DW_EDEVICE, "CUDA device %d does not exist (%d device%s)",
                               o->device, n, n == 1 ? "" : "s");
    DW_TRY_CUDA(cudaSetDevice(o->device));
    cudaDeviceProp prop;
    DW_TRY_CUDA(cudaGetDeviceProperties(&prop, o->device));
    if ((o->math == KERN_MATH_TF32 || o->math == KERN_MATH_BF16) && prop.major < 8)
        return host->error_set(DW_EDEVICE, "--math %s needs compute capability 8.0 or newer "
                               "(%s is %d.%d)", kern_math_name_cu_(o->math), prop.name,
                               prop.major, prop.minor);
    DW_TRY_CUDA(cudaRuntimeGetVersion(&rt));
    DW_TRY_CUDA(cudaDriverGetVersion(&drv));

    CudaImpl *im = (CudaImpl *)calloc(1, sizeof *im);
    if (!im) return host->error_set(DW_ENOMEM, "out of memory");
    ctx->impl = im;
    im->device = o->device;
    im->compute = o->math == KERN_MATH_TF32   ? CUBLAS_COMPUTE_32F_FAST_TF32
                  : o->math == KERN_MATH_BF16 ? CUBLAS_COMPUTE_32F_FAST_16BF
                                              : CUBLAS_COMPUTE_32F;
    int rc = DW_OK;
    cudaError_t se = cudaStreamCreate(&im->stream);
    if (se != cudaSuccess) rc = fail_cuda_("cudaStreamCreate", __FILE__, __LINE__, se);
    cublasStatus_t bs = rc ? CUBLAS_STATUS_SUCCESS : cublasCreate(&im->blas);
    if (!rc && bs != CUBLAS_STATUS_SUCCESS)
        rc = fail_cublas_("cublasCreate", __FILE__, __LINE__, bs);
    if (!rc && (bs = cublasSetStream(im->blas, im->stream)) != CUBLAS_STATUS_SUCCESS)
        rc = fail_cublas_("cublasSetStream", __FILE__, __LINE__, bs);
    if (rc) {
        cu_close(ctx);
        return rc;
    }
    ctx->backend = KERN_CUDA;
    ctx->threads = 1;
    ctx->math = o->math;
    ctx->host_memory = 0;
    snprintf(ctx->device, sizeof ctx->device, "%.64s (sm_%d%d, %.0f GiB), CUDA runtime %d.%d, "
             "driver %d.%d, %s GEMMs", prop.name, prop.major, prop.minor,
             (double)prop.totalGlobalMem / 1073741824.0, rt / 1000, (rt % 1000) / 10,
             drv / 1000, (drv % 1000) / 10, kern_math_name_cu_(o->math));
    size_t free_b = 0, total_b = 0;
    if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) ctx->mem_free = free_b;
    ctx->mem = &kern_cuda_mem;
    ctx->ops = &kern_cuda_ops;
    ctx->ops_d = NULL;
    return DW_OK;
}
