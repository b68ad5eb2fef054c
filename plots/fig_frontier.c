/* plots/fig_frontier.c — the `frontier` figure (plot.h): D*, W*, N*, T* of the planner's
 * continuous optimum vs compute (plan_sweep), log-log, with the paper's claimed slopes
 * (D* ∝ C^0.12, W* ∝ C^0.34 and the N* ∝ C^0.80, T* ∝ C^0.20 they imply), over the shaded
 * near-optimal region (planner/region.h) at plan's default tolerance: the depth, width, N
 * and T ranges of the real shapes within it at every other budget (depth and width only
 * for a law with a shape term: a shape-free law's region is a band of N).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/paper.h"
#include "fig.h"
#include "planner/plan.h"
#include "planner/region.h"

// ----------------------------------------------------------------------------
// frontier: the planner's optimum vs compute

#define REGION_BUDGETS 21 /* regions computed (every k-th budget of the sweep) */

/* The near-optimal region's ranges at every k-th budget into rb (columns: compute,
 * depth lo hi, width lo hi, N lo hi, T lo hi); *eps the tolerance. Returns the budgets
 * done (0: none; a budget that fails is left out and noted). */
static int region_data_(Fig *f, const Law *law, const PlanPoint *pts, int n, PlotBuf *rb,
                        double *eps, double rlo[4], double rhi[4]) {
    int step = (n + REGION_BUDGETS - 1) / REGION_BUDGETS, done = 0, edge = 0;
    *eps = PLAN_REGION_NOISE;
    for (int q = 0; q < 4; q++) rlo[q] = INFINITY, rhi[q] = 0;
    plot_buf_printf_(rb, "# %s_region.dat — ranges of the real shapes within eps of the best at "
                     "each budget (plan_region)\n# columns: compute depth_lo depth_hi width_lo "
                     "width_hi params_lo params_hi tokens_lo tokens_hi eps\n", f->stem);
    for (int k = 0; k < n; k += step) {
        PlanRequest req;
        PlanResult res;
        PlanRegion g;
        plan_request_default(&req);
        req.compute = pts[k].flops;
        if (plan_solve(law, &req, &res) != DW_OK) {
            NOTE(f, "region at C = %.3g: %s", req.compute, dw_error_get());
            continue;
        }
        double e = plan_region_default_eps(law, &res, NULL, 0); /* this budget's */
        if (plan_region(law, &res, e, 0, &g) != DW_OK) {
            NOTE(f, "region at C = %.3g: %s", req.compute, dw_error_get());
            continue;
        }
        plot_buf_printf_(rb, "%.8g %.8g %.8g %.8g %.8g %.8g %.8g %.8g %.8g %.6g\n", req.compute,
                         g.depth_lo, g.depth_hi, g.width_lo, g.width_hi, g.params_lo, g.params_hi,
                         g.tokens_lo, g.tokens_hi, e);
        *eps = fmax(*eps, e); /* the largest, for the legend and caption */
        const double lo[4] = {g.depth_lo, g.width_lo, g.params_lo, g.tokens_lo};
        const double hi[4] = {g.depth_hi, g.width_hi, g.params_hi, g.tokens_hi};
        for (int q = 0; q < 4; q++) rlo[q] = fmin(rlo[q], lo[q]), rhi[q] = fmax(rhi[q], hi[q]);
        edge += g.touches_scan;
        plan_region_free(&g);
        done++;
    }
    dw_error_clear();
    if (edge)
        NOTE(f, "the region reaches the edge of its scan (a factor 8 around the optimum) at %d "
             "of %d budgets: it may extend beyond the shading there", edge, done);
    return done;
}

