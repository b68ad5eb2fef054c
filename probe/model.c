/* probe/model.c — the probe's transformer (DESIGN §5) over the kernels of kernels/kern.h:
 * GPT-NeoX layout with sequential residuals (use_parallel_residual = false):
 *
 *   x = embed_in[tokens]
 *   per block l:  x = x + dense(Attn(RoPE(query_key_value(LN1(x)))))
 *                 x = x + dense_4h_to_h(GELU(dense_h_to_4h(LN2(x))))
 *   logits = embed_out(final_layer_norm(x))            (untied, no bias)
 *
 * query_key_value's output is grouped per head (q, k, v of head h consecutive), RoPE turns
 * the first rotary_ndims = HS dimensions of q and k (rotate-half, θ = 10000), attention is
 * causal with scale 1/sqrt(HS), LayerNorm eps 1e-5: so Hugging Face's GPTNeoXForCausalLM
 * with rotary_pct 1.0, hidden_act "gelu", tie_word_embeddings false loads our tensors and
 * computes the same loss.
 *
 * Memory (llm.c's malloc_and_point): four blocks, each planned once from a table of sizes —
 * parameters, gradients, AdamW moments (m then v), and activations (the forward's saved
 * tensors for all layers, the backward's scratch shared by the layers, the RoPE tables).
 * Parameter tensors are stacked over layers, (L, ...), as in llm.c.
 *
 * Files: this one holds the plan of tensors, memory, initialisation, host views and the
 * named tensors; model_ops.c the forward, backward, gradient norms, clipping and AdamW;
 * model_impl.h what the two share (the tensor tables and struct ProbeModel).
 *
 * Precision: the forward, backward and optimizer are written once, in model_ops_tmpl.h,
 * which model_ops.c includes twice: for float (the run) and for double (PROBE_F64: the
 * whole-model finite-difference test). Design stance: readable, with the speed in the
 * kernels.
 *
 * Backends: the four blocks and the token ids live in the backend's memory (kern_alloc);
 * on the CPU that is host memory, on CUDA device memory. Host code touches the blocks only
 * through host views (host_view_): on the CPU the block itself, on CUDA a host copy that
 * is downloaded when stale and uploaded by probe_model_commit after host writes
 * (initialisation, checkpoint loads). A backend failure (a CUDA error) is sticky: the
 * forward returns NaN, later calls do nothing, and probe_model_status reports it.
 */
#include "model_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dw.h"
#include "../kernels/kern.h"
#include "../kernels/kern_math.h"

// ----------------------------------------------------------------------------
// the plan: names and order of the parameter tensors (model_impl.h numbers them)

static const struct {
    const char *name; /* Hugging Face name; per-layer: after "gpt_neox.layers.{l}." */
    int per_layer;
    int is_bias;      /* absent when biases are off */
} param_info[NUM_PARAMS] = {
    [P_WTE] = {"gpt_neox.embed_in.weight", 0, 0},
    [P_LN1W] = {"input_layernorm.weight", 1, 0},
    [P_LN1B] = {"input_layernorm.bias", 1, 0},
    [P_QKVW] = {"attention.query_key_value.weight", 1, 0},
    [P_QKVB] = {"attention.query_key_value.bias", 1, 1},
    [P_ATTPROJW] = {"attention.dense.weight", 1, 0},
    [P_ATTPROJB] = {"attention.dense.bias", 1, 1},
    [P_LN2W] = {"post_attention_layernorm.weight", 1, 0},
    [P_LN2B] = {"post_attention_layernorm.bias", 1, 0},
    [P_FCW] = {"mlp.dense_h_to_4h.weight", 1, 0},
    [P_FCB] = {"mlp.dense_h_to_4h.bias", 1, 1},
    [P_FCPROJW] = {"mlp.dense_4h_to_h.weight", 1, 0},
    [P_FCPROJB] = {"mlp.dense_4h_to_h.bias", 1, 1},
    [P_LNFW] = {"gpt_neox.final_layer_norm.weight", 0, 0},
    [P_LNFB] = {"gpt_neox.final_layer_norm.bias", 0, 0},
    [P_HEAD] = {"embed_out.weight", 0, 0},
};

