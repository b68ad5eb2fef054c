/* plots/fig_gradients.c — the `gradients` figure (plot.h): per-layer gradient norm vs
 * layer on a log scale, one run per width (the deepest, or those of --depth), with the
 * exponential decay ln g = a + ℓ/τ of the depth analysis (fit/depth.h) and τ in the legend.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/paper.h"
#include "fig.h"

// ----------------------------------------------------------------------------
// gradients: per-layer gradient norm vs layer, one run per width

int fig_gradients_(Fig *f) {
    const PlotSpec *s = f->s;
    const DsRuns *r = s->runs;
    PlotBuf nb = {0}, fb = {0};
    char name[2][160], b1[64];
    int rc, nw, *pick = NULL;
    double *W = NULL;
    FitTauRun *tr = NULL;

    int ng = 0;
    for (int i = 0; r && i < r->n; i++) ng += r->ngrad[i] >= 2;
    if (!r || !r->has_grad || ng == 0)
        return dw_error_set(DW_EINVAL, "gradients: %s",
                            !r             ? "needs run records with grad_norms"
                            : !r->has_grad ? "the runs have no grad_norms column"
                                           : "no run has gradient norms at two or more layers");
    if (!r->has_width || !r->has_depth)
        return dw_error_set(DW_EINVAL, "gradients: the runs have no %s column",
                            r->has_width ? "depth" : "width");
    const FitDepthReport *rep = fig_analysis_(f, &rc);
    if (!rep) return rc;
    W = calloc((size_t)r->n, sizeof *W), pick = calloc((size_t)r->n, sizeof *pick);
    tr = calloc((size_t)r->n, sizeof *tr);
    if (!W || !pick || !tr) {
        rc = dw_error_set(DW_ENOMEM, "out of memory");
        goto out;
    }
    /* per width: the run at --depth, or the one with the most layers (the longest decay) */
    nw = ds_runs_widths(r, W);
    int m = 0;
    for (int k = 0; k < nw; k++) {
        int best = -1;
        for (int i = 0; i < r->n; i++) {
            if (r->width[i] != W[k] || r->ngrad[i] < 2) continue;
            if (s->grad_depth > 0 && r->depth[i] != s->grad_depth) continue;
            if (best < 0 || r->ngrad[i] > r->ngrad[best]) best = i;
        }
        if (best < 0) {
            if (s->grad_depth > 0)
                NOTE(f, "W = %g: no run of depth %d with gradient norms", W[k], s->grad_depth);
            continue;
        }
        W[m] = W[k], pick[m] = best, m++;
    }
    if (m == 0) {
        rc = dw_error_set(DW_EINVAL, "gradients: no run of depth %d has gradient norms",
                          s->grad_depth);
        goto out;
    }
    int maxl = 0;
    for (int k = 0; k < m; k++) maxl = r->ngrad[pick[k]] > maxl ? r->ngrad[pick[k]] : maxl;

    fig_begin_(f);
    plot_buf_printf_(&nb,
                     "# %s_norms.dat — gradient norm per layer (layer 0 = input side), one "
                     "block per width: the run shown\n# columns: layer grad_norm depth width "
                     "source_line\n",
                     f->stem);
    plot_buf_printf_(&fb,
                     "# %s_fit.dat — fitted decay ln g = a + s·layer (tau = 1/s layers), "
                     "one block per width with a fit\n# columns: layer fitted_norm\n",
                     f->stem);
    int fit_idx[256], nfit = 0;
    for (int k = 0; k < m && k < 256; k++) {
        int i = pick[k];
        plot_buf_printf_(&nb, "# W = %g, depth %g, line %d\n", W[k], r->depth[i], r->line[i]);
        for (int l = 0; l < r->ngrad[i]; l++) {
            plot_buf_printf_(&nb, "%d %.10g %g %g %d\n", l, r->grad[i][l], r->depth[i], W[k],
                             r->line[i]);
            pt_(f, l, r->grad[i][l]);
        }
        plot_buf_puts_(&nb, "\n\n");
        fit_idx[k] = -1;
        tr[k] = rep->runs[i].tau; /* the depth analysis' τ of this run */
        if (tr[k].ok) {
            plot_buf_printf_(&fb, "# W = %g: tau = %.6g layers\n", W[k], tr[k].tau);
            for (int j = 0; j <= 40; j++) {
                double l = (r->ngrad[i] - 1) * j / 40.0;
                plot_buf_printf_(&fb, "%.6g %.10g\n", l, exp(tr[k].intercept + tr[k].slope * l));
            }
            plot_buf_puts_(&fb, "\n\n");
            fit_idx[k] = nfit++;
        } else {
            NOTE(f, "W = %g (depth %g): no tau: %s", W[k], r->depth[i], tr[k].why);
        }
    }
    if ((rc = fig_data_(f, "norms", &nb, name[0], sizeof name[0])) ||
        (nfit && (rc = fig_data_(f, "fit", &fb, name[1], sizeof name[1]))))
        goto out;
    for (int k = 0; k < m && k < 256; k++) style_width_(f, k + 1, W[k]);
    gp_(f, "set logscale y\nset format y '10^{%%L}'\n");
    gp_(f, "set xlabel 'layer ℓ (0 = input side, %d = output side)'\n", maxl - 1);
    gp_(f, "set ylabel 'gradient norm ‖∇_ℓ L‖ of layer ℓ (log scale)'\n");
    gp_(f, "set xrange [-0.5:%g]\n", maxl - 0.5);
    gp_(f, "set title 'Gradient norm per layer: %s'\n",
        s->grad_depth > 0 ? "runs of one depth per width" : "the deepest run of each width");
    double glo = INFINITY, ghi = 0;
    for (int q = 0; q < f->np; q++) glo = fmin(glo, f->py[q]), ghi = fmax(ghi, f->py[q]);
    glo = pow(10, floor(log10(glo))), ghi = pow(10, ceil(log10(ghi)));
    gp_(f, "set yrange [%g:%g]\n", glo, ghi);
    gp_(f, "set key inside %s Left reverse\n",
        key_corner_(f, -0.5, maxl - 0.5, glo, ghi, 0, 1, 0.5, 0.35));
    for (int k = 0; k < m && k < 256; k++) {
        int i = pick[k];
        char t[160];
        if (fit_idx[k] >= 0)
            snprintf(t, sizeof t, "W = %g, D = %g: τ = %.3g (R^2 %.3f)", W[k], r->depth[i],
                     tr[k].tau, tr[k].r2);
        else
            snprintf(t, sizeof t, "W = %g, D = %g: no τ (%s)", W[k], r->depth[i],
                     r->ngrad[i] < 3 ? "< 3 layers" : "no decay toward the input");
        /* without a fit, a thin line joins the points so that the trend still reads */
        /* gnuplot 5.4 wants the line style before a line width that overrides it */
        item_(f, "'%s' index %d using 1:2 with %s ls %d%s ps 0.8 title '%s'", name[0], k,
              fit_idx[k] >= 0 ? "points" : "linespoints", k + 1, fit_idx[k] >= 0 ? "" : " lw 0.8",
              t);
        if (fit_idx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with lines ls %d lw 1.5 notitle", name[1], fit_idx[k],
                  k + 1);
    }
    if (nfit)
        item_(f, "keyentry with lines lc rgb '#444444' lw 1.5 title 'lines: fit ln g = a + ℓ/τ'");
    plot_end_(f);
    CAPTION(
        f,
        "Gradient norm at each layer (log scale; layer 0 at the input) of %s, one line "
        "per width (points); lines: the least-squares fit ln g_ℓ = a + ℓ/τ, τ in the legend (in "
        "layers: the norm falls by e every τ layers toward the input).",
        s->grad_depth > 0 ? "the runs of the chosen depth" : "the deepest run at each width");
    for (int k = 0; k < m; k++)
        if (fit_idx[k] >= 0) {
            dw_fmt_pm(tr[k].tau, tr[k].tau_se, b1, sizeof b1);
            CAPTION(f, "W = %g: τ = %s;", W[k], b1);
        }
    size_t L = strlen(f->res->caption);
    if (L && f->res->caption[L - 1] == ';') f->res->caption[L - 1] = '.';
    rc = fig_finish_(f);
out:
    plot_buf_free_(&nb), plot_buf_free_(&fb);
    free(W), free(pick), free(tr);
    return rc;
}
