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
 * Precision: the forward, backward and optimizer are written once in the template section
 * at the end of this file, which the file includes into itself for float (the run) and for
 * double (PROBE_F64: the whole-model finite-difference test). Design stance: readable, with
 * the speed in the kernels.
 *
 * Backends: the four blocks and the token ids live in the backend's memory (kern_alloc);
 * on the CPU that is host memory, on CUDA device memory. Host code touches the blocks only
 * through host views (host_view_): on the CPU the block itself, on CUDA a host copy that
 * is downloaded when stale and uploaded by probe_model_commit after host writes
 * (initialisation, checkpoint loads). A backend failure (a CUDA error) is sticky: the
 * forward returns NaN, later calls do nothing, and probe_model_status reports it.
 */
#ifndef PROBE_MODEL_TEMPLATE

#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dw.h"
#include "../kernels/kern.h"
#include "../kernels/kern_math.h"

#define LN_EPS 1e-5

// ----------------------------------------------------------------------------
// the plan: tensor tables

/* Parameter tensors, in block order: the matrices that take weight decay first, then the
 * LayerNorm parameters and biases, so AdamW runs as two calls over two contiguous ranges.
 * Per-layer tensors are (L, ...). */
enum {
    P_WTE,      /* (V, C)      gpt_neox.embed_in */
    P_QKVW,     /* (L, 3C, C)  attention.query_key_value, rows grouped per head */
    P_ATTPROJW, /* (L, C, C)   attention.dense */
    P_FCW,      /* (L, rC, C)  mlp.dense_h_to_4h */
    P_FCPROJW,  /* (L, C, rC)  mlp.dense_4h_to_h */
    P_HEAD,     /* (V, C)      embed_out */
    P_LN1W,     /* (L, C)      input_layernorm: first tensor without weight decay */
    P_LN1B,     /* (L, C) */
    P_QKVB,     /* (L, 3C) */
    P_ATTPROJB, /* (L, C) */
    P_LN2W,     /* (L, C)      post_attention_layernorm */
    P_LN2B,     /* (L, C) */
    P_FCB,      /* (L, rC) */
    P_FCPROJB,  /* (L, C) */
    P_LNFW,     /* (C)         final_layer_norm */
    P_LNFB,     /* (C) */
    NUM_PARAMS
};
#define P_FIRST_NO_DECAY P_LN1W

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

/* The attention part of block l's gradient norm: ln1, query_key_value, dense; the MLP part:
 * ln2, dense_h_to_4h, dense_4h_to_h. */
static const int attn_params[6] = {P_LN1W, P_LN1B, P_QKVW, P_QKVB, P_ATTPROJW, P_ATTPROJB};
static const int mlp_params[6] = {P_LN2W, P_LN2B, P_FCW, P_FCB, P_FCPROJW, P_FCPROJB};

/* Activation block: saved forward tensors, backward scratch, RoPE tables. */
enum {
    A_ENCODED,   /* (B, T, C)        embedding output = block 0's residual input */
    A_LN1,       /* (L, B, T, C) */
    A_LN1_MEAN,  /* (L, B, T) */
    A_LN1_RSTD,  /* (L, B, T) */
    A_QKV,       /* (L, B, T, 3C)    after RoPE */
    A_ATT,       /* (L, B, NH, T, T) softmax probabilities */
    A_ATTY,      /* (L, B, T, C)     attention output before dense */
    A_RES2,      /* (L, B, T, C)     residual after attention */
    A_LN2,       /* (L, B, T, C) */
    A_LN2_MEAN,  /* (L, B, T) */
    A_LN2_RSTD,  /* (L, B, T) */
    A_FCH,       /* (L, B, T, rC)    before GELU */
    A_FCH_GELU,  /* (L, B, T, rC) */
    A_RES3,      /* (L, B, T, C)     block output */
    A_LNF,       /* (B, T, C) */
    A_LNF_MEAN,  /* (B, T) */
    A_LNF_RSTD,  /* (B, T) */
    A_LOGITS,    /* (B, T, V) */
    A_LOSSES,    /* (B, T) */
    G_DRES,      /* (B, T, C)        backward: the residual stream's gradient */
    G_DLN,       /* (B, T, C)        backward: gradient of a LayerNorm output */
    G_DQKV,      /* (B, T, 3C) */
    G_DATTY,     /* (B, T, C) */
    G_DATT,      /* (B, NH, T, T)    attention backward scratch */
    G_DFCH,      /* (B, T, rC)       gradient of fch_gelu, then of fch (in place) */
    G_DLOGITS,   /* (B, T, V)        written by the forward's fused cross-entropy */
    A_ROPE_COS,  /* (T, HS/2) */
    A_ROPE_SIN,  /* (T, HS/2) */
    NUM_ACTS
};

