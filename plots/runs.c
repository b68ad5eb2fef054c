/* plots/runs.c — run tables for the figures: read (datasets/table.h), filter, resolve the
 * columns as `dwplan fit` does, and convert to fitting data under a law's conventions.
 *
 * The rule for every used column is the fitter's: a kept row with a missing or non-finite
 * value is an error naming file, line and column (bad data is reported, not drawn). The one
 * exception is the token count, which a row may give as tokens or as FLOPs.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "datasets/table.h"
#include "planner/count.h"
#include "plot.h"

void plot_runs_free(PlotRuns *r) {
    if (!r) return;
    if (r->grad)
        for (int i = 0; i < r->n; i++) free(r->grad[i]);
    free(r->depth), free(r->width), free(r->params), free(r->tokens), free(r->flops);
    free(r->loss), free(r->grad), free(r->ngrad), free(r->line), free(r->group);
    free(r);
}

/* Value of a used cell: finite, and > 0 (every quantity here enters a logarithm). */
static int cell_(const DsTable *t, int row, int col, double *v) {
    const char *cell = ds_table_cell(t, row, col);
    *v = ds_table_num(t, row, col);
    if (!cell)
        return dw_error_set(DW_EPARSE, "%s:%d: column '%s': missing value", t->path, t->line[row],
                            t->colnames[col]);
    if (!isfinite(*v) || !(*v > 0))
        return dw_error_set(DW_EPARSE, "%s:%d: column '%s': '%.40s' is not a positive number",
                            t->path, t->line[row], t->colnames[col], cell);
    return DW_OK;
}

static void colname_(const DsTable *t, int col, char *dst, size_t n) {
    snprintf(dst, n, "%s", col >= 0 ? t->colnames[col] : "");
}

int plot_runs_load(const char *path, const char *const *wheres, int nwhere, const char *maps,
                   PlotRuns **out) {
    static const char *const grad_aliases[] = {"grad_norms", NULL};
    static const char *const fields[6] = {"depth", "width", "params", "tokens", "flops", "loss"};
    DsTable *t = NULL;
    PlotRuns *r = NULL;
    int rc, col[7];
    *out = NULL;
    if ((rc = ds_table_read(path, &t))) goto out;
    for (int k = 0; k < nwhere; k++)
        if ((rc = ds_table_where(t, wheres[k]))) goto out;
    for (int k = 0; k < 6; k++)
        if ((rc = ds_table_resolve(t, fields[k], ds_aliases(fields[k]), maps, &col[k]))) goto out;
    if ((rc = ds_table_resolve(t, "grad_norms", grad_aliases, maps, &col[6]))) goto out;
    rc = DW_EPARSE;
    if (col[5] < 0 && col[6] < 0) {
        dw_error_set(DW_EPARSE,
                     "%s: no loss column (val_loss, eval_loss, loss, L) and no "
                     "grad_norms column: nothing to plot (use --map loss=COLUMN)",
                     path);
        goto out;
    }
    rc = DW_ENOMEM;
    if (!(r = calloc(1, sizeof *r))) goto out;
    size_t n = (size_t)(t->nrows > 0 ? t->nrows : 1);
    r->depth = malloc(n * sizeof(double)), r->width = malloc(n * sizeof(double));
    r->params = malloc(n * sizeof(double)), r->tokens = malloc(n * sizeof(double));
    r->flops = malloc(n * sizeof(double)), r->loss = malloc(n * sizeof(double));
    r->grad = calloc(n, sizeof *r->grad), r->ngrad = calloc(n, sizeof *r->ngrad);
    r->line = calloc(n, sizeof *r->line), r->group = calloc(n, sizeof *r->group);
    if (!r->depth || !r->width || !r->params || !r->tokens || !r->flops || !r->loss || !r->grad ||
        !r->ngrad || !r->line || !r->group)
        goto out;
    snprintf(r->path, sizeof r->path, "%s", path);
    if (dw_sha256_file(path, r->sha256) != DW_OK) r->sha256[0] = '\0';
    r->has_depth = col[0] >= 0, r->has_width = col[1] >= 0, r->has_params = col[2] >= 0;
    r->has_tokens = col[3] >= 0, r->has_flops = col[4] >= 0, r->has_loss = col[5] >= 0;
    r->has_grad = col[6] >= 0;
    colname_(t, col[0], r->col_depth, sizeof r->col_depth);
    colname_(t, col[1], r->col_width, sizeof r->col_width);
    colname_(t, col[2], r->col_params, sizeof r->col_params);
    colname_(t, col[3], r->col_tokens, sizeof r->col_tokens);
    colname_(t, col[4], r->col_flops, sizeof r->col_flops);
    colname_(t, col[5], r->col_loss, sizeof r->col_loss);
    colname_(t, col[6], r->col_grad, sizeof r->col_grad);
    r->nrows_file = t->nrows;

    int cstat = ds_table_col(t, "status");
    for (int j = 0; j < t->nrows; j++) {
        const char *st = cstat >= 0 ? ds_table_cell(t, j, cstat) : NULL;
        int m = r->n;
        if (st && strcmp(st, "ok")) {
            r->nskipped_status++;
            continue;
        }
        double *dst[6] = {r->depth, r->width, r->params, r->tokens, r->flops, r->loss};
        for (int k = 0; k < 6; k++) dst[k][m] = NAN;
        for (int k = 0; k < 6; k++) {
            if (col[k] < 0) continue;
            /* a row may give its token count as tokens or as FLOPs */
            if ((k == 3 || k == 4) && !ds_table_cell(t, j, col[k])) continue;
            if ((rc = cell_(t, j, col[k], &dst[k][m]))) goto out;
        }
        if ((r->has_tokens || r->has_flops) && isnan(r->tokens[m]) && isnan(r->flops[m])) {
            rc = dw_error_set(DW_EPARSE, "%s:%d: neither tokens nor flops given", path, t->line[j]);
            goto out;
        }
        r->line[m] = t->line[j];
        if (col[6] >= 0 && ds_table_cell(t, j, col[6])) {
            if ((rc = ds_table_array(t, j, col[6], &r->grad[m], &r->ngrad[m]))) goto out;
            for (int l = 0; l < r->ngrad[m]; l++)
                if (!(r->grad[m][l] > 0) || !isfinite(r->grad[m][l])) {
                    rc = dw_error_set(DW_EPARSE,
                                      "%s:%d: column '%s': layer %d: gradient norm "
                                      "%g must be positive and finite",
                                      path, t->line[j], t->colnames[col[6]], l, r->grad[m][l]);
                    r->n++; /* so plot_runs_free releases grad[m] */
                    goto out;
                }
        }
        r->n++;
    }
    /* shapes: equal (depth, width), else equal params */
    for (int i = 0; i < r->n; i++) {
        r->group[i] = -1;
        for (int k = 0; k < i && r->group[i] < 0; k++) {
            int same = r->has_depth && r->has_width
                           ? r->depth[i] == r->depth[k] && r->width[i] == r->width[k]
                           : r->params[i] == r->params[k];
            if (same) r->group[i] = r->group[k];
        }
        if (r->group[i] < 0) r->group[i] = r->ngroups++;
    }
    rc = DW_OK;
    *out = r;
    r = NULL;
out:
    plot_runs_free(r);
    ds_table_free(t);
    return rc;
}

