/* planner/warn.c — the planner's warnings (warn.h). */
#include "warn.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"

void plan_warn_add(PlanWarnings *ws, PlanWarnLevel level, const char *code, const char *fmt,
                   ...) {
    PlanWarning *w = NULL;
    if (ws->n < PLAN_WARN_MAX) {
        w = &ws->w[ws->n++];
    } else if (level == PLAN_WARN_SEVERE) { /* a full list gives up its latest lesser one */
        for (int i = PLAN_WARN_MAX - 1; i >= 0 && !w; i--)
            if (ws->w[i].level != PLAN_WARN_SEVERE) w = &ws->w[i];
    }
    if (!w) return;
    va_list ap;
    w->level = level;
    snprintf(w->code, sizeof w->code, "%s", code);
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof w->text, fmt, ap);
    va_end(ap);
}

void plan_warn_law(const Law *law, PlanWarnings *ws) {
    char why[320];
    if (law_degenerate_text(law, why, sizeof why))
        plan_warn_add(ws, PLAN_WARN_SEVERE, "degenerate",
                      "the law is degenerate (%s): its optimum is not determined by data",
                      why);
    const char *st = law->fit.status;
    if (law->fit.n > 0 && st[0] && strncmp(st, "converged", 9) != 0 && !strstr(st, "published"))
        plan_warn_add(ws, PLAN_WARN_SEVERE, "unconverged", "the law's fit did not converge (%s)",
                      law->fit.status);
}

static const char *const RANGE_WHAT[LAW_RANGE_COUNT] = {
    "N", "T", "C", "depth", "width", "tokens per parameter",
};

void plan_warn_point(const Law *law, const PlanPoint *pt, const char *what, PlanWarnings *ws) {
    double v[LAW_RANGE_COUNT];
    v[LAW_RANGE_PARAMS] = pt->params_law;
    v[LAW_RANGE_TOKENS] = pt->tokens;
    v[LAW_RANGE_FLOPS] = pt->flops;
    v[LAW_RANGE_DEPTH] = pt->depth;
    v[LAW_RANGE_WIDTH] = pt->width;
    v[LAW_RANGE_TPP] = pt->params_law > 0 ? pt->tokens / pt->params_law : NAN;
    unsigned out = law_range_outside(law, v, PLAN_RANGE_SLACK);
    for (int i = 0; i < LAW_RANGE_COUNT; i++) {
        if (!(out & (1u << i))) continue;
        char a[32], lo[32], hi[32];
        dw_fmt_sci_short(v[i], a, sizeof a);
        dw_fmt_sci_short(law->range.lo[i], lo, sizeof lo);
        dw_fmt_sci_short(law->range.hi[i], hi, sizeof hi);
        plan_warn_add(ws, PLAN_WARN_CAUTION, "extrapolated",
                      "%s is extrapolated: %s = %s, the law's data span %s .. %s", what,
                      RANGE_WHAT[i], a, lo, hi);
    }
    if (pt->flops > PLAN_FLOPS_MAX)
        plan_warn_add(ws, PLAN_WARN_SEVERE, "compute-beyond-limit",
                      "%s needs C = %.3g FLOPs, beyond the planner's limit of %g: its numbers "
                      "mean nothing", what, pt->flops, PLAN_FLOPS_MAX);
    if (pt->loss < 0)
        plan_warn_add(ws, PLAN_WARN_SEVERE, "negative-loss",
                      "the law predicts a loss of %.4g nats/token for %s: a cross-entropy "
                      "cannot be negative, the law is used far outside where it means anything",
                      pt->loss, what);
    double tpp = pt->tokens_per_param;
    if (isfinite(tpp) && (tpp < PLAN_TPP_LO || tpp > PLAN_TPP_HI))
        plan_warn_add(ws, PLAN_WARN_CAUTION, "tokens-per-param",
                      "%s trains %.3g tokens per parameter, outside %g .. %g where public "
                      "scaling-law runs exist",
                      what, tpp, PLAN_TPP_LO, PLAN_TPP_HI);
}

int plan_point_meaningful(const PlanPoint *pt, const char *what, const char *origin) {
    if (!(pt->flops <= PLAN_FLOPS_MAX))
        return dw_error_set(DW_EDATA, "%s under %s needs C = %.3g FLOPs, beyond the planner's "
                            "limit of %g: refused rather than printed", what, origin, pt->flops,
                            PLAN_FLOPS_MAX);
    if (!(pt->loss >= 0))
        return dw_error_set(DW_EDATA, "%s: %s predicts a %s loss (%.4g nats/token): the law "
                            "is used far outside where it means anything; refused rather than "
                            "printed", what, origin, isnan(pt->loss) ? "undefined" : "negative",
                            pt->loss);
    return DW_OK;
}

static int touches_(double v, double lo, double hi) {
    return isfinite(v) && (v <= lo * 1.0001 || v >= hi / 1.0001);
}

void plan_warn_result(const Law *law, const PlanResult *res, PlanWarnings *ws) {
    plan_warn_law(law, ws);
    if (res->on_bound)
        plan_warn_add(ws, PLAN_WARN_SEVERE, "optimum-at-bound",
                      "%s: the law does not choose this shape, the search box does",
                      res->bound_note[0] ? res->bound_note
                                         : "the continuous optimum sits on the search box");
    plan_warn_point(law, &res->real, "the recommendation", ws);
    const PlanRequest *r = &res->req;
    if (touches_(res->depth_ci[0], r->d_min, r->d_max) ||
        touches_(res->depth_ci[1], r->d_min, r->d_max) ||
        touches_(res->width_ci[0], r->w_min, r->w_max) ||
        touches_(res->width_ci[1], r->w_min, r->w_max))
        plan_warn_add(ws, PLAN_WARN_CAUTION, "interval-at-bound",
                      "an interval of the optimum runs into the search box (depth %g .. %g, "
                      "width %g .. %g): that end is a limit of the search, not of the law",
                      r->d_min, r->d_max, r->w_min, r->w_max);
}