/* Hugging Face's order, in which tensors are numbered and initialised: embed_in, each
 * layer's tensors as GPTNeoXLayer lists them, the final norm, the head. */
static const int hf_order[NUM_PARAMS] = {
    P_WTE,  P_LN1W, P_LN1B,  P_QKVW,    P_QKVB,    P_ATTPROJW, P_ATTPROJB, P_LN2W,
    P_LN2B, P_FCW,  P_FCB,   P_FCPROJW, P_FCPROJB, P_LNFW,     P_LNFB,     P_HEAD,
};

/* The number of named tensors of L layers sized psize. */
static int tensor_count_(const size_t psize[NUM_PARAMS], int L) {
    int n = 0;
    for (int p = 0; p < NUM_PARAMS; p++)
        if (psize[p]) n += param_info[p].per_layer ? L : 1;
    return n;
}

/* Element counts of the parameter tensors for a config (biases off: bias tensors empty). */
static void param_sizes_(const ProbeModelConfig *c, size_t s[NUM_PARAMS]) {
    size_t L = (size_t)c->depth, C = (size_t)c->width, V = (size_t)c->vocab;
    size_t F = (size_t)c->mlp_ratio * C, bias = c->biases ? 1 : 0;
    s[P_WTE] = V * C;
    s[P_LN1W] = s[P_LN1B] = L * C;
    s[P_QKVW] = L * 3 * C * C;
    s[P_QKVB] = bias * L * 3 * C;
    s[P_ATTPROJW] = L * C * C;
    s[P_ATTPROJB] = bias * L * C;
    s[P_LN2W] = s[P_LN2B] = L * C;
    s[P_FCW] = L * F * C;
    s[P_FCB] = bias * L * F;
    s[P_FCPROJW] = L * C * F;
    s[P_FCPROJB] = bias * L * C;
    s[P_LNFW] = s[P_LNFB] = C;
    s[P_HEAD] = V * C;
}

static void act_sizes_(const ProbeModelConfig *c, int B_, int T_, size_t s[NUM_ACTS]) {
    size_t L = (size_t)c->depth, C = (size_t)c->width, V = (size_t)c->vocab;
    size_t NH = (size_t)c->heads, F = (size_t)c->mlp_ratio * C, HS = C / NH;
    size_t B = (size_t)B_, T = (size_t)T_, BT = B * T;
    s[A_ENCODED] = BT * C;
    s[A_LN1] = L * BT * C;
    s[A_LN1_MEAN] = s[A_LN1_RSTD] = L * BT;
    s[A_QKV] = L * BT * 3 * C;
    s[A_ATT] = L * B * NH * T * T;
    s[A_ATTY] = s[A_RES2] = s[A_LN2] = L * BT * C;
    s[A_LN2_MEAN] = s[A_LN2_RSTD] = L * BT;
    s[A_FCH] = s[A_FCH_GELU] = L * BT * F;
    s[A_RES3] = L * BT * C;
    s[A_LNF] = BT * C;
    s[A_LNF_MEAN] = s[A_LNF_RSTD] = BT;
    s[A_LOGITS] = BT * V;
    s[A_LOSSES] = BT;
    s[G_DRES] = s[G_DLN] = s[G_DATTY] = BT * C;
    s[G_DQKV] = BT * 3 * C;
    s[G_DATT] = B * NH * T * T;
    s[G_DFCH] = BT * F;
    s[G_DLOGITS] = BT * V;
    s[A_ROPE_COS] = s[A_ROPE_SIN] = T * (HS / 2);
}

