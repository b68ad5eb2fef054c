/* plots/fig_isoflop.c — the `isoflop` figure (plot.h): at a few fixed budgets, the loss of
 * the best width at each depth (plan_best_width) minus the budget's optimum (plan_solve),
 * against depth: the shape of the compute-optimal depth. Each budget's near-optimal region
 * (planner/region.h, at plan's default tolerance) is shaded as the band of depths of the
 * real shapes within ε, from 0 to ε (a shape-free law has no depth claim: not shaded).
 * With bootstrap draws in the law file, each curve gets its 95% band over the first 200 draws
 * (each draw's curve minus that draw's own minimum over the depths drawn) and each optimum a
 * bar over the planner's interval of D* (plan_intervals). With runs, each run is a point at
 * its depth and its loss minus the law's optimum at the run's own compute (on or above the
 * curves when the law holds: a run's width need not be the best one), and the depths run are
 * shaded.
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
// isoflop: loss vs depth at fixed budgets (best width at each depth)

/* One shaded rectangle per budget: the region's depth range, from 0 to eps, in the budget's
 * colour. Returns how many were drawn; none for a law without a shape term. */
static int region_objects_(Fig *f, const Law *law, const PlanResult *pr, const int *okb,
                           int nb, const char *const *seq, double *eps) {
    int done = 0, edge = 0;
    if (!law_form_has_shape(&law->form)) {
        NOTE(f, "the law has no shape term: its near-optimal region is a band of N, not of "
             "depths, and is not shaded");
        return 0;
    }
    for (int k = 0; k < nb; k++) {
        PlanRegion g;
        if (!okb[k]) continue;
        double e = plan_region_default_eps(law, &pr[k], NULL, 0);
        if (plan_region(law, &pr[k], e, 0, &g) != DW_OK) {
            NOTE(f, "region at C = %.3g: %s", pr[k].req.compute, dw_error_get());
            continue;
        }
        *eps = fmax(*eps, e);
        gp_(f, "set object %d rect from %.6g,0 to %.6g,%.6g fc rgb '%s' fs transparent solid "
            "0.18 noborder behind   # region at C = %.3g: depths %.0f..%.0f\n", 10 + k,
            fmax(g.depth_lo - 0.5, 0.5), g.depth_hi + 0.5, e, seq[k * 7 / nb], pr[k].req.compute,
            g.depth_lo, g.depth_hi);
        edge += g.touches_scan;
        plan_region_free(&g);
        done++;
    }
    dw_error_clear();
    if (edge)
        NOTE(f, "the region reaches the edge of its scan (a factor 8 around the optimum) at %d "
             "of %d budgets", edge, done);
    return done;
}

#define BAND_NDEPTH 25
/* draws per band: each costs BAND_NDEPTH width searches per budget (a percentile band over
 * 100 draws is as smooth as the eye needs; the D* bars use the planner's 200) */
#define BAND_DRAWS 100

/* The 95% band of one budget's curve over the law's draws: at BAND_NDEPTH depths, each draw's
 * best-width loss minus that draw's lowest over those depths; one block "depth lo hi" into
 * bb. Returns 1 when written (at least 20 draws gave a whole curve). */
static int band_block_(const Law *law, double C, double dlo, double dhi, const double *draws,
                       int nd, PlotBuf *bb) {
    const int np = law->form.np;
    double *ex = malloc(sizeof(double) * (size_t)nd * BAND_NDEPTH);
    int m = 0;
    if (!ex) return 0;
    for (int q = 0; q < nd; q++) {
        Law dl = *law; /* shallow: only p changes (as the planner's intervals do) */
        memcpy(dl.p, draws + (size_t)q * np, sizeof(double) * np);
        double *row = ex + (size_t)m * BAND_NDEPTH, lmin = INFINITY;
        int ok = 1;
        for (int j = 0; j < BAND_NDEPTH && ok; j++) {
            PlanRequest rq;
            PlanPoint bw;
            plan_request_default(&rq);
            rq.compute = C;
            double D = exp(log(dlo) + (log(dhi) - log(dlo)) * j / (BAND_NDEPTH - 1.0));
            ok = plan_best_width(&dl, &rq, D, &bw) == DW_OK && isfinite(bw.loss);
            row[j] = bw.loss, lmin = ok ? fmin(lmin, bw.loss) : lmin;
        }
        if (!ok) continue;
        for (int j = 0; j < BAND_NDEPTH; j++) row[j] -= lmin;
        m++;
    }
    dw_error_clear();
    if (m >= 20) {
        double *col = malloc(sizeof(double) * (size_t)m);
        if (!col) m = 0;
        for (int j = 0; col && j < BAND_NDEPTH; j++) {
            double D = exp(log(dlo) + (log(dhi) - log(dlo)) * j / (BAND_NDEPTH - 1.0));
            for (int q = 0; q < m; q++) col[q] = ex[(size_t)q * BAND_NDEPTH + j];
            double lo = quantile_(col, m, 0.025), hi = quantile_(col, m, 0.975);
            plot_buf_printf_(bb, "%.8g %.8g %.8g\n", D, lo, hi);
        }
        free(col);
        plot_buf_puts_(bb, "\n\n");
    }
    free(ex);
    return m >= 20;
}

