/* plots/fig_parity.c — the `parity` figure (plot.h): predicted vs observed loss, one square
 * panel per model (the law and the forms fitted to the runs), each on its own range (a model
 * that misses by nats must not shrink a good fit to a dot), R² and RMSE (fit_predict) in each
 * panel's title, one legend for all panels. A model fitted to these runs (PlotModel.fitted)
 * also shows its out-of-sample predictions: each shape (DsRuns.group) held out in turn, the
 * form refitted to the rest from the fitted parameters and the held-out runs predicted — the
 * refits of the comparison's leave-one-shape-out CV, made by fit/ (fit_cv_predict, the same
 * refits fit_cv_groups scores) under the options the law records (fit_options_of_law). A fit
 * whose optimiser did not converge is flagged in its panel's title.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "fig.h"
#include "planner/fitdata.h"

// ----------------------------------------------------------------------------
// parity: predicted vs observed loss, one panel per model

#define PARITY_MAX 9

/* Leave-one-shape-out predictions of a law fitted to d: cv[i] for each row (NaN when its
 * shape's refit failed), the refits of `fit --compare`'s CV (fit_cv_predict) under the
 * options the law records (fit_options_of_law). Returns the shapes predicted, or -1. */
static int parity_cv_(const Law *law, const FitData *d, const int *group, double *cv) {
    FitOptions o;
    FitResult full;
    int nfolds = 0;
    fit_options_of_law(law, &o);
    memset(&full, 0, sizeof full);
    memcpy(full.p, law->p, sizeof full.p);
    int rc = fit_cv_predict(&law->form, d, &o, &full, group, cv, &nfolds);
    dw_error_clear();
    if (rc == DW_ENOMEM) return -1;
    if (rc) {
        for (int i = 0; i < d->n; i++) cv[i] = NAN;
        return 0;
    }
    return nfolds;
}

/* What the steps of the figure share. */
typedef struct {
    const DsRuns *r;
    PlotModel m[PARITY_MAX];
    int nm, ok[PARITY_MAX], nok;
    FitData d[PARITY_MAX];
    LawFitInfo info[PARITY_MAX];
    double *cv[PARITY_MAX];     /* (n) held-out predictions, or NULL */
    double cv_rmse[PARITY_MAX]; /* their RMSE (NaN: none) */
    int cv_n[PARITY_MAX];
    double lo[PARITY_MAX], hi[PARITY_MAX]; /* each panel's range */
    int apart[PARITY_MAX];      /* predictions far off the runs: x observed, y predicted, each
                                   on its own range (y = x is then off the panel) */
    double xlo[PARITY_MAX], xhi[PARITY_MAX], ylo[PARITY_MAX], yhi[PARITY_MAX];
    double bias[PARITY_MAX];    /* mean predicted − observed */
    double *W;
    int nw;
    char name[PARITY_MAX][160];
} Parity;

