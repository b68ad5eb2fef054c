/* plots/fig_frontier.c — the `frontier` figure (plot.h): D*, W*, N*, T* of the planner's
 * continuous optimum vs compute (plan_sweep), log-log, over the shaded near-optimal region
 * (planner/region.h) at plan's default tolerance: the depth, width, N and T ranges of the
 * real shapes within it at every other budget (depth and width only for a law with a shape
 * term: a shape-free law's region is a band of N). At the same budgets, the planner's 95%
 * intervals of D*, W*, N*, T* over the law's draws (plan_intervals: its bootstrap draws, else
 * draws from its covariance) make a band. With runs, each run is a point at its own compute
 * (T × the law's FLOPs per token) and the compute they span is shaded. The paper's claimed
 * slopes (D* ∝ C^0.12, W* ∝ C^0.34 and the N* ∝ C^0.80, T* ∝ C^0.20 they imply) are drawn
 * only beside the paper's own law (the depth-delusion preset), where they are a claim about
 * that law.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/paper.h"
#include "fig.h"
#include "planner/count.h"
#include "planner/plan.h"
#include "planner/region.h"

// ----------------------------------------------------------------------------
// frontier: the planner's optimum vs compute

#define REGION_BUDGETS 21 /* regions and bands computed (every k-th budget of the sweep) */

/* What the steps of the figure share. */
typedef struct {
    const Law *law;
    int n;                    /* budgets of the sweep */
    PlanPoint pts[81];
    double slope[4], se[4], r2[4];
    double clo, chi;          /* the budgets */
    int shape_free;
    int nreg, nband;          /* budgets with a region, with a band */
    double eps;               /* the largest region tolerance */
    char band_how[128];       /* how the band's intervals were made */
    double lo[4], hi[4];      /* ranges of the region, band and runs per panel */
    int nruns;                /* runs drawn */
    double rclo, rchi;        /* the runs' compute */
    int paper;                /* the law is the paper's: draw its claimed slopes */
    int misfit;
    double r2runs;
    char name[4][160];        /* sweep, region, band, runs */
} Front;

/* The near-optimal region's ranges and the planner's 95% intervals at every k-th budget into
 * rb (columns: compute, depth lo hi, width lo hi, N lo hi, T lo hi, eps) and bb (compute,
 * the four intervals). A budget that fails is left out and noted. */
