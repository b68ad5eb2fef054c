/* plots/fig_dcrit.c — the `dcrit` figure (plot.h): D_crit per width from the runs
 * (fit/depth.h; bars to the neighbouring depths that bracket it), D_crit = κ·ln W and
 * c·W^β fitted across widths (the same analysis), the paper's 2.43·ln W and the law's own D_crit(W)
 * (plan_dcrit).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/paper.h"
#include "fig.h"
#include "planner/plan.h"

// ----------------------------------------------------------------------------
// dcrit: critical depth vs width
/* What the steps of the figure share. */
typedef struct {
    const DsRuns *r;           /* may be NULL */
    const Law *law;            /* the law when it has a depth-width term, else NULL */
    const FitDepthReport *rep; /* the runs' depth analysis, or NULL */
    FitDcrit *dc;              /* (nw) per-width D_crit of the runs (copied from rep) */
    int nw;
    double *wk, *dk; /* (nw) width and its interior D_crit (NaN when none) */
    int ninterior;   /* widths with an interior D_crit */
    FitKappa kp;     /* κ·ln W and c·W^β across widths (rep->kp), when kp_rc is DW_OK */
    int kp_rc;
    double T;                             /* tokens of the law's D_crit(W) */
    double lo, hi;                        /* the width axis */
    double dmin, dmax;                    /* the D_crit axis */
    int logy;                             /* log D_crit axis (the values span > 8x) */
    double lawmax;                        /* the law's largest D_crit over the widths */
    int law_clipped;                      /* the law's curve leaves the top of the axis */
    int law_above;                        /* ... everywhere: not drawn */
    double lawmin;                        /* the law's smallest D_crit over the widths */
    char same[256];                       /* curves that coincide on this range, or "" */
    char name[3][160];                    /* data files: runs, bounds, fit */
    int pidx[512], bidx[512], bkind[512]; /* each width's block in runs / bounds, or -1;
                                             bounds: 1 at the deepest run, -1 the shallowest */
    int npi, nbi, nlaw; /* blocks in runs, in bounds; widths where the law has a D_crit */
} Dcrit;

/* D_crit per width from the runs, the fits across widths (fit_kappa), the tokens for the
 * law's curve and the width range. Fails when there is neither a D_crit nor a law. */
static int dcrit_fit_(Fig *f, Dcrit *d) {
    const PlotSpec *s = f->s;
    const DsRuns *r = d->r;
    static const double def_w[] = {256, 512, 1024, 2048, 4096};
    int nw, rc;
    d->rep = fig_analysis_(f, &rc);
    if (rc) return rc;
    nw = d->nw = d->rep && d->rep->dcrit_ok ? d->rep->nwidths : 0;
    FitDcrit *dc = d->dc = calloc((size_t)nw + 1, sizeof *dc);
    double *wk = d->wk = calloc((size_t)nw + 1, sizeof *wk);
    double *dk = d->dk = calloc((size_t)nw + 1, sizeof *dk);
    if (!dc || !wk || !dk) return dw_error_set(DW_ENOMEM, "out of memory");
    for (int k = 0; k < nw; k++) {
        dc[k] = d->rep->widths[k].dc;
        wk[k] = dc[k].width;
        dk[k] = dc[k].kind == FIT_DCRIT_INTERIOR && dc[k].width > 1 ? dc[k].dcrit : NAN;
        d->ninterior += isfinite(dk[k]);
    }
    if (!d->ninterior && !d->law) {
        if (!r || !r->has_loss || !r->has_depth || !r->has_width)
            return dw_error_set(DW_EINVAL, "dcrit: needs runs with depth, width and loss, or a "
                                           "law with a depth-width term (--law)");
        return dw_error_set(DW_EINVAL,
                            "dcrit: no width has an interior loss minimum (a width "
                            "needs >= 3 depths at one token count with the lowest loss in "
                            "between) and no law with a depth-width term was given");
    }
    /* κ and (c, β): the analysis' own fit across widths */
    d->kp_rc = d->rep && d->rep->kp_ok ? DW_OK : DW_EDATA;
    if (d->kp_rc == DW_OK) d->kp = d->rep->kp;
    if (d->ninterior && d->kp_rc) NOTE(f, "no fit across widths: %s", d->rep->kp_why);
    /* reference tokens for the law: the runs' most used count, else --tokens */
    d->T = s->tokens > 0 ? s->tokens : 2e10;
    if (r && nw) {
        int best = -1;
        for (int k = 0; k < nw; k++)
            if (isfinite(dc[k].tokens) && (best < 0 || dc[k].nruns > dc[best].nruns)) best = k;
        if (best >= 0) d->T = dc[best].tokens;
    }
    double wlo, whi;
    if (nw)
        wlo = wk[0], whi = wk[nw - 1];
    else if (s->nwidths > 0)
        wlo = s->widths[0], whi = s->widths[s->nwidths - 1];
    else
        wlo = def_w[0], whi = def_w[4];
    if (!(whi > wlo)) wlo /= 2, whi *= 2;
    d->lo = wlo / 1.3, d->hi = whi * 1.3;
    return DW_OK;
}