/* The models, their predictions, statistics, held-out predictions and ranges. */
static int parity_models_(Fig *f, Parity *p) {
    const PlotSpec *s = f->s;
    const DsRuns *r = p->r;
    char lbl[160];
    if (s->law) {
        PlotModel *m = &p->m[p->nm++];
        /* an optimiser's status reads "... after N iterations" (fit/fit.c); a preset's
         * "published values" is not one */
        const char *st = s->law->fit.status;
        *m = (PlotModel){.law = s->law, .n_from_shape = s->n_from_shape,
                         .not_converged = strstr(st, " after ") && strstr(st, " iteration") &&
                                          strncmp(st, "converged", 9)};
        if (snprintf(m->label, sizeof m->label, "law: %s", law_label_(s->law, lbl, sizeof lbl)) >=
            (int)sizeof m->label)
            strcpy(m->label + sizeof m->label - 4, "...");
    }
    for (int k = 0; k < s->nmodels && p->nm < PARITY_MAX; k++) p->m[p->nm++] = s->models[k];
    if (p->nm == 0)
        return dw_error_set(DW_EINVAL, "parity: needs a law (--law) or forms to fit (--form)");
    for (int k = 0; k < p->nm; k++) {
        const PlotModel *m = &p->m[k];
        FitData *d = &p->d[k];
        p->cv_rmse[k] = NAN;
        if (plan_runs_fitdata(r, &m->law->conv, m->n_from_shape, d)) {
            NOTE(f, "%s: %s", m->label, dw_error_get());
            continue;
        }
        double lo = INFINITY, hi = -INFINITY;
        int finite = 1;
        for (int i = 0; i < d->n && finite; i++) {
            double q = law_eval(m->law, &d->x[i]);
            if (!(finite = isfinite(q)))
                NOTE(f, "%s: no finite prediction at line %d", m->label, r->line[i]);
            lo = fmin(lo, fmin(q, d->loss[i])), hi = fmax(hi, fmax(q, d->loss[i]));
        }
        FitPrediction pred; /* the same statistics as `dwplan fit --predict` */
        if (!finite) continue;
        if (fit_predict(m->law, d, &pred)) {
            NOTE(f, "%s: %s", m->label, dw_error_get());
            continue;
        }
        p->info[k] = pred.info;
        if (m->fitted && r->ngroups >= 2) {
            if (!(p->cv[k] = malloc(sizeof(double) * (size_t)d->n)))
                return dw_error_set(DW_ENOMEM, "out of memory");
            if (parity_cv_(m->law, d, r->group, p->cv[k]) < 0)
                return dw_error_set(DW_ENOMEM, "out of memory");
            double ss = 0;
            for (int i = 0; i < d->n; i++)
                if (isfinite(p->cv[k][i]) && p->cv[k][i] > 0) {
                    ss += (p->cv[k][i] - d->loss[i]) * (p->cv[k][i] - d->loss[i]), p->cv_n[k]++;
                    lo = fmin(lo, p->cv[k][i]), hi = fmax(hi, p->cv[k][i]);
                }
            if (p->cv_n[k]) p->cv_rmse[k] = sqrt(ss / p->cv_n[k]);
        }
        double pad = 0.05 * (hi - lo > 0 ? hi - lo : fmax(0.02 * fabs(hi), 1e-3));
        p->lo[k] = lo - pad, p->hi[k] = hi + pad;
        /* a model that misses by far more than the runs spread would leave them a dot on a
         * square panel: observed and predicted then get their own ranges */
        double olo = INFINITY, ohi = -INFINITY, qlo = INFINITY, qhi = -INFINITY, bias = 0;
        for (int i = 0; i < d->n; i++) {
            double q = law_eval(m->law, &d->x[i]);
            olo = fmin(olo, d->loss[i]), ohi = fmax(ohi, d->loss[i]);
            qlo = fmin(qlo, q), qhi = fmax(qhi, q), bias += q - d->loss[i];
        }
        p->bias[k] = bias / d->n;
        double ospan = fmax(ohi - olo, 0.02 * fabs(ohi)), qspan = fmax(qhi - qlo, 0.02 * fabs(qhi));
        p->apart[k] = fabs(p->bias[k]) > 3 * fmax(ospan, qspan) && !p->cv[k];
        p->xlo[k] = olo - 0.06 * ospan, p->xhi[k] = ohi + 0.06 * ospan;
        p->ylo[k] = qlo - 0.06 * qspan, p->yhi[k] = qhi + 0.06 * qspan;
        p->ok[k] = 1, p->nok++;
    }
    if (!p->nok)
        return dw_error_set(DW_EINVAL, "parity: no model could predict the runs (%s)",
                            f->res->notes);
    return DW_OK;
}

/* One data file per panel: observed, predicted, held-out prediction per run, a block per
 * width. */
static int parity_data_(Fig *f, Parity *p) {
    const DsRuns *r = p->r;
    PlotBuf db = {0};
    int ni = 0, rc = DW_OK;
    for (int k = 0; k < p->nm && !rc; k++) {
        if (!p->ok[k]) continue;
        db.len = 0;
        if (db.s) db.s[0] = '\0';
        plot_buf_printf_(&db,
                         "# %s_%d.dat — %s: observed and predicted loss per run, one block "
                         "per width\n# R² %.6f on L, RMSE %.6g, n = %d; held-out RMSE %.6g "
                         "(NaN: not fitted here)\n# columns: observed predicted "
                         "predicted_held_out depth width params tokens source_line\n",
                         f->stem, ni + 1, p->m[k].label, p->info[k].r2, p->info[k].rmse,
                         p->d[k].n, p->cv_rmse[k]);
        for (int q = 0; q < (r->has_width ? p->nw : 1); q++) {
            if (r->has_width) plot_buf_printf_(&db, "# W = %g\n", p->W[q]);
            for (int i = 0; i < p->d[k].n; i++) {
                if (r->has_width && r->width[i] != p->W[q]) continue;
                plot_buf_printf_(&db, "%.10g %.10g %.10g %g %g %.10g %.10g %d\n",
                                 p->d[k].loss[i], law_eval(p->m[k].law, &p->d[k].x[i]),
                                 p->cv[k] ? p->cv[k][i] : NAN, r->depth[i], r->width[i],
                                 p->d[k].x[i].params, p->d[k].x[i].tokens, r->line[i]);
            }
            plot_buf_puts_(&db, "\n\n");
        }
        char part[16];
        snprintf(part, sizeof part, "%d", ni + 1);
        rc = fig_data_(f, part, &db, p->name[ni], sizeof p->name[ni]);
        ni++;
    }
    plot_buf_free_(&db);
    return rc;
}

