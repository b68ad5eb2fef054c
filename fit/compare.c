/* fit/compare.c — several forms fitted to the same rows, ranked out of sample, and the
 * depth–width verdict (rules in compare.h). */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"

void fit_comparison_free(FitComparison *c) {
    if (!c) return;
    for (int i = 0; c->rows && i < c->n; i++) {
        law_free(c->rows[i].law);
        free(c->rows[i].cv_sse);
        free(c->rows[i].cv_n);
    }
    free(c->rows);
    memset(c, 0, sizeof *c);
}

int fit_compare_split(const char *list, char (*out)[96], int max) {
    char buf[1024];
    int n = 0;
    if (!list || snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return dw_error_set(DW_EINVAL, "form list missing or too long");
    char *p = buf;
    while (*p) {
        char *end = p;
        while ((end = strchr(end, ',')) && end[1] && strchr("WDNTwdnt", end[1]) &&
               (end[2] == ',' || end[2] == '\0'))
            end++;
        if (end) *end = '\0';
        if (*p) {
            if (strlen(p) >= 96) return dw_error_set(DW_EINVAL, "form name too long: '%.40s...'", p);
            if (n == max) return dw_error_set(DW_EINVAL, "at most %d forms at a time", max);
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

/* 1 when the rows give input k and it takes two or more values. */
static int varies_(const FitData *d, int k) {
    if (d->inputs && !(d->inputs & LAW_BIT(k))) return 0;
    for (int i = 1; i < d->n; i++)
        if (input_(&d->x[i], k) != input_(&d->x[0], k)) return 1;
    return 0;
}

static int has_input_(const FitData *d, int k) { return !d->inputs || (d->inputs & LAW_BIT(k)); }

/* The default set: the baselines, then the depth-width forms when the rows vary depth and
 * width. Returns the count or DW_EDATA. */
static int default_forms_(const FitData *d, char (*names)[96]) {
    int vD = varies_(d, LAW_D), vW = varies_(d, LAW_W), vN = varies_(d, LAW_N),
        vT = varies_(d, LAW_T), n = 0;
    char sep[32];
    if (vN || vT) {
        snprintf(sep, sizeof sep, "separable:%s%s%s", vN ? "N" : "", vN && vT ? "," : "",
                 vT ? "T" : "");
        strcpy(names[n++], sep);
    }
    /* at one token count chinchilla is separable:N with E for exp(e): not worth a row */
    if (vN && vT) strcpy(names[n++], "chinchilla");
    if (vD && vW) {
        snprintf(sep, sizeof sep, "separable:W,D%s%s", vN ? ",N" : "", vT ? ",T" : "");
        strcpy(names[n++], sep);
        if (vN && has_input_(d, LAW_T)) {
            strcpy(names[n++], "shape:power");
            strcpy(names[n++], "shape:log");
            strcpy(names[n++], "logsq:power");
        }
    }
    if (n == 0) return dw_error_set(DW_EDATA, "the rows vary neither size nor tokens: nothing to fit");
    return n;
}

/* Rows at one token count: B·T^-delta is a constant that E absorbs; fix B = 0 and delta
 * (its value is then irrelevant) unless the caller fixed either, and say so. */
static void one_token_count_(const FitData *d, const LawForm *f, FitOptions *o, char *note,
                             size_t n) {
    int iB = law_form_param_index(f, "B"), idl = law_form_param_index(f, "delta");
    if (iB < 0 || idl < 0 || !(law_form_inputs(f) & LAW_BIT(LAW_T))) return;
    if (!has_input_(d, LAW_T) || varies_(d, LAW_T) || d->n == 0) return;
    if ((o->fixed >> iB & 1) || (o->fixed >> idl & 1)) return;
    fit_options_fix(o, f, "B", 0);
    fit_options_fix(o, f, "delta", 0.095);
    char tk[32];
    dw_fmt_sci_short(d->x[0].tokens, tk, sizeof tk);
    snprintf(note, n, "every row has T = %s: B·T^-delta is a constant absorbed into E (B = 0, "
             "delta fixed)", tk);
}

/* Fits one form into c; failures are recorded in c->why (DW_OK) unless out of memory. */
static int fit_one_(const FitData *d, const int *group, int ngroups, const FitCompareOptions *o,
                    FitCompareRow *c) {
    LawForm f;
    FitOptions fo;
    int rc;
    c->cv_rmse = c->cv_rmse_log = c->loso_rmse = NAN;
    if ((rc = law_form_parse(c->form, &f))) goto fail;
    law_form_text(&f, c->form, sizeof c->form);
    if (o->nsources > 1 && (rc = law_form_add_sources(&f, o->nsources))) goto fail;
    if (o->options) {
        if ((rc = o->options(&f, &fo, o->options_ctx))) goto fail;
    } else {
        fit_options_default(&fo, &f);
        fo.objective = o->objective;
        if (o->huber_delta > 0) fo.huber_delta = o->huber_delta;
    }
    one_token_count_(d, &f, &fo, c->note, sizeof c->note);
    if ((rc = fit_check_identifiable(&f, d, &fo))) goto fail;
    if (o->progress) {
        char msg[192];
        snprintf(msg, sizeof msg, "fitting %s to %d rows%s", c->form, d->n,
                 o->cv && ngroups >= 2 ? " (and leave-one-group-out CV)" : "");
        o->progress(msg, o->progress_ctx);
    }
    if ((rc = fit_run(&f, d, &fo, &c->res))) goto fail;
    if (!(c->law = fit_result_law(&f, &fo, &c->res, o->conv, NULL))) return DW_ENOMEM;
    for (int i = 0; i < f.np; i++) c->nfree += !(fo.fixed >> i & 1);
    c->converged = !strncmp(c->res.info.status, "converged", 9);
    c->ok = 1;
    if (o->cv && ngroups >= 2) {
        c->cv_sse = malloc(sizeof *c->cv_sse * (size_t)d->n);
        c->cv_n = calloc((size_t)d->n, sizeof *c->cv_n);
        if (!c->cv_sse || !c->cv_n) return dw_error_set(DW_ENOMEM, "out of memory");
        for (int g = 0; g < d->n; g++) c->cv_sse[g] = NAN;
        rc = fit_cv_groups_each(&f, d, &fo, &c->res, group, &c->cv_rmse, &c->cv_rmse_log,
                                &c->folds, c->cv_sse, c->cv_n);
        if (rc == DW_ENOMEM) return rc;
        if (rc) c->cv_rmse = c->cv_rmse_log = NAN;
        c->law->fit.cv_rmse = c->cv_rmse;
    }
    if (o->cv && o->nsources > 1) {
        if ((rc = fit_cv_sources(&f, d, &fo, &c->res, o->nsources, c->src_cv)) == DW_ENOMEM)
            return rc;
        double ss = 0;
        int m = 0;
        for (int s = 0; s < o->nsources && !rc; s++) {
            if (!c->src_cv[s].ok) {
                m = 0;
                break;
            }
            ss += c->src_cv[s].rmse_centred * c->src_cv[s].rmse_centred * c->src_cv[s].n;
            m += c->src_cv[s].n;
        }
        c->loso_rmse = m ? sqrt(ss / m) : NAN;
    }
    return DW_OK;
fail:
    if (rc == DW_ENOMEM) return rc;
    snprintf(c->why, sizeof c->why, "%s", dw_error_get());
    return DW_OK;
}

/* Rank key: converged fits with a CV RMSE by it; converged fits without CV by RMSE; fits
 * that did not converge after those (by CV RMSE, else RMSE); failures last. */
static double key_(const FitCompareRow *c, int *tier) {
    if (!c->ok) {
        *tier = 3;
        return 0;
    }
    int cv = isfinite(c->cv_rmse);
    *tier = !c->converged ? 2 : cv ? 0 : 1;
    double v = cv ? c->cv_rmse : c->law->fit.rmse;
    return isfinite(v) ? v : INFINITY;
}

static int cmp_rows_(const void *x, const void *y) {
    int ta, tb;
    double u = key_(x, &ta), v = key_(y, &tb);
    if (ta != tb) return (ta > tb) - (ta < tb);
    return (u > v) - (u < v);
}

void fit_compare_verdict(FitComparison *c) {
    c->best_shape = c->best_plain = -1;
    c->verdict_kind = c->shape_wins = c->npaired = 0;
    c->verdict[0] = 0;
    for (int k = 0; k < c->n; k++) {
        const FitCompareRow *r = &c->rows[k];
        if (!r->ok || !r->converged || !isfinite(r->cv_rmse)) continue;
        int *slot = law_form_has_shape(&r->law->form) ? &c->best_shape : &c->best_plain;
        if (*slot < 0) *slot = k;
    }
    c->has_verdict = c->best_shape >= 0 && c->best_plain >= 0;
    if (!c->has_verdict) return;
    const FitCompareRow *s = &c->rows[c->best_shape], *p = &c->rows[c->best_plain];
    double sum = 0, sum2 = 0;
    int g_n = 0, m = 0;
    for (int g = 0; s->cv_sse && p->cv_sse && g < c->nrows; g++) {
        if (!isfinite(s->cv_sse[g]) || !isfinite(p->cv_sse[g]) || !p->cv_n[g] ||
            s->cv_n[g] != p->cv_n[g])
            continue;
        double dg = p->cv_sse[g] - s->cv_sse[g];
        sum += dg, sum2 += dg * dg, g_n++, m += p->cv_n[g];
    }
    c->npaired = g_n;
    c->cv_mse_diff = c->cv_mse_diff_se = NAN;
    if (g_n >= 2 && m > 0) {
        double mean = sum / g_n, var = fmax(0, (sum2 - g_n * mean * mean) / (g_n - 1));
        c->cv_mse_diff = sum / m;
        c->cv_mse_diff_se = sqrt(g_n * var) / m;
        c->verdict_kind = c->cv_mse_diff > c->cv_mse_diff_se    ? 1
                          : c->cv_mse_diff < -c->cv_mse_diff_se ? -1
                                                                : 0;
    }
    c->shape_wins = c->verdict_kind == 1;
    char ev[160] = "fewer than 2 held-out shapes to pair";
    if (g_n >= 2)
        snprintf(ev, sizeof ev, "CV MSE difference %.3g ± %.3g (paired SE over %d held-out "
                 "shapes)", c->cv_mse_diff, c->cv_mse_diff_se, g_n);
    snprintf(c->verdict, sizeof c->verdict,
             "%s: %s (CV RMSE %.5f) vs the best form without one, %s (%.5f), out of sample; %s",
             c->verdict_kind > 0   ? "the data favour a depth-width term"
             : c->verdict_kind < 0 ? "the data do not favour a depth-width term"
                                   : "the data cannot tell whether a depth-width term helps "
                                     "(the difference is within its standard error)",
             s->form, s->cv_rmse, p->form, p->cv_rmse, ev);
}

int fit_compare(const FitData *d, const int *group, int ngroups, const FitCompareOptions *o,
                FitComparison *out) {
    char names[FIT_COMPARE_MAX_FORMS][96];
    int n, rc;
    memset(out, 0, sizeof *out);
    if (d->n < 3)
        return dw_error_set(DW_EDATA, "%d row%s: too few to fit and compare laws", d->n,
                            d->n == 1 ? "" : "s");
    n = o->forms ? fit_compare_split(o->forms, names, FIT_COMPARE_MAX_FORMS) : default_forms_(d, names);
    if (n < 0) return n;
    if (!(out->rows = calloc((size_t)n, sizeof *out->rows)))
        return dw_error_set(DW_ENOMEM, "out of memory");
    out->n = n;
    out->nrows = d->n;
    out->ngroups = ngroups;
    out->nsources = o->nsources > 1 ? o->nsources : 1;
    for (int k = 0; k < n; k++) {
        memcpy(out->rows[k].form, names[k], sizeof out->rows[k].form);
        if ((rc = fit_one_(d, group, ngroups, o, &out->rows[k]))) {
            fit_comparison_free(out);
            return dw_error_set(rc, "out of memory");
        }
    }
    dw_error_clear();
    qsort(out->rows, (size_t)n, sizeof *out->rows, cmp_rows_);
    fit_compare_verdict(out);
    return DW_OK;
}
