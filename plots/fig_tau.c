/* plots/fig_tau.c — the `tau` figure (plot.h): the persistence length τ of each run against
 * width on log-log axes, with τ = t0·W^β and τ = a + b·ln W fitted across runs
 * (the depth analysis of fit/depth.h) and the paper's slope 0.44 for comparison.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/paper.h"
#include "fig.h"

// ----------------------------------------------------------------------------
// tau: persistence length vs width

/* What the steps of the figure share. */
typedef struct {
    const DsRuns *r;
    double *W; /* (nw) the runs' widths, ascending */
    int nw;
    double *tau;            /* (n) τ of each run, NaN when it has none */
    FitTauRun *tr;          /* (n) the fit behind it */
    int nt, nfew, nnodecay; /* runs with τ, with fewer than 3 layers, without decay */
    FitTauWidth tw;         /* τ(W) across runs, when tw_rc is DW_OK */
    int tw_rc;
    double lo, hi;     /* the width axis */
    char name[2][160]; /* data files: runs, fit */
    int idx[512], np;  /* each width's block in the runs file, or -1; np blocks */
} Tau;

/* τ of each run (fit_tau_run) and τ(W) across them (fit_tau_width); fails when fewer than two
 * runs have a τ. */
static int tau_fit_(Fig *f, Tau *t) {
    const DsRuns *r = t->r;
    if (!r || !r->has_grad || !r->has_width)
        return dw_error_set(DW_EINVAL, "tau: %s",
                            !r             ? "needs run records with grad_norms"
                            : !r->has_grad ? "the runs have no grad_norms column"
                                           : "the runs have no width column");
    int rc;
    const FitDepthReport *rep = fig_analysis_(f, &rc);
    if (!rep) return rc ? rc : dw_error_set(DW_EINVAL, "tau: the runs need depth and width columns");
    double *W, *tau;
    FitTauRun *tr;
    W = t->W = calloc((size_t)r->n + 1, sizeof *W);
    tau = t->tau = calloc((size_t)r->n + 1, sizeof *tau);
    tr = t->tr = calloc((size_t)r->n + 1, sizeof *tr);
    if (!W || !tau || !tr) return dw_error_set(DW_ENOMEM, "out of memory");
    /* τ per run and τ(W): the depth analysis' own (fit/depth.h) */
    for (int i = 0; i < r->n; i++) {
        tr[i] = rep->runs[i].tau;
        tau[i] = tr[i].ok ? tr[i].tau : NAN;
    }
    t->nt = rep->ntau, t->nfew = rep->nfew, t->nnodecay = rep->nnodecay;
    if (t->nt < 2)
        return dw_error_set(DW_EINVAL,
                            "tau: %d run%s with a persistence length (runs need >= 3 "
                            "layers of gradient norms that decay toward the input; %d too "
                            "shallow, %d without decay): a plot of tau vs W needs at least two",
                            t->nt, t->nt == 1 ? "" : "s", t->nfew, t->nnodecay);
    t->tw_rc = rep->tw_ok ? DW_OK : DW_EDATA;
    if (rep->tw_ok) t->tw = rep->tw;
    else NOTE(f, "no fit of tau(W): %s", rep->tw_why);
    t->nw = ds_runs_widths(r, W);
    return DW_OK;
}

