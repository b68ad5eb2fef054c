/* planner/fitdata.c — run tables as a law's inputs (fitdata.h). */
#include "fitdata.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "planner/count.h"

int plan_runs_fitdata(const DsRuns *r, const LawConventions *conv, int n_from_shape,
                      FitData *d) {
    int rc;
    memset(d, 0, sizeof *d);
    if ((rc = ds_runs_need(r, DS_RUNS_BIT(DS_RUNS_LOSS), 0, 0, "fitting"))) return rc;
    int dw = r->has_depth && r->has_width;
    int count_n = n_from_shape || !r->has_params;
    if (n_from_shape && !dw)
        return dw_error_set(DW_EPARSE, "%s: counting N from the shape needs depth and width "
                            "columns", r->path);
    size_t n = (size_t)(r->n > 0 ? r->n : 1);
    d->x = calloc(n, sizeof *d->x);
    d->loss = calloc(n, sizeof *d->loss);
    d->weight = r->weight ? calloc(n, sizeof *d->weight) : NULL;
    if (!d->x || !d->loss || (r->weight && !d->weight)) {
        fit_data_free(d);
        return dw_error_set(DW_ENOMEM, "out of memory for %d rows", r->n);
    }
    for (int i = 0; i < r->n; i++) {
        double np = NAN, fpt = NAN;
        if (dw) {
            PlanShape s;
            plan_shape_from_conventions(&s, conv, r->depth[i], r->width[i]);
            plan_law_counts(conv, &s, &np, &fpt);
        }
        int need_count = (count_n && dw) || (isnan(r->tokens[i]) && r->has_flops);
        if (need_count && !dw) {
            fit_data_free(d);
            return dw_error_set(DW_EPARSE, "%s:%d: no tokens; deriving them from FLOPs needs "
                                "depth and width columns", r->path, r->line[i]);
        }
        if (need_count && !(np > 0 && fpt > 0)) {
            fit_data_free(d);
            return dw_error_set(DW_EPARSE, "%s:%d: cannot count the parameters of depth %g "
                                "width %g under the law's conventions: %s", r->path, r->line[i],
                                r->depth[i], r->width[i], dw_error_get());
        }
        double N = count_n ? np : r->params[i];
        double T = isfinite(r->tokens[i]) ? r->tokens[i] : r->flops[i] / fpt;
        d->x[i] = (LawX){.depth = r->depth[i], .width = r->width[i], .params = N, .tokens = T};
        d->loss[i] = r->loss[i];
        if (d->weight) d->weight[i] = r->weight[i];
    }
    d->n = r->n;
    d->inputs = (dw ? LAW_BIT(LAW_D) | LAW_BIT(LAW_W) : 0) |
                (r->has_params || dw ? LAW_BIT(LAW_N) : 0) |
                (r->has_tokens || r->has_flops ? LAW_BIT(LAW_T) : 0);
    if (!d->inputs) d->inputs = LAW_BIT(LAW_NX); /* none: not "all four" */
    return DW_OK;
}

// ----------------------------------------------------------------------------
// the params column against dwplan's counts, and the range of the rows

int plan_runs_params_match(const DsRuns *r, const LawConventions *conv, PlanParamsMatch *m) {
    memset(m, 0, sizeof *m);
    m->inferred = -1;
    if (!r->has_params || !r->has_depth || !r->has_width || r->n < 1) return DW_OK;
    m->checked = 1;
    for (int i = 0; i < r->n; i++) {
        LawConventions c = *conv;
        PlanShape s;
        double cnt[3], fpt;
        plan_shape_from_conventions(&s, conv, r->depth[i], r->width[i]);
        for (int k = 0; k < 3; k++) {
            c.params = (LawParamsConv)k;
            plan_law_counts(&c, &s, &cnt[k], &fpt);
            if (!(cnt[k] > 0))
                return dw_error_set(DW_EPARSE, "%s:%d: cannot count the parameters of depth %g "
                                    "width %g: %s", r->path, r->line[i], r->depth[i],
                                    r->width[i], dw_error_get());
            m->dev[k] = fmax(m->dev[k], fabs(r->params[i] / cnt[k] - 1));
        }
        if (i == 0) {
            m->line = r->line[i];
            m->column = r->params[i];
            memcpy(m->count, cnt, sizeof cnt);
        }
        m->n++;
    }
    const double *dv = m->dev;
    if (dv[LAW_PARAMS_NONEMBED] <= PLAN_PARAMS_MATCH_TOL && dv[LAW_PARAMS_TOTAL] > PLAN_PARAMS_MISMATCH_TOL)
        m->inferred = LAW_PARAMS_NONEMBED;
    else if (dv[LAW_PARAMS_TOTAL] <= PLAN_PARAMS_MATCH_TOL &&
             dv[LAW_PARAMS_NONEMBED] > PLAN_PARAMS_MISMATCH_TOL)
        m->inferred = LAW_PARAMS_TOTAL;
    return DW_OK;
}

static void widen_(LawRange *g, int k, double v) {
    if (!(v > 0) || !isfinite(v)) return;
    if (isnan(g->lo[k]) || v < g->lo[k]) g->lo[k] = v;
    if (isnan(g->hi[k]) || v > g->hi[k]) g->hi[k] = v;
}

void plan_fitdata_range(const FitData *d, const LawConventions *conv, LawRange *out) {
    out->known = d->n > 0;
    for (int k = 0; k < LAW_RANGE_COUNT; k++) out->lo[k] = out->hi[k] = NAN;
    for (int i = 0; i < d->n; i++) {
        const LawX *x = &d->x[i];
        double flops = NAN;
        if (conv->flops == LAW_FLOPS_6NT) {
            flops = 6 * x->params * x->tokens;
        } else if (x->depth >= 1 && x->width > 0) {
            PlanShape s;
            double np, fpt;
            plan_shape_from_conventions(&s, conv, x->depth, x->width);
            plan_law_counts(conv, &s, &np, &fpt);
            flops = fpt * x->tokens;
        }
        widen_(out, LAW_RANGE_PARAMS, x->params);
        widen_(out, LAW_RANGE_TOKENS, x->tokens);
        widen_(out, LAW_RANGE_FLOPS, flops);
        widen_(out, LAW_RANGE_DEPTH, x->depth);
        widen_(out, LAW_RANGE_WIDTH, x->width);
        widen_(out, LAW_RANGE_TPP, x->tokens / x->params);
    }
}
