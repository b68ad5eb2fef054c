/* planner/check.c — a given shape against the law's optimum at the same compute
 * (`dwplan check`, named models in plan's alternatives), under one accounting: the law's
 * (check.h; method in plan.h). */
#include "check.h"

#include <math.h>
#include <string.h>

#include "common/dw.h"
#include "plan.h"
#include "plan_impl.h"

void plan_shape_law_accounting(const Law *law, const PlanShape *model, int seq_len,
                               PlanShape *out) {
    DW_ASSERT(law && model && out);
    *out = *model;
    out->vocab = law->conv.vocab;
    out->tied = law->conv.tied;
    out->seq_len = seq_len > 0 ? seq_len : law->conv.seq_len;
    out->learned_pos = 0; /* the law's conventions have no position table */
    out->max_pos = 0;
}

int plan_check_accounting(const Law *law, const PlanShape *model, int seq_len,
                          PlanAccounting *acc) {
    PlanShape ls, own;
    PlanCount lc, oc;
    int rc;
    DW_ASSERT(law && model && acc);
    memset(acc, 0, sizeof *acc);
    if (seq_len < 0)
        return dw_error_set(DW_EINVAL, "training context must be > 0 (got %d)", seq_len);
    plan_shape_law_accounting(law, model, seq_len, &ls);
    own = *model;
    own.seq_len = ls.seq_len;
    if (own.learned_pos && own.max_pos > 0 && own.seq_len > own.max_pos)
        own.seq_len = own.max_pos; /* its own count only: the table's size does not change */
    if ((rc = plan_count(model, &oc)) || (rc = plan_count(&ls, &lc))) return rc;
    acc->vocab_law = ls.vocab, acc->vocab_own = model->vocab;
    acc->tied_law = ls.tied, acc->tied_own = model->tied;
    acc->ctx = ls.seq_len;
    acc->max_pos_own = model->max_pos;
    acc->learned_pos_own = model->learned_pos;
    acc->differs = (ls.vocab != model->vocab ? PLAN_ACC_VOCAB : 0u) |
                   (ls.tied != model->tied ? PLAN_ACC_TIED : 0u) |
                   (model->learned_pos ? PLAN_ACC_POS : 0u) |
                   (model->max_pos > 0 && ls.seq_len > model->max_pos ? PLAN_ACC_CTX : 0u);
    acc->params_total_own = oc.total;
    acc->params_total_law = lc.total;
    plan_law_counts(&law->conv, &ls, &acc->params_law, &acc->flops_per_token_law);
    acc->flops_per_token_own = plan_flops_per_token(&law->conv, &own);
    return DW_OK;
}

int plan_eval_shape(const Law *law, const PlanShape *shape, double compute, double tokens,
                    PlanPoint *pt) {
    PlanCount own, cnt;
    PlanShape ls;
    int rc = plan_count(shape, &own);
    if (rc) return rc;
    plan_shape_law_accounting(law, shape, 0, &ls);
    if ((rc = plan_count(&ls, &cnt))) return rc;
    double fpt = plan_flops_per_token(&law->conv, &ls);
    double T = tokens > 0 ? tokens : compute / fpt;
    if (!(T > 0) || !isfinite(T))
        return dw_error_set(DW_EINVAL, "need a positive token count or compute budget");
    plan_fill_point_(law, &ls, T, pt);
    /* the model's own counts are facts about it; N_law, C and the loss are the law's */
    pt->params_nonembed = own.nonembed;
    pt->params_total = own.total;
    pt->tokens_per_param = T / own.total;
    return DW_OK;
}

int plan_check(const Law *law, const PlanShape *shape, double compute, double tokens,
               PlanCheck *out) {
    PlanCount cnt;
    PlanRequest req;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = plan_count(shape, &cnt))) return rc;
    if (!(tokens > 0) && !(compute > 0)) {
        tokens = 20 * cnt.total; /* Chinchilla's rule on the model's own total, said so */
        out->tokens_assumed = 1;
    }
    if ((rc = plan_eval_shape(law, shape, compute, tokens, &out->pt))) return rc;
    plan_request_default(&req);
    req.compute = out->pt.flops;
    if ((rc = plan_solve(law, &req, &out->opt))) return rc;
    out->dloss = out->pt.loss - out->opt.real.loss;
    out->past_dcrit = out->pt.dcrit_kind == 0 && out->pt.depth > out->pt.dcrit;
    out->past_dcrit_cost = NAN;
    if (out->past_dcrit && out->pt.dcrit >= 1) { /* the same width and tokens at D_crit */
        PlanShape at = *shape;
        PlanPoint p;
        at.depth = fmax(1, round(out->pt.dcrit));
        if (plan_eval_shape(law, &at, 0, out->pt.tokens, &p) == DW_OK)
            out->past_dcrit_cost = out->pt.loss - p.loss;
    }
    return DW_OK;
}

int plan_check_ctx(const Law *law, const PlanShape *shape, double compute, double tokens,
                   int seq_len, PlanCheck *out) {
    DW_ASSERT(law && shape && out);
    if (seq_len < 0)
        return dw_error_set(DW_EINVAL, "training context must be > 0 (got %d)", seq_len);
    if (seq_len == 0 || seq_len == law->conv.seq_len)
        return plan_check(law, shape, compute, tokens, out);
    /* the same law counted at another context: a shallow copy, read only (draws shared) */
    Law at = *law;
    at.conv.seq_len = seq_len;
    return plan_check(&at, shape, compute, tokens, out);
}

void plan_check_warnings(const Law *law, const PlanCheck *ck, const char *what,
                         PlanWarnings *ws) {
    DW_ASSERT(law && ck && ws);
    plan_warn_result(law, &ck->opt, ws);
    plan_warn_point(law, &ck->pt, what ? what : "the checked shape", ws);
    if (ck->dloss < -PLAN_COST_NEGATIVE_TOL)
        plan_warn_add(ws, PLAN_WARN_SEVERE, "negative-cost",
                      "%s beats the law's optimum by %.4f nats/token under the same "
                      "accounting: the optimum is not optimal (a search or accounting bug; "
                      "please report it)",
                      what ? what : "the checked shape", -ck->dloss);
}
