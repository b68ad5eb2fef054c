/* kernels/kern.h — the backend interface of the probe model's operations (DESIGN §2, §5).
 *
 * A KernCtx names a backend and carries three tables: memory (KernMem: allocate, copy to and
 * from the host, synchronise), operations in float (the run) and operations in double
 * (finite-difference tests; CPU only). Each operation below is written once in the template
 * section of this header and exists twice: kern_<op> (float, table ctx->ops) and
 * kern_<op>_d (double, table ctx->ops_d). The CPU backend (kernels/cpu/, CBLAS + OpenMP)
 * fills every table; the CUDA backend (kernels/cuda/, cuBLAS) is a shared library that
 * kern_ctx_open loads with dlopen only when asked for (kernels/kern.c), fills the memory
 * and float tables and leaves ops_d NULL. A backend's functions are reached only through
 * these tables, so dwplan never links CUDA.
 *
 * Letters: B batch, T sequence, C width, NH heads, HS = C/NH head size, V vocab,
 * M rows of a matmul (B·T), K its input width, N its output width.
 *
 * Conventions shared by every operation:
 *   - Tensors are backend memory (kern_alloc: host memory for the CPU, device memory for
 *     CUDA), row-major and contiguous with the shapes in the comments; token ids (tokens,
 *     targets) too. Scalar results (double *out of the sums of squares) and the segment
 *     tables (off, len) are host memory.
 *   - Gradients of parameters ("dw", "dbias", "dwte") accumulate (+=), so several backward
 *     passes add up. Gradients of activations are overwritten (=) unless the comment says
 *     "accumulates".
 *   - qkv rows use GPT-NeoX's grouping (B, T, NH, 3, HS): for head h the q, k, v vectors
 *     are consecutive, at h·3·HS + {0, HS, 2·HS}, as Hugging Face's GPTNeoXAttention views
 *     query_key_value's output as (NH, 3·HS).
 *   - Results depend only on the inputs and the context (backend, threads, math mode):
 *     work is split with static partitions and every reduction is combined in a fixed
 *     order (no atomics), on the CPU and on the GPU.
 *   - Return DW_OK, or a negative DW_E* code with the message set (device failures name the
 *     CUDA or cuBLAS call, file and line; the CPU backend cannot fail once the context
 *     exists). Shape errors are DW_ASSERTs on the CPU and DW_EINVAL on the GPU.
 *   - The GPU runs asynchronously: an operation returns once queued; kern_download and
 *     kern_sync wait for it, and report an error raised by earlier queued work.
 */
#ifndef KERN_TEMPLATE

#ifndef KERN_H
#define KERN_H

#include <stddef.h>
#include <stdint.h>

/* Version of this interface between dwplan and a backend library; the CUDA library
 * reports the one it was built with and kern_ctx_open refuses a mismatch. Bump it with any
 * change to KernCtx, KernOptions, KernHost, KernMem or the operation tables. */
#define KERN_ABI_VERSION 1

enum { KERN_CPU = 0, KERN_CUDA = 1 };

/* GEMM precision. FP32 everywhere by default; on CUDA, TF32 and BF16 run cuBLAS's GEMMs on
 * tensor cores with fp32 inputs, outputs and accumulation (CUBLAS_COMPUTE_32F_FAST_TF32 /
 * _FAST_16BF: the inputs are rounded to TF32 or bf16 inside the GEMM); parameters, their
 * master copy, gradients, moments and every other operation stay fp32. The CPU backend
 * runs FP32 only. */
enum { KERN_MATH_FP32 = 0, KERN_MATH_TF32 = 1, KERN_MATH_BF16 = 2 };

typedef struct KernCtx KernCtx;
/* The operation tables, float and double, are defined by the template section below. */
typedef struct KernOps KernOps;
typedef struct KernOps_d KernOps_d;

