/* probe/model_ops.c — what the probe model computes (probe/model.h; the model itself is
 * model.c): the forward with the fused cross-entropy, the backward, per-layer gradient
 * norms, global-norm clipping and AdamW, each dispatched on the model's precision to the
 * float or the double instance of model_ops_tmpl.h, and skipped after a backend failure
 * (probe_model_status).
 */
#include <math.h>
#include <stdlib.h>

#include "model_impl.h"

/* The attention part of block l's gradient norm: ln1, query_key_value, dense; the MLP part:
 * ln2, dense_h_to_4h, dense_4h_to_h. */
static const int attn_params[6] = {P_LN1W, P_LN1B, P_QKVW, P_QKVB, P_ATTPROJW, P_ATTPROJB};
static const int mlp_params[6] = {P_LN2W, P_LN2B, P_FCW, P_FCB, P_FCPROJW, P_FCPROJB};

// ----------------------------------------------------------------------------
// the forward, backward and optimizer, once per precision

#define R float
#define MS(name) name##_f
#define K(name) name
#include "model_ops_tmpl.h"
#undef R
#undef MS
#undef K
#define R double
#define MS(name) name##_d
#define K(name) name##_d
#include "model_ops_tmpl.h"
#undef R
#undef MS
#undef K

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
