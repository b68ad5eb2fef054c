/* fit/result.c — a fit's result as a law: the one conversion that `dwplan fit -o`, the form
 * comparison and the report use, so a fitted law carries the same fields whoever fitted it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "fit.h"

Law *fit_result_law(const LawForm *f, const FitOptions *o, const FitResult *r,
                    const LawConventions *conv, const char *name) {
    Law *law = law_alloc(f);
    if (!law) {
        dw_error_set(DW_ENOMEM, "out of memory");
        return NULL;
    }
    char ft[96];
    law_form_text(f, ft, sizeof ft);
    snprintf(law->name, sizeof law->name, "%.63s", name ? name : ft);
    memcpy(law->p, r->p, sizeof law->p);
    law->fixed = o->fixed;
    if (conv) law->conv = *conv;
    law->fit = r->info;
    law->fit.on_bound = r->on_bound;
    law->fit.unidentified = r->unidentified;
    if (r->has_cov) {
        law->has_se = law->has_cov = 1;
        memcpy(law->se, r->se, sizeof law->se);
        memcpy(law->cov, r->cov, sizeof law->cov);
        for (int i = 0; i < f->np; i++) {
            /* a pinned parameter (no effect left, fit.h) has no standard error */
            if ((o->fixed >> i & 1) || !(r->se[i] > 0)) continue;
            /* an interval never runs past a bound: clipped there (the renderer says so) */
            law->has_ci[i] = 1;
            law->ci[i][0] = fmax(r->p[i] - 1.96 * r->se[i], o->lo[i]);
            law->ci[i][1] = fmin(r->p[i] + 1.96 * r->se[i], o->hi[i]);
        }
    }
    return law;
}

int fit_law_set_draws(Law *law, const double *draws, int ndraws, int max_store) {
    int np = law->form.np;
    double ci[LAW_MAXP][2];
    int rc;
    if (ndraws < 1 || max_store < 1) return dw_error_set(DW_EINVAL, "fit_law_set_draws: no draws");
    if ((rc = fit_percentile_ci(&law->form, draws, ndraws, ci))) return rc;
    for (int i = 0; i < np; i++) {
        if (law->fixed >> i & 1) continue;
        law->has_ci[i] = 1;
        law->ci[i][0] = ci[i][0], law->ci[i][1] = ci[i][1];
    }
    int keep = ndraws < max_store ? ndraws : max_store;
    double *copy = malloc(sizeof(double) * (size_t)np * (size_t)keep);
    if (!copy) return dw_error_set(DW_ENOMEM, "out of memory for %d draws", keep);
    memcpy(copy, draws, sizeof(double) * (size_t)np * (size_t)keep);
    free(law->draws);
    law->draws = copy;
    law->ndraws = keep;
    return DW_OK;
}

// ----------------------------------------------------------------------------
// one form, start to finish

static void progress_(const FitLawOptions *lo, const char *msg) {
    if (lo->progress) lo->progress(msg, lo->progress_ctx);
}

void fit_boot_counts_text(const FitBootCounts *c, char *buf, size_t n) {
    const struct {
        int k;
        const char *what;
    } part[] = {
        {c->maxiter, "stopped at the iteration limit"},
        {c->stalled, "stalled away from an optimum"},
        {c->unidentifiable, "resample cannot identify the form"},
        {c->error, "fit failed"},
    };
    size_t at = 0;
    if (n) buf[0] = '\0';
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
        if (!part[i].k || at >= n) continue;
        at += (size_t)snprintf(buf + at, n - at, "%s%d %s", at ? ", " : "", part[i].k, part[i].what);
    }
}

/* How the law's intervals were made, naming what the Jacobian could not tell. */
static void ci_method_(const LawForm *f, const FitOptions *o, const FitData *d,
                       const FitResult *r, char *buf, size_t n) {
    char names[128] = "";
    for (int i = 0; i < f->np; i++)
        if (r->unidentified >> i & 1)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                     names[0] ? ", " : "", f->names[i]);
    int nfree = 0;
    for (int i = 0; i < f->np; i++) nfree += !(o->fixed >> i & 1);
    if (r->has_cov)
        snprintf(buf, n, "asymptotic: estimate ± 1.96 SE from the Jacobian at the optimum, "
                 "clipped at the parameters' bounds%s%s%s", names[0] ? "; none for " : "",
                 names, names[0] ? " (no effect on the fit: not identified)" : "");
    else if (names[0])
        snprintf(buf, n, "none: the Jacobian is rank-deficient: the data cannot identify %s",
                 names);
    else
        snprintf(buf, n, "none: %d rows leave no degrees of freedom for an error estimate "
                 "(%d free parameters)", d->n, nfree);
}

static int cmp_int_(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Distinct ids in group[n] (-1 when out of memory). */
static int ndistinct_(const int *group, int n) {
    int *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1)), m = 0;
    if (!v) return -1;
    memcpy(v, group, sizeof *v * (size_t)n);
    qsort(v, (size_t)n, sizeof *v, cmp_int_);
    for (int i = 0; i < n; i++) m += i == 0 || v[i] != v[i - 1];
    free(v);
    return m;
}

