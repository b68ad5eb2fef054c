/* plots/compare.c — fits several law forms to the runs and ranks them out of sample, for
 * the parity figure and the report's form comparison. The fitting is the fitter's own
 * (fit_run from a grid of starts, fit_cv_groups for leave-one-shape-out CV), called as a
 * library: the numbers match `dwplan fit --compare` on the same data and options.
 *
 * A probe sweep trains every run on the same token count. Then B·T^-delta is one constant
 * that E absorbs, and a form with that term is not identifiable as it stands; we fix B = 0
 * and delta (its value is irrelevant) and say so in the form's note, so that the depth-width
 * question can still be asked of the sweep.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "plot.h"

void plot_form_fits_free(PlotFormFit *f, int n) {
    if (!f) return;
    for (int i = 0; i < n; i++) law_free(f[i].law);
    free(f);
}

/* Splits "F1,F2,..." into forms; a comma followed by one variable letter (W, D, N, T) and
 * then a comma or the end continues a separable list ("separable:W,D,N,T,chinchilla"). */
static int split_forms_(const char *list, char (*out)[96], int max) {
    char buf[1024];
    int n = 0;
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return dw_error_set(DW_EINVAL, "form list too long");
    char *p = buf;
    while (*p && n < max) {
        char *end = p;
        while ((end = strchr(end, ',')) && end[1] && strchr("WDNTwdnt", end[1]) &&
               (end[2] == ',' || end[2] == '\0'))
            end++;
        if (end) *end = '\0';
        if (*p) {
            if (strlen(p) >= 96)
                return dw_error_set(DW_EINVAL, "form name too long: '%.40s...'", p);
            strcpy(out[n++], p);
        }
        p = end ? end + 1 : p + strlen(p);
    }
    if (n == 0) return dw_error_set(DW_EINVAL, "no forms given");
    return n;
}

static double input_(const LawX *x, int k) {
    return k == LAW_D ? x->depth : k == LAW_W ? x->width : k == LAW_N ? x->params : x->tokens;
}

/* 1 when input k takes two or more values over the rows. */
static int varies_(const FitData *d, int k) {
    for (int i = 1; i < d->n; i++)
        if (input_(&d->x[i], k) != input_(&d->x[0], k)) return 1;
    return 0;
}

static int cmp_fit_(const void *x, const void *y) {
    const PlotFormFit *a = x, *b = y;
    double u = a->ok ? (isfinite(a->cv_rmse) ? a->cv_rmse : a->law->fit.rmse + 1e6) : INFINITY;
    double v = b->ok ? (isfinite(b->cv_rmse) ? b->cv_rmse : b->law->fit.rmse + 1e6) : INFINITY;
    return (u > v) - (u < v);
}

