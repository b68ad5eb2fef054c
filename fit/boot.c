/* fit/boot.c — bootstrap intervals, leave-one-group-out cross-validation and
 * identifiability checks for fits (DESIGN §4.3 "Uncertainty", "Report").
 *
 * Bootstrap refits are warm-started from the fit on all rows (no grid): a resample moves
 * the optimum a little, and the grid already ruled out other basins on the full data.
 * Resample r draws its rows from its own generator, seeded from (seed, r), so the draws do
 * not depend on how resamples are spread over threads.
 */
#define _POSIX_C_SOURCE 200809L
#include <gsl/gsl_rng.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "fit.h"

// ----------------------------------------------------------------------------
// bootstrap

/* What became of one resample (FitBootCounts). */
typedef enum { BOOT_OK = 1, BOOT_UNIDENTIFIABLE, BOOT_MAXITER, BOOT_STALLED, BOOT_ERROR } BootOutcome;

typedef struct {
    const LawForm *f;
    const FitData *d;
    const FitOptions *o;
    const FitResult *full;
    const FitBootOptions *b;
    int ngroups;
    int *group_start, *group_rows; /* rows of group g: group_rows[group_start[g] ..] */
    int *ident;                    /* multi-source row bootstrap: one group per row */
    int nstrata;                   /* sources (LawX.source): groups are drawn within each */
    int *strat_start, *strat_groups; /* groups of source s: strat_groups[strat_start[s] ..] */
    double *draws;
    int *ok;                       /* per resample: a BootOutcome */
    int next;                      /* next resample to take (under lock) */
    pthread_mutex_t lock;
} BootJob;

/* Source rows of one resample into idx[] (the count into *n): n rows with replacement, or
 * whole groups; the draws come from rng in this order, so fit_bootstrap_rows sees exactly
 * the resamples fit_bootstrap fits. */
static void resample_rows_(const BootJob *j, gsl_rng *rng, int *idx, int *n) {
    const FitData *d = j->d;
    int k = 0;
    if (!j->group_start) {
        for (int i = 0; i < d->n; i++) idx[i] = (int)gsl_rng_uniform_int(rng, (unsigned long)d->n);
        *n = d->n;
        return;
    }
    /* whole groups: draw ngroups groups with replacement (per source: as many of its own
     * groups as it has, so every source keeps its rows); the row count varies */
    for (int g = 0; g < j->ngroups; g++) {
        int pick;
        if (j->nstrata > 1) { /* slot g draws among the groups of g's own source */
            int s = j->d->x[j->group_rows[j->group_start[g]]].source;
            int m = j->strat_start[s + 1] - j->strat_start[s];
            pick = j->strat_groups[j->strat_start[s] + (int)gsl_rng_uniform_int(rng, (unsigned long)m)];
        } else {
            pick = (int)gsl_rng_uniform_int(rng, (unsigned long)j->ngroups);
        }
        for (int q = j->group_start[pick]; q < j->group_start[pick + 1]; q++)
            idx[k++] = j->group_rows[q];
    }
    *n = k;
}

/* Rows of one resample into x/loss/weight. */
static void resample_(const BootJob *j, gsl_rng *rng, int *idx, FitData *rs) {
    const FitData *d = j->d;
    resample_rows_(j, rng, idx, &rs->n);
    for (int k = 0; k < rs->n; k++) {
        int r = idx[k];
        rs->x[k] = d->x[r], rs->loss[k] = d->loss[r];
        if (rs->weight) rs->weight[k] = d->weight[r];
    }
}

/* The capacity a resample needs: n rows, or ngroups × the largest group. */
static int resample_cap_(const BootJob *j) {
    if (!j->group_start) return j->d->n;
    int big = 0;
    for (int g = 0; g < j->ngroups; g++)
        if (j->group_start[g + 1] - j->group_start[g] > big)
            big = j->group_start[g + 1] - j->group_start[g];
    return big * j->ngroups;
}