/* Curves that coincide over the width range (within 3% everywhere): said in the caption,
 * since on the plot one hides the other. */
static void dcrit_same_(Dcrit *d, double cv[4][101]) {
    static const char *const nm[4] = {"κ·ln W", "c·W^β", "the paper's 2.43·ln W", "the law's"};
    d->same[0] = '\0';
    for (int a = 0; a < 4; a++)
        for (int b = a + 1; b < 4; b++) {
            int all = 1, any = 0;
            for (int j = 0; j <= 100 && all; j++) {
                if (!isfinite(cv[a][j]) || !isfinite(cv[b][j])) continue;
                any = 1;
                all = fabs(cv[a][j] - cv[b][j]) <= 0.03 * fmax(fabs(cv[a][j]), fabs(cv[b][j]));
            }
            if (!all || !any) continue;
            size_t L = strlen(d->same);
            snprintf(d->same + L, sizeof d->same - L, "%s%s and %s", L ? "; " : "", nm[a], nm[b]);
        }
}

/* The D_crit axis: from the runs' D_crit and bounds and the fitted curves (recorded points),
 * and the law's curve up to 20x the data's largest (beyond that it is clipped, and said).
 * Log when the values span more than a factor 8, else linear from 0. */
static void dcrit_axis_(Fig *f, Dcrit *d, double cv[4][101]) {
    double lo = INFINITY, hi = 0;
    for (int q = 0; q < f->np; q++)
        if (f->py[q] > 0) lo = fmin(lo, f->py[q]), hi = fmax(hi, f->py[q]);
    if (!(hi > 0)) { /* no runs' D_crit and no fit: the law alone */
        lo = INFINITY;
        hi = d->lawmax > 0 ? d->lawmax : 10;
    }
    if (d->lawmax > 0) {
        double top = fmax(hi * 20, 10), lawmin = INFINITY;
        for (int j = 0; j <= 100; j++)
            if (cv[3][j] > 0) lawmin = fmin(lawmin, cv[3][j]);
        d->law_clipped = d->lawmax > top;
        /* a law wholly above the data's scale is not drawn (the key gives its range) */
        d->law_above = lawmin > top;
        d->lawmin = lawmin;
        if (!d->law_above) hi = fmax(hi, fmin(d->lawmax, top));
    }
    for (int j = 0; j <= 100; j++) {
        double w = exp(log(d->lo) + (log(d->hi) - log(d->lo)) * j / 100.0), ld = cv[3][j];
        if (ld > 0 && ld <= hi) lo = fmin(lo, ld), pt_(f, w, ld);
    }
    if (!isfinite(lo)) lo = hi / 10;
    d->logy = hi / lo > 8;
    d->dmin = d->logy ? lo / 1.5 : 0, d->dmax = d->logy ? hi * 1.5 : hi * 1.08;
}

/* Writes the data files: the interior D_crit per width, the widths whose minimum is at an
 * end (bounds), and the curves of D_crit(W); notes the widths without one. */