/* The runs as points: depth, loss minus the law's optimum at the run's own compute (T × the
 * law's FLOPs per token at its shape), the budget (index into C) within 40% of that compute
 * or -1. One block per budget with runs near it and a last one for the rest: nblk[k] is
 * budget k's block (k = nb: the rest) or -1; the depths run into rlo, rhi; *exo a new
 * array of each run's loss above the optimum (NaN: not placed). Returns the runs placed. */
static int runs_blocks_(Fig *f, const Law *law, const double *C, const int *okb, int nb,
                        PlotBuf *rb, int *nblk, double *rlo, double *rhi, double **exo) {
    const DsRuns *r = f->s->runs;
    int nplaced = 0, nfail = 0;
    double *ex = calloc((size_t)r->n + 1, sizeof *ex);
    int *bk = calloc((size_t)r->n + 1, sizeof *bk);
    *exo = NULL;
    if (!ex || !bk) {
        free(ex), free(bk);
        return 0;
    }
    *rlo = INFINITY, *rhi = 0;
    double lastC = NAN, lastL = NAN;
    for (int i = 0; i < r->n; i++) {
        ex[i] = NAN, bk[i] = -2;
        if (!(r->depth[i] >= 1 && r->width[i] > 0 && r->tokens[i] > 0 && r->loss[i] > 0)) continue;
        PlanShape sh;
        plan_shape_at(law, r->depth[i], r->width[i], 0, &sh);
        double Ci = r->tokens[i] * plan_flops_per_token(&law->conv, &sh);
        if (!(Ci > 0)) continue;
        if (!(fabs(Ci - lastC) <= 1e-9 * Ci)) { /* runs of one compute share one plan */
            PlanRequest rq;
            PlanResult pr;
            plan_request_default(&rq);
            rq.compute = Ci;
            lastC = Ci;
            lastL = plan_solve(law, &rq, &pr) == DW_OK ? pr.cont.loss : NAN;
        }
        if (!isfinite(lastL)) {
            nfail++;
            continue;
        }
        ex[i] = r->loss[i] - lastL, bk[i] = -1, nplaced++;
        for (int k = 0; k < nb; k++)
            if (okb[k] && fabs(log(Ci / C[k])) < log(1.4)) bk[i] = k;
        *rlo = fmin(*rlo, r->depth[i]), *rhi = fmax(*rhi, r->depth[i]);
    }
    dw_error_clear();
    if (nfail)
        NOTE(f, "%d run%s not drawn: the planner found no optimum at %s compute", nfail,
             nfail == 1 ? "" : "s", nfail == 1 ? "its" : "their");
    plot_buf_printf_(rb, "# %s_runs.dat — each run: its depth and its loss minus the law's "
                     "optimum at the run's own compute; one block per budget (runs within 40%% "
                     "of it), then the rest\n# columns: depth loss_above_optimum loss width "
                     "tokens compute_law source_line\n", f->stem);
    int ni = 0;
    for (int k = 0; k <= nb; k++) {
        int want = k < nb ? k : -1, cnt = 0;
        nblk[k] = -1;
        for (int i = 0; i < r->n; i++) cnt += bk[i] == want;
        if (!cnt) continue;
        plot_buf_printf_(rb, "# %s\n", k < nb ? "runs near this budget" : "the other runs");
        nblk[k] = ni++;
        for (int i = 0; i < r->n; i++) {
            if (bk[i] != want) continue;
            PlanShape sh;
            plan_shape_at(law, r->depth[i], r->width[i], 0, &sh);
            plot_buf_printf_(rb, "%.8g %.8g %.8g %g %.8g %.6g %d\n", r->depth[i], ex[i],
                             r->loss[i], r->width[i], r->tokens[i],
                             r->tokens[i] * plan_flops_per_token(&law->conv, &sh), r->line[i]);
        }
        plot_buf_puts_(rb, "\n\n");
    }
    free(bk);
    *exo = ex; /* (r->n) each run's excess, NaN when not placed: the caller frees */
    return nplaced;
}