/* Offsets rounded up to 16 elements (64 bytes in float) so every tensor starts aligned. */
static size_t plan_offsets_(const size_t *size, size_t *off, int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        off[i] = total;
        total += (size[i] + 15) / 16 * 16;
    }
    return total;
}

// ----------------------------------------------------------------------------
// config

void probe_model_config_default(ProbeModelConfig *c) {
    DW_ASSERT(c);
    memset(c, 0, sizeof *c);
    c->mlp_ratio = 4;
    c->biases = 1;
    c->init_std = 0.02f;
}

int probe_model_config_check(const ProbeModelConfig *c) {
    DW_ASSERT(c);
    if (c->depth < 1) return dw_error_set(DW_EINVAL, "depth must be >= 1 (got %d)", c->depth);
    if (c->width < 1) return dw_error_set(DW_EINVAL, "width must be >= 1 (got %d)", c->width);
    if (c->heads < 1) return dw_error_set(DW_EINVAL, "heads must be >= 1 (got %d)", c->heads);
    if (c->width % c->heads != 0)
        return dw_error_set(DW_EINVAL, "heads (%d) do not divide width (%d)", c->heads,
                            c->width);
    if ((c->width / c->heads) % 2 != 0)
        return dw_error_set(DW_EINVAL,
                            "head size %d (width %d / heads %d) is odd; RoPE rotates pairs",
                            c->width / c->heads, c->width, c->heads);
    if (c->vocab < 2) return dw_error_set(DW_EINVAL, "vocab must be >= 2 (got %d)", c->vocab);
    if (c->seq_len < 1)
        return dw_error_set(DW_EINVAL, "seq_len must be >= 1 (got %d)", c->seq_len);
    if (c->mlp_ratio < 1)
        return dw_error_set(DW_EINVAL, "mlp_ratio must be >= 1 (got %d)", c->mlp_ratio);
    if (c->biases != 0 && c->biases != 1)
        return dw_error_set(DW_EINVAL, "biases must be 0 or 1 (got %d)", c->biases);
    if (!(c->init_std > 0) || !isfinite(c->init_std))
        return dw_error_set(DW_EINVAL, "init_std must be > 0 (got %g)", (double)c->init_std);
    /* the kernels index rows and widths with int */
    if ((long long)c->width * c->mlp_ratio > (1LL << 24) || c->vocab > (1 << 24) ||
        c->depth > (1 << 16) || c->seq_len > (1 << 20))
        return dw_error_set(DW_EINVAL, "shape too large (width·mlp_ratio, vocab up to 2^24)");
    /* counted in double: the size_t counts below must not wrap */
    double C = c->width, L = c->depth, V = c->vocab, F = (double)c->mlp_ratio * C;
    double params = 2 * V * C + L * (4 * C * C + 2 * F * C + 10 * C + F) + 2 * C;
    if (params > PROBE_PARAMS_MAX)
        return dw_error_set(DW_EINVAL, "depth %d width %d vocab %d is %.3g parameters, more "
                            "than a probe model's %.3g", c->depth, c->width, c->vocab, params,
                            PROBE_PARAMS_MAX);
    return DW_OK;
}

size_t probe_model_num_params(const ProbeModelConfig *c) {
    size_t s[NUM_PARAMS], n = 0;
    DW_ASSERT(c);
    param_sizes_(c, s);
    for (int i = 0; i < NUM_PARAMS; i++) n += s[i];
    return n;
}

static size_t memory_bytes_(const ProbeModelConfig *c, int B, int T, size_t esize) {
    size_t ps[NUM_PARAMS], po[NUM_PARAMS], as[NUM_ACTS], ao[NUM_ACTS];
    param_sizes_(c, ps);
    act_sizes_(c, B, T, as);
    size_t np = plan_offsets_(ps, po, NUM_PARAMS), na = plan_offsets_(as, ao, NUM_ACTS);
    return esize * (4 * np + na) + sizeof(int32_t) * (size_t)B * (size_t)T;
}