static int dcrit_data_(Fig *f, Dcrit *d) {
    const Law *law = d->law;
    const FitDcrit *dc = d->dc;
    const double *wk = d->wk, *dk = d->dk;
    const FitKappa kp = d->kp;
    const int kp_rc = d->kp_rc;
    double lo = d->lo, hi = d->hi, T = d->T;
    PlotBuf pb = {0}, bb = {0}, fb = {0};
    int rc = DW_OK;
    double cv[4][101]; /* the curves: κ·ln W, c·W^β, the paper's, the law's */
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
    for (int k = 0; k < d->nw && k < 512; k++) {
        d->pidx[k] = d->bidx[k] = -1;
        if (isfinite(dk[k])) {
            plot_buf_printf_(&pb, "# W = %g\n%g %.8g %g %g %.8g %d\n\n\n", wk[k], wk[k], dk[k],
                             dc[k].lo, dc[k].hi, dc[k].tokens, dc[k].nruns);
            pt_(f, wk[k], dc[k].lo), pt_(f, wk[k], dk[k]), pt_(f, wk[k], dc[k].hi);
            d->pidx[k] = d->npi++;
        } else if (dc[k].kind == FIT_DCRIT_AT_LARGEST || dc[k].kind == FIT_DCRIT_AT_SMALLEST) {
            d->bkind[k] = dc[k].kind == FIT_DCRIT_AT_LARGEST ? 1 : -1;
            plot_buf_printf_(&bb, "# W = %g: %s\n%g %g %d\n\n\n", wk[k], dc[k].why, wk[k],
                             dc[k].depth_at_min, d->bkind[k]);
            pt_(f, wk[k], dc[k].depth_at_min);
            d->bidx[k] = d->nbi++;
        }
    }
    dcrit_notes_(f, d->rep);
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
                     FIT_PAPER_KAPPA, T);
    for (int j = 0; j <= 100; j++) {
        double w = exp(log(lo) + (log(hi) - log(lo)) * j / 100.0), ld = NAN;
        if (law) {
            int kind;
            ld = plan_dcrit(law, w, T, &kind);
            if (kind != 0) ld = NAN;
            d->nlaw += isfinite(ld);
        }
        double yk = kp_rc == DW_OK ? kp.kappa * log(w) : NAN;
        double yp = kp_rc == DW_OK && kp.has_power ? kp.c * pow(w, kp.beta) : NAN;
        plot_buf_printf_(&fb, "%.8g %.8g %.8g %.8g %.8g\n", w, yk, yp, FIT_PAPER_KAPPA * log(w),
                         ld);
        if (j % 5 == 0) pt_(f, w, yk), pt_(f, w, yp), pt_(f, w, FIT_PAPER_KAPPA * log(w));
        if (isfinite(ld)) d->lawmax = fmax(d->lawmax, ld);
        cv[0][j] = yk, cv[1][j] = yp, cv[2][j] = FIT_PAPER_KAPPA * log(w), cv[3][j] = ld;
    }
    dcrit_same_(d, cv);
    dcrit_axis_(f, d, cv);
    char(*name)[160] = d->name;
    if (d->npi) rc = fig_data_(f, "runs", &pb, name[0], sizeof name[0]);
    if (!rc && d->nbi) rc = fig_data_(f, "bounds", &bb, name[1], sizeof name[1]);
    if (!rc) rc = fig_data_(f, "fit", &fb, name[2], sizeof name[2]);
    plot_buf_free_(&pb), plot_buf_free_(&bb), plot_buf_free_(&fb);
    return rc;
}

