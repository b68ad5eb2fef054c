/* planner/count.c — parameter and training-FLOP accounting for a transformer shape
 * (DESIGN §4.1).
 *
 * Per block, with W the residual width, Q = H·hd the query width and K = KV·hd the key/value
 * width (GQA), F the MLP inner width:
 *   attention  q W·Q, k W·K, v W·K, o Q·W            (+ Q + 2K + W biases)
 *   MLP        GELU: W·F + F·W                        (+ F + W biases)
 *              SwiGLU: gate, up, down = 3·W·F         (+ 2F + W biases)
 *   norms      two per block: 2W each (LayerNorm gain + bias) or W (RMSNorm gain)
 * Outside the blocks: token embedding V·W, output head V·W unless tied (no bias), learned
 * positions seq_len·W (GPT-2 only), final norm as above. N_nonembed = D·per_block (Kaplan's
 * convention: no embeddings, no final norm). For a standard block this is 12·W² + 13·W.
 *
 * Training FLOPs per token (full convention): 6·N_nonembed + 6·V·W (logits) + 6·D·ctx·W
 * (attention scores and their weighted sum, forward and backward; ctx the training context).
 * Unmasked, QK^T and A·V cost 2·ctx·W FLOPs each per token and layer forward, 12·D·ctx·W
 * trained; Kaplan's 6·D·ctx·W is half of that, the causal triangle a causal kernel computes.
 * dwplan keeps Kaplan's term (the laws were fitted with it) and never halves it again.
 *
 * Depth and width are doubles: the planner optimises over real (D, W). With heads == 0 no
 * head count is rounded: the query width is W itself, so the count is a smooth polynomial in
 * (D, W). Design stance: reference code, every term written out once.
 */
#include "count.h"

#include <math.h>

#include "../common/dw.h"

void plan_shape_default(PlanShape *s) {
    LawConventions c;
    DW_ASSERT(s);
    /* one source for the probe's architecture: the default law conventions */
    law_conventions_default(&c);
    plan_shape_from_conventions(s, &c, 0, 0);
    s->head_dim = 0; /* derived: W / heads, or 64 when heads are derived too */
}

void plan_shape_from_conventions(PlanShape *s, const LawConventions *c, double depth,
                                 double width) {
    DW_ASSERT(s && c);
    *s = (PlanShape){0};
    s->head_dim = 64;
    s->depth = depth;
    s->width = width;
    s->heads = 0; /* derived: query width = W, no rounding */
    s->kv_heads = 0;
    s->ffn_dim = 0;
    s->vocab = c->vocab;
    s->seq_len = c->seq_len;
    s->mlp_ratio = c->mlp_ratio;
    s->swiglu = c->swiglu;
    s->tied = c->tied;
    s->biases = c->biases;
    s->rmsnorm = c->rmsnorm;
}

// ----------------------------------------------------------------------------
// counting

static int is_whole_(double x) { return isfinite(x) && x == floor(x); }