/* An upper bound of memory_bytes_ in double (no wrap-around): parameters, gradients and
 * moments, the saved activations, the backward's scratch, the RoPE tables, the token ids. */
static double memory_bound_(const ProbeModelConfig *c, int B, int T, size_t esize) {
    double L = c->depth, C = c->width, V = c->vocab, NH = c->heads, F = c->mlp_ratio * C;
    double BT = (double)B * T, att = (double)B * NH * T * T;
    double params = 2 * V * C + L * (4 * C * C + 2 * F * C + 10 * C + F) + 2 * C;
    double acts = L * (BT * (8 * C + 2 * F + 4) + att) + BT * (8 * C + F + 2 * V + 3) + att +
                  (double)T * C;
    double tensors = 4 * params + acts + 32.0 * (4 * NUM_PARAMS + NUM_ACTS); /* + padding */
    return (double)esize * tensors + 4.0 * BT;
}

size_t probe_model_memory_bytes(const ProbeModelConfig *c, int B, int T) {
    DW_ASSERT(c && B >= 1 && T >= 1);
    /* a shape whose byte count does not fit in half a size_t needs more than any machine */
    if (memory_bound_(c, B, T, sizeof(float)) > (double)(SIZE_MAX / 2)) return SIZE_MAX;
    return memory_bytes_(c, B, T, sizeof(float));
}

double probe_model_flops_per_token(const ProbeModelConfig *c, int T) {
    DW_ASSERT(c);
    double L = c->depth, C = c->width, V = c->vocab, r = c->mlp_ratio;
    /* matmul parameters: query_key_value 3C², dense C², MLP 2·r·C² per block; the head V·C */
    double n_matmul = L * (4 * C * C + 2 * r * C * C) + V * C;
    return 6 * n_matmul + 6 * L * (double)T * C;
}

// ----------------------------------------------------------------------------
// alloc / free

/* Size-checked backend allocation of n elements of esize bytes (zeroed). */
static void *block_alloc_(ProbeModel *m, size_t n, size_t esize) {
    if (n == 0) n = 1;
    if (n > SIZE_MAX / esize / 2) return NULL;
    return kern_alloc(&m->ctx, n * esize);
}

void probe_device_default(ProbeDevice *d) {
    DW_ASSERT(d);
    memset(d, 0, sizeof *d);
    d->backend = KERN_CPU;
    d->threads = 1;
    d->math = KERN_MATH_FP32;
}

ProbeModel *probe_model_alloc_prec(const ProbeModelConfig *c, int B, int T, int threads,
                                   int precision) {
    ProbeDevice d;
    probe_device_default(&d);
    d.threads = threads;
    return probe_model_alloc_dev(c, B, T, &d, precision);
}