/* The title: what the data show (a U-curve at how many widths, κ when fitted), never more. */
static void dcrit_title_(Fig *f, const Dcrit *d) {
    char t[320], b1[64], lbl[160], e[400];
    const FitDepthReport *rep = d->rep;
    int found = rep ? rep->nfound : 0;
    if (d->nw == 0 && d->law) {
        dw_fmt_count(d->T, b1, sizeof b1);
        snprintf(t, sizeof t, "Critical depth vs width: the law %s at T = %s tokens (no runs)",
                 law_label_(d->law, lbl, sizeof lbl), b1);
    } else if (d->kp_rc == DW_OK) {
        dw_fmt_pm(d->kp.kappa, d->kp.kappa_se, b1, sizeof b1);
        snprintf(t, sizeof t, "Critical depth vs width: a loss minimum inside the depths run at "
                 "%d of %d widths; D_{crit} = κ·ln W with κ = %s", d->ninterior, d->nw, b1);
    } else if (d->ninterior) {
        snprintf(t, sizeof t, "Critical depth vs width: a loss minimum inside the depths run at "
                 "%d of %d width%s%s", d->ninterior, d->nw, d->nw == 1 ? "" : "s",
                 found < d->ninterior ? " (not all beyond noise)" : "");
    } else {
        int enough = 0;
        for (int k = 0; k < d->nw; k++) enough += d->dc[k].kind != FIT_DCRIT_TOO_FEW;
        snprintf(t, sizeof t, "Critical depth vs width: no width has a loss minimum inside the "
                 "depths run (%d of %d width%s run at three or more depths)", enough, d->nw,
                 d->nw == 1 ? "" : "s");
    }
    /* κ has a Greek letter and a subscript: gnuplot's enhanced text, not escaped */
    gp_(f, "set title \"%s\"\n", d->kp_rc == DW_OK && d->nw ? t : gp_dq_(t, e, sizeof e));
}

/* The script: line styles, axes and the plot command. The key is short (each width's D_crit,
 * the fits' constants; the caption has the rest): in the emptiest corner, or below. */
static void dcrit_script_(Fig *f, const Dcrit *d) {
    const FitDcrit *dc = d->dc;
    const FitKappa *kp = &d->kp;
    const double *wk = d->wk, *dk = d->dk;
    const char(*name)[160] = d->name;
    char e[320], b1[64], b2[64], b3[64];
    for (int k = 0; k < d->nw && k < 512; k++) style_width_(f, k + 1, wk[k]);
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\nset yrange [%.4g:%.4g]\n",
        d->lo, d->hi, d->dmin, d->dmax);
    if (d->logy) gp_(f, "set logscale y\nset format y '%%g'\n");
    gp_(f, "set xlabel 'width W (model dimension, log scale)'\n"
           "set ylabel 'critical depth D_{crit} (layers%s)'\n", d->logy ? ", log scale" : "");
    dcrit_title_(f, d);
    for (int k = 0; k < d->nw && k < 512; k++) {
        if (d->pidx[k] >= 0)
            item_(f,
                  "'%s' index %d using 1:2:3:4 with yerrorbars ls %d ps 1.4 title 'W = %g: %.1f'",
                  name[0], d->pidx[k], k + 1, wk[k], dk[k]);
        if (d->bidx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d pt %d ps 1.8 title 'W = %g: %s %g'",
                  name[1], d->bidx[k], k + 1, d->bkind[k] > 0 ? 9 : 11, wk[k],
                  d->bkind[k] > 0 ? "D_{crit} ≥" : "D_{crit} ≤", dc[k].depth_at_min);
    }
    if (d->npi)
        item_(f, "keyentry with yerrorbars lc rgb '#444444' pt 7 title 'bars: neighbouring depths "
                 "run'");
    /* four curves can coincide (the data's κ near the paper's): dash types and markers at
     * different intervals keep each one visible */
    if (d->kp_rc == DW_OK) {
        dw_fmt_pm(kp->kappa, kp->kappa_se, b1, sizeof b1);
        item_(f, "'%s' using 1:2 with lines lc rgb '#222222' lw 2 title 'κ·ln W, κ = %s'", name[2],
              b1);
        if (kp->has_power) {
            dw_fmt_pm(kp->beta, kp->beta_se, b2, sizeof b2);
            item_(f,
                  "'%s' using 1:3 with linespoints lc rgb '#222222' lw 1.6 dt 2 pt 6 ps 0.9 pi 14 "
                  "title 'c·W^{β}, β = %s'",
                  name[2], b2);
        }
    }
    item_(f,
          "'%s' using 1:4 with linespoints lc rgb '#b2182b' lw 1.5 dt 3 pt 8 ps 0.9 pi 11 "
          "title 'paper: %.2f·ln W'",
          name[2], FIT_PAPER_KAPPA);
    if (d->nlaw) {
        dw_fmt_count(d->T, b3, sizeof b3);
        if (d->law_above)
            item_(f,
                  "keyentry with linespoints lc rgb '#666666' lw 1.8 dt 4 pt 4 ps 0.9 title \"law "
                  "%s: off the plot\"",
                  gp_dq_(d->law->name[0] ? d->law->name : "", e, sizeof e));
        else
            item_(f,
                  "'%s' using 1:5 with linespoints lc rgb '#666666' lw 1.8 dt 4 pt 4 ps 0.9 pi 17 "
                  "title \"law %s, T = %s\"",
                  name[2], gp_dq_(d->law->name[0] ? d->law->name : "", e, sizeof e), b3);
    }
    const double ax[4] = {d->lo, d->hi, d->dmin > 0 ? d->dmin : 1e-9, d->dmax};
    key_auto_(f, ax, 1, d->logy);
    plot_end_(f);
}