/* Fills the derived widths; DW_EINVAL with the message set for impossible shapes. */
static int derive_widths_(const PlanShape *s, double *q_width, double *kv_width,
                          double *ffn) {
    double W = s->width, H = s->heads, KV = s->kv_heads, hd = s->head_dim;
    if (!isfinite(s->depth) || s->depth < 1)
        return dw_error_set(DW_EINVAL, "depth must be >= 1 (got %g)", s->depth);
    if (!isfinite(W) || W <= 0)
        return dw_error_set(DW_EINVAL, "width must be > 0 (got %g)", W);
    if (s->vocab < 1) return dw_error_set(DW_EINVAL, "vocab must be >= 1 (got %d)", s->vocab);
    if (!(H >= 0) || !is_whole_(H))
        return dw_error_set(DW_EINVAL, "heads must be a whole number >= 0 (got %g)", H);
    if (!(KV >= 0) || !is_whole_(KV))
        return dw_error_set(DW_EINVAL, "kv_heads must be a whole number >= 0 (got %g)", KV);
    if (!isfinite(hd) || hd < 0)
        return dw_error_set(DW_EINVAL, "head_dim must be >= 0 (got %g)", hd);
    if (s->seq_len < 0)
        return dw_error_set(DW_EINVAL, "seq_len must be >= 0 (got %d)", s->seq_len);
    if (s->max_pos < 0)
        return dw_error_set(DW_EINVAL, "max_pos must be >= 0 (got %d)", s->max_pos);
    if (s->learned_pos && s->max_pos > 0 && s->seq_len > s->max_pos)
        return dw_error_set(DW_EINVAL,
                            "training context %d is longer than the model's %d learned "
                            "positions", s->seq_len, s->max_pos);

    if (H > 0) {
        if (hd == 0) {
            /* head_dim derived: heads must divide the width. An explicit head_dim may give
             * H·hd != W (Gemma 7B: 16 × 256 = 4096 over W = 3072). */
            if (fmod(W, H) != 0)
                return dw_error_set(DW_EINVAL,
                                    "heads (%g) do not divide width (%g): each head must be "
                                    "W / heads wide (give a head_dim to override)", H, W);
            hd = W / H;
        }
        if (KV == 0) KV = H;
        if (fmod(H, KV) != 0)
            return dw_error_set(DW_EINVAL, "kv_heads (%g) do not divide heads (%g)", KV, H);
        *q_width = H * hd;
        *kv_width = KV * hd;
    } else {
        /* heads derived as W / head_dim, kept real: query width W, no rounding. */
        if (hd == 0) hd = 64;
        *q_width = W;
        *kv_width = KV > 0 ? KV * hd : W;
    }

    if (!isfinite(s->ffn_dim) || s->ffn_dim < 0)
        return dw_error_set(DW_EINVAL, "ffn_dim must be >= 0 (got %g)", s->ffn_dim);
    if (s->ffn_dim > 0) {
        *ffn = s->ffn_dim;
    } else {
        if (!isfinite(s->mlp_ratio) || s->mlp_ratio <= 0)
            return dw_error_set(DW_EINVAL, "mlp_ratio must be > 0 when ffn_dim is 0 (got %g)",
                                s->mlp_ratio);
        *ffn = s->mlp_ratio * W;
    }
    return DW_OK;
}

int plan_count(const PlanShape *s, PlanCount *out) {
    DW_ASSERT(s && out);
    double Q = 0, K = 0, F = 0;
    *out = (PlanCount){0};
    int rc = derive_widths_(s, &Q, &K, &F);
    if (rc) return rc;
    double D = s->depth, W = s->width, V = s->vocab;

    double attn = W * Q + 2 * W * K + Q * W;
    if (s->biases) attn += Q + 2 * K + W;

    double mlp;
    if (s->swiglu) {
        mlp = 3 * W * F;
        if (s->biases) mlp += 2 * F + W;
    } else {
        mlp = 2 * W * F;
        if (s->biases) mlp += F + W;
    }

    double norm = s->rmsnorm ? W : 2 * W;

    out->attn = attn;
    out->mlp = mlp;
    out->norms = 2 * norm;
    out->per_block = attn + mlp + 2 * norm;
    out->blocks = D * out->per_block;
    out->embed = V * W;
    out->pos = s->learned_pos ? (double)(s->max_pos > 0 ? s->max_pos : s->seq_len) * W : 0;
    out->head = s->tied ? 0 : V * W;
    out->final_norm = norm;
    out->nonembed = out->blocks;
    out->total = out->blocks + out->embed + out->pos + out->head + out->final_norm;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// law conventions

/* The one place that says what N and the FLOPs per token are under a law's conventions;
 * plan_law_params and plan_flops_per_token read it. NaN for a shape plan_count rejects (the
 * message is set) unless the convention needs no count (12·D·W², 6·N·T). */
void plan_law_counts(const LawConventions *conv, const PlanShape *s, double *params,
                     double *flops_per_token) {
    PlanCount c;
    DW_ASSERT(conv && s && params && flops_per_token);
    int ok = plan_count(s, &c) == DW_OK;
    double D = s->depth, W = s->width;
    double N = conv->params == LAW_PARAMS_12DW2 ? 12 * D * W * W
               : !ok                            ? NAN
               : conv->params == LAW_PARAMS_TOTAL ? c.total
                                                  : c.nonembed;
    *params = N;
    *flops_per_token = conv->flops == LAW_FLOPS_6NT ? 6 * N
                       : !ok ? NAN
                             : 6 * c.nonembed + 6.0 * s->vocab * W + 6 * D * (double)s->seq_len * W;
}

double plan_law_params(const LawConventions *conv, const PlanShape *s) {
    double n, f;
    plan_law_counts(conv, s, &n, &f);
    return n;
}

double plan_flops_per_token(const LawConventions *conv, const PlanShape *s) {
    double n, f;
    plan_law_counts(conv, s, &n, &f);
    return f;
}