struct ProbeModel {
    ProbeModelConfig cfg;
    int precision;         /* PROBE_F32, PROBE_F64 */
    size_t esize;          /* bytes per element */
    int B, T;              /* allocated batch and sequence */
    int threads;
    KernCtx ctx;
    int status;            /* DW_OK, or the first backend failure (sticky) */
    char error[512];       /* its message */

    size_t psize[NUM_PARAMS], poff[NUM_PARAMS]; /* elements; per-layer tensors all layers */
    size_t nparams;
    void *params, *grads, *moments;             /* moments: m (nparams) then v (nparams) */

    size_t asize[NUM_ACTS], aoff[NUM_ACTS];
    size_t nacts;
    void *acts;

    /* host views of params, grads, moments (CUDA only; NULL on the CPU, where the blocks
     * are host memory) and whether each holds the block's current contents */
    void *host[3];
    int host_fresh[3];
    float *host_logits, *host_losses; /* CUDA: downloaded logits (B,T,V), losses (B,T) */

    int32_t *inputs;       /* backend memory: (B, T) inputs of the last forward, then (B, T)
                            * targets */
    int fB, fT;            /* shape of the last forward */
    int have_targets;      /* the last forward had targets: backward may run */
    double loss;           /* mean loss of the last forward, in the model's precision */

    int ntensors;
    char (*names)[80];     /* ntensors names, for probe_model_tensor */
};

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