/* The caption: what each mark and line is, with κ, β and their R². */
static void dcrit_caption_(Fig *f, const Dcrit *d) {
    const FitKappa *kp = &d->kp;
    char lbl[160], b1[64], b2[64], b3[64];
    if (d->npi)
        CAPTION(f,
                "Points: D_crit from the runs at %d width%s (vertex of the parabola in ln D "
                "through the lowest loss and its neighbours; bars span those neighbouring "
                "depths).",
                d->npi, d->npi == 1 ? "" : "s");
    if (d->nbi)
        CAPTION(f,
                "Triangles: %d width%s whose lowest loss is at the deepest (▲) or shallowest "
                "(▼) run, so D_crit lies beyond the runs.",
                d->nbi, d->nbi == 1 ? "" : "s");
    if (d->kp_rc == DW_OK) {
        dw_fmt_pm(kp->kappa, kp->kappa_se, b1, sizeof b1);
        CAPTION(f, "Solid: D_crit = κ·ln W with κ = %s (R² %.3f; the paper: κ = %.2f, dotted red with triangles).",
                b1, kp->r2_kappa, FIT_PAPER_KAPPA);
        if (kp->has_power) {
            dw_fmt_pm(kp->beta, kp->beta_se, b2, sizeof b2);
            CAPTION(f, "Dashed with circles: D_crit = c·W^β with c = %.3g, β = %s (R² %.3f on ln D_crit).",
                    kp->c, b2, kp->r2_power);
        }
    } else {
        CAPTION(f, "Dotted red with triangles: the paper's D_crit = %.2f·ln W.", FIT_PAPER_KAPPA);
    }
    if (d->nlaw) {
        dw_fmt_count(d->T, b3, sizeof b3);
        CAPTION(f,
                "Grey dash-dot with squares: the law %s's own D_crit(W) (its loss minimum over depth) at %s "
                "tokens.",
                law_label_(d->law, lbl, sizeof lbl), b3);
        if (d->law_above)
            CAPTION(f, "Its D_crit runs from %.3g to %.3g layers over these widths, far above "
                    "the runs' scale: it is not drawn.", d->lawmin, d->lawmax);
        else if (d->law_clipped)
            CAPTION(f, "The law's curve rises to %.3g layers, beyond the top of the axis.",
                    d->lawmax);
    } else if (f->s->law && !d->law) {
        NOTE(f, "the law has no depth-width term, so no D_crit of its own");
    }
    if (d->logy) CAPTION(f, "The D_crit axis is logarithmic: the values span more than 8x.");
    if (d->same[0])
        CAPTION(f, "Curves that coincide within 3%% over these widths: %s (marked by different "
                "dashes and symbols).", d->same);
    if (d->npi)
        for (int k = 0; k < d->nw; k++)
            if (d->pidx[k] >= 0)
                CAPTION(f, "W = %g: D_crit %.2f, between the depths %g and %g.", d->wk[k],
                        d->dk[k], d->dc[k].lo, d->dc[k].hi);
}

int fig_dcrit_(Fig *f) {
    const Law *law = f->s->law;
    Dcrit d = {.r = f->s->runs, .law = law && law_form_has_shape(&law->form) ? law : NULL};
    int rc = dcrit_fit_(f, &d);
    if (rc) goto out;
    fig_begin_(f);
    if ((rc = dcrit_data_(f, &d))) goto out;
    dcrit_script_(f, &d);
    dcrit_caption_(f, &d);
    rc = fig_finish_(f);
out:
    free(d.dc), free(d.wk), free(d.dk);
    return rc;
}