static void *boot_worker_(void *arg) {
    BootJob *j = arg;
    const FitData *d = j->d;
    int cap = resample_cap_(j); /* whole groups: up to ngroups × the largest group */
    FitData rs = {0};
    int *idx = malloc(sizeof *idx * (size_t)(cap > 0 ? cap : 1));
    rs.x = malloc(sizeof *rs.x * cap);
    rs.loss = malloc(sizeof *rs.loss * cap);
    rs.weight = d->weight ? malloc(sizeof *rs.weight * cap) : NULL;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    FitOptions o = *j->o;
    o.has_start = 1;
    o.ftol = 1e-10;
    memcpy(o.start, j->full->p, sizeof o.start);
    if (!rs.x || !rs.loss || (d->weight && !rs.weight) || !rng || !idx) goto out;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        int r = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (r >= j->b->n) break;
        gsl_rng_set(rng, j->b->seed * 1000003UL + (unsigned long)r);
        resample_(j, rng, idx, &rs);
        FitResult fr;
        memset(&fr, 0, sizeof fr);
        /* a resample whose rows cannot identify the form (e.g. whole shapes at one token
         * count) has no meaningful optimum: counted, not refitted */
        if (fit_check_identifiable(j->f, &rs, &o) != DW_OK) j->ok[r] = BOOT_UNIDENTIFIABLE;
        else if (fit_run(j->f, &rs, &o, &fr) != DW_OK) j->ok[r] = BOOT_ERROR;
        else if (!strncmp(fr.info.status, "converged", 9)) j->ok[r] = BOOT_OK;
        else if (!strncmp(fr.info.status, "iteration limit", 15)) j->ok[r] = BOOT_MAXITER;
        else j->ok[r] = BOOT_STALLED;
        memcpy(j->draws + (size_t)r * j->f->np, fr.p, sizeof(double) * j->f->np);
    }
out:
    free(rs.x);
    free(rs.loss);
    free(rs.weight);
    free(idx);
    gsl_rng_free(rng);
    return NULL;
}

/* Groups as contiguous lists: group ids are arbitrary non-negative ints. */
static int build_groups_(const int *group, int n, int **start, int **rows, int *ngroups) {
    int maxg = -1;
    for (int i = 0; i < n; i++) {
        if (group[i] < 0) return dw_error_set(DW_EINVAL, "negative group id");
        if (group[i] > maxg) maxg = group[i];
    }
    int *cnt = calloc((size_t)maxg + 2, sizeof *cnt), *map = malloc(sizeof *map * (maxg + 1));
    *start = NULL, *rows = NULL;
    if (!cnt || !map) goto fail;
    for (int i = 0; i < n; i++) cnt[group[i]]++;
    int g = 0;
    for (int k = 0; k <= maxg; k++) map[k] = cnt[k] ? g++ : -1;
    *ngroups = g;
    *start = calloc((size_t)g + 1, sizeof **start);
    *rows = malloc(sizeof **rows * n);
    if (!*start || !*rows) goto fail;
    for (int i = 0; i < n; i++) (*start)[map[group[i]] + 1]++;
    for (int k = 0; k < g; k++) (*start)[k + 1] += (*start)[k];
    int *fill = calloc((size_t)g, sizeof *fill);
    if (!fill) goto fail;
    for (int i = 0; i < n; i++) {
        int k = map[group[i]];
        (*rows)[(*start)[k] + fill[k]++] = i;
    }
    free(fill);
    free(cnt);
    free(map);
    return DW_OK;
fail:
    free(cnt);
    free(map);
    free(*start);
    free(*rows);
    *start = *rows = NULL;
    return dw_error_set(DW_ENOMEM, "out of memory grouping rows");
}

/* Groups by source (the source of a group's first row: a group never spans sources when
 * groups are shapes within sources, as the CLI builds them). */