/* What the steps of the figure share. */
typedef struct {
    const Law *law;
    int nb;
    double C[7];
    PlanResult pr[7];
    int okb[7], nok;
    double dlo, dhi;      /* the depth axis */
    double ymax;          /* top of the loss axis */
    int bidx[7], ni;      /* each budget's curve block, and how many */
    int band[7], nband;   /* each budget's band block (-1: none), and how many */
    int nd;               /* draws the bands are made from */
    int rblk[8], nruns;   /* run blocks (per budget, then the rest) and runs placed */
    double rlo, rhi;      /* depths run */
    double *rex;          /* (runs->n) each run's loss above the optimum, NaN: not drawn */
    int nabove;           /* runs off the plot (above or below) */
    double exlo, exhi;    /* the range of the runs' excess */
    int nreg;             /* budgets with a shaded region, the largest ε */
    double eps;
    int misfit;           /* the law's R² on the runs is below 0 */
    double r2;
    char name[3][160];    /* curves, bands, runs */
} Iso;

static const char *const seq_[7] = {"#440154", "#443a83", "#31688e", "#21918c",
                                    "#35b779", "#90d743", "#c8b800"};

/* The budgets, their optima (plan_solve) and the planner's interval of D* (plan_intervals). */
static int iso_plan_(Fig *f, Iso *g) {
    const PlotSpec *s = f->s;
    double clo, chi;
    budget_range_(s, &clo, &chi);
    if (s->nbudgets > 0) {
        for (int k = 0; k < s->nbudgets && g->nb < 7; k++) g->C[g->nb++] = s->budgets[k];
        if (s->nbudgets > 7) NOTE(f, "only the first 7 budgets are drawn");
    } else {
        /* one budget per two decades across the range (at most 7) */
        double step = fmax(2, ceil(log10(chi / clo) / 6));
        for (double lc = log10(clo); lc <= log10(chi) + 1e-9 && g->nb < 7; lc += step)
            g->C[g->nb++] = pow(10, lc);
    }
    double dmin = INFINITY, dmax = 1;
    for (int k = 0; k < g->nb; k++) {
        PlanRequest req;
        plan_request_default(&req);
        req.compute = g->C[k];
        if (plan_solve(g->law, &req, &g->pr[k]) == DW_OK) {
            g->okb[k] = 1, g->nok++;
            dmax = fmax(dmax, g->pr[k].cont.depth), dmin = fmin(dmin, g->pr[k].cont.depth);
            if (g->pr[k].on_bound) NOTE(f, "C = %.3g: %s", g->C[k], g->pr[k].bound_note);
            if (plan_intervals(g->law, &g->pr[k], FIG_BAND_DRAWS) == DW_ENOMEM)
                return dw_error_set(DW_ENOMEM, "out of memory");
        } else {
            NOTE(f, "C = %.3g: no optimum: %s", g->C[k], dw_error_get());
        }
    }
    dw_error_clear();
    if (!g->nok)
        return dw_error_set(DW_EINVAL, "isoflop: the planner found no optimum at any budget (%s)",
                            f->res->notes);
    /* three octaves either side of the optima, bounded by the planner's depth range */
    PlanRequest range;
    plan_request_default(&range);
    g->dlo = fmax(range.d_min, pow(2, floor(log2(dmin / 8))));
    g->dhi = fmin(range.d_max, fmax(32, 6 * dmax));
    return DW_OK;
}