/* The script: a panel per model on its own range, then the legend. */
static void parity_script_(Fig *f, Parity *p, int cols, int rows, int key_slot, int key_px) {
    const DsRuns *r = p->r;
    char lbl[160], e[320];
    int anycv = 0, nok = p->nok;
    for (int q = 0; q < p->nw && q < 512; q++) style_width_(f, q + 1, p->W[q]);
    gp_(f, "set style line 600 lc rgb '#444444' lw 2 pt 7 ps 0.9   # runs without a width\n");
    gp_(f,
        "set xlabel 'observed loss, %s (nats/token)'\nset ylabel 'predicted loss (nats/token)'\n",
        r->col[DS_RUNS_LOSS][0] ? plot_gp_esc_(r->col[DS_RUNS_LOSS], e, sizeof e) : "loss");
    /* explicit placement in screen fractions: panels left to right, then the legend column */
    double kf = (double)key_px / f->w, pw = (1 - kf) / cols, ph = 0.93 / rows;
    gp_(f, "set multiplot title 'Predicted vs observed loss (%d runs; each panel on its own "
           "scale)' font ',13'\n", r->n);
    gp_(f, "unset key\n");
    for (int k = 0, ni = 0; k < p->nm; k++) {
        if (!p->ok[k]) continue;
        gp_(f, "set size square %.4f,%.4f\nset origin %.4f,%.4f\n", pw, ph, pw * (ni % cols),
            ph * (rows - 1 - ni / cols));
        if (p->apart[k])
            gp_(f, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\nset label 91 \"y = x is "
                   "off this panel:\\nthe predictions are %.3g nats %s\" at graph 0.5, graph "
                   "0.1 center front tc rgb '#b2182b'\n",
                p->xlo[k], p->xhi[k], p->ylo[k], p->yhi[k], fabs(p->bias[k]),
                p->bias[k] > 0 ? "higher" : "lower");
        else
            gp_(f, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\n", p->lo[k], p->hi[k],
                p->lo[k], p->hi[k]);
        char t[512];
        int n = snprintf(t, sizeof t, "%s\\nR^2 %.4f, RMSE %.4f", gp_dq_(p->m[k].label, e, sizeof e),
                         p->info[k].r2, p->info[k].rmse);
        if (isfinite(p->cv_rmse[k]) && n < (int)sizeof t)
            n += snprintf(t + n, sizeof t - n, "; held out: RMSE %.4f", p->cv_rmse[k]);
        if (p->m[k].not_converged && n < (int)sizeof t)
            snprintf(t + n, sizeof t - n, "\\nthe optimiser did not converge");
        gp_(f, "set title \"%s\" tc rgb '%s'\n", t, p->m[k].not_converged ? "#b2182b" : "#000000");
        item_(f, "x with lines lc rgb '#999999' lw 1.2 dt 2 notitle");
        for (int q = 0; q < (r->has_width ? p->nw : 1) && q < 512; q++) {
            /* held out as rings over the in-sample dots, so both stay visible */
            item_(f, "'%s' index %d using 1:2 with points ls %d ps %s notitle", p->name[ni], q,
                  r->has_width ? q + 1 : 600, r->n > 200 ? "0.45" : "0.7");
            if (p->cv[k])
                item_(f, "'%s' index %d using 1:3 with points ls %d pt 6 lw 1 ps %s notitle",
                      p->name[ni], q, r->has_width ? q + 1 : 600, r->n > 200 ? "0.7" : "1.3");
        }
        anycv |= p->cv[k] != NULL;
        plot_end_(f);
        if (p->apart[k]) gp_(f, "unset label 91\n");
        ni++;
    }
    /* the legend: an empty plot whose only content is the key, in the free panel slot or the
     * column on the right */
    double kx = key_slot ? pw * (nok % cols) + 0.3 * pw : 1 - kf + 0.01;
    double ky = key_slot ? ph * (rows - 1 - nok / cols) + 0.5 * ph : 0.5;
    gp_(f, "# the legend\nset size nosquare %.4f,%.4f\nset origin %.4f,%.4f\n", key_slot ? pw : kf,
        key_slot ? ph : 0.93, key_slot ? pw * (nok % cols) : 1 - kf,
        key_slot ? ph * (rows - 1 - nok / cols) : 0);
    gp_(f, "unset border\nunset tics\nunset xlabel\nunset ylabel\nunset title\nunset grid\n"
           "set xrange [0:1]\nset yrange [0:1]\n");
    gp_(f, "set key at screen %.4f,%.4f left center Left reverse samplen 1.5\n", kx, ky);
    item_(f, "2 with lines notitle"); /* off-range: gnuplot wants one real item besides keys */
    item_(f, "keyentry with lines lc rgb '#999999' lw 1.2 dt 2 title 'perfect prediction'");
    item_(f, "keyentry with points lc rgb '#444444' pt 7 ps 0.7 title 'fitted with the run'");
    if (anycv)
        item_(f, "keyentry with points lc rgb '#444444' pt 6 ps 1.3 title 'its shape held out'");
    for (int q = 0; q < (r->has_width ? p->nw : 1) && q < 512; q++) {
        if (r->has_width)
            snprintf(lbl, sizeof lbl, "W = %g", p->W[q]);
        else
            snprintf(lbl, sizeof lbl, "runs");
        item_(f, "keyentry with points ls %d title '%s'", r->has_width ? q + 1 : 600, lbl);
    }
    plot_end_(f);
    gp_(f, "unset multiplot\n");
}