static int build_strata_(BootJob *j) {
    int ns = j->nstrata;
    j->strat_start = calloc((size_t)ns + 1, sizeof *j->strat_start);
    j->strat_groups = malloc(sizeof *j->strat_groups * (size_t)j->ngroups);
    int *fill = calloc((size_t)ns, sizeof *fill);
    if (!j->strat_start || !j->strat_groups || !fill) {
        free(fill);
        return dw_error_set(DW_ENOMEM, "out of memory grouping sources");
    }
    for (int g = 0; g < j->ngroups; g++) {
        int s = j->d->x[j->group_rows[j->group_start[g]]].source;
        if (s < 0) s = 0;
        j->strat_start[s + 1]++;
    }
    for (int s = 0; s < ns; s++) j->strat_start[s + 1] += j->strat_start[s];
    for (int g = 0; g < j->ngroups; g++) {
        int s = j->d->x[j->group_rows[j->group_start[g]]].source;
        if (s < 0) s = 0;
        j->strat_groups[j->strat_start[s] + fill[s]++] = g;
    }
    free(fill);
    return DW_OK;
}

static void boot_free_(BootJob *j) {
    free(j->ok);
    free(j->group_start);
    free(j->group_rows);
    free(j->ident);
    free(j->strat_start);
    free(j->strat_groups);
}

/* The groups a resample draws (none: rows; one per row within sources) and the sources. */
static int boot_setup_(BootJob *j, const FitData *d, const FitBootOptions *b) {
    int rc;
    for (int i = 0; i < d->n; i++)
        if (d->x[i].source >= j->nstrata) j->nstrata = d->x[i].source + 1;
    const int *group = b->group;
    if (!group && j->nstrata > 1) { /* rows within their source: one group per row */
        if (!(j->ident = malloc(sizeof *j->ident * (size_t)d->n)))
            return dw_error_set(DW_ENOMEM, "out of memory for %d rows", d->n);
        for (int i = 0; i < d->n; i++) j->ident[i] = i;
        group = j->ident;
    }
    if (group && (rc = build_groups_(group, d->n, &j->group_start, &j->group_rows, &j->ngroups)))
        return rc;
    if (b->group && j->ngroups < 2)
        return dw_error_set(DW_EINVAL, "a bootstrap over whole shapes or runs needs at least 2 "
                            "of them (--by-shape needs rows from at least 2 shapes)");
    if (j->nstrata > 1 && (rc = build_strata_(j))) return rc;
    return DW_OK;
}

int fit_bootstrap_rows(const FitData *d, const FitBootOptions *b, int r, int *idx, int cap,
                       int *n) {
    BootJob j = {.d = d, .b = b};
    gsl_rng *rng = NULL;
    int rc;
    *n = 0;
    if (r < 0 || !idx) return dw_error_set(DW_EINVAL, "fit_bootstrap_rows: bad argument");
    if ((rc = boot_setup_(&j, d, b))) goto out;
    if (resample_cap_(&j) > cap) {
        *n = resample_cap_(&j);
        rc = dw_error_set(DW_EINVAL, "fit_bootstrap_rows: room for %d rows, %d needed", cap, *n);
        goto out;
    }
    if (!(rng = gsl_rng_alloc(gsl_rng_mt19937))) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    gsl_rng_set(rng, b->seed * 1000003UL + (unsigned long)r); /* as boot_worker_ seeds it */
    resample_rows_(&j, rng, idx, n);
out:
    gsl_rng_free(rng);
    boot_free_(&j);
    return rc;
}