/* The curves (and the optimum dots after them), the bands and the runs' points. */
static int iso_data_(Fig *f, Iso *g) {
    PlotBuf db = {0}, bb = {0}, rb = {0};
    int rc = DW_OK;
    const double *draws;
    g->nd = law_draws_(g->law, BAND_DRAWS, &draws);
    plot_buf_printf_(&db,
                     "# %s_curves.dat — at each budget C and depth D, the best width W "
                     "(T = C / FLOPs per token) and its loss; one block per budget\n# columns: "
                     "depth loss_above_optimum loss width tokens compute\n",
                     f->stem);
    plot_buf_printf_(&bb,
                     "# %s_band.dat — 95%% band of each curve over the first %d bootstrap draws "
                     "of the law (each draw's curve minus its own lowest point); one block per "
                     "budget\n# columns: depth lo hi\n", f->stem, g->nd);
    for (int k = 0; k < g->nb; k++) {
        g->bidx[k] = g->band[k] = -1;
        if (!g->okb[k]) continue;
        const PlanPoint *o = &g->pr[k].cont;
        plot_buf_printf_(&db, "# C = %.6g FLOPs: optimum D* = %.6g, W* = %.6g, loss %.8g\n",
                         g->C[k], o->depth, o->width, o->loss);
        for (int j = 0; j <= 120; j++) {
            double D = exp(log(g->dlo) + (log(g->dhi) - log(g->dlo)) * j / 120.0);
            PlanRequest rq;
            PlanPoint bw;
            plan_request_default(&rq);
            rq.compute = g->C[k];
            /* the planner's own width search at this depth */
            if (plan_best_width(g->law, &rq, D, &bw) != DW_OK || !isfinite(bw.loss)) continue;
            /* the planner's optimum is the true minimum; clamp round-off below it */
            double dL = fmax(0, bw.loss - o->loss);
            plot_buf_printf_(&db, "%.8g %.8g %.8g %.8g %.8g %.6g\n", D, dL, bw.loss, bw.width,
                             bw.tokens, g->C[k]);
            if (D >= o->depth / 4 && D <= o->depth * 4) g->ymax = fmax(g->ymax, dL);
            if (j % 3 == 0) pt_(f, D, dL);
        }
        plot_buf_puts_(&db, "\n\n");
        g->bidx[k] = g->ni++;
        if (g->nd && band_block_(g->law, g->C[k], g->dlo, g->dhi, draws, g->nd, &bb))
            g->band[k] = g->nband++;
    }
    dw_error_clear();
    /* then one block per budget with its optimum (the dot) and the planner's D* interval */
    for (int k = 0; k < g->nb; k++)
        if (g->okb[k])
            plot_buf_printf_(&db,
                             "# optimum at C = %.6g\n# columns: depth 0 loss width tokens "
                             "compute depth_lo depth_hi (95%%, plan_intervals; D* itself: none)\n"
                             "%.8g 0 %.8g %.8g %.8g %.6g %.8g %.8g\n\n\n",
                             g->C[k], g->pr[k].cont.depth, g->pr[k].cont.loss,
                             g->pr[k].cont.width, g->pr[k].cont.tokens, g->C[k],
                             isfinite(g->pr[k].depth_ci[0]) ? g->pr[k].depth_ci[0]
                                                            : g->pr[k].cont.depth,
                             isfinite(g->pr[k].depth_ci[1]) ? g->pr[k].depth_ci[1]
                                                            : g->pr[k].cont.depth);
    const DsRuns *r = f->s->runs;
    if (r && r->has_depth && r->has_width && r->has_loss && r->has_tokens && r->n > 0)
        g->nruns = runs_blocks_(f, g->law, g->C, g->okb, g->nb, &rb, g->rblk, &g->rlo, &g->rhi,
                                &g->rex);
    if ((rc = fig_data_(f, "curves", &db, g->name[0], sizeof g->name[0]))) goto out;
    if (g->nband && (rc = fig_data_(f, "band", &bb, g->name[1], sizeof g->name[1]))) goto out;
    if (g->nruns) rc = fig_data_(f, "runs", &rb, g->name[2], sizeof g->name[2]);
out:
    plot_buf_free_(&db), plot_buf_free_(&bb), plot_buf_free_(&rb);
    return rc;
}