int fig_parity_(Fig *f) {
    const DsRuns *r = f->s->runs;
    Parity p = {.r = r};
    int rc;
    if (!r || !r->has_loss || r->n < 2)
        return dw_error_set(DW_EINVAL, "parity: needs at least two runs with a loss%s",
                            r && r->has_loss ? "" : " column");
    if (!(p.W = calloc((size_t)r->n, sizeof *p.W))) return dw_error_set(DW_ENOMEM, "out of memory");
    p.nw = ds_runs_widths(r, p.W);
    if ((rc = parity_models_(f, &p))) goto out;
    /* layout: two panels a row, so that a report page shows them at full size; the legend (one
     * key for all panels) takes the free slot when the count is odd, else a column on the right */
    int cols = p.nok == 1 ? 1 : 2, rows = (p.nok + cols - 1) / cols;
    int key_slot = p.nok > 1 && p.nok % 2 == 1;
    const int panel_px = 430, key_px = key_slot ? 0 : 240;
    fig_begin_size_(f, 40 + panel_px * cols + key_px, 50 + 440 * rows);
    if ((rc = parity_data_(f, &p))) goto out;
    parity_script_(f, &p, cols, rows, key_slot, key_px);
    CAPTION(f, "Predicted against observed loss for each run (points coloured by width); the "
               "dashed line is perfect prediction. Each panel has its own scale.");
    for (int k = 0; k < p.nm; k++) {
        if (!p.ok[k]) continue;
        CAPTION(f, "%s: R² %.4f, RMSE %.4f nats, largest error %.4f.", p.m[k].label,
                p.info[k].r2, p.info[k].rmse, p.info[k].max_abs_err);
        if (p.apart[k])
            CAPTION(f, "Its predictions lie %.3g nats %s the runs on average, far beyond their "
                    "spread: its panel has observed and predicted loss on separate ranges, so "
                    "the line of perfect prediction is off it.", fabs(p.bias[k]),
                    p.bias[k] > 0 ? "above" : "below");
        if (isfinite(p.cv_rmse[k]))
            CAPTION(f, "Held out (open circles: each shape left out of the fit in turn and "
                    "predicted by the refit on the rest): RMSE %.4f over %d runs.",
                    p.cv_rmse[k], p.cv_n[k]);
        if (p.m[k].not_converged)
            CAPTION(f, "Its optimiser did not converge (%s): its parameters are not a minimum.",
                    p.m[k].law->fit.status[0] ? p.m[k].law->fit.status : "no status");
    }
    rc = fig_finish_(f);
out:
    for (int k = 0; k < PARITY_MAX; k++) fit_data_free(&p.d[k]), free(p.cv[k]);
    free(p.W);
    return rc;
}