int plot_fit_forms(const PlotRuns *r, const char *forms, FitObjective obj, double delta,
                   int n_from_shape, int cv, void (*progress)(const char *, void *), void *ctx,
                   PlotFormFit **out, int *nout) {
    char names[16][96];
    int n, rc;
    FitData d;
    LawConventions conv;
    PlotFormFit *res = NULL;
    *out = NULL;
    *nout = 0;
    if (!r->has_loss) return dw_error_set(DW_EINVAL, "no loss column to fit");
    if (r->n < 3)
        return dw_error_set(DW_EINVAL, "%d run%s: too few to fit a law", r->n,
                            r->n == 1 ? "" : "s");
    law_conventions_default(&conv);
    if ((rc = plot_runs_fitdata(r, &conv, n_from_shape, &d))) return rc;
    int vD = r->has_depth && varies_(&d, LAW_D), vW = r->has_width && varies_(&d, LAW_W);
    int hasT = 1;
    for (int i = 0; i < d.n; i++) hasT = hasT && isfinite(d.x[i].tokens) && d.x[i].tokens > 0;
    int vN = varies_(&d, LAW_N), vT = hasT && varies_(&d, LAW_T);
    if (forms) {
        if ((n = split_forms_(forms, names, 16)) < 0) {
            rc = n;
            goto out;
        }
    } else {
        /* the baselines, then the depth-width forms when the runs vary depth and width */
        n = 0;
        char sep[32] = "separable:";
        if (vN) strcat(sep, "N,");
        if (vT) strcat(sep, "T,");
        if (vN || vT) {
            sep[strlen(sep) - 1] = '\0';
            strcpy(names[n++], sep);
        }
        /* at one token count chinchilla is separable:N with E for exp(e): not worth a row */
        if (vN && vT) strcpy(names[n++], "chinchilla");
        if (vD && vW) {
            strcpy(sep, "separable:W,D,");
            if (vN) strcat(sep, "N,");
            if (vT) strcat(sep, "T,");
            sep[strlen(sep) - 1] = '\0';
            strcpy(names[n++], sep);
            if (vN && hasT) {
                strcpy(names[n++], "shape:power");
                strcpy(names[n++], "shape:log");
                strcpy(names[n++], "logsq:power");
            }
        }
        if (n == 0) {
            rc = dw_error_set(DW_EINVAL, "the runs vary neither size nor tokens: nothing to fit");
            goto out;
        }
    }
    if (!(res = calloc((size_t)n, sizeof *res))) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < n; k++) {
        PlotFormFit *c = &res[k];
        LawForm f;
        FitOptions o;
        FitResult fr;
        char msg[160];
        c->cv_rmse = c->cv_rmse_log = NAN;
        snprintf(c->form, sizeof c->form, "%s", names[k]);
        if ((rc = law_form_parse(names[k], &f))) {
            snprintf(c->why, sizeof c->why, "%s", dw_error_get());
            continue;
        }
        law_form_text(&f, c->form, sizeof c->form);
        fit_options_default(&o, &f);
        o.objective = obj;
        if (delta > 0) o.huber_delta = delta;
        unsigned need = law_form_inputs(&f);
        int iB = law_form_param_index(&f, "B"), idl = law_form_param_index(&f, "delta");
        if (!vT && (need & LAW_BIT(LAW_T)) && iB >= 0 && idl >= 0 && hasT) {
            /* one token count: B·T^-delta is a constant that E absorbs */
            fit_options_fix(&o, &f, "B", 0);
            fit_options_fix(&o, &f, "delta", 0.095);
            char tk[32];
            double t = d.x[0].tokens;
            int e = (int)floor(log10(t));
            double m = t / pow(10, e);
            if (fabs(m - round(m)) < 1e-9)
                snprintf(tk, sizeof tk, "%.0fe%d", m, e);
            else
                snprintf(tk, sizeof tk, "%.3ge%d", m, e);
            snprintf(c->note, sizeof c->note,
                     "every run has T = %s: B·T^-delta is a constant "
                     "absorbed into E (B = 0, delta fixed)",
                     tk);
        } else if ((rc = fit_check_identifiable(&f, &d, NULL))) {
            snprintf(c->why, sizeof c->why, "%s", dw_error_get());
            continue;
        }
        if ((need & LAW_BIT(LAW_T)) && !hasT) {
            snprintf(c->why, sizeof c->why, "the runs give no token counts");
            continue;
        }
        if (progress) {
            snprintf(msg, sizeof msg, "fitting %s to %d runs%s", c->form, d.n,
                     cv ? " (and leave-one-shape-out CV)" : "");
            progress(msg, ctx);
        }
        if ((rc = fit_run(&f, &d, &o, &fr))) {
            snprintf(c->why, sizeof c->why, "%s", dw_error_get());
            continue;
        }
        if (!(c->law = law_alloc(&f))) {
            rc = dw_error_set(DW_ENOMEM, "out of memory");
            goto out;
        }
        Law *L = c->law;
        snprintf(L->name, sizeof L->name, "%.63s", c->form);
        memcpy(L->p, fr.p, sizeof L->p);
        L->fixed = o.fixed;
        L->conv = conv;
        L->fit = fr.info;
        if (fr.has_cov) {
            L->has_se = L->has_cov = 1;
            memcpy(L->se, fr.se, sizeof L->se);
            memcpy(L->cov, fr.cov, sizeof L->cov);
            for (int i = 0; i < f.np; i++)
                if (!(o.fixed >> i & 1)) {
                    L->has_ci[i] = 1;
                    L->ci[i][0] = fr.p[i] - 1.96 * fr.se[i];
                    L->ci[i][1] = fr.p[i] + 1.96 * fr.se[i];
                }
        }
        for (int i = 0; i < f.np; i++) c->nfree += !(o.fixed >> i & 1);
        c->converged = !strncmp(fr.info.status, "converged", 9);
        c->ok = 1;
        if (cv && r->ngroups >= 2) {
            if (fit_cv_groups(&f, &d, &o, &fr, r->group, &c->cv_rmse, &c->cv_rmse_log, &c->folds) !=
                DW_OK)
                c->cv_rmse = c->cv_rmse_log = NAN;
            L->fit.cv_rmse = c->cv_rmse;
        }
    }
    dw_error_clear();
    qsort(res, (size_t)n, sizeof *res, cmp_fit_);
    *out = res;
    *nout = n;
    res = NULL;
    rc = DW_OK;
out:
    plot_form_fits_free(res, n);
    plot_fitdata_free(&d);
    return rc;
}