static void region_data_(Fig *f, Front *g, PlotBuf *rb, PlotBuf *bb) {
    const Law *law = g->law;
    int step = (g->n + REGION_BUDGETS - 1) / REGION_BUDGETS, edge = 0;
    g->eps = PLAN_REGION_NOISE;
    plot_buf_printf_(rb, "# %s_region.dat — ranges of the real shapes within eps of the best at "
                     "each budget (plan_region)\n# columns: compute depth_lo depth_hi width_lo "
                     "width_hi params_lo params_hi tokens_lo tokens_hi eps\n", f->stem);
    plot_buf_printf_(bb, "# %s_band.dat — the planner's 95%% intervals of the optimum over the "
                     "law's parameter draws (plan_intervals, %d draws asked)\n# columns: compute "
                     "depth_lo depth_hi width_lo width_hi params_lo params_hi tokens_lo "
                     "tokens_hi\n", f->stem, FIG_BAND_DRAWS);
    for (int k = 0; k < g->n; k += step) {
        PlanRequest req;
        PlanResult res;
        PlanRegion rg;
        plan_request_default(&req);
        req.compute = g->pts[k].flops;
        if (plan_solve(law, &req, &res) != DW_OK) {
            NOTE(f, "region at C = %.3g: %s", req.compute, dw_error_get());
            continue;
        }
        if (plan_intervals(law, &res, FIG_BAND_DRAWS) == DW_OK && isfinite(res.depth_ci[0]) &&
            isfinite(res.width_ci[0]) && isfinite(res.params_ci[0]) &&
            isfinite(res.tokens_ci[0])) {
            const double lo[4] = {res.depth_ci[0], res.width_ci[0], res.params_ci[0],
                                  res.tokens_ci[0]};
            const double hi[4] = {res.depth_ci[1], res.width_ci[1], res.params_ci[1],
                                  res.tokens_ci[1]};
            plot_buf_printf_(bb, "%.8g", req.compute);
            for (int q = 0; q < 4; q++) {
                plot_buf_printf_(bb, " %.8g %.8g", lo[q], hi[q]);
                g->lo[q] = fmin(g->lo[q], lo[q]), g->hi[q] = fmax(g->hi[q], hi[q]);
            }
            plot_buf_puts_(bb, "\n");
            snprintf(g->band_how, sizeof g->band_how, "%s", res.ci_method);
            g->nband++;
        } else if (!g->band_how[0]) {
            snprintf(g->band_how, sizeof g->band_how, "%s", res.ci_method);
        }
        double e = plan_region_default_eps(law, &res, NULL, 0); /* this budget's */
        if (plan_region(law, &res, e, 0, &rg) != DW_OK) {
            NOTE(f, "region at C = %.3g: %s", req.compute, dw_error_get());
            continue;
        }
        plot_buf_printf_(rb, "%.8g %.8g %.8g %.8g %.8g %.8g %.8g %.8g %.8g %.6g\n", req.compute,
                         rg.depth_lo, rg.depth_hi, rg.width_lo, rg.width_hi, rg.params_lo,
                         rg.params_hi, rg.tokens_lo, rg.tokens_hi, e);
        g->eps = fmax(g->eps, e); /* the largest, for the legend and caption */
        const double lo[4] = {rg.depth_lo, rg.width_lo, rg.params_lo, rg.tokens_lo};
        const double hi[4] = {rg.depth_hi, rg.width_hi, rg.params_hi, rg.tokens_hi};
        for (int q = g->shape_free ? 2 : 0; q < 4; q++)
            g->lo[q] = fmin(g->lo[q], lo[q]), g->hi[q] = fmax(g->hi[q], hi[q]);
        edge += rg.touches_scan;
        plan_region_free(&rg);
        g->nreg++;
    }
    dw_error_clear();
    if (edge)
        NOTE(f, "the region reaches the edge of its scan (a factor 8 around the optimum) at %d "
             "of %d budgets: it may extend beyond the shading there", edge, g->nreg);
}

/* The runs at their own compute (T × the law's FLOPs per token at their shape): depth, width,
 * N as the law counts it, tokens. Rows without them are left out. */
static void runs_data_(Fig *f, Front *g, PlotBuf *ub) {
    const DsRuns *r = f->s->runs;
    g->rclo = INFINITY, g->rchi = 0;
    if (!r || !r->has_depth || !r->has_width || !r->has_tokens) return;
    plot_buf_printf_(ub, "# %s_runs.dat — each run at its compute under the law's conventions\n"
                     "# columns: compute depth width params_law tokens source_line\n", f->stem);
    for (int i = 0; i < r->n; i++) {
        if (!(r->depth[i] >= 1 && r->width[i] > 0 && r->tokens[i] > 0)) continue;
        PlanShape sh;
        plan_shape_at(g->law, r->depth[i], r->width[i], 0, &sh);
        double N = plan_law_params(&g->law->conv, &sh);
        double C = r->tokens[i] * plan_flops_per_token(&g->law->conv, &sh);
        if (!(C > 0) || !(N > 0)) continue;
        const double v[4] = {r->depth[i], r->width[i], N, r->tokens[i]};
        plot_buf_printf_(ub, "%.8g %g %g %.8g %.8g %d\n", C, v[0], v[1], v[2], v[3], r->line[i]);
        for (int q = 0; q < 4; q++) g->lo[q] = fmin(g->lo[q], v[q]), g->hi[q] = fmax(g->hi[q], v[q]);
        g->rclo = fmin(g->rclo, C), g->rchi = fmax(g->rchi, C);
        g->nruns++;
    }
}

