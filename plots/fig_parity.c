/* plots/fig_parity.c — the `parity` figure (plot.h): predicted vs observed loss, one square
 * panel per model (the law and the forms fitted to the runs), R² and RMSE (fit_predict) in
 * each panel's title, one legend for all panels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "fig.h"
#include "planner/fitdata.h"

// ----------------------------------------------------------------------------
// parity: predicted vs observed loss, one panel per model

int fig_parity_(Fig *f) {
    const PlotSpec *s = f->s;
    const DsRuns *r = s->runs;
    PlotModel models[9];
    int nm = 0, rc = DW_OK;
    PlotBuf db = {0};
    char name[9][160], lbl[160], e[320];
    double *W = NULL;
    FitData d[9];
    LawFitInfo info[9];
    memset(d, 0, sizeof d);
    if (!r || !r->has_loss || r->n < 2)
        return dw_error_set(DW_EINVAL, "parity: needs at least two runs with a loss%s",
                            r && r->has_loss ? "" : " column");
    if (s->law) {
        models[nm] = (PlotModel){.law = s->law, .n_from_shape = s->n_from_shape};
        if (snprintf(models[nm].label, sizeof models[nm].label, "law: %s",
                     law_label_(s->law, lbl, sizeof lbl)) >= (int)sizeof models[nm].label)
            strcpy(models[nm].label + sizeof models[nm].label - 4, "...");
        nm++;
    }
    for (int k = 0; k < s->nmodels && nm < 9; k++) models[nm++] = s->models[k];
    if (nm == 0)
        return dw_error_set(DW_EINVAL, "parity: needs a law (--law) or forms to fit (--form)");
    if (!(W = calloc((size_t)r->n, sizeof *W))) return dw_error_set(DW_ENOMEM, "out of memory");
    int nw = ds_runs_widths(r, W);
    double lo = INFINITY, hi = -INFINITY;
    int ok[9] = {0}, nok = 0;
    for (int k = 0; k < nm; k++) {
        if (plan_runs_fitdata(r, &models[k].law->conv, models[k].n_from_shape, &d[k])) {
            NOTE(f, "%s: %s", models[k].label, dw_error_get());
            continue;
        }
        int finite = 1;
        for (int i = 0; i < d[k].n; i++) {
            double p = law_eval(models[k].law, &d[k].x[i]);
            if (!isfinite(p)) {
                finite = 0;
                NOTE(f, "%s: no finite prediction at line %d", models[k].label, r->line[i]);
                break;
            }
            lo = fmin(lo, fmin(p, d[k].loss[i])), hi = fmax(hi, fmax(p, d[k].loss[i]));
        }
        if (!finite) continue;
        FitPrediction pred; /* the same statistics as `dwplan fit --predict` */
        if (fit_predict(models[k].law, &d[k], &pred)) {
            NOTE(f, "%s: %s", models[k].label, dw_error_get());
            continue;
        }
        info[k] = pred.info;
        ok[k] = 1, nok++;
    }
    if (!nok) {
        rc = dw_error_set(DW_EINVAL, "parity: no model could predict the runs (%s)", f->res->notes);
        goto out;
    }
    /* layout: two panels a row, so that a report page shows them at full size; the legend (one
     * key for all panels) takes the free slot when the count is odd, else a column on the right */
    int cols = nok == 1 ? 1 : 2, rows = (nok + cols - 1) / cols;
    int key_slot = nok > 1 && nok % 2 == 1;
    const int panel_px = 430, key_px = key_slot ? 0 : 215;
    fig_begin_size_(f, 40 + panel_px * cols + key_px, 50 + 440 * rows);
    double pad = 0.04 * (hi - lo > 0 ? hi - lo : 1);
    lo -= pad, hi += pad;
    int ni = 0;
    for (int k = 0; k < nm; k++) {
        if (!ok[k]) continue;
        db.len = 0;
        if (db.s) db.s[0] = '\0';
        plot_buf_printf_(&db,
                         "# %s_%d.dat — %s: observed and predicted loss per run, one block "
                         "per width\n# R² %.6f on L, RMSE %.6g, n = %d\n# columns: observed "
                         "predicted depth width params tokens source_line\n",
                         f->stem, ni + 1, models[k].label, info[k].r2, info[k].rmse, d[k].n);
        for (int q = 0; q < (r->has_width ? nw : 1); q++) {
            if (r->has_width) plot_buf_printf_(&db, "# W = %g\n", W[q]);
            for (int i = 0; i < d[k].n; i++) {
                if (r->has_width && r->width[i] != W[q]) continue;
                plot_buf_printf_(&db, "%.10g %.10g %g %g %.10g %.10g %d\n", d[k].loss[i],
                                 law_eval(models[k].law, &d[k].x[i]), r->depth[i], r->width[i],
                                 d[k].x[i].params, d[k].x[i].tokens, r->line[i]);
            }
            plot_buf_puts_(&db, "\n\n");
        }
        char part[16];
        snprintf(part, sizeof part, "%d", ni + 1);
        if ((rc = fig_data_(f, part, &db, name[ni], sizeof name[ni]))) goto out;
        ni++;
    }
    for (int q = 0; q < nw && q < 512; q++) style_width_(f, q + 1, W[q]);
    gp_(f, "set style line 600 lc rgb '#444444' lw 2 pt 7 ps 0.9   # runs without a width\n");
    gp_(f, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\n", lo, hi, lo, hi);
    gp_(f,
        "set xlabel 'observed loss, %s (nats/token)'\nset ylabel 'predicted loss (nats/token)'\n",
        r->col[DS_RUNS_LOSS][0] ? plot_gp_esc_(r->col[DS_RUNS_LOSS], e, sizeof e) : "loss");
    /* explicit placement in screen fractions: panels left to right, then the legend column */
    double kf = (double)key_px / f->w, pw = (1 - kf) / cols, ph = 0.93 / rows;
    gp_(f, "set multiplot title 'Predicted vs observed loss (%d runs)' font ',13'\n", r->n);
    gp_(f, "unset key\n");
    ni = 0;
    for (int k = 0; k < nm; k++) {
        if (!ok[k]) continue;
        gp_(f, "set size square %.4f,%.4f\nset origin %.4f,%.4f\n", pw, ph, pw * (ni % cols),
            ph * (rows - 1 - ni / cols));
        gp_(f, "set title \"%s\\nR^2 %.4f, RMSE %.4f\"\n", gp_dq_(models[k].label, e, sizeof e),
            info[k].r2, info[k].rmse);
        item_(f, "x with lines lc rgb '#999999' lw 1.2 dt 2 notitle");
        for (int q = 0; q < (r->has_width ? nw : 1) && q < 512; q++)
            item_(f, "'%s' index %d using 1:2 with points ls %d ps %s notitle", name[ni], q,
                  r->has_width ? q + 1 : 600, r->n > 200 ? "0.55" : "0.9");
        plot_end_(f);
        ni++;
    }
    /* the legend: an empty plot whose only content is the key, in the free panel slot or the
     * column on the right */
    double kx = key_slot ? pw * (nok % cols) + 0.35 * pw : 1 - kf + 0.01;
    double ky = key_slot ? ph * (rows - 1 - nok / cols) + 0.5 * ph : 0.5;
    gp_(f, "# the legend\nset size nosquare %.4f,%.4f\nset origin %.4f,%.4f\n", key_slot ? pw : kf,
        key_slot ? ph : 0.93, key_slot ? pw * (nok % cols) : 1 - kf,
        key_slot ? ph * (rows - 1 - nok / cols) : 0);
    gp_(f, "unset border\nunset tics\nunset xlabel\nunset ylabel\nunset title\nunset grid\n"
           "set xrange [0:1]\nset yrange [0:1]\n");
    gp_(f, "set key at screen %.4f,%.4f left center Left reverse samplen 1.5\n", kx, ky);
    item_(f, "2 with lines notitle"); /* off-range: gnuplot wants one real item besides keys */
    item_(f, "keyentry with lines lc rgb '#999999' lw 1.2 dt 2 title 'perfect prediction'");
    for (int q = 0; q < (r->has_width ? nw : 1) && q < 512; q++) {
        if (r->has_width)
            snprintf(lbl, sizeof lbl, "W = %g", W[q]);
        else
            snprintf(lbl, sizeof lbl, "runs");
        item_(f, "keyentry with points ls %d title '%s'", r->has_width ? q + 1 : 600, lbl);
    }
    plot_end_(f);
    gp_(f, "unset multiplot\n");
    CAPTION(f, "Predicted against observed loss for each run (points coloured by width); the "
               "dashed line is perfect prediction.");
    for (int k = 0; k < nm; k++)
        if (ok[k])
            CAPTION(f, "%s: R² %.4f, RMSE %.4f nats, largest error %.4f.", models[k].label,
                    info[k].r2, info[k].rmse, info[k].max_abs_err);
    rc = fig_finish_(f);
out:
    plot_buf_free_(&db);
    for (int k = 0; k < 9; k++) fit_data_free(&d[k]);
    free(W);
    return rc;
}