/* Bootstrap refits into the law's intervals and draws; info says how it went. */
static int bootstrap_(const LawForm *f, const FitData *d, const FitOptions *o,
                      const FitLawOptions *lo, Law *law, FitLawInfo *info) {
    int runs = !lo->by_shape && lo->by_run && lo->run;
    FitBootOptions bo = {.n = lo->boot, .group = lo->by_shape ? lo->group : runs ? lo->run : NULL,
                         .seed = lo->seed, .threads = lo->threads > 0 ? lo->threads : 1,
                         .counts = &info->boot_why};
    char msg[160], why[160], over[96] = "";
    int rc;
    double *draws = malloc(sizeof(double) * (size_t)f->np * (size_t)lo->boot);
    if (!draws) return dw_error_set(DW_ENOMEM, "out of memory for %d bootstrap draws", lo->boot);
    int nruns = runs ? ndistinct_(lo->run, d->n) : 0;
    if (runs && nruns < 0) {
        free(draws);
        return dw_error_set(DW_ENOMEM, "out of memory");
    }
    if (runs) /* a curve table: say what a draw is */
        snprintf(over, sizeof over, "bootstrap over %d runs (whole curves)", nruns);
    snprintf(msg, sizeof msg, "%d bootstrap refits (%s) on %d thread%s...", lo->boot,
             lo->by_shape ? "whole shapes" : runs ? over : "rows", bo.threads,
             bo.threads == 1 ? "" : "s");
    progress_(lo, msg);
    if ((rc = fit_bootstrap(f, d, o, &info->res, &bo, draws, &info->nboot_ok))) goto out;
    fit_boot_counts_text(&info->boot_why, why, sizeof why);
    if (info->nboot_ok >= FIT_MIN_BOOT_DRAWS) {
        if ((rc = fit_law_set_draws(law, draws, info->nboot_ok, lo->max_draws))) goto out;
        snprintf(info->ci_method, sizeof info->ci_method,
                 "%s%sbootstrap: 95%% percentile over %d of %d refits%s%s%s (%s, seed %lu)",
                 over, over[0] ? "; " : "", info->nboot_ok, lo->boot, why[0] ? " (left out: " : "",
                 why, why[0] ? ")" : "",
                 lo->by_shape ? "whole shapes resampled" : runs ? "whole runs resampled"
                                                                : "rows resampled",
                 lo->seed);
    } else {
        snprintf(info->warning, sizeof info->warning,
                 "only %d of %d bootstrap refits converged (%d needed; %s): keeping the "
                 "asymptotic intervals", info->nboot_ok, lo->boot, FIT_MIN_BOOT_DRAWS, why);
    }
out:
    free(draws);
    return rc;
}

int fit_law(const LawForm *f, const FitData *d, const FitOptions *o, const FitLawOptions *lo,
            Law **out, FitLawInfo *info) {
    int rc;
    *out = NULL;
    memset(info, 0, sizeof *info);
    info->cv_rmse = info->cv_rmse_log = NAN;
    if ((rc = fit_check_identifiable(f, d, o))) return rc;
    if ((rc = fit_run(f, d, o, &info->res))) return rc;
    info->converged = strncmp(info->res.info.status, "converged", 9) == 0;
    if (lo->cv) {
        /* CV first: quick, and it tells whether the bootstrap is worth waiting for */
        rc = fit_cv_groups(f, d, o, &info->res, lo->group, &info->cv_rmse, &info->cv_rmse_log,
                           &info->cv_folds);
        if (rc == DW_ENOMEM) return rc;
        if (rc) snprintf(info->cv_why, sizeof info->cv_why, "%s", dw_error_get());
        info->res.info.cv_rmse = info->cv_rmse;
    }
    Law *law = fit_result_law(f, o, &info->res, lo->conv, lo->name);
    if (!law) return DW_ENOMEM;
    ci_method_(f, o, d, &info->res, info->ci_method, sizeof info->ci_method);
    if (lo->boot > 0 && info->converged && (rc = bootstrap_(f, d, o, lo, law, info))) {
        law_free(law);
        return rc;
    }
    dw_error_clear();
    *out = law;
    return DW_OK;
}

int fit_predict(const Law *law, const FitData *d, FitPrediction *out) {
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = fit_check_inputs(&law->form, d))) return rc;
    if (d->n < 1) return dw_error_set(DW_EDATA, "no rows to predict");
    fit_stats(&law->form, law->p, d, FIT_LSQ, 0, &out->info);
    double bias = 0;
    for (int j = 0; j < d->n; j++) bias += law_eval(law, &d->x[j]) - d->loss[j];
    out->mean_error = bias / d->n;
    out->n = d->n;
    return DW_OK;
}
