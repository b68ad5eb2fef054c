/* probe/model_ops_tmpl.h — the probe model's forward, backward and AdamW written once for
 * an element type: model_ops.c includes this file twice, with
 *   R         the element type (float: the run; double: PROBE_F64),
 *   MS(name)  this precision's name for a function (name_f, name_d),
 *   K(name)   this precision's kernel (kern_x, kern_x_d of kernels/kern.h).
 * No include guard, on purpose; not a header for anyone else. The model's layout is
 * model_impl.h's; the maths of each operation is in kernels/.
 */

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
