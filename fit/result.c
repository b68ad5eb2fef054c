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
    if (r->has_cov) {
        law->has_se = law->has_cov = 1;
        memcpy(law->se, r->se, sizeof law->se);
        memcpy(law->cov, r->cov, sizeof law->cov);
        for (int i = 0; i < f->np; i++)
            if (!(o->fixed >> i & 1)) {
                law->has_ci[i] = 1;
                law->ci[i][0] = r->p[i] - 1.96 * r->se[i];
                law->ci[i][1] = r->p[i] + 1.96 * r->se[i];
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

/* Bootstrap refits into the law's intervals and draws; info says how it went. */
static int bootstrap_(const LawForm *f, const FitData *d, const FitOptions *o,
                      const FitLawOptions *lo, Law *law, FitLawInfo *info) {
    FitBootOptions bo = {.n = lo->boot, .group = lo->by_shape ? lo->group : NULL,
                         .seed = lo->seed, .threads = lo->threads > 0 ? lo->threads : 1};
    char msg[160];
    int rc;
    double *draws = malloc(sizeof(double) * (size_t)f->np * (size_t)lo->boot);
    if (!draws) return dw_error_set(DW_ENOMEM, "out of memory for %d bootstrap draws", lo->boot);
    snprintf(msg, sizeof msg, "%d bootstrap refits (%s) on %d thread%s...", lo->boot,
             lo->by_shape ? "whole shapes" : "rows", bo.threads, bo.threads == 1 ? "" : "s");
    progress_(lo, msg);
    if ((rc = fit_bootstrap(f, d, o, &info->res, &bo, draws, &info->nboot_ok))) goto out;
    if (info->nboot_ok >= FIT_MIN_BOOT_DRAWS) {
        if ((rc = fit_law_set_draws(law, draws, info->nboot_ok, lo->max_draws))) goto out;
        snprintf(info->ci_method, sizeof info->ci_method,
                 "bootstrap: 95%% percentile over %d of %d refits (%s, seed %lu)",
                 info->nboot_ok, lo->boot,
                 lo->by_shape ? "whole shapes resampled" : "rows resampled", lo->seed);
    } else {
        snprintf(info->warning, sizeof info->warning,
                 "only %d of %d bootstrap refits converged (%d needed): keeping the asymptotic "
                 "intervals", info->nboot_ok, lo->boot, FIT_MIN_BOOT_DRAWS);
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
    if (info->res.has_cov)
        snprintf(info->ci_method, sizeof info->ci_method,
                 "asymptotic: estimate ± 1.96 SE from the Jacobian at the optimum");
    else
        snprintf(info->ci_method, sizeof info->ci_method,
                 "none: the Jacobian is rank-deficient or no rows are left over for an error "
                 "estimate");
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