/* Writes the data files: τ per run, and the fits with the paper's slope. */
static int tau_data_(Fig *f, Tau *t) {
    const DsRuns *r = t->r;
    const double *W = t->W, *tau = t->tau;
    const FitTauRun *tr = t->tr;
    const FitTauWidth tw = t->tw;
    PlotBuf pb = {0}, fb = {0};
    int rc;
    double wlo = W[0], whi = W[t->nw - 1];
    plot_buf_printf_(&pb,
                     "# %s_runs.dat — tau per run (least squares of ln grad_norm on "
                     "layer), one block per width\n# columns: width tau tau_se depth source_line\n",
                     f->stem);
    for (int k = 0; k < t->nw && k < 512; k++) {
        int cnt = 0;
        for (int i = 0; i < r->n; i++)
            if (r->width[i] == W[k] && isfinite(tau[i])) {
                if (!cnt) plot_buf_printf_(&pb, "# W = %g\n", W[k]);
                /* an error bar reaching zero cannot be drawn on a log axis: clip it */
                double se = isfinite(tr[i].tau_se) ? fmin(tr[i].tau_se, 0.9 * tau[i]) : 0;
                plot_buf_printf_(&pb, "%g %.10g %.10g %g %d\n", W[k], tau[i], se, r->depth[i],
                                 r->line[i]);
                pt_(f, W[k], tau[i] + se), pt_(f, W[k], tau[i] - se);
                cnt++;
            }
        t->idx[k] = -1;
        if (cnt) {
            plot_buf_puts_(&pb, "\n\n");
            t->idx[k] = t->np++;
        }
    }
    if ((rc = fig_data_(f, "runs", &pb, t->name[0], sizeof t->name[0]))) goto out;
    double lo = t->lo = wlo / 1.25, hi = t->hi = whi * 1.25;
    if (t->tw_rc == DW_OK) {
        /* the paper's slope, drawn through the power fit at the geometric middle width */
        /* shifted down by a quarter so that it does not hide under the fit it resembles */
        double wm = sqrt(wlo * whi), tm = 0.75 * tw.t0 * pow(wm, tw.beta);
        plot_buf_printf_(
            &fb,
            "# %s_fit.dat — fits of tau(W) across runs\n# power: tau = t0·W^beta "
            "(t0 = %.6g, beta = %.6g, R² %.4f on ln tau)\n# log: tau = a + b·ln W "
            "(a = %.6g, b = %.6g, R² %.4f on tau)\n# paper: slope %.2f through 0.75 x the "
            "power fit at W = %.6g (shifted down to stay visible)\n# columns: width tau_power "
            "tau_log tau_paper_slope\n",
            f->stem, tw.t0, tw.beta, tw.r2_power, tw.a, tw.b, tw.r2_log, FIT_PAPER_TAU_BETA, wm);
        for (int j = 0; j <= 100; j++) {
            double w = exp(log(lo) + (log(hi) - log(lo)) * j / 100.0);
            double tl = tw.a + tw.b * log(w);
            plot_buf_printf_(&fb, "%.8g %.8g ", w, tw.t0 * pow(w, tw.beta));
            if (tl > 0)
                plot_buf_printf_(&fb, "%.8g", tl);
            else
                plot_buf_puts_(&fb, "NaN");
            plot_buf_printf_(&fb, " %.8g\n", tm * pow(w / wm, FIT_PAPER_TAU_BETA));
            if (j % 5 == 0) {
                pt_(f, w, tw.t0 * pow(w, tw.beta)),
                    pt_(f, w, tm * pow(w / wm, FIT_PAPER_TAU_BETA));
                if (tl > 0) pt_(f, w, tl);
            }
        }
        rc = fig_data_(f, "fit", &fb, t->name[1], sizeof t->name[1]);
    }
out:
    plot_buf_free_(&pb), plot_buf_free_(&fb);
    return rc;
}