ProbeModel *probe_model_alloc_dev(const ProbeModelConfig *c, int B, int T, const ProbeDevice *dev,
                                  int precision) {
    ProbeModel *m = NULL;
    DW_ASSERT(c && dev);
    if (probe_model_config_check(c)) return NULL;
    if (B < 1 || T < 1) {
        dw_error_set(DW_EINVAL, "batch and sequence must be >= 1 (got %d, %d)", B, T);
        return NULL;
    }
    if (T > c->seq_len) {
        dw_error_set(DW_EINVAL, "sequence %d exceeds the model's seq_len %d", T, c->seq_len);
        return NULL;
    }
    if (precision != PROBE_F32 && precision != PROBE_F64) {
        dw_error_set(DW_EINVAL, "unknown precision %d", precision);
        return NULL;
    }
    if ((long long)B * T * c->heads > (1LL << 30) || (long long)B * T > (1LL << 26)) {
        dw_error_set(DW_EINVAL, "batch × sequence too large (%d × %d)", B, T);
        return NULL;
    }
    if (memory_bound_(c, B, T, sizeof(double)) > (double)(SIZE_MAX / 2)) {
        dw_error_set(DW_ENOMEM, "depth %d width %d at batch %d × seq %d needs more memory "
                     "than can be addressed", c->depth, c->width, B, T);
        return NULL;
    }
    if (!(m = calloc(1, sizeof *m))) goto nomem;
    m->cfg = *c;
    m->precision = precision;
    m->esize = precision == PROBE_F64 ? sizeof(double) : sizeof(float);
    m->B = B;
    m->T = T;
    m->threads = dev->threads;
    KernOptions ko = {dev->backend, dev->threads, dev->math, dev->device, dev->library};
    if (kern_ctx_open(&m->ctx, &ko)) {
        free(m);
        return NULL;
    }
    if (m->ctx.mem_free && memory_bytes_(c, B, T, m->esize) > m->ctx.mem_free) {
        dw_error_set(DW_ENOMEM, "depth %d width %d at batch %d × seq %d needs about %.2f GiB "
                     "of device memory; %s has %.2f GiB free", c->depth, c->width, B, T,
                     (double)memory_bytes_(c, B, T, m->esize) / 1073741824.0, m->ctx.device,
                     (double)m->ctx.mem_free / 1073741824.0);
        kern_ctx_free(&m->ctx);
        free(m);
        return NULL;
    }
    if (precision == PROBE_F64 && !m->ctx.ops_d) {
        dw_error_set(DW_EINVAL, "the %s backend has no double precision",
                     kern_backend_name(dev->backend));
        kern_ctx_free(&m->ctx);
        free(m);
        return NULL;
    }
    param_sizes_(c, m->psize);
    m->nparams = plan_offsets_(m->psize, m->poff, NUM_PARAMS);
    act_sizes_(c, B, T, m->asize);
    m->nacts = plan_offsets_(m->asize, m->aoff, NUM_ACTS);
    /* the padding between tensors stays zero in every block, so the blocks can be treated
     * as flat vectors (global norm, AdamW). A failing kern_alloc says why (the device's
     * words); a failing calloc says nothing: nomem tells them apart */
    dw_error_clear();
    if (!(m->params = block_alloc_(m, m->nparams, m->esize))) goto nomem;
    if (!(m->grads = block_alloc_(m, m->nparams, m->esize))) goto nomem;
    if (!(m->moments = block_alloc_(m, 2 * m->nparams, m->esize))) goto nomem;
    if (!(m->acts = block_alloc_(m, m->nacts, m->esize))) goto nomem;
    if (!(m->inputs = block_alloc_(m, 2 * (size_t)B * T, sizeof(int32_t)))) goto nomem;
    if (!m->ctx.host_memory) {
        size_t n[3] = {m->nparams, m->nparams, 2 * m->nparams};
        for (int k = 0; k < 3; k++)
            if (!(m->host[k] = calloc(n[k], m->esize))) goto nomem;
    }

    /* names: per-layer tensors once per layer, in Hugging Face's order */
    int n = tensor_count_(m->psize, c->depth);
    m->ntensors = n;
    if (!(m->names = calloc((size_t)n, sizeof *m->names))) goto nomem;

    /* RoPE tables for positions 0..T-1, made on the host (cos and sin adjacent in the
     * activation block) and uploaded */
    int HS = c->width / c->heads;
    size_t nrope = m->aoff[A_ROPE_SIN] - m->aoff[A_ROPE_COS] + m->asize[A_ROPE_SIN];
    void *rope = calloc(nrope, m->esize);
    if (!rope) goto nomem;
    size_t sin_at = m->aoff[A_ROPE_SIN] - m->aoff[A_ROPE_COS];
    if (precision == PROBE_F64) kern_rope_tables_d(rope, (double *)rope + sin_at, T, HS);
    else kern_rope_tables_f(rope, (float *)rope + sin_at, T, HS);
    int rc = kern_upload(&m->ctx, (char *)m->acts + m->aoff[A_ROPE_COS] * m->esize, rope,
                         nrope * m->esize);
    free(rope);
    if (rc) {
        probe_model_free(m);
        return NULL;
    }
    return m;
nomem:
    /* a backend allocation failure already says why (and with which code); add the plan's
     * size */
    if (dw_error_get()[0])
        dw_error_prefix(dw_error_code(), "cannot allocate the model (%.1f MiB)",
                        (double)memory_bytes_(c, B, T, m ? m->esize : sizeof(float)) /
                            1048576.0);
    else
        dw_error_set(DW_ENOMEM, "cannot allocate the model (%.1f MiB)",
                     (double)memory_bytes_(c, B, T, m ? m->esize : sizeof(float)) / 1048576.0);
    probe_model_free(m);
    return NULL;
}

