/* plots/fig_dcrit.c — the `dcrit` figure (plot.h): D_crit per width from the runs
 * (fit_dcrit_all; bars to the neighbouring depths that bracket it), D_crit = κ·ln W and
 * c·W^β fitted across widths (fit_kappa), the paper's 2.43·ln W and the law's own D_crit(W)
 * (plan_dcrit).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "planner/plan.h"
#include "fig.h"

// ----------------------------------------------------------------------------
// dcrit: critical depth vs width

int fig_dcrit_(Fig *f) {
    const PlotSpec *s = f->s;
    const PlotRuns *r = s->runs;
    const Law *law = s->law && law_form_has_shape(&s->law->form) ? s->law : NULL;
    static const double def_w[] = {256, 512, 1024, 2048, 4096};
    FitDcrit *dc = NULL;
    PlotBuf pb = {0}, bb = {0}, fb = {0};
    char name[3][160], lbl[160], e[320], b1[64], b2[64], b3[64];
    int nw = 0, rc, ninterior = 0;
    if ((rc = runs_dcrit_(r, &dc, &nw))) return rc;
    double *wk = calloc((size_t)nw + 1, sizeof *wk), *dk = calloc((size_t)nw + 1, sizeof *dk);
    if (!wk || !dk) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < nw; k++) {
        wk[k] = dc[k].width;
        dk[k] = dc[k].kind == FIT_DCRIT_INTERIOR && dc[k].width > 1 ? dc[k].dcrit : NAN;
        ninterior += isfinite(dk[k]);
    }
    if (!ninterior && !law) {
        if (!r || !r->has_loss || !r->has_depth || !r->has_width)
            rc = dw_error_set(DW_EINVAL, "dcrit: needs runs with depth, width and loss, or a law "
                                         "with a depth-width term (--law)");
        else
            rc = dw_error_set(DW_EINVAL,
                              "dcrit: no width has an interior loss minimum (a width "
                              "needs >= 3 depths at one token count with the lowest loss in "
                              "between) and no law with a depth-width term was given");
        goto out;
    }
    FitKappa kp = {0};
    int kp_rc = ninterior >= 2 ? fit_kappa(wk, dk, nw, &kp) : DW_EINVAL;
    if (ninterior && kp_rc)
        NOTE(f, "no fit across widths: %s",
             ninterior < 2 ? "needs interior minima at two or more widths" : dw_error_get());
    dw_error_clear();
    /* reference tokens for the law: the runs' most used count, else --tokens */
    double T = s->tokens > 0 ? s->tokens : 2e10;
    if (r && nw) {
        int best = -1;
        for (int k = 0; k < nw; k++)
            if (isfinite(dc[k].tokens) && (best < 0 || dc[k].nruns > dc[best].nruns)) best = k;
        if (best >= 0) T = dc[best].tokens;
    }
    double wlo, whi;
    if (nw)
        wlo = wk[0], whi = wk[nw - 1];
    else if (s->nwidths > 0)
        wlo = s->widths[0], whi = s->widths[s->nwidths - 1];
    else
        wlo = def_w[0], whi = def_w[4];
    if (!(whi > wlo)) wlo /= 2, whi *= 2;
    double lo = wlo / 1.3, hi = whi * 1.3;

    fig_begin_(f);
    plot_buf_printf_(&pb,
                     "# %s_runs.dat — D_crit per width from the runs: vertex of the parabola "
                     "in ln D through the lowest mean loss and its two neighbours, which bracket "
                     "it; one block per width with an interior minimum\n# columns: width dcrit "
                     "depth_lo depth_hi tokens runs\n",
                     f->stem);
    plot_buf_printf_(&bb,
                     "# %s_bounds.dat — widths without an interior minimum: the lowest "
                     "loss is at the deepest run (D_crit >= that depth, kind 1) or the shallowest "
                     "(D_crit <= that depth, kind -1); one block per width\n# columns: width "
                     "depth kind\n",
                     f->stem);
    int pidx[512], bidx[512], bkind[512], npi = 0, nbi = 0;
    for (int k = 0; k < nw && k < 512; k++) {
        pidx[k] = bidx[k] = -1;
        if (isfinite(dk[k])) {
            plot_buf_printf_(&pb, "# W = %g\n%g %.8g %g %g %.8g %d\n\n\n", wk[k], wk[k], dk[k],
                             dc[k].lo, dc[k].hi, dc[k].tokens, dc[k].nruns);
            pt_(f, wk[k], dc[k].lo), pt_(f, wk[k], dk[k]), pt_(f, wk[k], dc[k].hi);
            pidx[k] = npi++;
        } else if (dc[k].kind == FIT_DCRIT_AT_LARGEST || dc[k].kind == FIT_DCRIT_AT_SMALLEST) {
            bkind[k] = dc[k].kind == FIT_DCRIT_AT_LARGEST ? 1 : -1;
            plot_buf_printf_(&bb, "# W = %g: %s\n%g %g %d\n\n\n", wk[k], dc[k].why, wk[k],
                             dc[k].depth_at_min, bkind[k]);
            pt_(f, wk[k], dc[k].depth_at_min);
            bidx[k] = nbi++;
        }
    }
    dcrit_notes_(f, dc, nw);
    plot_buf_printf_(&fb, "# %s_fit.dat — curves of D_crit(W)\n", f->stem);
    if (kp_rc == DW_OK)
        plot_buf_printf_(&fb, "# kappa·ln W: kappa = %.6g ± %.3g (R² %.4f)\n", kp.kappa,
                         kp.kappa_se, kp.r2_kappa);
    if (kp_rc == DW_OK && kp.has_power)
        plot_buf_printf_(&fb, "# c·W^beta: c = %.6g, beta = %.6g ± %.3g (R² %.4f on ln D_crit)\n",
                         kp.c, kp.beta, kp.beta_se, kp.r2_power);
    plot_buf_printf_(&fb,
                     "# paper: %.2f·ln W\n# law: the depth minimising the law's loss at "
                     "width W and T = %.6g tokens (NaN: none)\n# columns: width kappa_lnW "
                     "c_W_beta paper law\n",
                     PLOT_PAPER_KAPPA, T);
    int nlaw = 0;
    for (int j = 0; j <= 100; j++) {
        double w = exp(log(lo) + (log(hi) - log(lo)) * j / 100.0), ld = NAN;
        if (law) {
            int kind;
            ld = plan_dcrit(law, w, T, &kind);
            if (kind != 0) ld = NAN;
            nlaw += isfinite(ld);
        }
        double yk = kp_rc == DW_OK ? kp.kappa * log(w) : NAN;
        double yp = kp_rc == DW_OK && kp.has_power ? kp.c * pow(w, kp.beta) : NAN;
        plot_buf_printf_(&fb, "%.8g %.8g %.8g %.8g %.8g\n", w, yk, yp, PLOT_PAPER_KAPPA * log(w),
                         ld);
        if (j % 5 == 0)
            pt_(f, w, yk), pt_(f, w, yp), pt_(f, w, PLOT_PAPER_KAPPA * log(w)), pt_(f, w, ld);
    }
    double dmax = 0;
    for (int q = 0; q < f->np; q++) dmax = fmax(dmax, f->py[q]);
    dmax = dmax > 0 ? dmax * 1.08 : 10;
    if ((npi && (rc = fig_data_(f, "runs", &pb, name[0], sizeof name[0]))) ||
        (nbi && (rc = fig_data_(f, "bounds", &bb, name[1], sizeof name[1]))) ||
        (rc = fig_data_(f, "fit", &fb, name[2], sizeof name[2])))
        goto out;
    for (int k = 0; k < nw && k < 512; k++) style_width_(f, k + 1, wk[k]);
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\nset yrange [0:%.4g]\n", lo,
        hi, dmax);
    gp_(f, "set xlabel 'width W (model dimension, log scale)'\n"
           "set ylabel 'critical depth D_{crit} (layers)'\n");
    gp_(f, "set title 'Critical depth vs width: past D_{crit}, more layers raise the loss'\n");
    /* the legend carries each width's D_crit and the fits: below the plot, off the data */
    gp_(f, "set key outside right top vertical Left reverse\n");
    for (int k = 0; k < nw && k < 512; k++) {
        if (pidx[k] >= 0)
            item_(f,
                  "'%s' index %d using 1:2:3:4 with yerrorbars ls %d ps 1.4 title 'W = %g: %.1f "
                  "[%g, %g]'",
                  name[0], pidx[k], k + 1, wk[k], dk[k], dc[k].lo, dc[k].hi);
        if (bidx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d pt %d ps 1.8 title 'W = %g: %s %g'",
                  name[1], bidx[k], k + 1, bkind[k] > 0 ? 9 : 11, wk[k],
                  bkind[k] > 0 ? "D_{crit} ≥" : "D_{crit} ≤", dc[k].depth_at_min);
    }
    if (npi)
        item_(f, "keyentry with yerrorbars lc rgb '#444444' pt 7 title 'bars: depths run on either "
                 "side (not a CI)'");
    if (kp_rc == DW_OK) {
        plot_fmt_pm_(kp.kappa, kp.kappa_se, b1, sizeof b1);
        item_(f,
              "'%s' using 1:2 with lines lc rgb '#222222' lw 2 title 'κ·ln W, κ = %s (R^2 %.3f)'",
              name[2], b1, kp.r2_kappa);
        if (kp.has_power) {
            plot_fmt_pm_(kp.beta, kp.beta_se, b2, sizeof b2);
            item_(f,
                  "'%s' using 1:3 with lines lc rgb '#222222' lw 2 dt 2 title 'c·W^{β}, c = %.3g, "
                  "β = %s (R^2 %.3f)'",
                  name[2], kp.c, b2, kp.r2_power);
        }
    }
    item_(f, "'%s' using 1:4 with lines lc rgb '#b2182b' lw 1.5 dt 3 title 'paper: %.2f·ln W'",
          name[2], PLOT_PAPER_KAPPA);
    if (nlaw) {
        plot_fmt_count_(T, b3, sizeof b3);
        item_(
            f,
            "'%s' using 1:5 with lines lc rgb '#666666' lw 1.8 dt 4 title \"law %s at %s tokens\"",
            name[2], gp_dq_(law_label_(law, lbl, sizeof lbl), e, sizeof e), b3);
    }
    plot_end_(f);
    if (npi)
        CAPTION(f,
                "Points: D_crit from the runs at %d width%s (vertex of the parabola in ln D "
                "through the lowest loss and its neighbours; bars span those neighbouring "
                "depths).",
                npi, npi == 1 ? "" : "s");
    if (nbi)
        CAPTION(f,
                "Triangles: %d width%s whose lowest loss is at the deepest (▲) or shallowest "
                "(▼) run, so D_crit lies beyond the runs.",
                nbi, nbi == 1 ? "" : "s");
    if (kp_rc == DW_OK) {
        CAPTION(f, "Solid: D_crit = κ·ln W with κ = %s (R² %.3f; the paper: κ = %.2f, dotted red).",
                b1, kp.r2_kappa, PLOT_PAPER_KAPPA);
        if (kp.has_power)
            CAPTION(f, "Dashed: D_crit = c·W^β with c = %.3g, β = %s (R² %.3f on ln D_crit).", kp.c,
                    b2, kp.r2_power);
    } else {
        CAPTION(f, "Dotted red: the paper's D_crit = %.2f·ln W.", PLOT_PAPER_KAPPA);
    }
    if (nlaw)
        CAPTION(f,
                "Grey dash-dot: the law %s's own D_crit(W) (its loss minimum over depth) at %s "
                "tokens.",
                law_label_(law, lbl, sizeof lbl), b3);
    else if (s->law && !law)
        NOTE(f, "the law has no depth-width term, so no D_crit of its own");
    rc = fig_finish_(f);
out:
    plot_buf_free_(&pb), plot_buf_free_(&bb), plot_buf_free_(&fb);
    free(dc), free(wk), free(dk);
    return rc;
}