size_t probe_model_memory_bytes(const ProbeModelConfig *c, int B, int T) {
    DW_ASSERT(c && B >= 1 && T >= 1);
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

/* Records the first backend failure (the message dw_error_get holds) and returns it. */
static int fail_(ProbeModel *m, int rc) {
    if (rc && !m->status) {
        m->status = rc;
        snprintf(m->error, sizeof m->error, "%s", dw_error_get());
    }
    return m->status;
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
    int L = c->depth, n = 0;
    for (int p = 0; p < NUM_PARAMS; p++)
        if (m->psize[p]) n += param_info[p].per_layer ? L : 1;
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

/* The device changed block k: its host copy is stale. */
static void touched_(ProbeModel *m, int k) { m->host_fresh[k] = 0; }

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

// ----------------------------------------------------------------------------
// the forward, backward and optimizer, once per precision

#define PROBE_MODEL_TEMPLATE
#define R float
#define MS(name) name##_f
#define K(name) name
#include "model.c"
#undef R
#undef MS
#undef K
#define R double
#define MS(name) name##_d
#define K(name) name##_d
#include "model.c"
#undef R
#undef MS
#undef K
#undef PROBE_MODEL_TEMPLATE

// ----------------------------------------------------------------------------
// public entry points: dispatch on precision

static void check_batch_(const ProbeModel *m, const int32_t *inputs, int B, int T) {
    DW_ASSERT(m && inputs);
    DW_ASSERT(B >= 1 && B <= m->B && T >= 1 && T <= m->T);
}

float probe_model_forward(ProbeModel *m, const int32_t *inputs, const int32_t *targets, int B,
                          int T) {
    check_batch_(m, inputs, B, T);
    /* ids outside [0, V) are the caller's bug; checked here, on the host, for every backend
     * (a GPU kernel could not say so) */
    for (int i = 0; i < B * T; i++) {
        DW_ASSERT(inputs[i] >= 0 && inputs[i] < m->cfg.vocab);
        DW_ASSERT(!targets || (targets[i] >= 0 && targets[i] < m->cfg.vocab));
    }
    m->loss = NAN;
    m->have_targets = 0;
    if (m->status) return NAN;
    double loss = m->precision == PROBE_F64 ? forward_d(m, inputs, targets, B, T)
                                            : forward_f(m, inputs, targets, B, T);
    return (float)loss;
}

double probe_model_loss(const ProbeModel *m) {
    DW_ASSERT(m);
    return m->loss;
}

const float *probe_model_logits(const ProbeModel *m) {
    DW_ASSERT(m);
    if (m->precision != PROBE_F32) return NULL;
    const float *dev = (const float *)m->acts + m->aoff[A_LOGITS];
    if (m->ctx.host_memory) return dev;
    ProbeModel *mm = (ProbeModel *)m; /* the host copy is a cache */
    size_t n = (size_t)m->B * m->T * m->cfg.vocab;
    if (!mm->host_logits && !(mm->host_logits = malloc(sizeof(float) * n))) {
        fail_(mm, dw_error_set(DW_ENOMEM, "out of memory for the logits"));
        return NULL;
    }
    if (m->status || fail_(mm, kern_download(&mm->ctx, mm->host_logits, dev,
                                             sizeof(float) * (size_t)m->fB * m->fT *
                                                 m->cfg.vocab)))
        return NULL;
    return m->host_logits;
}

void probe_model_zero_grad(ProbeModel *m) {
    DW_ASSERT(m);
    if (m->status) return;
    fail_(m, m->precision == PROBE_F64 ? kern_zero_d(&m->ctx, m->grads, m->nparams)
                                       : kern_zero(&m->ctx, m->grads, m->nparams));
    touched_(m, 1);
}

void probe_model_backward(ProbeModel *m) {
    DW_ASSERT(m);
    if (m->status) return;
    DW_ASSERT(m->have_targets); /* backward needs a forward with targets */
    if (m->precision == PROBE_F64) backward_d(m);
    else backward_f(m);
    touched_(m, 1);
}

void probe_model_grad_norms(ProbeModel *m, double *block, double *attn, double *mlp) {
    DW_ASSERT(m);
    int L = m->cfg.depth;
    size_t *off = malloc(sizeof(size_t) * 12 * (size_t)L);
    size_t *len = malloc(sizeof(size_t) * 12 * (size_t)L);
    double *ss = malloc(sizeof(double) * 12 * (size_t)L);
    DW_ASSERT(off && len && ss);
    /* segment (l, j): j < 6 the attention tensors, j >= 6 the MLP tensors of layer l */
    for (int l = 0; l < L; l++) {
        for (int j = 0; j < 12; j++) {
            int p = j < 6 ? attn_params[j] : mlp_params[j - 6];
            size_t per = m->psize[p] / (size_t)L;
            off[l * 12 + j] = m->poff[p] + (size_t)l * per;
            len[l * 12 + j] = per;
        }
    }
    KernCtx *ctx = &m->ctx;
    int rc = m->status ? m->status
             : m->precision == PROBE_F64
                 ? kern_segment_sumsq_d(ctx, ss, m->grads, off, len, 12 * L)
                 : kern_segment_sumsq(ctx, ss, m->grads, off, len, 12 * L);
    if (fail_(m, rc))
        for (int k = 0; k < 12 * L; k++) ss[k] = NAN;
    for (int l = 0; l < L; l++) {
        double a = 0, b = 0;
        for (int j = 0; j < 6; j++) a += ss[l * 12 + j];
        for (int j = 6; j < 12; j++) b += ss[l * 12 + j];
        if (attn) attn[l] = sqrt(a);
        if (mlp) mlp[l] = sqrt(b);
        if (block) block[l] = sqrt(a + b);
    }
    free(off);
    free(len);
    free(ss);
}

double probe_model_clip_grad(ProbeModel *m, double max_norm) {
    DW_ASSERT(m);
    double ss = 0;
    if (m->status) return NAN;
    int rc = m->precision == PROBE_F64 ? kern_sumsq_d(&m->ctx, &ss, m->grads, m->nparams)
                                       : kern_sumsq(&m->ctx, &ss, m->grads, m->nparams);
    if (fail_(m, rc)) return NAN;
    double norm = sqrt(ss);
    /* torch.nn.utils.clip_grad_norm_: coefficient max_norm / (norm + 1e-6), applied when
     * below 1; a NaN norm leaves the gradients as they are (the run reports divergence) */
    if (max_norm > 0 && norm > max_norm) {
        double coef = max_norm / (norm + 1e-6);
        rc = m->precision == PROBE_F64 ? kern_scale_d(&m->ctx, m->grads, m->nparams, coef)
                                       : kern_scale(&m->ctx, m->grads, m->nparams, (float)coef);
        touched_(m, 1);
        if (fail_(m, rc)) return NAN;
    }
    return norm;
}

void probe_model_adamw(ProbeModel *m, float lr, float beta1, float beta2, float eps,
                       float weight_decay, int step) {
    DW_ASSERT(m && step >= 1);
    if (m->status) return;
    if (m->precision == PROBE_F64) adamw_d(m, lr, beta1, beta2, eps, weight_decay, step);
    else adamw_f(m, lr, beta1, beta2, eps, weight_decay, step);
    touched_(m, 0);
    touched_(m, 2);
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
 * the head — as (parameter table entry, layer). */
static void tensor_locate_(const ProbeModel *m, int i, int *p_out, int *layer_out) {
    int L = m->cfg.depth, p = -1, layer = 0, k = i;
    if (k == 0) {
        p = P_WTE;
    } else {
        k -= 1;
        int per_layer = 0;
        for (int q = 0; q < NUM_PARAMS; q++)
            if (param_info[q].per_layer && m->psize[q]) per_layer++;
        if (k < per_layer * L) {
            layer = k / per_layer;
            int j = k % per_layer;
            for (int h = 0; h < NUM_PARAMS; h++) {
                int q = hf_order[h];
                if (!param_info[q].per_layer || !m->psize[q]) continue;
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

size_t probe_model_tensor_offset(const ProbeModel *m, int i) {
    DW_ASSERT(m && i >= 0 && i < m->ntensors);
    int p, layer;
    tensor_locate_(m, i, &p, &layer);
    size_t per = param_info[p].per_layer ? m->psize[p] / (size_t)m->cfg.depth : m->psize[p];
    return m->poff[p] + (size_t)layer * per;
}

const char *probe_model_tensor(ProbeModel *m, int i, int which, float **data, int64_t shape[2],
                               int *ndim) {
    DW_ASSERT(m && which >= 0 && which <= 3);
    if (i < 0 || i >= m->ntensors) return NULL;
    int L = m->cfg.depth;
    int64_t C = m->cfg.width, V = m->cfg.vocab, F = (int64_t)m->cfg.mlp_ratio * C;
    int p, layer;
    tensor_locate_(m, i, &p, &layer);
    size_t per = param_info[p].per_layer ? m->psize[p] / (size_t)L : m->psize[p];
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
    if (data) {
        char *base = probe_model_block(m, which, NULL);
        *data = m->precision == PROBE_F32 && base
                    ? (float *)(base + probe_model_tensor_offset(m, i) * m->esize)
                    : NULL;
    }
    if (param_info[p].per_layer)
        snprintf(m->names[i], sizeof m->names[i], "gpt_neox.layers.%d.%s", layer,
                 param_info[p].name);
    else
        snprintf(m->names[i], sizeof m->names[i], "%s", param_info[p].name);
    return m->names[i];
}

#else /* PROBE_MODEL_TEMPLATE */

/* rc: the first failure; later operations are skipped (only a device can fail) */
#ifndef TRY_
#define TRY_(e)                                                                               \
    do {                                                                                      \
        if (!rc) rc = (e);                                                                    \
    } while (0)
#endif

// ----------------------------------------------------------------------------
// template: R is the element type, MS() names this precision's functions, K() its kernels

/* Pointers into the parameter-shaped block `base` (params, grads) at layer l. */
typedef struct {
    R *wte, *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb, *ln2w, *ln2b, *fcw, *fcb,
        *fcprojw, *fcprojb, *lnfw, *lnfb, *head;
} MS(Params);

static MS(Params) MS(params_at_)(const ProbeModel *m, void *base, int l) {
    R *b = base;
    const size_t L = (size_t)m->cfg.depth;
    MS(Params) p;
#define AT_(P) (m->psize[P] ? b + m->poff[P] + (size_t)l * (m->psize[P] / L) : NULL)
    p.wte = b + m->poff[P_WTE];
    p.ln1w = AT_(P_LN1W);
    p.ln1b = AT_(P_LN1B);
    p.qkvw = AT_(P_QKVW);
    p.qkvb = AT_(P_QKVB);
    p.attprojw = AT_(P_ATTPROJW);
    p.attprojb = AT_(P_ATTPROJB);
    p.ln2w = AT_(P_LN2W);
    p.ln2b = AT_(P_LN2B);
    p.fcw = AT_(P_FCW);
    p.fcb = AT_(P_FCB);
    p.fcprojw = AT_(P_FCPROJW);
    p.fcprojb = AT_(P_FCPROJB);
#undef AT_
    p.lnfw = b + m->poff[P_LNFW];
    p.lnfb = b + m->poff[P_LNFB];
    p.head = b + m->poff[P_HEAD];
    return p;
}

/* Layer l's slice of a per-layer activation (L, ...) laid out for the allocated (B, T):
 * the layer stride is the allocated size, the slice holds the current (B, T) compactly. */
static R *MS(act_)(const ProbeModel *m, int a, int l) {
    size_t per = m->asize[a] / (size_t)m->cfg.depth;
    return (R *)m->acts + m->aoff[a] + (size_t)l * per;
}
static R *MS(buf_)(const ProbeModel *m, int a) { return (R *)m->acts + m->aoff[a]; }

static double MS(forward)(ProbeModel *m, const int32_t *inputs, const int32_t *targets, int B,
                          int T) {
    KernCtx *ctx = &m->ctx;
    const int L = m->cfg.depth, C = m->cfg.width, V = m->cfg.vocab, NH = m->cfg.heads;
    const int HS = C / NH, F = m->cfg.mlp_ratio * C, BT = B * T;
    const R *cos_t = MS(buf_)(m, A_ROPE_COS), *sin_t = MS(buf_)(m, A_ROPE_SIN);
    int32_t *d_inputs = m->inputs, *d_targets = m->inputs + (size_t)m->B * m->T;
    int rc = DW_OK;

    m->fB = B;
    m->fT = T;
    TRY_(kern_upload(ctx, d_inputs, inputs, sizeof(int32_t) * (size_t)BT));

    R *residual = MS(buf_)(m, A_ENCODED); /* (B, T, C) */
    MS(Params) p0 = MS(params_at_)(m, m->params, 0);
    TRY_(K(kern_embedding_forward)(ctx, residual, d_inputs, p0.wte, BT, C, V));
    for (int l = 0; l < L; l++) {
        MS(Params) p = MS(params_at_)(m, m->params, l);
        R *ln1 = MS(act_)(m, A_LN1, l), *ln1_mean = MS(act_)(m, A_LN1_MEAN, l);
        R *ln1_rstd = MS(act_)(m, A_LN1_RSTD, l), *qkv = MS(act_)(m, A_QKV, l);
        R *att = MS(act_)(m, A_ATT, l), *atty = MS(act_)(m, A_ATTY, l);
        R *res2 = MS(act_)(m, A_RES2, l), *ln2 = MS(act_)(m, A_LN2, l);
        R *ln2_mean = MS(act_)(m, A_LN2_MEAN, l), *ln2_rstd = MS(act_)(m, A_LN2_RSTD, l);
        R *fch = MS(act_)(m, A_FCH, l), *fch_gelu = MS(act_)(m, A_FCH_GELU, l);
        R *res3 = MS(act_)(m, A_RES3, l);

        /* attention half: res2 = residual + dense(attn(rope(qkv(ln1(residual))))) */
        TRY_(K(kern_layernorm_forward)(ctx, ln1, ln1_mean, ln1_rstd, residual, p.ln1w, p.ln1b,
                                        BT, C, (R)LN_EPS));
        TRY_(K(kern_matmul_forward)(ctx, qkv, ln1, p.qkvw, p.qkvb, BT, C, 3 * C));
        TRY_(K(kern_rope_forward)(ctx, qkv, cos_t, sin_t, B, T, NH, HS));
        TRY_(K(kern_attention_forward)(ctx, atty, att, qkv, B, T, C, NH));
        TRY_(K(kern_matmul_forward)(ctx, res2, atty, p.attprojw, p.attprojb, BT, C, C));
        TRY_(K(kern_residual_forward)(ctx, res2, res2, residual, (size_t)BT * C));
        /* MLP half: res3 = res2 + dense_4h_to_h(gelu(dense_h_to_4h(ln2(res2)))) */
        TRY_(K(kern_layernorm_forward)(ctx, ln2, ln2_mean, ln2_rstd, res2, p.ln2w, p.ln2b, BT,
                                        C, (R)LN_EPS));
        TRY_(K(kern_matmul_forward)(ctx, fch, ln2, p.fcw, p.fcb, BT, C, F));
        TRY_(K(kern_gelu_forward)(ctx, fch_gelu, fch, (size_t)BT * F));
        TRY_(K(kern_matmul_forward)(ctx, res3, fch_gelu, p.fcprojw, p.fcprojb, BT, F, C));
        TRY_(K(kern_residual_forward)(ctx, res3, res3, res2, (size_t)BT * C));
        residual = res3;
    }
    R *lnf = MS(buf_)(m, A_LNF), *logits = MS(buf_)(m, A_LOGITS);
    TRY_(K(kern_layernorm_forward)(ctx, lnf, MS(buf_)(m, A_LNF_MEAN), MS(buf_)(m, A_LNF_RSTD),
                                    residual, p0.lnfw, p0.lnfb, BT, C, (R)LN_EPS));
    TRY_(K(kern_matmul_forward)(ctx, logits, lnf, p0.head, NULL, BT, C, V));
    if (!targets) {
        /* the logits are complete once queued work is done */
        fail_(m, rc ? rc : kern_sync(ctx));
        return NAN;
    }
    /* fused: losses and dlogits = (softmax − onehot)/BT, the start of the backward */
    R *losses = MS(buf_)(m, A_LOSSES);
    TRY_(kern_upload(ctx, d_targets, targets, sizeof(int32_t) * (size_t)BT));
    TRY_(K(kern_crossentropy_forward)(ctx, losses, MS(buf_)(m, G_DLOGITS), logits, d_targets,
                                      BT, V, (R)1 / (R)BT));
    if (!rc && !m->ctx.host_memory) { /* the per-token losses, to the host */
        if (!m->host_losses && !(m->host_losses = malloc(sizeof(R) * (size_t)m->B * m->T)))
            rc = dw_error_set(DW_ENOMEM, "out of memory for the losses");
        TRY_(kern_download(ctx, m->host_losses, losses, sizeof(R) * (size_t)BT));
        losses = (R *)m->host_losses;
    }
    if (fail_(m, rc)) return NAN;
    double sum = 0;
    for (int i = 0; i < BT; i++) sum += (double)losses[i]; /* fixed order */
    m->loss = sum / BT;
    m->have_targets = 1;
    return m->loss;
}

static void MS(backward)(ProbeModel *m) {
    KernCtx *ctx = &m->ctx;
    const int L = m->cfg.depth, C = m->cfg.width, V = m->cfg.vocab, NH = m->cfg.heads;
    const int HS = C / NH, F = m->cfg.mlp_ratio * C, B = m->fB, T = m->fT, BT = B * T;
    const R *cos_t = MS(buf_)(m, A_ROPE_COS), *sin_t = MS(buf_)(m, A_ROPE_SIN);
    R *dres = MS(buf_)(m, G_DRES), *dln = MS(buf_)(m, G_DLN), *dqkv = MS(buf_)(m, G_DQKV);
    R *datty = MS(buf_)(m, G_DATTY), *datt = MS(buf_)(m, G_DATT), *dfch = MS(buf_)(m, G_DFCH);
    int rc = DW_OK;

    MS(Params) p0 = MS(params_at_)(m, m->params, 0), g0 = MS(params_at_)(m, m->grads, 0);
    /* head and final LayerNorm; dres starts at zero and accumulates */
    R *res_top = MS(act_)(m, A_RES3, L - 1);
    TRY_(K(kern_zero)(ctx, dres, (size_t)BT * C));
    TRY_(K(kern_matmul_backward)(ctx, dln, g0.head, NULL, MS(buf_)(m, G_DLOGITS),
                                  MS(buf_)(m, A_LNF), p0.head, BT, C, V));
    TRY_(K(kern_layernorm_backward)(ctx, dres, g0.lnfw, g0.lnfb, dln, res_top, p0.lnfw,
                                     MS(buf_)(m, A_LNF_MEAN), MS(buf_)(m, A_LNF_RSTD), BT, C));
    for (int l = L - 1; l >= 0; l--) {
        MS(Params) p = MS(params_at_)(m, m->params, l), g = MS(params_at_)(m, m->grads, l);
        R *residual = l == 0 ? MS(buf_)(m, A_ENCODED) : MS(act_)(m, A_RES3, l - 1);
        R *ln1 = MS(act_)(m, A_LN1, l), *ln1_mean = MS(act_)(m, A_LN1_MEAN, l);
        R *ln1_rstd = MS(act_)(m, A_LN1_RSTD, l), *qkv = MS(act_)(m, A_QKV, l);
        R *att = MS(act_)(m, A_ATT, l), *atty = MS(act_)(m, A_ATTY, l);
        R *res2 = MS(act_)(m, A_RES2, l), *ln2 = MS(act_)(m, A_LN2, l);
        R *ln2_mean = MS(act_)(m, A_LN2_MEAN, l), *ln2_rstd = MS(act_)(m, A_LN2_RSTD, l);
        R *fch = MS(act_)(m, A_FCH, l), *fch_gelu = MS(act_)(m, A_FCH_GELU, l);

        /* MLP half: dres is dL/d(res3); the residual passes it to res2 unchanged */
        TRY_(K(kern_matmul_backward)(ctx, dfch, g.fcprojw, g.fcprojb, dres, fch_gelu,
                                      p.fcprojw, BT, F, C));
        TRY_(K(kern_gelu_backward)(ctx, dfch, fch, dfch, (size_t)BT * F));
        TRY_(K(kern_matmul_backward)(ctx, dln, g.fcw, g.fcb, dfch, ln2, p.fcw, BT, C, F));
        TRY_(K(kern_layernorm_backward)(ctx, dres, g.ln2w, g.ln2b, dln, res2, p.ln2w,
                                         ln2_mean, ln2_rstd, BT, C));
        /* attention half: dres is now dL/d(res2) */
        TRY_(K(kern_matmul_backward)(ctx, datty, g.attprojw, g.attprojb, dres, atty,
                                      p.attprojw, BT, C, C));
        TRY_(K(kern_attention_backward)(ctx, dqkv, datt, datty, qkv, att, B, T, C, NH));
        TRY_(K(kern_rope_backward)(ctx, dqkv, cos_t, sin_t, B, T, NH, HS));
        TRY_(K(kern_matmul_backward)(ctx, dln, g.qkvw, g.qkvb, dqkv, ln1, p.qkvw, BT, C,
                                      3 * C));
        TRY_(K(kern_layernorm_backward)(ctx, dres, g.ln1w, g.ln1b, dln, residual, p.ln1w,
                                         ln1_mean, ln1_rstd, BT, C));
    }
    TRY_(K(kern_embedding_backward)(ctx, g0.wte, dres, m->inputs, BT, C, V));
    fail_(m, rc);
}

static void MS(adamw)(ProbeModel *m, float lr, float beta1, float beta2, float eps,
                      float weight_decay, int step) {
    R *params = m->params, *grads = m->grads, *mom = m->moments;
    R *mv = mom, *vv = mom + m->nparams;
    /* the block starts with the matrices (weight decay) and ends with the LayerNorm
     * parameters and biases (none); the zero padding between tensors stays zero */
    size_t split = m->poff[P_FIRST_NO_DECAY], n = m->nparams;
    int rc = K(kern_adamw)(&m->ctx, params, grads, mv, vv, split, (R)lr, (R)beta1, (R)beta2,
                           (R)eps, (R)weight_decay, step);
    TRY_(K(kern_adamw)(&m->ctx, params + split, grads + split, mv + split, vv + split,
                       n - split, (R)lr, (R)beta1, (R)beta2, (R)eps, (R)0, step));
    fail_(m, rc);
}

#endif /* PROBE_MODEL_TEMPLATE */