/* The script: line styles, axes, the key where the points are fewest, the plot command. */
static void tau_script_(Fig *f, const Tau *t) {
    const FitTauWidth *tw = &t->tw;
    double lo = t->lo, hi = t->hi;
    char b1[64];
    for (int k = 0; k < t->nw && k < 512; k++) style_width_(f, k + 1, t->W[k]);
    gp_(f, "set logscale xy 2\nset format x '%%g'\nset format y '%%g'\n");
    gp_(f, "set xrange [%g:%g]\n", lo, hi);
    gp_(f, "set xlabel 'width W (model dimension, log scale)'\n"
           "set ylabel 'persistence length τ (layers, log scale)'\n");
    gp_(f, "set title 'Gradient persistence length τ vs width'\n");
    double tlo = INFINITY, thi = 0;
    for (int q = 0; q < f->np; q++) tlo = fmin(tlo, f->py[q]), thi = fmax(thi, f->py[q]);
    /* an octave of headroom below the data: room for the key without covering the lines */
    tlo = pow(2, floor(log2(tlo)) - 1), thi = pow(2, ceil(log2(thi)));
    gp_(f, "set yrange [%g:%g]\n", tlo, thi);
    gp_(f, "set key %s Left reverse\n", key_corner_(f, lo, hi, tlo, thi, 1, 1, 0.55, 0.4));
    for (int k = 0; k < t->nw && k < 512; k++)
        if (t->idx[k] >= 0)
            item_(f, "'%s' index %d using 1:2:3 with yerrorbars ls %d title 'W = %g'", t->name[0],
                  t->idx[k], k + 1, t->W[k]);
    if (t->tw_rc == DW_OK) {
        dw_fmt_pm(tw->beta, tw->beta_se, b1, sizeof b1);
        item_(f,
              "'%s' using 1:2 with lines lc rgb '#222222' lw 2 title 'τ = %.3g·W^{%s}, R^2 %.3f'",
              t->name[1], tw->t0, b1, tw->r2_power);
        item_(f,
              "'%s' using 1:3 with lines lc rgb '#222222' lw 2 dt 2 title 'τ = %.3g + %.3g·ln W, "
              "R^2 %.3f'",
              t->name[1], tw->a, tw->b, tw->r2_log);
        item_(f,
              "'%s' using 1:4 with lines lc rgb '#b2182b' lw 1.5 dt 3 title 'paper slope: τ ∝ "
              "W^{%.2f} (shifted ×0.75 to be seen)'",
              t->name[1], FIT_PAPER_TAU_BETA);
    }
    plot_end_(f);
}

/* The caption (the fits against the paper's) and the notes (runs left out). */
static void tau_caption_(Fig *f, const Tau *t) {
    const FitTauWidth *tw = &t->tw;
    char b1[64], b2[64], b3[64];
    CAPTION(f,
            "Persistence length τ of each run (points with ±1 SE; τ = 1/slope of ln "
            "gradient norm on layer) against width, log-log, %d runs at %d widths.",
            t->nt, t->np);
    if (t->tw_rc == DW_OK) {
        dw_fmt_pm(tw->beta, tw->beta_se, b1, sizeof b1);
        dw_fmt_pm(tw->a, tw->a_se, b2, sizeof b2);
        dw_fmt_pm(tw->b, tw->b_se, b3, sizeof b3);
        CAPTION(f,
                "Solid: τ = t0·W^β with β = %s (R² %.3f on ln τ, %.3f on τ); dashed: τ = a + "
                "b·ln W with a = %s, b = %s (R² %.3f on τ); dotted red: the paper's slope %.2f, "
                "drawn 25%% below the fit so that both stay visible (the paper reports R² %.2f for "
                "the power law vs %.2f for the log form).",
                b1, tw->r2_power, tw->r2_power_tau, b2, b3, tw->r2_log, FIT_PAPER_TAU_BETA,
                FIT_PAPER_TAU_R2_POWER, FIT_PAPER_TAU_R2_LOG);
    }
    if (t->nfew)
        NOTE(f, "%d run%s with fewer than 3 layers left out", t->nfew, t->nfew == 1 ? "" : "s");
    if (t->nnodecay)
        NOTE(f, "%d run%s without decay toward the input left out", t->nnodecay,
             t->nnodecay == 1 ? "" : "s");
}

int fig_tau_(Fig *f) {
    Tau t = {.r = f->s->runs};
    int rc = tau_fit_(f, &t);
    if (rc) goto out;
    fig_begin_(f);
    if ((rc = tau_data_(f, &t))) goto out;
    tau_script_(f, &t);
    tau_caption_(f, &t);
    rc = fig_finish_(f);
out:
    free(t.W), free(t.tau), free(t.tr);
    return rc;
}
