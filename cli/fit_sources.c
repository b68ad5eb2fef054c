/* cli/fit_sources.c — several run tables as the sources of one fit (fit_sources.h). */
#include "fit_sources.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "fit_conv.h"
#include "fit_render.h"
#include "planner/count.h"
#include "planner/fitdata.h"

/* "dir/gemstones_cool.csv" -> "gemstones_cool" */
static void stem_(const char *path, char *buf, size_t n) {
    const char *b = strrchr(path, '/');
    snprintf(buf, n, "%s", b ? b + 1 : path);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
}

/* The source a --where filter is scoped to ("NAME:EXPR"): its index, -1 when unscoped;
 * -2 (message set) for a scope naming no source. *expr receives the filter itself. */
static int scope_(const CliSources *s, const char *where, const char **expr) {
    const char *colon = strchr(where, ':'), *op = strpbrk(where, "=!<>");
    *expr = where;
    if (!colon || (op && op < colon)) return -1;
    for (int k = 0; k < s->n; k++)
        if ((size_t)(colon - where) == strlen(s->name[k]) && !strncmp(where, s->name[k], colon - where)) {
            *expr = colon + 1;
            return k;
        }
    char list[512] = "";
    for (int k = 0; k < s->n; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", s->name[k]);
    dw_error_set(DW_EINVAL, "--where %s: no source is named '%.*s' (sources: %s)", where,
                 (int)(colon - where), where, list);
    return -2;
}

int cli_sources_load(CliSources *s, const char *const *files, int nfiles,
                     const DsRunsOptions *base, const char *const *wheres, int nwhere) {
    memset(s, 0, sizeof *s);
    if (nfiles < 1 || nfiles > LAW_MAX_SOURCES)
        return dw_error_set(DW_EINVAL, "%d data files: a fit joins 1 to %d sources", nfiles,
                            LAW_MAX_SOURCES);
    s->n = nfiles;
    for (int k = 0; k < nfiles; k++) {
        char stem[64];
        stem_(files[k], stem, sizeof stem);
        snprintf(s->name[k], sizeof s->name[k], "%s", stem);
        /* two files with one stem: number the later one, until the name is new */
        for (int j = 0, suffix = k + 1; j < k; j++)
            if (!strcmp(s->name[j], s->name[k])) {
                snprintf(s->name[k], sizeof s->name[k], "%.50s_%d", stem, suffix++);
                j = -1;
            }
        s->names[k] = s->name[k];
        s->notes[k] = s->note[k];
    }
    const char *mine[32];
    for (int k = 0; k < nfiles; k++) {
        int m = 0, rc;
        for (int w = 0; w < nwhere && m < 32; w++) {
            const char *expr;
            int sc = nfiles > 1 ? scope_(s, wheres[w], &expr) : -1;
            if (sc == -2) return DW_EINVAL;
            if (sc < 0) expr = wheres[w];
            if (sc == -1 || sc == k) mine[m++] = expr;
        }
        DsRunsOptions o = *base;
        o.wheres = mine;
        o.nwhere = m;
        if ((rc = ds_runs_load(files[k], &o, &s->runs[k]))) return rc;
        char why[512];
        if (ds_runs_skipped_text(s->runs[k], why, sizeof why))
            fprintf(stderr, "dwplan fit: %s\n", why);
    }
    return DW_OK;
}

/* A source after the reference: how its N is read under the law's conventions (note). */
static int other_source_(CliSources *s, int k, const LawConventions *conv, int n_from_shape,
                         int *count_n) {
    const DsRuns *r = s->runs[k];
    PlanParamsMatch m;
    int rc;
    static const char *const pc[] = {"non-embedding", "total", "12·D·W²"};
    *count_n = 0;
    if (!(r->has_depth && r->has_width)) {
        snprintf(s->note[k], sizeof s->note[k], "no depth and width: column '%s' read as the "
                 "law's %s count, not checked; its rows inform only the floor, N and T terms",
                 r->col[DS_RUNS_PARAMS], pc[conv->params]);
        return DW_OK;
    }
    if (n_from_shape || !r->has_params) {
        *count_n = 1;
        snprintf(s->note[k], sizeof s->note[k], "N counted from depth and width under the "
                 "law's conventions (%s count)", pc[conv->params]);
        return DW_OK;
    }
    if ((rc = plan_runs_params_match(r, conv, &m))) return rc;
    double dev = m.dev[conv->params];
    if (dev <= PLAN_PARAMS_MATCH_TOL) {
        snprintf(s->note[k], sizeof s->note[k], "column '%s', within %.2g%% of the law's %s "
                 "count of its shapes", r->col[DS_RUNS_PARAMS], 100 * dev, pc[conv->params]);
        return DW_OK;
    }
    *count_n = 1;
    snprintf(s->note[k], sizeof s->note[k], "column '%s' is up to %.1f%% from the law's %s count "
             "of its shapes (another block or vocabulary): N counted from depth and width under "
             "the law's conventions instead", r->col[DS_RUNS_PARAMS], 100 * dev, pc[conv->params]);
    return DW_OK;
}

/* Appends source k's rows (dk) to s->d and s->group. */
static int append_(CliSources *s, int k, const FitData *dk, int *cap) {
    const DsRuns *r = s->runs[k];
    int n = s->d.n + dk->n;
    if (n > *cap) {
        LawX *x = realloc(s->d.x, sizeof *x * (size_t)n);
        if (x) s->d.x = x;
        double *l = realloc(s->d.loss, sizeof *l * (size_t)n);
        if (l) s->d.loss = l;
        int *g = realloc(s->group, sizeof *g * (size_t)n);
        if (g) s->group = g;
        int *u = realloc(s->run, sizeof *u * (size_t)n);
        if (u) s->run = u;
        if (!x || !l || !g || !u) return dw_error_set(DW_ENOMEM, "out of memory for %d rows", n);
        *cap = n;
    }
    if (dk->weight || s->d.weight) {
        double *w = realloc(s->d.weight, sizeof *w * (size_t)n);
        if (!w) return dw_error_set(DW_ENOMEM, "out of memory for %d rows", n);
        if (!s->d.weight)
            for (int i = 0; i < s->d.n; i++) w[i] = 1;
        s->d.weight = w;
        for (int i = 0; i < dk->n; i++) w[s->d.n + i] = dk->weight ? dk->weight[i] : 1;
    }
    int shapeless = !(r->has_depth && r->has_width);
    for (int i = 0; i < dk->n; i++) {
        LawX x = dk->x[i];
        x.source = k;
        x.no_shape = shapeless;
        s->d.x[s->d.n + i] = x;
        s->d.loss[s->d.n + i] = dk->loss[i];
        s->group[s->d.n + i] = s->ngroups + r->group[i];
        s->run[s->d.n + i] = s->nruns + r->run[i];
    }
    s->nruns += r->nruns;
    s->curves |= r->curves;
    s->d.n = n;
    s->d.inputs |= dk->inputs & ~LAW_BIT(LAW_NX);
    s->ngroups += r->ngroups;
    s->rows[k] = dk->n;
    s->shape[k] = !shapeless;
    return DW_OK;
}

int cli_sources_rows(CliSources *s, LawConventions *conv, unsigned given, int n_from_shape,
                     int strict) {
    FitConvReport cr;
    int rc, cap = 0;
    for (int k = 0; k < s->n; k++) {
        const DsRuns *r = s->runs[k];
        FitData dk = {0};
        int count_n = n_from_shape;
        if ((rc = ds_runs_need(r, DS_RUNS_BIT(DS_RUNS_LOSS), 0, 1, "fitting"))) return rc;
        if (k == 0) {
            if ((rc = cli_fit_conventions(r, conv, given, n_from_shape, strict, &cr))) return rc;
            fprintf(stderr, "dwplan fit: source %s (reference)\n", s->name[0]);
            cli_fit_print_columns(stderr, r, &cr);
            if (cr.warning[0]) fprintf(stderr, "dwplan fit: warning: %s\n", cr.warning);
            snprintf(s->note[0], sizeof s->note[0], "the reference: the law's conventions and floor; N %s", cr.params);
        } else {
            if ((rc = other_source_(s, k, conv, n_from_shape, &count_n))) return rc;
            fprintf(stderr, "dwplan fit: source %s: ", s->name[k]);
            cli_print_columns(stderr, r);
            fprintf(stderr, "dwplan fit: source %s: %s\n", s->name[k], s->note[k]);
        }
        if ((rc = plan_runs_fitdata(r, conv, count_n, &dk))) return rc;
        rc = append_(s, k, &dk, &cap);
        fit_data_free(&dk);
        if (rc) return rc;
    }
    if (!s->d.inputs) s->d.inputs = LAW_BIT(LAW_NX);
    return DW_OK;
}

void cli_sources_free(CliSources *s) {
    for (int k = 0; k < s->n; k++) ds_runs_free(s->runs[k]);
    fit_data_free(&s->d);
    free(s->group);
    free(s->run);
    memset(s, 0, sizeof *s);
}

void cli_render_sources(FILE *f, const Law *law, const FitSourceCV *cv) {
    if (law->nsources < 2) return;
    fprintf(f, "sources (the law is the first one's; each other is the law + its offset):\n");
    fprintf(f, "  %-28s %6s %-5s %-26s%s\n", "source", "rows", "shape", "offset (nats, 95%)",
            cv ? "  left out: error on differences" : "");
    for (int k = 0; k < law->nsources; k++) {
        const LawSource *s = &law->sources[k];
        char off[64], c[200] = "";
        if (k == 0) snprintf(off, sizeof off, "0 (reference)");
        else if (isfinite(s->lo) && isfinite(s->hi))
            snprintf(off, sizeof off, "%+.4f [%+.4f, %+.4f]", s->offset, s->lo, s->hi);
        else snprintf(off, sizeof off, "%+.4f", s->offset);
        /* the left-out offset as the fitted one: the source's level minus the law's */
        if (cv && cv[k].ok)
            snprintf(c, sizeof c, "  RMSE %.4f (offset %+.3f)", cv[k].rmse_centred, -cv[k].offset);
        else if (cv) snprintf(c, sizeof c, "  not computed: %s", cv[k].why);
        fprintf(f, "  %-28s %6d %-5s %-26s%s\n", s->name, s->rows, s->shape ? "yes" : "no", off, c);
        fprintf(f, "    %s\n", s->note);
    }
}