int fit_bootstrap(const LawForm *f, const FitData *d, const FitOptions *o, const FitResult *full,
                  const FitBootOptions *b, double *draws, int *nok) {
    BootJob j = {.f = f, .d = d, .o = o, .full = full, .b = b, .draws = draws};
    int rc = DW_OK, nt = b->threads < 1 ? 1 : b->threads > 64 ? 64 : b->threads;
    pthread_t th[64];
    *nok = 0;
    if (b->counts) memset(b->counts, 0, sizeof *b->counts);
    if (b->n < 1) return dw_error_set(DW_EINVAL, "--bootstrap needs at least 1 resample");
    if ((rc = boot_setup_(&j, d, b))) goto out;
    if (!(j.ok = calloc((size_t)b->n, sizeof *j.ok))) {
        rc = dw_error_set(DW_ENOMEM, "out of memory for %d resamples", b->n);
        goto out;
    }
    pthread_mutex_init(&j.lock, NULL);
    int started = 0;
    for (int t = 0; t < nt; t++)
        if (pthread_create(&th[t], NULL, boot_worker_, &j) == 0) started++;
    if (started == 0) boot_worker_(&j); /* no threads available: run here */
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    pthread_mutex_destroy(&j.lock);
    /* pack the converged refits first, keeping their order */
    int k = 0;
    FitBootCounts cnt = {0};
    for (int r = 0; r < b->n; r++) {
        cnt.unidentifiable += j.ok[r] == BOOT_UNIDENTIFIABLE;
        cnt.maxiter += j.ok[r] == BOOT_MAXITER;
        cnt.stalled += j.ok[r] == BOOT_STALLED;
        cnt.error += j.ok[r] != BOOT_OK && j.ok[r] != BOOT_UNIDENTIFIABLE &&
                     j.ok[r] != BOOT_MAXITER && j.ok[r] != BOOT_STALLED;
    }
    for (int r = 0; r < b->n; r++)
        if (j.ok[r] == BOOT_OK) {
            if (k != r) memmove(draws + (size_t)k * f->np, draws + (size_t)r * f->np,
                                sizeof(double) * f->np);
            k++;
        }
    *nok = cnt.ok = k;
    if (b->counts) *b->counts = cnt;
out:
    boot_free_(&j);
    return rc;
}

static int cmp_double_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..n-1]: linear interpolation at position q·(n−1) (Hyndman &
 * Fan's type 7, R's default), so q = 0 and q = 1 give the smallest and largest draw. */
static double percentile_(const double *v, int n, double q) {
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1) return v[n - 1];
    return v[i] + (pos - i) * (v[i + 1] - v[i]);
}