int fig_frontier_(Fig *f) {
    const PlotSpec *s = f->s;
    const Law *law = s->law;
    PlotBuf db = {0}, rb = {0};
    char name[160], rname[160], lbl[160], e[320], b1[32], b2[32];
    double clo, chi, slope[4], se[4], r2[4];
    int rc;
    if (!law) return dw_error_set(DW_EINVAL, "frontier: needs a law (--law FILE or a preset)");
    budget_range_(s, &clo, &chi);
    int n = (int)lround(4 * log10(chi / clo)) + 1;
    if (n < 3) n = 3;
    if (n > 81) n = 81;
    PlanPoint pts[81];
    PlanRequest req;
    plan_request_default(&req);
    if ((rc = plan_sweep(law, &req, clo, chi, n, pts, slope, se, r2))) {
        dw_fmt_sci_short(clo, b1, sizeof b1), dw_fmt_sci_short(chi, b2, sizeof b2);
        return dw_error_prefix(DW_EINVAL, "frontier: the planner failed between %s and %s FLOPs",
                               b1, b2);
    }
    int shape_free = !law_form_has_shape(&law->form);
    fig_begin_(f);
    plot_buf_printf_(&db,
                     "# %s_sweep.dat — continuous compute-optimal shape per budget "
                     "(plan_sweep) under %s\n# fitted exponents vs C: D* %.6g, W* %.6g, N* %.6g, "
                     "T* %.6g\n# columns: compute depth width params tokens loss dcrit\n",
                     f->stem, law_label_(law, lbl, sizeof lbl), slope[0], slope[1], slope[2],
                     slope[3]);
    for (int k = 0; k < n; k++)
        plot_buf_printf_(&db, "%.8g %.8g %.8g %.8g %.8g %.8g %.8g\n", pts[k].flops, pts[k].depth,
                         pts[k].width, pts[k].params_law, pts[k].tokens, pts[k].loss, pts[k].dcrit);
    if ((rc = fig_data_(f, "sweep", &db, name, sizeof name))) goto out;
    double eps, rlo[4], rhi[4];
    int nreg = region_data_(f, law, pts, n, &rb, &eps, rlo, rhi);
    if (nreg && (rc = fig_data_(f, "region", &rb, rname, sizeof rname))) goto out;
    /* the paper's claims: D* ∝ C^0.12, W* ∝ C^0.34; with N = 12·D·W² and C = 6·N·T they imply
     * N* ∝ C^0.80 and T* ∝ C^0.20. Drawn through this law's optimum at the middle budget. */
    double pslope[4] = {FIT_PAPER_D_SLOPE, FIT_PAPER_W_SLOPE,
                        FIT_PAPER_D_SLOPE + 2 * FIT_PAPER_W_SLOPE,
                        1 - FIT_PAPER_D_SLOPE - 2 * FIT_PAPER_W_SLOPE};
    int mid = n / 2;
    double anchor[4] = {pts[mid].depth, pts[mid].width, pts[mid].params_law, pts[mid].tokens};
    static const char *const ylab[4] = {"depth D* (layers)", "width W*",
                                        "parameters N* (as the law counts them)", "tokens T*"};
    static const char *const sym[4] = {"D*", "W*", "N*", "T*"};
    static const char *const paper_how[4] = {"paper claims", "paper claims", "implied by the paper",
                                             "implied by the paper"};
    gp_(f, "# the paper's slopes, through this law's optimum at C0 = %.6g FLOPs\n", pts[mid].flops);
    gp_(f, "C0 = %.8g\n", pts[mid].flops);
    for (int q = 0; q < 4; q++)
        gp_(f, "paper%d(c) = %.8g * (c / C0)**%.4f\n", q, anchor[q], pslope[q]);
    gp_(f, "set style line 1 lc rgb '#222222' lw 2.2 pt 7 ps 0.8   # this law\n"
           "set style line 2 lc rgb '#b2182b' lw 1.8 dt 2             # the paper's slope\n"
           "set style line 3 lc rgb '#9ecae1'                          # the region\n"
           "set style fill transparent solid 0.45 noborder\n");
    gp_(f, "set logscale xy\nset format x '10^{%%L}'\n");
    gp_(f, "set xrange [%.6g:%.6g]\nset xlabel 'training compute C (FLOPs)'\n", clo / 1.5,
        chi * 1.5);
    gp_(f, "set key bottom right Left reverse\n");
    gp_(f, "set multiplot layout 2,2 title \"Compute-optimal shape under %s\" font ',13'\n",
        gp_dq_(law_label_(law, lbl, sizeof lbl), e, sizeof e));
    for (int q = 0; q < 4; q++) {
        /* y range: the law's optima and the paper's line over the budgets, a little beyond */
        double ylo = INFINITY, yhi = 0;
        for (int k = 0; k < n; k++) {
            double v[4] = {pts[k].depth, pts[k].width, pts[k].params_law, pts[k].tokens};
            double pv = anchor[q] * pow(pts[k].flops / pts[mid].flops, pslope[q]);
            ylo = fmin(ylo, fmin(v[q], pv)), yhi = fmax(yhi, fmax(v[q], pv));
        }
        if (nreg && (q >= 2 || !shape_free)) ylo = fmin(ylo, rlo[q]), yhi = fmax(yhi, rhi[q]);
        gp_(f, "set yrange [%.6g:%.6g]\n", ylo / 1.4, yhi * 1.4);
        gp_(f, "set logscale y %d\nset format y '%s'\n", q < 2 ? 2 : 10, q < 2 ? "%g" : "10^{%L}");
        gp_(f, "set ylabel '%s'\n", ylab[q]);
        gp_(f, "set title '%s ∝ C^{%.3f} (R^2 %.3f)'\n", sym[q], slope[q], r2[q]);
        if (nreg && (q >= 2 || !shape_free))
            item_(f, "'%s' using 1:%d:%d with filledcurves ls 3 title 'within ε ≤ %.3g nats'", rname,
                  2 + 2 * q, 3 + 2 * q, eps);
        item_(f, "'%s' using 1:%d with linespoints ls 1 title 'this law: C^{%.3f}'", name, q + 2,
              slope[q]);
        item_(f, "paper%d(x) with lines ls 2 title '%s: C^{%.2f}'", q, paper_how[q], pslope[q]);
        plot_end_(f);
    }
    gp_(f, "unset multiplot\n");
    dw_fmt_sci_short(clo, b1, sizeof b1), dw_fmt_sci_short(chi, b2, sizeof b2);
    CAPTION(f,
            "The planner's continuous optimum under %s at %d budgets from %s to %s FLOPs "
            "(log-log): D* ∝ C^%.3f, W* ∝ C^%.3f, N* ∝ C^%.3f, T* ∝ C^%.3f (least squares on "
            "logs). Dashed red: the paper's D* ∝ C^0.12 and W* ∝ C^0.34, and the N* ∝ C^0.80, "
            "T* ∝ C^0.20 they imply (N = 12·D·W², C = 6·N·T), drawn through this law's optimum "
            "at the middle budget.",
            law_label_(law, lbl, sizeof lbl), n, b1, b2, slope[0], slope[1], slope[2], slope[3]);
    if (nreg)
        CAPTION(f,
                "Shaded: the near-optimal region at %d of the budgets, every real shape (integer "
                "depth, width a multiple of 8 heads) whose loss is within ε of the best real "
                "shape at that compute, ε being plan's default tolerance at that budget (the "
                "law's own loss uncertainty, at least 0.005 nats, here at most %.3g; "
                "docs/options.md)%s.",
                nreg, eps, shape_free ? "; the law has no shape term, so only N and T are "
                "shaded: its region is a band of N" : "");
    if (shape_free)
        CAPTION(f,
                "The law has no depth-width term: the planner holds W/D = %g, so D* and W* "
                "follow from N* alone.",
                req.aspect);
    rc = fig_finish_(f);
out:
    plot_buf_free_(&db);
    plot_buf_free_(&rb);
    return rc;
}