/* The script: styles, the shaded regions and depths run, axes, and the plot command. */
static void iso_script_(Fig *f, Iso *g) {
    char lbl[160], e[320], b1[32], b2[32];
    const Law *law = g->law;
    for (int k = 0; k < g->nb; k++)
        gp_(f, "set style line %d lc rgb '%s' lw 2.2 pt 7 ps 1.4   # C = %.3g FLOPs\n", k + 1,
            seq_[k * 7 / (g->nb > 0 ? g->nb : 1)], g->C[k]);
    if (g->nruns) { /* the axis takes in the depths run */
        g->dlo = fmin(g->dlo, fmax(1, pow(2, floor(log2(g->rlo / 1.2)))));
        g->dhi = fmax(g->dhi, g->rhi * 1.25);
    }
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\n", g->dlo, g->dhi);
    double eps = 0;
    int nreg = region_objects_(f, law, g->pr, g->okb, g->nb, seq_, &eps);
    if (nreg) g->ymax = fmax(g->ymax, 1.5 * eps);
    double ytop = g->ymax > 0 ? g->ymax * 1.1 : 0.1;
    if (g->nruns)
        gp_(f, "set object 9 rect from %.6g, graph 0 to %.6g, graph 1 fc rgb '#000000' fs "
               "transparent solid 0.04 noborder behind   # the depths run\n",
            g->rlo / 1.06, g->rhi * 1.06);
    for (int i = 0; g->rex && i < f->s->runs->n; i++) {
        if (!isfinite(g->rex[i])) continue;
        g->nabove += g->rex[i] > ytop || g->rex[i] < -0.02 * ytop / 1.1;
        g->exlo = fmin(g->exlo, g->rex[i]), g->exhi = fmax(g->exhi, g->rex[i]);
        pt_(f, f->s->runs->depth[i], g->rex[i]);
    }
    /* a little room below zero so that the optimum dots sit clear of the axis */
    gp_(f, "set yrange [%.4g:%.4g]\n", -0.02 * ytop / 1.1, ytop);
    gp_(f,
        "set xlabel 'depth D (layers, log scale); at each depth, the best width for the budget'\n");
    gp_(f, "set ylabel 'loss above the budget''s optimum (nats/token)'\n");
    if (g->misfit) misfit_label_(f, g->r2, "its optimum is not the runs'");
    gp_(f, "set title \"Loss vs depth at fixed compute: %s\"%s\n",
        gp_dq_(law_label_(law, lbl, sizeof lbl), e, sizeof e), TITLE_UP(f));
    gp_(f, "set style fill transparent solid 0.22 noborder\n");
    for (int k = 0; k < g->nb; k++)
        if (g->band[k] >= 0)
            item_(f, "'%s' index %d using 1:2:3 with filledcurves ls %d notitle", g->name[1],
                  g->band[k], k + 1);
    for (int k = 0; k < g->nb; k++) {
        if (g->bidx[k] < 0) continue;
        dw_fmt_sci_short(g->C[k], b1, sizeof b1);
        dw_fmt_count(g->pr[k].cont.width, b2, sizeof b2);
        item_(f, "'%s' index %d using 1:2 with lines ls %d title 'C = %s: D* %.1f, W* %s'",
              g->name[0], g->bidx[k], k + 1, b1, g->pr[k].cont.depth, b2);
        pt_(f, g->pr[k].cont.depth, 0);
    }
    for (int k = 0; k < g->nb; k++)
        if (g->bidx[k] >= 0)
            item_(f, "'%s' index %d using 1:2:7:8 with xerrorbars ls %d lw 1.2 notitle",
                  g->name[0], g->ni + g->bidx[k], k + 1);
    for (int k = 0; k <= g->nb && g->nruns; k++) {
        char st[32];
        if (g->rblk[k] < 0) continue;
        snprintf(st, sizeof st, k < g->nb ? "ls %d" : "lc rgb '#555555'", k + 1);
        item_(f, "'%s' index %d using 1:2 with points %s pt 6 ps 1.2 lw 1.5 notitle", g->name[2],
              g->rblk[k], st);
    }
    if (g->nruns)
        item_(f, "keyentry with points lc rgb '#555555' pt 6 ps 1.2 title 'runs%s'",
              g->nabove ? " (some off the plot)" : "");
    if (g->nband)
        item_(f, "keyentry with filledcurves lc rgb '#999999' title '95%% band, %d draws'", g->nd);
    if (nreg)
        item_(f, "%.6g with lines lc rgb '#555555' dt 3 lw 1.2 title 'largest ε = %.3g nats'", eps,
              eps);
    const double ax[4] = {g->dlo, g->dhi, -0.02 * ytop / 1.1, ytop};
    key_auto_(f, ax, 1, 0);
    plot_end_(f);
    g->ymax = ytop, g->eps = eps, g->nreg = nreg;
}

