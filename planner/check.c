/* planner/check.c — a given shape against the law's optimum at the same compute
 * (`dwplan check`, named models in plan's alternatives); method in plan.h. */
#include <math.h>
#include <string.h>

#include "common/dw.h"
#include "plan.h"
#include "plan_impl.h"

int plan_eval_shape(const Law *law, const PlanShape *shape, double compute, double tokens,
                    PlanPoint *pt) {
    PlanCount cnt;
    int rc = plan_count(shape, &cnt);
    if (rc) return rc;
    double fpt = plan_flops_per_token(&law->conv, shape);
    double T = tokens > 0 ? tokens : compute / fpt;
    if (!(T > 0) || !isfinite(T))
        return dw_error_set(DW_EINVAL, "need a positive token count or compute budget");
    plan_fill_point_(law, shape, T, pt);
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
        tokens = 20 * cnt.total; /* Chinchilla's rule, said so by tokens_assumed */
        out->tokens_assumed = 1;
    }
    if ((rc = plan_eval_shape(law, shape, compute, tokens, &out->pt))) return rc;
    plan_request_default(&req);
    req.compute = out->pt.flops;
    if ((rc = plan_solve(law, &req, &out->opt))) return rc;
    out->dloss = out->pt.loss - out->opt.real.loss;
    out->past_dcrit = out->pt.dcrit_kind == 0 && out->pt.depth > out->pt.dcrit;
    return DW_OK;
}
