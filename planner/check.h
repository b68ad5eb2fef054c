/* planner/check.h — a named or proposed model against a law (`dwplan check`, plan's named
 * alternative), under ONE accounting.
 *
 * A law's N and C are defined by its conventions (fit/law.h LawConventions): vocabulary,
 * training context, tying, the N convention and the FLOP formula. The optimum is counted
 * under them, so a named model is too: its own blocks (depth, width, heads, GQA, MLP, norms,
 * biases) with the law's vocabulary, tying and context, and no learned position table (the
 * law's conventions have none). Counted under its own V and context instead, GPT-2 "beat"
 * the optimum of a law with V = 100352 and ctx 4096 by 0.029 nats (issue 12, case 3).
 * The model's own counts stay in PlanPoint.params_nonembed / params_total (facts about the
 * model); params_law, flops, tokens and loss are the law's accounting.
 *
 * The training context is an input: the law's context unless the caller gives one, and then
 * both the model and the optimum are counted at it. A config's max_position_embeddings is
 * never used as the training context.
 */
#ifndef PLAN_CHECK_H
#define PLAN_CHECK_H

#include "plan.h"
#include "warn.h"

/* A checked shape's loss cost below −PLAN_COST_NEGATIVE_TOL means it beat the optimum of the
 * law it is compared under: a bug signal (a search or accounting error), warned as such. */
#define PLAN_COST_NEGATIVE_TOL 1e-4

/* What differs between the law's accounting and the model's own (bits of `differs`). */
enum { PLAN_ACC_VOCAB = 1, PLAN_ACC_TIED = 2, PLAN_ACC_POS = 4, PLAN_ACC_CTX = 8 };

typedef struct {
    int vocab_law, vocab_own;
    int tied_law, tied_own;
    int ctx;                    /* training context both sides are counted at */
    int max_pos_own;            /* the model's position limit (0: none given) */
    int learned_pos_own;        /* the model has a learned position table (the law: none) */
    unsigned differs;           /* PLAN_ACC_* bits; PLAN_ACC_CTX: ctx > max_pos_own */
    double params_total_own;    /* the model as it is */
    double params_total_law;    /* its blocks with the law's embeddings */
    double params_law;          /* N in the law's convention, law accounting */
    double flops_per_token_law; /* the law's FLOP formula, the law's V and ctx */
    double flops_per_token_own; /* the law's FLOP formula on the model's own V and tying */
} PlanAccounting;

/* `model`'s blocks with the law's vocab, tying and training context `seq_len` (0: the law's),
 * no learned positions. */
void plan_shape_law_accounting(const Law *law, const PlanShape *model, int seq_len,
                               PlanShape *out);

/* Fills acc for `model` under `law` at training context seq_len (0: the law's).
 * DW_OK; DW_EINVAL for a shape plan_count rejects or seq_len < 0. */
int plan_check_accounting(const Law *law, const PlanShape *model, int seq_len,
                          PlanAccounting *acc);

/* plan_check (plan.h) at training context seq_len for both the shape and the optimum
 * (0: the law's context). DW_EINVAL for seq_len < 0; otherwise as plan_check. */
int plan_check_ctx(const Law *law, const PlanShape *shape, double compute, double tokens,
                   int seq_len, PlanCheck *out);

/* The warnings of a check, in order: the optimum's (plan_warn_result: the law's status, the
 * search box, the recommendation's extrapolation), the checked shape's extrapolation and
 * tokens per parameter (plan_warn_point, named `what`), and "negative-cost" (SEVERE) when
 * the shape beats the optimum by more than PLAN_COST_NEGATIVE_TOL. */
void plan_check_warnings(const Law *law, const PlanCheck *ck, const char *what,
                         PlanWarnings *ws);

#endif
