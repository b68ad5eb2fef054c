/* kernels/cpu/kern_cpu.c — the CPU backend of kernels/kern.h: CBLAS GEMMs (OpenBLAS here)
 * and OpenMP threads. The operations themselves are in ops_impl.h, instantiated below in
 * float and in double.
 *
 * Threading model: each operation opens one OpenMP parallel region of ctx->threads threads
 * and gives every thread a static slice; inside a slice the thread calls a single-threaded
 * GEMM. The BLAS library's own thread pool is switched off (openblas_set_num_threads(1), or
 * BLIS's equivalent, found at run time as weak symbols), because a pthread OpenBLAS pool and
 * OpenMP's spinning workers would fight over the same cores, and because our own split is
 * what makes the result depend only on the thread count.
 *
 * kern_cpu_open fills a KernCtx for this backend (kernels/kern.c's kern_ctx_open calls it);
 * the CPU's memory is host memory, so its KernMem is malloc and memcpy.
 */
/* Comparisons may be if-converted into selects, so the loops over kern_math.h vectorise:
 * no floating-point traps are enabled anywhere, and results are unchanged (NaNs included). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

#include "kern_cpu.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "../../common/dw.h"
#include "../kern_math.h"

#define KERN_CPU_MAX_THREADS 256

/* The element-wise and row kernels are compiled for three x86-64 levels and picked at load
 * time (GCC function multi-versioning): AVX-512 runs kern_math.h's exp/erfc 16 lanes wide,
 * 4–6× faster than the SSE2 baseline the project is built for. Each lane does the same IEEE
 * operations in every version (ISO C: no FMA contraction), so only the order of the few
 * vectorised sums depends on the level, and a run on one machine stays deterministic. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define KERN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define KERN_CLONES
#endif

/* BLAS-specific controls, present or not depending on the library linked (weak: NULL when
 * absent). OpenBLAS's cblas.h declares the first three already; these add the weak
 * attribute. */
extern void openblas_set_num_threads(int) __attribute__((weak));
extern char *openblas_get_config(void) __attribute__((weak));
extern char *openblas_get_corename(void) __attribute__((weak));
extern void bli_thread_set_num_threads(int64_t) __attribute__((weak));

// ----------------------------------------------------------------------------
// work splitting

/* Thread id_ of nt_ takes [lo, hi) of [0, n): contiguous, balanced, fixed for (n, nt_). */
static inline void split_(int n, int id, int nt, int *lo, int *hi) {
    *lo = (int)((long long)n * id / nt);
    *hi = (int)((long long)n * (id + 1) / nt);
}
static inline void splitz_(size_t n, int id, int nt, size_t *lo, size_t *hi) {
    /* n·id fits: n < 2^40 elements in any plan we accept */
    *lo = n / (size_t)nt * (size_t)id + (n % (size_t)nt) * (size_t)id / (size_t)nt;
    *hi = n / (size_t)nt * (size_t)(id + 1) + (n % (size_t)nt) * (size_t)(id + 1) / (size_t)nt;
}

/* A parallel region of ctx->threads threads; inside, id_ and nt_ name the thread. Every
 * operation below has its context in a variable called ctx. */
#ifdef _OPENMP
#define PAR_BEGIN(ctx)                                                                        \
    _Pragma("omp parallel num_threads(ctx->threads) if (ctx->threads > 1)") {                \
        int id_ = omp_get_thread_num(), nt_ = omp_get_num_threads();
#else
#define PAR_BEGIN(ctx)                                                                        \
    {                                                                                         \
        int id_ = 0, nt_ = 1;                                                                 \
        (void)(ctx);
#endif
#define PAR_END }

// ----------------------------------------------------------------------------
// the operations, in float and double

#define R float
#define OP(name) name
#define KM(name) name##_f
#define GEMM cblas_sgemm
#include "ops_impl.h"
#undef R
#undef OP
#undef KM
#undef GEMM

#define R double
#define OP(name) name##_d
#define KM(name) name##_d
#define GEMM cblas_dgemm
#include "ops_impl.h"
#undef R
#undef OP
#undef KM
#undef GEMM

// ----------------------------------------------------------------------------
// context

/* Memory: 64-byte aligned host memory (whole cache lines, AVX-512 loads), zeroed. */
static void *cpu_alloc_(KernCtx *ctx, size_t bytes) {
    (void)ctx;
    if (bytes == 0) bytes = 1;
    if (bytes > SIZE_MAX - 64) {
        dw_error_set(DW_ENOMEM, "cannot allocate %zu bytes", bytes);
        return NULL;
    }
    size_t rounded = (bytes + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded);
    if (!p) {
        dw_error_set(DW_ENOMEM, "cannot allocate %.1f MiB", (double)rounded / 1048576.0);
        return NULL;
    }
    memset(p, 0, rounded);
    return p;
}
static void cpu_release_(KernCtx *ctx, void *p) {
    (void)ctx;
    free(p);
}
static int cpu_copy_(KernCtx *ctx, void *dst, const void *src, size_t bytes) {
    (void)ctx;
    if (bytes && dst != src) memmove(dst, src, bytes);
    return DW_OK;
}
static int cpu_sync_(KernCtx *ctx) {
    (void)ctx;
    return DW_OK;
}
static void cpu_close_(KernCtx *ctx) { (void)ctx; }

static const KernMem kern_cpu_mem = {cpu_alloc_, cpu_release_, cpu_copy_,
                                     cpu_copy_,  cpu_sync_,    cpu_close_};

int kern_cpu_open(KernCtx *ctx, const KernOptions *o) {
    DW_ASSERT(ctx && o);
    memset(ctx, 0, sizeof *ctx);
    if (o->threads < 1 || o->threads > KERN_CPU_MAX_THREADS)
        return dw_error_set(DW_EINVAL, "threads must be in [1, %d] (got %d)",
                            KERN_CPU_MAX_THREADS, o->threads);
    if (o->math != KERN_MATH_FP32)
        return dw_error_set(DW_EINVAL, "the CPU backend computes in fp32 only (asked for %s)",
                            kern_math_name(o->math));
    /* our threads each run a single-threaded GEMM */
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    if (bli_thread_set_num_threads) bli_thread_set_num_threads(1);
    ctx->backend = KERN_CPU;
    ctx->threads = o->threads;
    ctx->math = KERN_MATH_FP32;
    ctx->host_memory = 1;
    snprintf(ctx->device, sizeof ctx->device, "CPU, %d thread%s, %.120s", o->threads,
             o->threads == 1 ? "" : "s", kern_cpu_blas_info());
    ctx->mem = &kern_cpu_mem;
    ctx->ops = &kern_cpu_ops;
    ctx->ops_d = &kern_cpu_ops_d;
    return DW_OK;
}

const char *kern_cpu_blas_info(void) {
    static char buf[256];
    if (openblas_get_config) {
        snprintf(buf, sizeof buf, "%s (core %s)", openblas_get_config(),
                 openblas_get_corename ? openblas_get_corename() : "?");
        return buf;
    }
    if (bli_thread_set_num_threads) return "BLIS";
    return "CBLAS (unknown implementation)";
}