ProbeModel *probe_model_alloc(const ProbeModelConfig *c, int B, int T, int threads) {
    return probe_model_alloc_prec(c, B, T, threads, PROBE_F32);
}

void probe_model_free(ProbeModel *m) {
    if (!m) return;
    if (m->ctx.mem) {
        kern_release(&m->ctx, m->params);
        kern_release(&m->ctx, m->grads);
        kern_release(&m->ctx, m->moments);
        kern_release(&m->ctx, m->acts);
        kern_release(&m->ctx, m->inputs);
    }
    for (int k = 0; k < 3; k++) free(m->host[k]);
    free(m->host_logits);
    free(m->host_losses);
    free(m->names);
    kern_ctx_free(&m->ctx);
    free(m);
}

int probe_model_sync(ProbeModel *m) {
    DW_ASSERT(m);
    if (m->status) return dw_error_set(m->status, "%s", m->error);
    return fail_(m, kern_sync(&m->ctx));
}

int probe_model_status(const ProbeModel *m) {
    DW_ASSERT(m);
    return m->status;
}

const char *probe_model_error(const ProbeModel *m) {
    DW_ASSERT(m);
    return m->status ? m->error : "";
}

const char *probe_model_device(const ProbeModel *m) {
    DW_ASSERT(m);
    return m->ctx.device;
}

int probe_model_backend(const ProbeModel *m) {
    DW_ASSERT(m);
    return m->ctx.backend;
}

// ----------------------------------------------------------------------------
// host views

/* Block k (0 params, 1 grads, 2 moments m then v) and its element count. */
static void *block_(const ProbeModel *m, int k, size_t *n) {
    *n = k == 2 ? 2 * m->nparams : m->nparams;
    return k == 0 ? m->params : k == 1 ? m->grads : m->moments;
}

/* The host view of block k, current. CPU: the block. CUDA: the host copy, downloaded when
 * the device has changed the block since; NULL on a device failure. */
static void *host_view_(ProbeModel *m, int k) {
    size_t n;
    void *b = block_(m, k, &n);
    if (m->ctx.host_memory) return b;
    if (!m->host_fresh[k]) {
        if (fail_(m, kern_download(&m->ctx, m->host[k], b, n * m->esize))) return NULL;
        m->host_fresh[k] = 1;
    }
    return m->host[k];
}

int probe_model_commit(ProbeModel *m, int which) {
    DW_ASSERT(m && which >= 0 && which <= 3);
    if (m->ctx.host_memory) return DW_OK;
    int k = which < 2 ? which : 2;
    size_t n;
    void *b = block_(m, k, &n);
    if (m->status) return dw_error_set(m->status, "%s", m->error);
    if (fail_(m, kern_upload(&m->ctx, b, m->host[k], n * m->esize))) return m->status;
    m->host_fresh[k] = 1;
    return DW_OK;
}

const ProbeModelConfig *probe_model_config(const ProbeModel *m) {
    DW_ASSERT(m);
    return &m->cfg;
}