typedef struct {
    int backend;         /* KERN_CPU, KERN_CUDA */
    int threads;         /* CPU compute threads (>= 1); the CUDA backend ignores it */
    int math;            /* KERN_MATH_*; the CPU accepts FP32 only */
    int device;          /* CUDA device ordinal (>= 0) */
    const char *library; /* CUDA: path of the backend library; NULL: $DWPLAN_CUDA_LIB, then
                          * next to the executable (kernels/kern.c lists the places) */
} KernOptions;

/* Services of the dwplan process that a backend library uses (it does not link dwplan's
 * code): dw_error_set, so its messages reach the CLI like any other. */
typedef struct {
    int abi; /* KERN_ABI_VERSION */
    int (*error_set)(int code, const char *fmt, ...);
} KernHost;

/* Backend memory. alloc returns zeroed memory or NULL (message set); upload copies host →
 * backend, download backend → host (waits for queued work), sync waits for queued work;
 * close releases the backend's own state (called by kern_ctx_free). */
typedef struct {
    void *(*alloc)(KernCtx *, size_t bytes);
    void (*release)(KernCtx *, void *p);
    int (*upload)(KernCtx *, void *dst, const void *src_host, size_t bytes);
    int (*download)(KernCtx *, void *dst_host, const void *src, size_t bytes);
    int (*sync)(KernCtx *);
    void (*close)(KernCtx *);
} KernMem;

struct KernCtx {
    int backend;              /* KERN_CPU, KERN_CUDA */
    int threads;              /* CPU compute threads (>= 1); 1 for CUDA */
    int math;                 /* KERN_MATH_* */
    int host_memory;          /* 1: backend memory is host memory (CPU) and host code may
                               * read and write it directly */
    char device[160];         /* what runs: "CPU, 2 threads, OpenBLAS ...", "NVIDIA ... */
    size_t mem_free;          /* device memory free when opened (bytes; 0: not known — the
                               * CPU, whose plans are checked against MemAvailable) */
    const KernMem *mem;
    const KernOps *ops;       /* float operations */
    const KernOps_d *ops_d;   /* double operations, or NULL (CUDA) */
    void *impl;               /* backend state (owned; freed by kern_ctx_free) */
};

#define KERN_TEMPLATE
#define KR float
#define KS(name) name
#include "kern.h"
#undef KR
#undef KS
#define KR double
#define KS(name) name##_d
#include "kern.h"
#undef KR
#undef KS
#undef KERN_TEMPLATE

/* Opens a backend. Inputs: ctx (caller-owned struct), o (backend, threads, math, device,
 * library). Return: DW_OK; DW_EINVAL for threads < 1, an unknown backend or a math mode the
 * backend lacks; DW_EDEVICE when the backend is not available — the CUDA library missing
 * or built for another interface version, no CUDA runtime, driver or device (the message
 * quotes the CUDA runtime's words). The CPU backend runs `threads` OpenMP threads, each
 * calling a single-threaded BLAS (the BLAS library's own threading is switched off for the
 * process; OpenBLAS and BLIS are recognised at run time). */
int kern_ctx_open(KernCtx *ctx, const KernOptions *o);
/* kern_ctx_open with fp32 math, device 0 and the default library search. */
int kern_ctx_init(KernCtx *ctx, int backend, int threads);
void kern_ctx_free(KernCtx *ctx);

/* "cpu", "cuda"; "fp32", "tf32", "bf16" — and back (-1 for an unknown name). */
const char *kern_backend_name(int backend);
int kern_backend_parse(const char *name);
const char *kern_math_name(int math);
int kern_math_parse(const char *name);

/* Backend memory (see KernMem). kern_alloc returns zeroed memory, or NULL with the message
 * set. */
static inline void *kern_alloc(KernCtx *ctx, size_t bytes) { return ctx->mem->alloc(ctx, bytes); }
static inline void kern_release(KernCtx *ctx, void *p) {
    if (p) ctx->mem->release(ctx, p);
}
static inline int kern_upload(KernCtx *ctx, void *dst, const void *src_host, size_t bytes) {
    return ctx->mem->upload(ctx, dst, src_host, bytes);
}
static inline int kern_download(KernCtx *ctx, void *dst_host, const void *src, size_t bytes) {
    return ctx->mem->download(ctx, dst_host, src, bytes);
}
static inline int kern_sync(KernCtx *ctx) { return ctx->mem->sync(ctx); }

