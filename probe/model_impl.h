/* probe/model_impl.h — the inside of the probe model (probe/model.h), shared by its source
 * files and by nothing else: model.c (plan, memory, initialisation, host views, named
 * tensors) and model_ops.c (forward, backward, optimizer; per precision through
 * model_ops_tmpl.h). Not part of the module's API.
 *
 * Letters: B batch, T sequence, C width, L depth, NH heads, HS = C/NH, V vocab, r mlp_ratio.
 */
#ifndef PROBE_MODEL_IMPL_H
#define PROBE_MODEL_IMPL_H

#include <stdio.h>

#include "../common/dw.h"
#include "../kernels/kern.h"
#include "model.h"

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

// ----------------------------------------------------------------------------
// shared by model.c and model_ops.c

/* Records the first backend failure (the message dw_error_get holds) and returns it. */
static inline int fail_(ProbeModel *m, int rc) {
    if (rc && !m->status) {
        m->status = rc;
        snprintf(m->error, sizeof m->error, "%s", dw_error_get());
    }
    return m->status;
}

/* The device changed block k (0 params, 1 grads, 2 moments): its host copy is stale. */
static inline void touched_(ProbeModel *m, int k) { m->host_fresh[k] = 0; }

#endif