/* The script: the paper's lines (its law only), styles, and the four panels. */
static void front_script_(Fig *f, Front *g) {
    char lbl[160], e[320];
    const PlanPoint *pts = g->pts;
    int n = g->n, mid = n / 2;
    /* the paper's claims: D* ∝ C^0.12, W* ∝ C^0.34; with N = 12·D·W² and C = 6·N·T they imply
     * N* ∝ C^0.80 and T* ∝ C^0.20. Drawn through this law's optimum at the middle budget. */
    double pslope[4] = {FIT_PAPER_D_SLOPE, FIT_PAPER_W_SLOPE,
                        FIT_PAPER_D_SLOPE + 2 * FIT_PAPER_W_SLOPE,
                        1 - FIT_PAPER_D_SLOPE - 2 * FIT_PAPER_W_SLOPE};
    double anchor[4] = {pts[mid].depth, pts[mid].width, pts[mid].params_law, pts[mid].tokens};
    static const char *const ylab[4] = {"depth D* (layers)", "width W*",
                                        "parameters N* (as the law counts them)", "tokens T*"};
    static const char *const sym[4] = {"D*", "W*", "N*", "T*"};
    static const char *const paper_how[4] = {"paper claims", "paper claims", "implied by the paper",
                                             "implied by the paper"};
    if (g->paper) {
        gp_(f, "# the paper's slopes, through this law's optimum at C0 = %.6g FLOPs\n",
            pts[mid].flops);
        gp_(f, "C0 = %.8g\n", pts[mid].flops);
        for (int q = 0; q < 4; q++)
            gp_(f, "paper%d(c) = %.8g * (c / C0)**%.4f\n", q, anchor[q], pslope[q]);
    }
    gp_(f, "set style line 1 lc rgb '#222222' lw 2.2 pt 7 ps 0.8   # this law\n"
           "set style line 2 lc rgb '#b2182b' lw 1.8 dt 2             # the paper's slope\n"
           "set style line 3 lc rgb '#9ecae1'                          # the region\n"
           "set style line 4 lc rgb '#fdae6b'                          # the band\n"
           "set style line 5 lc rgb '#d95f02' pt 6 ps 0.9 lw 1.3      # the runs\n");
    double xlo = g->clo / 1.5, xhi = g->chi * 1.5;
    if (g->nruns) xlo = fmin(xlo, g->rclo / 1.5), xhi = fmax(xhi, g->rchi * 1.5);
    gp_(f, "set logscale xy\nset format x '10^{%%L}'\n");
    gp_(f, "set xrange [%.6g:%.6g]\nset xlabel 'training compute C (FLOPs)'\n", xlo, xhi);
    if (g->nruns)
        gp_(f, "set object 9 rect from %.6g, graph 0 to %.6g, graph 1 fc rgb '#000000' fs "
               "transparent solid 0.06 noborder behind   # the runs' compute\n",
            g->rclo / 1.15, g->rchi * 1.15);
    /* one key for the four panels, in a strip below them (a key per panel would cover a
     * quarter of each) */
    gp_(f, "set multiplot layout 2,2 title \"Compute-optimal shape under %s\" font ',13' "
           "margins screen 0.09,0.97,0.17,%s spacing screen 0.1,0.16\n",
        gp_dq_(law_label_(g->law, lbl, sizeof lbl), e, sizeof e), g->misfit ? "0.84" : "0.88");
    gp_(f, "unset key\n");
    if (g->misfit) {
        /* one line under the title, drawn with the first panel */
        misfit_note_(f, g->r2runs, "its optimum is not the runs'");
        gp_(f, "set label 90 \"Warning: the law does not describe these runs (R^2 %.3g on their "
               "loss): its optimum is not the runs'\" at screen 0.5, screen 0.925 center front "
               "tc rgb '#b2182b' font ',11'\n", g->r2runs);
    }
    for (int q = 0; q < 4; q++) {
        /* y range: the law's optima (and the paper's line) over the budgets, the region, the
         * band and the runs, a little beyond */
        double ylo = g->lo[q], yhi = g->hi[q];
        for (int k = 0; k < n; k++) {
            double v[4] = {pts[k].depth, pts[k].width, pts[k].params_law, pts[k].tokens};
            ylo = fmin(ylo, v[q]), yhi = fmax(yhi, v[q]);
            if (g->paper) {
                double pv = anchor[q] * pow(pts[k].flops / pts[mid].flops, pslope[q]);
                ylo = fmin(ylo, pv), yhi = fmax(yhi, pv);
            }
        }
        gp_(f, "set yrange [%.6g:%.6g]\n", ylo / 1.4, yhi * 1.4);
        gp_(f, "set logscale y %d\nset format y '%s'\n", q < 2 ? 2 : 10, q < 2 ? "%g" : "10^{%L}");
        gp_(f, "set ylabel '%s'\n", ylab[q]);
        gp_(f, "set title '%s ∝ C^{%.3f} (R^2 %.3f)'\n", sym[q], g->slope[q], g->r2[q]);
        gp_(f, "set style fill transparent solid 0.45 noborder\n");
        if (g->nreg && (q >= 2 || !g->shape_free))
            item_(f, "'%s' using 1:%d:%d with filledcurves ls 3 title 'within ε ≤ %.3g'",
                  g->name[1], 2 + 2 * q, 3 + 2 * q, g->eps);
        if (g->nband)
            item_(f, "'%s' using 1:%d:%d with filledcurves ls 4 fs transparent solid 0.35 "
                     "title '95%% interval'", g->name[2], 2 + 2 * q, 3 + 2 * q);
        item_(f, "'%s' using 1:%d with linespoints ls 1 title 'this law: C^{%.3f}'", g->name[0],
              q + 2, g->slope[q]);
        if (g->paper)
            item_(f, "paper%d(x) with lines ls 2 title '%s: C^{%.2f}'", q, paper_how[q],
                  pslope[q]);
        if (g->nruns)
            item_(f, "'%s' using 1:%d with points ls 5 title 'runs'", g->name[3], q + 2);
        plot_end_(f);
        if (g->misfit && q == 0) gp_(f, "unset label 90\n");
    }
    /* the key: an empty plot over the whole image whose only content is the key */
    gp_(f, "# the key\nunset logscale\nunset object 9\nset size 1,1\nset origin 0,0\n"
           "unset border\nunset tics\nunset xlabel\nunset ylabel\nunset title\nunset grid\n"
           "set xrange [0:1]\nset yrange [0:1]\nset lmargin 0\nset rmargin 0\nset tmargin 0\n"
           "set bmargin 0\n");
    gp_(f, "set key at screen 0.5, screen 0.055 center center horizontal Left reverse "
           "maxrows 2 samplen 2 width 1\n");
    item_(f, "2 with lines notitle"); /* off-range: gnuplot wants one real item besides keys */
    if (g->nreg) item_(f, "keyentry with filledcurves ls 3 title 'within ε of the best real shape'");
    if (g->nband) item_(f, "keyentry with filledcurves ls 4 title '95%% interval of the optimum'");
    item_(f, "keyentry with linespoints ls 1 title 'this law''s optimum (exponent in each title)'");
    if (g->paper) item_(f, "keyentry with lines ls 2 title 'the paper''s slope (claimed or implied)'");
    if (g->nruns) item_(f, "keyentry with points ls 5 title 'runs, at their own compute'");
    plot_end_(f);
    gp_(f, "unset multiplot\n");
}