/* The entry point a backend library exports (extern "C"): fills ctx for the options, using
 * host's services for its messages. The library also exports
 * `int dwplan_kern_abi(void)` returning the KERN_ABI_VERSION it was built with. */
typedef int (*KernLibOpen)(KernCtx *ctx, const KernOptions *o, const KernHost *host);
#define KERN_LIB_OPEN_SYMBOL "dwplan_kern_open"
#define KERN_LIB_ABI_SYMBOL "dwplan_kern_abi"

#endif /* KERN_H */

#else /* KERN_TEMPLATE: the operation table and its wrappers, once per precision KR */

struct KS(KernOps) {
    int (*matmul_forward)(KernCtx *, KR *, const KR *, const KR *, const KR *, int, int, int);
    int (*matmul_backward)(KernCtx *, KR *, KR *, KR *, const KR *, const KR *, const KR *,
                           int, int, int);
    int (*layernorm_forward)(KernCtx *, KR *, KR *, KR *, const KR *, const KR *, const KR *,
                             int, int, KR);
    int (*layernorm_backward)(KernCtx *, KR *, KR *, KR *, const KR *, const KR *, const KR *,
                              const KR *, const KR *, int, int);
    int (*rope_forward)(KernCtx *, KR *, const KR *, const KR *, int, int, int, int);
    int (*rope_backward)(KernCtx *, KR *, const KR *, const KR *, int, int, int, int);
    int (*attention_forward)(KernCtx *, KR *, KR *, const KR *, int, int, int, int);
    int (*attention_backward)(KernCtx *, KR *, KR *, const KR *, const KR *, const KR *, int,
                              int, int, int);
    int (*gelu_forward)(KernCtx *, KR *, const KR *, size_t);
    int (*gelu_backward)(KernCtx *, KR *, const KR *, const KR *, size_t);
    int (*residual_forward)(KernCtx *, KR *, const KR *, const KR *, size_t);
    int (*residual_backward)(KernCtx *, KR *, KR *, const KR *, size_t);
    int (*embedding_forward)(KernCtx *, KR *, const int32_t *, const KR *, int, int, int);
    int (*embedding_backward)(KernCtx *, KR *, const KR *, const int32_t *, int, int, int);
    int (*crossentropy_forward)(KernCtx *, KR *, KR *, const KR *, const int32_t *, int, int,
                                KR);
    int (*adamw)(KernCtx *, KR *, const KR *, KR *, KR *, size_t, KR, KR, KR, KR, KR, int);
    int (*sumsq)(KernCtx *, double *, const KR *, size_t);
    int (*segment_sumsq)(KernCtx *, double *, const KR *, const size_t *, const size_t *, int);
    int (*scale)(KernCtx *, KR *, size_t, KR);
    int (*zero)(KernCtx *, KR *, size_t);
};

/* out (M,N) = inp (M,K) @ w^T (w is (N,K), PyTorch's Linear layout) + bias (N); bias may
 * be NULL. */
static inline int KS(kern_matmul_forward)(KernCtx *ctx, KR *out, const KR *inp, const KR *w,
                                          const KR *bias, int M, int K, int N) {
    return ctx->KS(ops)->matmul_forward(ctx, out, inp, w, bias, M, K, N);
}

/* Backward of kern_matmul_forward. Inputs: dinp (M,K) overwritten with dout @ w (NULL: not
 * wanted); dw (N,K) accumulates dout^T @ inp; dbias (N) accumulates the column sums of dout
 * (NULL when the layer has no bias); dout (M,N); inp (M,K) and w (N,K) of the forward. */
static inline int KS(kern_matmul_backward)(KernCtx *ctx, KR *dinp, KR *dw, KR *dbias,
                                           const KR *dout, const KR *inp, const KR *w, int M,
                                           int K, int N) {
    return ctx->KS(ops)->matmul_backward(ctx, dinp, dw, dbias, dout, inp, w, M, K, N);
}