int fit_percentile_ci(const LawForm *f, const double *draws, int n, double (*ci)[2]) {
    if (!f || !ci || f->np < 1 || f->np > LAW_MAXP)
        return dw_error_set(DW_EINVAL, "percentile intervals need a form and an output array");
    for (int i = 0; i < f->np; i++) ci[i][0] = ci[i][1] = NAN;
    if (!draws || n < 2)
        return dw_error_set(DW_EINVAL, "a percentile interval needs at least 2 draws (got %d)",
                            draws ? n : 0);
    double *v = malloc(sizeof(double) * (size_t)n);
    if (!v) return dw_error_set(DW_ENOMEM, "out of memory for %d bootstrap draws", n);
    for (int i = 0; i < f->np; i++) {
        for (int r = 0; r < n; r++) v[r] = draws[(size_t)r * f->np + i];
        qsort(v, (size_t)n, sizeof *v, cmp_double_);
        ci[i][0] = percentile_(v, n, 0.025);
        ci[i][1] = percentile_(v, n, 0.975);
    }
    free(v);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// cross-validation

int fit_cv_groups(const LawForm *f, const FitData *d, const FitOptions *o, const FitResult *full,
                  const int *group, double *rmse, double *rmse_log, int *nfolds) {
    return fit_cv_groups_each(f, d, o, full, group, rmse, rmse_log, nfolds, NULL, NULL);
}

/* The refits of leave-one-group-out CV: pred[i] for every row (see fit_cv_predict); with
 * sse non-NULL, sse[g] and nrows[g] per group (in build_groups_ order: ascending ids). */
static int cv_refits_(const LawForm *f, const FitData *d, const FitOptions *o,
                      const FitResult *full, const int *group, double *pred, int *nfolds,
                      double *sse, int *nrows) {
    int *gs = NULL, *gr = NULL, ng = 0, rc;
    *nfolds = 0;
    if (!group) return dw_error_set(DW_EINVAL, "cross-validation needs a group per row");
    if ((rc = build_groups_(group, d->n, &gs, &gr, &ng))) return rc;
    if (ng < 2) {
        free(gs), free(gr);
        return dw_error_set(DW_EDATA, "cross-validation needs rows from at least 2 shapes");
    }
    FitData tr = {0}; /* inputs 0: all four (the rows are the full fit's) */
    tr.x = malloc(sizeof *tr.x * d->n);
    tr.loss = malloc(sizeof *tr.loss * d->n);
    tr.weight = d->weight ? malloc(sizeof *tr.weight * d->n) : NULL;
    char *held = malloc((size_t)d->n);
    if (!tr.x || !tr.loss || (d->weight && !tr.weight) || !held) {
        rc = dw_error_set(DW_ENOMEM, "out of memory for cross-validation");
        goto out;
    }
    FitOptions wo = *o;
    wo.has_start = 1;
    wo.ftol = 1e-10;
    memcpy(wo.start, full->p, sizeof wo.start);
    for (int i = 0; i < d->n; i++) pred[i] = NAN;
    for (int g = 0; g < ng; g++) {
        memset(held, 0, (size_t)d->n);
        for (int q = gs[g]; q < gs[g + 1]; q++) held[gr[q]] = 1;
        tr.n = 0;
        for (int i = 0; i < d->n; i++)
            if (!held[i]) {
                tr.x[tr.n] = d->x[i], tr.loss[tr.n] = d->loss[i];
                if (tr.weight) tr.weight[tr.n] = d->weight[i];
                tr.n++;
            }
        FitResult fr;
        if (sse) sse[g] = NAN, nrows[g] = 0;
        if (fit_run(f, &tr, &wo, &fr) != DW_OK) continue;
        if (sse) sse[g] = 0;
        for (int q = gs[g]; q < gs[g + 1]; q++) {
            int i = gr[q];
            double lhat = law_form_eval(f, fr.p, &d->x[i], NULL, NULL);
            if (!isfinite(lhat) || lhat <= 0) continue;
            pred[i] = lhat;
            if (sse) sse[g] += (lhat - d->loss[i]) * (lhat - d->loss[i]), nrows[g]++;
        }
        (*nfolds)++;
    }
    rc = DW_OK;
out:
    free(tr.x), free(tr.loss), free(tr.weight), free(held), free(gs), free(gr);
    return rc;
}

int fit_cv_predict(const LawForm *f, const FitData *d, const FitOptions *o,
                   const FitResult *full, const int *group, double *pred, int *nfolds) {
    return cv_refits_(f, d, o, full, group, pred, nfolds, NULL, NULL);
}

int fit_cv_groups_each(const LawForm *f, const FitData *d, const FitOptions *o,
                       const FitResult *full, const int *group, double *rmse, double *rmse_log,
                       int *nfolds, double *sse, int *nrows) {
    *rmse = *rmse_log = NAN;
    double *pred = malloc(sizeof *pred * (size_t)(d->n > 0 ? d->n : 1));
    if (!pred) return dw_error_set(DW_ENOMEM, "out of memory for cross-validation");
    int rc = cv_refits_(f, d, o, full, group, pred, nfolds, sse, nrows);
    double ss = 0, ssl = 0;
    int m = 0;
    for (int i = 0; rc == DW_OK && i < d->n; i++) {
        if (isnan(pred[i])) continue;
        ss += (pred[i] - d->loss[i]) * (pred[i] - d->loss[i]);
        ssl += (log(pred[i]) - log(d->loss[i])) * (log(pred[i]) - log(d->loss[i]));
        m++;
    }
    if (m > 0) {
        *rmse = sqrt(ss / m);
        *rmse_log = sqrt(ssl / m);
    }
    free(pred);
    return rc;
}