/* The caption. */
static void front_caption_(Fig *f, const Front *g) {
    char lbl[160], b1[32], b2[32];
    dw_fmt_sci_short(g->clo, b1, sizeof b1), dw_fmt_sci_short(g->chi, b2, sizeof b2);
    CAPTION(f,
            "The planner's continuous optimum under %s at %d budgets from %s to %s FLOPs "
            "(log-log): D* ∝ C^%.3f, W* ∝ C^%.3f, N* ∝ C^%.3f, T* ∝ C^%.3f (least squares on "
            "logs).",
            law_label_(g->law, lbl, sizeof lbl), g->n, b1, b2, g->slope[0], g->slope[1],
            g->slope[2], g->slope[3]);
    if (g->paper)
        CAPTION(f, "Dashed red: the paper's D* ∝ C^0.12 and W* ∝ C^0.34, and the N* ∝ C^0.80, "
                   "T* ∝ C^0.20 they imply (N = 12·D·W², C = 6·N·T), drawn through this law's "
                   "optimum at the middle budget.");
    else
        NOTE(f, "the paper's claimed slopes are drawn only beside its own law (the "
                "depth-delusion preset)");
    if (g->nband)
        CAPTION(f, "Orange band: the planner's 95%% interval of each quantity at %d budgets (%s).",
                g->nband, g->band_how);
    else
        NOTE(f, "no interval band (the planner's intervals: %s)",
             g->band_how[0] ? g->band_how : "none");
    if (g->nreg)
        CAPTION(f,
                "Blue: the near-optimal region at %d of the budgets, every real shape (integer "
                "depth, width a multiple of 8 heads) whose loss is within ε of the best real "
                "shape at that compute, ε being plan's default tolerance at that budget (the "
                "law's own loss uncertainty, at least 0.005 nats, here at most %.3g; "
                "docs/options.md)%s.",
                g->nreg, g->eps, g->shape_free ? "; the law has no shape term, so only N and T "
                "are shaded: its region is a band of N" : "");
    if (g->shape_free) {
        PlanRequest req;
        plan_request_default(&req);
        CAPTION(f,
                "The law has no depth-width term: the planner holds W/D = %g, so D* and W* "
                "follow from N* alone.",
                req.aspect);
    }
    if (g->nruns) {
        dw_fmt_sci_short(g->rclo, b1, sizeof b1), dw_fmt_sci_short(g->rchi, b2, sizeof b2);
        CAPTION(f,
                "Open circles: the %d runs given, each at its own compute (T × the law's FLOPs "
                "per token: %s to %s FLOPs, shaded grey); they are not optima, they show where "
                "the law was measured.", g->nruns, b1, b2);
        if (g->rchi * 10 < g->clo)
            CAPTION(f, "The budgets planned lie %.1f decades above the largest run: the frontier "
                       "there is the law's extrapolation.", log10(g->clo / g->rchi));
    }
}