/* The caption: what is drawn, each budget's optimum with its interval, what is missing. */
static void iso_caption_(Fig *f, const Iso *g) {
    char lbl[160], b1[32], b2[32], b3[32];
    const Law *law = g->law;
    int k0 = 0; /* the first budget with an optimum: its interval's draws */
    while (k0 + 1 < g->nb && !g->okb[k0]) k0++;
    CAPTION(f,
            "For each budget, the loss of the best width at each depth (tokens fill the "
            "budget), minus that budget's optimum, under %s; dots mark the optimum depth D*. A "
            "flat bottom means depth matters little near the optimum; the curves' walls show "
            "what too shallow or too deep costs.",
            law_label_(law, lbl, sizeof lbl));
    if (g->nband)
        CAPTION(f, "Bands: 95%% of the curves under the first %d bootstrap draws of the law's "
                "parameters (each draw's curve minus its own lowest point); bars on the dots: "
                "the planner's 95%% interval of D* (over its first %d draws).", g->nd,
                g->pr[k0].ci_draws);
    else
        NOTE(f, "no band: the law file has no bootstrap draws (dwplan fit --bootstrap N stores "
             "them)%s", g->pr[k0].ci_draws ? "; the bars are the planner's D* interval from the "
             "fit's covariance" : "");
    if (g->nreg)
        CAPTION(f,
                "Shaded from 0 to each budget's ε, plan's default tolerance there (the law's "
                "own loss uncertainty, at least 0.005 and at most 0.01 nats; docs/options.md; "
                "dotted: the largest, %.3g nats): each budget's near-optimal region, the depths "
                "of the real shapes (integer depth, width a multiple of 8 heads) within ε of "
                "the best real shape at that compute.",
                g->eps);
    if (g->nruns) {
        CAPTION(f,
                "Open circles: %d run%s at %s depth, %s loss minus the law's optimum at %s own "
                "compute (T × the law's FLOPs per token), in a budget's colour when within 40%% "
                "of it; a run's width need not be the best one, so runs lie on or above the "
                "curves when the law holds. Grey band: the depths run (%g–%g).",
                g->nruns, g->nruns == 1 ? "" : "s", g->nruns == 1 ? "its" : "their",
                g->nruns == 1 ? "its" : "their", g->nruns == 1 ? "its" : "their", g->rlo,
                g->rhi);
    }
    for (int k = 0; k < g->nb; k++)
        if (g->okb[k]) {
            const PlanResult *p = &g->pr[k];
            dw_fmt_sci_short(g->C[k], b1, sizeof b1);
            dw_fmt_count(p->cont.width, b2, sizeof b2);
            dw_fmt_count(p->cont.tokens, b3, sizeof b3);
            CAPTION(f, "C = %s: D* = %.1f", b1, p->cont.depth);
            if (isfinite(p->depth_ci[0]))
                add_text_(f->res->caption, sizeof f->res->caption, "", " [%.1f, %.1f]",
                          p->depth_ci[0], p->depth_ci[1]);
            add_text_(f->res->caption, sizeof f->res->caption, "",
                      ", W* = %s, T* = %s, loss %.4f;", b2, b3, p->cont.loss);
        }
    size_t L = strlen(f->res->caption);
    if (L && f->res->caption[L - 1] == ';') f->res->caption[L - 1] = '.';
}

int fig_isoflop_(Fig *f) {
    Iso g = {.law = f->s->law, .exlo = INFINITY, .exhi = -INFINITY};
    int rc;
    if (!g.law) return dw_error_set(DW_EINVAL, "isoflop: needs a law (--law FILE or a preset)");
    if ((rc = iso_plan_(f, &g))) return rc;
    g.misfit = law_misfit_(f, &g.r2);
    fig_begin_(f);
    if (!(rc = iso_data_(f, &g))) {
        iso_script_(f, &g);
        iso_caption_(f, &g);
        rc = fig_finish_(f);
    }
    free(g.rex);
    return rc;
}