/* LayerNorm over the last dimension of inp (N,C): out = (x − mean)·rstd·w + b, keeping
 * mean (N) and rstd (N) = 1/sqrt(biased variance + eps) for the backward. */
static inline int KS(kern_layernorm_forward)(KernCtx *ctx, KR *out, KR *mean, KR *rstd,
                                             const KR *inp, const KR *w, const KR *b, int N,
                                             int C, KR eps) {
    return ctx->KS(ops)->layernorm_forward(ctx, out, mean, rstd, inp, w, b, N, C, eps);
}

/* Backward of kern_layernorm_forward. dinp (N,C) ACCUMULATES (it is the residual stream's
 * gradient); dw (C) and db (C) accumulate; dout (N,C); inp, w, mean, rstd of the forward. */
static inline int KS(kern_layernorm_backward)(KernCtx *ctx, KR *dinp, KR *dw, KR *db,
                                              const KR *dout, const KR *inp, const KR *w,
                                              const KR *mean, const KR *rstd, int N, int C) {
    return ctx->KS(ops)->layernorm_backward(ctx, dinp, dw, db, dout, inp, w, mean, rstd, N, C);
}

/* RoPE in place on the q and k vectors of qkv (B,T,NH,3,HS) — v is untouched — with the
 * tables cos_t, sin_t (T, HS/2) of kern_rope_tables_f/_d (kern_math.h); position = t. */
static inline int KS(kern_rope_forward)(KernCtx *ctx, KR *qkv, const KR *cos_t,
                                        const KR *sin_t, int B, int T, int NH, int HS) {
    return ctx->KS(ops)->rope_forward(ctx, qkv, cos_t, sin_t, B, T, NH, HS);
}

/* Backward of kern_rope_forward, in place on the dq and dk parts of dqkv (B,T,NH,3,HS). */
static inline int KS(kern_rope_backward)(KernCtx *ctx, KR *dqkv, const KR *cos_t,
                                         const KR *sin_t, int B, int T, int NH, int HS) {
    return ctx->KS(ops)->rope_backward(ctx, dqkv, cos_t, sin_t, B, T, NH, HS);
}

/* Causal multi-head attention. qkv (B,T,NH,3,HS) with RoPE applied; att (B,NH,T,T) receives
 * the softmax probabilities softmax(q·k^T/sqrt(HS)) over keys <= the query position (zeros
 * above the diagonal), kept for the backward; out (B,T,C) = att @ v with the heads
 * concatenated (column h·HS + d). The CPU backend runs per (batch, head) in blocks of query
 * rows with GEMMs on the causal part only. */
static inline int KS(kern_attention_forward)(KernCtx *ctx, KR *out, KR *att, const KR *qkv,
                                             int B, int T, int C, int NH) {
    return ctx->KS(ops)->attention_forward(ctx, out, att, qkv, B, T, C, NH);
}

/* Backward of kern_attention_forward. dqkv (B,T,NH,3,HS) is overwritten (dq, dk and dv of
 * every head); datt (B,NH,T,T) is scratch (its contents on return are unspecified); dout
 * (B,T,C); qkv and att of the forward. */
static inline int KS(kern_attention_backward)(KernCtx *ctx, KR *dqkv, KR *datt,
                                              const KR *dout, const KR *qkv, const KR *att,
                                              int B, int T, int C, int NH) {
    return ctx->KS(ops)->attention_backward(ctx, dqkv, datt, dout, qkv, att, B, T, C, NH);
}

/* out (n) = gelu(inp), exact erf form. */
static inline int KS(kern_gelu_forward)(KernCtx *ctx, KR *out, const KR *inp, size_t n) {
    return ctx->KS(ops)->gelu_forward(ctx, out, inp, n);
}

/* dinp (n) = gelu'(inp)·dout; dinp may alias dout (the in-place backward llm.c does). */
static inline int KS(kern_gelu_backward)(KernCtx *ctx, KR *dinp, const KR *inp,
                                         const KR *dout, size_t n) {
    return ctx->KS(ops)->gelu_backward(ctx, dinp, inp, dout, n);
}

