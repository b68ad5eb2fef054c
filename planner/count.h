/* planner/count.h — parameter and training-FLOP accounting for a transformer shape
 * (DESIGN §4.1).
 *
 * Counts are doubles so the planner can count continuous (D, W) during optimisation; for
 * integer shapes they are exact integers (well below 2^53).
 */
#ifndef PLAN_COUNT_H
#define PLAN_COUNT_H

#include "../fit/law.h"

typedef struct {
    double depth;     /* D, number of blocks (>= 1) */
    double width;     /* W, residual width (> 0) */
    double heads;     /* H; 0 → width / head_dim */
    double kv_heads;  /* KV heads (GQA/MQA); 0 → heads */
    double head_dim;  /* 0 → width / heads when heads > 0, else 64 */
    double ffn_dim;   /* MLP inner width; 0 → mlp_ratio · width */
    double mlp_ratio; /* used when ffn_dim == 0 */
    int swiglu;       /* 1: gate, up, down matrices (Llama); 0: up, down with GELU */
    int vocab;        /* V */
    int tied;         /* 1: output head shares the input embedding */
    int biases;       /* 1: biases on q/k/v/o and MLP linears (GPT-2, GPT-NeoX) */
    int rmsnorm;      /* 1: norms have a gain only; 0: LayerNorm gain + bias */
    int seq_len;      /* training context length: the attention FLOPs 6·D·seq_len·W */
    int learned_pos;  /* 1: learned absolute position embeddings (GPT-2), max_pos × W */
    int max_pos;      /* rows of the position table (a config's max_position_embeddings);
                         0 → seq_len. Never the training context: a RoPE model's limit
                         (Mistral 32768, Qwen2 131072) is not what it was trained at. */
} PlanShape;

typedef struct {
    double attn;      /* per block: q, k, v, o (+ biases) */
    double mlp;       /* per block */
    double norms;     /* per block: two norms */
    double per_block; /* attn + mlp + norms */
    double blocks;    /* depth × per_block */
    double embed;     /* input token embedding V·W */
    double pos;       /* learned position embedding */
    double head;      /* output head V·W (0 when tied) */
    double final_norm;
    double nonembed;  /* blocks (Kaplan's non-embedding count; no final norm) */
    double total;     /* everything */
} PlanCount;

/* Fills the GPT-NeoX / paper defaults: V = 50257, ctx 1024, r = 4, GELU, biases, LayerNorm,
 * untied, RoPE (no learned positions). depth and width are left 0; heads and head_dim are 0
 * (derived): heads then default to W / 64, and a caller that sets heads gets head_dim = W /
 * heads, so heads that do not divide the width are refused by plan_count. */
void plan_shape_default(PlanShape *s);

/* A shape with the block layout of a law's conventions at (D, W). */
void plan_shape_from_conventions(PlanShape *s, const LawConventions *c, double depth,
                                 double width);

/* Counts parameters. DW_OK, or DW_EINVAL (message set) for impossible shapes: depth < 1,
 * width <= 0, heads not dividing width (when head_dim is 0), kv_heads not dividing heads,
 * vocab < 1, a training context longer than a learned position table. An explicit head_dim
 * may give heads·head_dim != width (Gemma 7B: 16 × 256 over 3072). */
int plan_count(const PlanShape *s, PlanCount *out);

/* N for a law: the count selected by conv->params (nonembed, total or 12·D·W²). */
double plan_law_params(const LawConventions *conv, const PlanShape *s);

/* Training FLOPs per token under the law's FLOP convention: 6·N (6NT) or
 * 6·N_nonembed + 6·V·W + 6·D·ctx·W (full), ctx = s->seq_len, the training context.
 * The attention term is Kaplan et al.'s (2020): 2·D·ctx·W forward, ×3 for training. The
 * unmasked products QK^T and A·V cost 4·D·ctx·W forward (12·D·ctx·W trained, PaLM's and
 * Chinchilla's count), so 6·D·ctx·W is exactly the causal half of them: the work a causal
 * kernel does. It is never halved again (docs/counting.md). */
double plan_flops_per_token(const LawConventions *conv, const PlanShape *s);

/* Both of the above from one count (the planner's hot path). NaN for impossible shapes. */
void plan_law_counts(const LawConventions *conv, const PlanShape *s, double *params,
                     double *flops_per_token);

#endif
