/* plots/fig_isoflop.c — the `isoflop` figure (plot.h): at a few fixed budgets, the loss of
 * the best width at each depth (plan_best_width) minus the budget's optimum (plan_solve),
 * against depth: the shape of the compute-optimal depth. Each budget's near-optimal region
 * (planner/region.h, at plan's default tolerance) is shaded as the band of depths of the
 * real shapes within ε, from 0 to ε (a shape-free law has no depth claim: not shaded).
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

int fig_isoflop_(Fig *f) {
    const PlotSpec *s = f->s;
    const Law *law = s->law;
    static const char *const seq[7] = {"#440154", "#443a83", "#31688e", "#21918c",
                                       "#35b779", "#90d743", "#c8b800"};
    PlotBuf db = {0};
    char name[160], lbl[160], e[320], b1[32], b2[32], b3[32];
    double clo, chi, C[7];
    int nb = 0, rc;
    if (!law) return dw_error_set(DW_EINVAL, "isoflop: needs a law (--law FILE or a preset)");
    budget_range_(s, &clo, &chi);
    if (s->nbudgets > 0) {
        for (int k = 0; k < s->nbudgets && nb < 7; k++) C[nb++] = s->budgets[k];
        if (s->nbudgets > 7) NOTE(f, "only the first 7 budgets are drawn");
    } else {
        /* one budget per two decades across the range (at most 7) */
        double step = fmax(2, ceil(log10(chi / clo) / 6));
        for (double lc = log10(clo); lc <= log10(chi) + 1e-9 && nb < 7; lc += step)
            C[nb++] = pow(10, lc);
    }
    PlanResult pr[7];
    int okb[7] = {0}, nok = 0;
    double dmax = 1;
    for (int k = 0; k < nb; k++) {
        PlanRequest req;
        plan_request_default(&req);
        req.compute = C[k];
        if (plan_solve(law, &req, &pr[k]) == DW_OK) {
            okb[k] = 1, nok++;
            dmax = fmax(dmax, pr[k].cont.depth);
            if (pr[k].on_bound) NOTE(f, "C = %.3g: %s", C[k], pr[k].bound_note);
        } else {
            NOTE(f, "C = %.3g: no optimum: %s", C[k], dw_error_get());
        }
    }
    dw_error_clear();
    if (!nok)
        return dw_error_set(DW_EINVAL, "isoflop: the planner found no optimum at any budget (%s)",
                            f->res->notes);
    double dmin = INFINITY;
    for (int k = 0; k < nb; k++)
        if (okb[k]) dmin = fmin(dmin, pr[k].cont.depth);
    /* three octaves either side of the optima */
    PlanRequest range; /* the planner's depth range bounds the curves */
    plan_request_default(&range);
    double dlo = fmax(range.d_min, pow(2, floor(log2(dmin / 8))));
    double dhi = fmin(range.d_max, fmax(32, 6 * dmax));
    fig_begin_(f);
    plot_buf_printf_(&db,
                     "# %s_curves.dat — at each budget C and depth D, the best width W "
                     "(T = C / FLOPs per token) and its loss; one block per budget\n# columns: "
                     "depth loss_above_optimum loss width tokens compute\n",
                     f->stem);
    double ymax = 0;
    int bidx[7], ni = 0;
    for (int k = 0; k < nb; k++) {
        bidx[k] = -1;
        if (!okb[k]) continue;
        double Lopt = pr[k].cont.loss;
        plot_buf_printf_(&db, "# C = %.6g FLOPs: optimum D* = %.6g, W* = %.6g, loss %.8g\n", C[k],
                         pr[k].cont.depth, pr[k].cont.width, Lopt);
        for (int j = 0; j <= 120; j++) {
            double D = exp(log(dlo) + (log(dhi) - log(dlo)) * j / 120.0);
            PlanRequest rq;
            PlanPoint bw;
            plan_request_default(&rq);
            rq.compute = C[k];
            /* the planner's own width search at this depth */
            if (plan_best_width(law, &rq, D, &bw) != DW_OK || !isfinite(bw.loss)) continue;
            double L = bw.loss, Wb = bw.width, Tb = bw.tokens;
            /* the planner's optimum is the true minimum; clamp round-off below it */
            double dL = fmax(0, L - Lopt);
            plot_buf_printf_(&db, "%.8g %.8g %.8g %.8g %.8g %.6g\n", D, dL, L, Wb, Tb, C[k]);
            if (D >= pr[k].cont.depth / 4 && D <= pr[k].cont.depth * 4) ymax = fmax(ymax, dL);
        }
        plot_buf_puts_(&db, "\n\n");
        bidx[k] = ni++;
    }
    /* then one block per budget with its optimum (the dot) */
    for (int k = 0; k < nb; k++)
        if (okb[k])
            plot_buf_printf_(&db,
                             "# optimum at C = %.6g\n# columns: depth 0 loss width tokens "
                             "compute\n%.8g 0 %.8g %.8g %.8g %.6g\n\n\n",
                             C[k], pr[k].cont.depth, pr[k].cont.loss, pr[k].cont.width,
                             pr[k].cont.tokens, C[k]);
    if ((rc = fig_data_(f, "curves", &db, name, sizeof name))) goto out;
    for (int k = 0; k < nb; k++)
        gp_(f, "set style line %d lc rgb '%s' lw 2.2 pt 7 ps 1.4   # C = %.3g FLOPs\n", k + 1,
            seq[k * 7 / (nb > 0 ? nb : 1)], C[k]);
    gp_(f, "set logscale x 2\nset format x '%%g'\nset xrange [%g:%g]\n", dlo, dhi);
    double eps = 0;
    int nreg = region_objects_(f, law, pr, okb, nb, seq, &eps);
    if (nreg) ymax = fmax(ymax, 1.5 * eps);
    /* a little room below zero so that the optimum dots sit clear of the axis */
    gp_(f, "set yrange [%.4g:%.4g]\n", -0.02 * (ymax > 0 ? ymax : 0.1),
        ymax > 0 ? ymax * 1.1 : 0.1);
    gp_(f,
        "set xlabel 'depth D (layers, log scale); at each depth, the best width for the budget'\n");
    gp_(f, "set ylabel 'loss above the budget''s optimum (nats/token)'\n");
    gp_(f, "set title \"Loss vs depth at fixed compute: %s\"\n",
        gp_dq_(law_label_(law, lbl, sizeof lbl), e, sizeof e));
    /* outside: the curves rise steeply on both sides and would run under a key inside */
    gp_(f, "set key outside right top vertical Left reverse\n");
    for (int k = 0; k < nb; k++) {
        if (bidx[k] < 0) continue;
        dw_fmt_sci_short(C[k], b1, sizeof b1);
        dw_fmt_count(pr[k].cont.width, b2, sizeof b2);
        item_(f, "'%s' index %d using 1:2 with lines ls %d title 'C = %s: D* %.1f, W* %s, L* %.3f'",
              name, bidx[k], k + 1, b1, pr[k].cont.depth, b2, pr[k].cont.loss);
    }
    for (int k = 0; k < nb; k++)
        if (bidx[k] >= 0)
            item_(f, "'%s' index %d using 1:2 with points ls %d notitle", name, ni + bidx[k],
                  k + 1);
    if (nreg) item_(f, "%.6g with lines lc rgb '#555555' dt 3 lw 1.2 title 'largest ε = %.3g nats'", eps,
                    eps);
    plot_end_(f);
    CAPTION(f,
            "For each budget, the loss of the best width at each depth (tokens fill the "
            "budget), minus that budget's optimum, under %s; dots mark the optimum depth D*. A "
            "flat bottom means depth matters little near the optimum; the curves' walls show "
            "what too shallow or too deep costs.",
            law_label_(law, lbl, sizeof lbl));
    if (nreg)
        CAPTION(f,
                "Shaded from 0 to each budget's ε, plan's default tolerance there (the law's "
                "own loss uncertainty, at least 0.005 and at most 0.01 nats; docs/options.md; "
                "dotted: the largest, %.3g nats): each budget's near-optimal region, the depths "
                "of the real shapes (integer depth, width a multiple of 8 heads) within ε of "
                "the best real shape at that compute.",
                eps);
    for (int k = 0; k < nb; k++)
        if (okb[k]) {
            dw_fmt_sci_short(C[k], b1, sizeof b1);
            dw_fmt_count(pr[k].cont.width, b2, sizeof b2);
            dw_fmt_count(pr[k].cont.tokens, b3, sizeof b3);
            CAPTION(f, "C = %s: D* = %.1f, W* = %s, T* = %s, loss %.4f;", b1, pr[k].cont.depth, b2,
                    b3, pr[k].cont.loss);
        }
    size_t L = strlen(f->res->caption);
    if (L && f->res->caption[L - 1] == ';') f->res->caption[L - 1] = '.';
    rc = fig_finish_(f);
out:
    plot_buf_free_(&db);
    return rc;
}