int fig_frontier_(Fig *f) {
    const PlotSpec *s = f->s;
    Front g = {.law = s->law};
    PlotBuf db = {0}, rb = {0}, bb = {0}, ub = {0};
    char lbl[160], b1[32], b2[32];
    int rc;
    if (!g.law) return dw_error_set(DW_EINVAL, "frontier: needs a law (--law FILE or a preset)");
    budget_range_(s, &g.clo, &g.chi);
    g.n = (int)lround(4 * log10(g.chi / g.clo)) + 1;
    g.n = g.n < 3 ? 3 : g.n > 81 ? 81 : g.n;
    PlanRequest req;
    plan_request_default(&req);
    if ((rc = plan_sweep(g.law, &req, g.clo, g.chi, g.n, g.pts, g.slope, g.se, g.r2))) {
        dw_fmt_sci_short(g.clo, b1, sizeof b1), dw_fmt_sci_short(g.chi, b2, sizeof b2);
        return dw_error_prefix(DW_EINVAL, "frontier: the planner failed between %s and %s FLOPs",
                               b1, b2);
    }
    g.shape_free = !law_form_has_shape(&g.law->form);
    g.paper = law_is_paper_(g.law);
    g.misfit = law_misfit_(f, &g.r2runs);
    for (int q = 0; q < 4; q++) g.lo[q] = INFINITY, g.hi[q] = 0;
    fig_begin_(f);
    plot_buf_printf_(&db,
                     "# %s_sweep.dat — continuous compute-optimal shape per budget "
                     "(plan_sweep) under %s\n# fitted exponents vs C: D* %.6g, W* %.6g, N* %.6g, "
                     "T* %.6g\n# columns: compute depth width params tokens loss dcrit\n",
                     f->stem, law_label_(g.law, lbl, sizeof lbl), g.slope[0], g.slope[1],
                     g.slope[2], g.slope[3]);
    for (int k = 0; k < g.n; k++)
        plot_buf_printf_(&db, "%.8g %.8g %.8g %.8g %.8g %.8g %.8g\n", g.pts[k].flops,
                         g.pts[k].depth, g.pts[k].width, g.pts[k].params_law, g.pts[k].tokens,
                         g.pts[k].loss, g.pts[k].dcrit);
    region_data_(f, &g, &rb, &bb);
    runs_data_(f, &g, &ub);
    if ((rc = fig_data_(f, "sweep", &db, g.name[0], sizeof g.name[0])) ||
        (g.nreg && (rc = fig_data_(f, "region", &rb, g.name[1], sizeof g.name[1]))) ||
        (g.nband && (rc = fig_data_(f, "band", &bb, g.name[2], sizeof g.name[2]))) ||
        (g.nruns && (rc = fig_data_(f, "runs", &ub, g.name[3], sizeof g.name[3]))))
        goto out;
    front_script_(f, &g);
    front_caption_(f, &g);
    rc = fig_finish_(f);
out:
    plot_buf_free_(&db), plot_buf_free_(&rb), plot_buf_free_(&bb), plot_buf_free_(&ub);
    return rc;
}