// ----------------------------------------------------------------------------
// initialisation

/* splitmix64: seeds and draws; 53-bit uniforms; Box–Muller normals. Serial, so the
 * parameters depend on the seed only (not on threads or precision). */
typedef struct {
    uint64_t s;
    int have;
    double spare;
} Rng_;

static uint64_t rng_next_(Rng_ *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_uniform_(Rng_ *r) { /* (0, 1) */
    return ((double)(rng_next_(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double rng_normal_(Rng_ *r) {
    if (r->have) {
        r->have = 0;
        return r->spare;
    }
    double u1 = rng_uniform_(r), u2 = rng_uniform_(r);
    double rad = sqrt(-2.0 * log(u1)), ang = 6.28318530717958647693 * u2;
    r->spare = rad * sin(ang);
    r->have = 1;
    return rad * cos(ang);
}

static void store_(ProbeModel *m, void *block, size_t i, double x) {
    if (m->precision == PROBE_F64) ((double *)block)[i] = x;
    else ((float *)block)[i] = (float)x;
}

void probe_model_init(ProbeModel *m, uint64_t seed) {
    DW_ASSERT(m);
    Rng_ rng = {seed, 0, 0};
    void *params = m->ctx.host_memory ? m->params : m->host[0]; /* every element written */
    double std = m->cfg.init_std;
    double std_out = std / sqrt(2.0 * m->cfg.depth); /* GPT-2 / DESIGN §5 scaled init */
    for (int k = 0; k < NUM_PARAMS; k++) {
        int p = hf_order[k];
        size_t o = m->poff[p], n = m->psize[p];
        if (p == P_LN1W || p == P_LN2W || p == P_LNFW) {
            for (size_t i = 0; i < n; i++) store_(m, params, o + i, 1.0);
        } else if (p == P_LN1B || p == P_LN2B || p == P_LNFB || param_info[p].is_bias) {
            for (size_t i = 0; i < n; i++) store_(m, params, o + i, 0.0);
        } else {
            double s = (p == P_ATTPROJW || p == P_FCPROJW) ? std_out : std;
            for (size_t i = 0; i < n; i++) store_(m, params, o + i, s * rng_normal_(&rng));
        }
    }
    m->host_fresh[0] = 1;
    probe_model_commit(m, 0);
    /* the zeroing kernels mark the host copies stale */
    if (m->precision == PROBE_F64) {
        fail_(m, kern_zero_d(&m->ctx, m->grads, m->nparams));
        fail_(m, kern_zero_d(&m->ctx, m->moments, 2 * m->nparams));
    } else {
        fail_(m, kern_zero(&m->ctx, m->grads, m->nparams));
        fail_(m, kern_zero(&m->ctx, m->moments, 2 * m->nparams));
    }
    touched_(m, 1);
    touched_(m, 2);
    m->have_targets = 0;
}

void *probe_model_block(ProbeModel *m, int which, size_t *n) {
    DW_ASSERT(m && which >= 0 && which <= 3);
    if (n) *n = m->nparams;
    char *base = host_view_(m, which < 2 ? which : 2);
    if (!base) return NULL;
    return base + (which == 3 ? m->nparams * m->esize : 0);
}

int probe_model_precision(const ProbeModel *m) {
    DW_ASSERT(m);
    return m->precision;
}

// ----------------------------------------------------------------------------
// named tensors

int probe_model_ntensors(const ProbeModel *m) {
    DW_ASSERT(m);
    return m->ntensors;
}

/* Tensor i in Hugging Face order — embed_in, then layer by layer, then the final norm and
 * the head — as (parameter table entry, layer), for L layers of tensors sized psize. */
static void tensor_locate_(const size_t psize[NUM_PARAMS], int L, int i, int *p_out,
                           int *layer_out) {
    int p = -1, layer = 0, k = i;
    if (k == 0) {
        p = P_WTE;
    } else {
        k -= 1;
        int per_layer = 0;
        for (int q = 0; q < NUM_PARAMS; q++)
            if (param_info[q].per_layer && psize[q]) per_layer++;
        if (k < per_layer * L) {
            layer = k / per_layer;
            int j = k % per_layer;
            for (int h = 0; h < NUM_PARAMS; h++) {
                int q = hf_order[h];
                if (!param_info[q].per_layer || !psize[q]) continue;
                if (j-- == 0) {
                    p = q;
                    break;
                }
            }
        } else {
            k -= per_layer * L;
            p = k == 0 ? P_LNFW : k == 1 ? P_LNFB : P_HEAD;
        }
    }
    DW_ASSERT(p >= 0);
    *p_out = p;
    *layer_out = layer;
}

/* Name (into name[n]) and shape of tensor i of config c with tensor sizes psize. */
static void tensor_describe_(const ProbeModelConfig *c, const size_t psize[NUM_PARAMS], int i,
                             char *name, size_t n, int64_t shape[2], int *ndim) {
    int L = c->depth, p, layer;
    int64_t C = c->width, V = c->vocab, F = (int64_t)c->mlp_ratio * C;
    tensor_locate_(psize, L, i, &p, &layer);
    size_t per = param_info[p].per_layer ? psize[p] / (size_t)L : psize[p];
    int64_t rows = 0, cols = 0;
    switch (p) {
    case P_WTE:
    case P_HEAD: rows = V, cols = C; break;
    case P_QKVW: rows = 3 * C, cols = C; break;
    case P_ATTPROJW: rows = C, cols = C; break;
    case P_FCW: rows = F, cols = C; break;
    case P_FCPROJW: rows = C, cols = F; break;
    default: rows = (int64_t)per; break;
    }
    if (shape) {
        shape[0] = rows;
        shape[1] = cols;
    }
    if (ndim) *ndim = cols ? 2 : 1;
    if (param_info[p].per_layer)
        snprintf(name, n, "gpt_neox.layers.%d.%s", layer, param_info[p].name);
    else
        snprintf(name, n, "%s", param_info[p].name);
}

int probe_model_config_ntensors(const ProbeModelConfig *c) {
    size_t ps[NUM_PARAMS];
    DW_ASSERT(c);
    param_sizes_(c, ps);
    return tensor_count_(ps, c->depth);
}

int probe_model_config_tensor(const ProbeModelConfig *c, int i, char *name, size_t n,
                              int64_t shape[2], int *ndim) {
    size_t ps[NUM_PARAMS];
    DW_ASSERT(c && name && n > 0);
    param_sizes_(c, ps);
    if (i < 0 || i >= tensor_count_(ps, c->depth)) return DW_EINVAL;
    tensor_describe_(c, ps, i, name, n, shape, ndim);
    return DW_OK;
}

size_t probe_model_tensor_offset(const ProbeModel *m, int i) {
    DW_ASSERT(m && i >= 0 && i < m->ntensors);
    int p, layer;
    tensor_locate_(m->psize, m->cfg.depth, i, &p, &layer);
    size_t per = param_info[p].per_layer ? m->psize[p] / (size_t)m->cfg.depth : m->psize[p];
    return m->poff[p] + (size_t)layer * per;
}

const char *probe_model_tensor(ProbeModel *m, int i, int which, float **data, int64_t shape[2],
                               int *ndim) {
    DW_ASSERT(m && which >= 0 && which <= 3);
    if (i < 0 || i >= m->ntensors) return NULL;
    tensor_describe_(&m->cfg, m->psize, i, m->names[i], sizeof m->names[i], shape, ndim);
    if (data) {
        char *base = probe_model_block(m, which, NULL);
        *data = m->precision == PROBE_F32 && base
                    ? (float *)(base + probe_model_tensor_offset(m, i) * m->esize)
                    : NULL;
    }
    return m->names[i];
}