/* out (n) = a + b; out may alias a or b. */
static inline int KS(kern_residual_forward)(KernCtx *ctx, KR *out, const KR *a, const KR *b,
                                            size_t n) {
    return ctx->KS(ops)->residual_forward(ctx, out, a, b, n);
}

/* da += dout, db += dout (n). */
static inline int KS(kern_residual_backward)(KernCtx *ctx, KR *da, KR *db, const KR *dout,
                                             size_t n) {
    return ctx->KS(ops)->residual_backward(ctx, da, db, dout, n);
}

/* out (N,C) = wte[tokens[i]] for the N = B·T token ids; wte (V,C). Ids outside [0, V) are a
 * programmer error (DW_ASSERT): callers validate data before the run. */
static inline int KS(kern_embedding_forward)(KernCtx *ctx, KR *out, const int32_t *tokens,
                                             const KR *wte, int N, int C, int V) {
    return ctx->KS(ops)->embedding_forward(ctx, out, tokens, wte, N, C, V);
}

/* dwte (V,C) accumulates dout (N,C) at the rows of tokens (N). */
static inline int KS(kern_embedding_backward)(KernCtx *ctx, KR *dwte, const KR *dout,
                                              const int32_t *tokens, int N, int C, int V) {
    return ctx->KS(ops)->embedding_backward(ctx, dwte, dout, tokens, N, C, V);
}

/* Fused softmax + cross-entropy + its gradient. logits (N,V), targets (N) in [0, V);
 * losses (N) = logsumexp(logits) − logits[target] (nats); dlogits (N,V), when not NULL, is
 * overwritten with dscale·(softmax(logits) − onehot(target)) — with dscale = 1/N it is the
 * gradient of the mean loss. dlogits may not alias logits. */
static inline int KS(kern_crossentropy_forward)(KernCtx *ctx, KR *losses, KR *dlogits,
                                                const KR *logits, const int32_t *targets,
                                                int N, int V, KR dscale) {
    return ctx->KS(ops)->crossentropy_forward(ctx, losses, dlogits, logits, targets, N, V,
                                              dscale);
}

/* One AdamW step over n parameters (kern_adamw_update_f/_d of kern_math.h): params, grads,
 * m, v (n); step counts from 1 (bias corrections 1 − β^step); wd is the decoupled weight
 * decay (0 for biases and LayerNorm parameters). */
static inline int KS(kern_adamw)(KernCtx *ctx, KR *params, const KR *grads, KR *m, KR *v,
                                 size_t n, KR lr, KR beta1, KR beta2, KR eps, KR wd,
                                 int step) {
    return ctx->KS(ops)->adamw(ctx, params, grads, m, v, n, lr, beta1, beta2, eps, wd, step);
}

/* *out = Σ x² over n elements, accumulated in double (the global gradient norm is its
 * square root). */
static inline int KS(kern_sumsq)(KernCtx *ctx, double *out, const KR *x, size_t n) {
    return ctx->KS(ops)->sumsq(ctx, out, x, n);
}

/* Per-segment sums of squares: out[s] = Σ base[off[s] .. off[s]+len[s])², in double, for
 * nseg segments (the per-layer gradient norms gather a block's tensors this way). */
static inline int KS(kern_segment_sumsq)(KernCtx *ctx, double *out, const KR *base,
                                         const size_t *off, const size_t *len, int nseg) {
    return ctx->KS(ops)->segment_sumsq(ctx, out, base, off, len, nseg);
}

/* x (n) *= s (gradient clipping). */
static inline int KS(kern_scale)(KernCtx *ctx, KR *x, size_t n, KR s) {
    return ctx->KS(ops)->scale(ctx, x, n, s);
}

/* x (n) = 0. */
static inline int KS(kern_zero)(KernCtx *ctx, KR *x, size_t n) {
    return ctx->KS(ops)->zero(ctx, x, n);
}

#endif /* KERN_TEMPLATE */