static int cmp_double_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int plot_runs_widths(const PlotRuns *r, double *w) {
    if (!r->has_width) return 0;
    memcpy(w, r->width, sizeof(double) * (size_t)r->n);
    qsort(w, (size_t)r->n, sizeof *w, cmp_double_);
    int m = 0;
    for (int i = 0; i < r->n; i++)
        if (m == 0 || w[i] != w[m - 1]) w[m++] = w[i];
    return m;
}

void plot_fitdata_free(FitData *d) {
    free(d->x), free(d->loss), free(d->weight);
    memset(d, 0, sizeof *d);
}

int plot_runs_fitdata(const PlotRuns *r, const LawConventions *conv, int n_from_shape, FitData *d) {
    memset(d, 0, sizeof *d);
    if (!r->has_loss) return dw_error_set(DW_EPARSE, "%s: no loss column", r->path);
    int shape = n_from_shape || !r->has_params;
    if ((shape || (!r->has_tokens && r->has_flops)) && !(r->has_depth && r->has_width))
        return dw_error_set(DW_EPARSE,
                            "%s: counting N (or tokens from FLOPs) needs depth and "
                            "width columns",
                            r->path);
    size_t n = (size_t)(r->n > 0 ? r->n : 1);
    d->x = calloc(n, sizeof *d->x);
    d->loss = calloc(n, sizeof *d->loss);
    if (!d->x || !d->loss) {
        plot_fitdata_free(d);
        return dw_error_set(DW_ENOMEM, "out of memory");
    }
    for (int i = 0; i < r->n; i++) {
        double np = NAN, fpt = NAN;
        if (r->has_depth && r->has_width) {
            PlanShape s;
            plan_shape_from_conventions(&s, conv, r->depth[i], r->width[i]);
            plan_law_counts(conv, &s, &np, &fpt);
        }
        double N = shape ? np : r->params[i];
        double T = isfinite(r->tokens[i]) ? r->tokens[i] : r->flops[i] / fpt;
        if (!(N > 0) || !isfinite(N)) {
            plot_fitdata_free(d);
            return dw_error_set(DW_EPARSE,
                                "%s:%d: cannot count the parameters of depth %g "
                                "width %g under the law's conventions",
                                r->path, r->line[i], r->depth[i], r->width[i]);
        }
        d->x[i] = (LawX){r->depth[i], r->width[i], N, T};
        d->loss[i] = r->loss[i];
    }
    d->n = r->n;
    return DW_OK;
}
