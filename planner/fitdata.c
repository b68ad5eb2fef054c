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
        d->x[i] = (LawX){r->depth[i], r->width[i], N, T};
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
