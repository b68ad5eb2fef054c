/* plots/report_sections.c — the sections of the report page (report_impl.h): the law, the
 * depth analysis, the form comparison, the planner across budgets and the narrative. They
 * render what fit/depth.h, fit/compare.h and planner/plan.h computed. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"
#include "common/dwfmt.h"
#include "fit/paper.h"
#include "report_impl.h"

/* A number for a table cell: %.4g, or "–" when not finite. */
static const char *num_(double v, char *buf, size_t n) {
    if (!isfinite(v))
        snprintf(buf, n, "–");
    else
        snprintf(buf, n, "%.4g", v);
    return buf;
}

/* The run-to-run noise the interior minima are judged against (fit_noise_pooled). */
static void noise_para_(PlotBuf *b, const FitNoise *nz) {
    if (nz->df > 0)
        plot_buf_printf_(b,
                         "<p>Run-to-run noise: loss SD %.3g, pooled over %d configuration%s "
                         "run more than once (%d runs, %d df). An interior minimum is a U-curve "
                         "when the loss rises by more than %g standard errors toward both the "
                         "shallowest and the deepest depth.</p>\n",
                         nz->sd, nz->nrepeated, nz->nrepeated == 1 ? "" : "s",
                         nz->nruns_repeated, nz->df, FIT_UCURVE_SE_MULT);
    else
        plot_buf_puts_(b, "<p>Run-to-run noise: unknown (one run per configuration), so "
                          "interior minima are not compared with it.</p>\n");
}

/* The law's parameters with their intervals, fit summary and conventions. */
void report_law_section_(PlotBuf *b, const Law *law, const char *origin) {
    char form[96], v1[32], v2[32];
    law_form_text(&law->form, form, sizeof form);
    plot_buf_puts_(b, "<h2 id=\"law\">The law</h2>\n<p>");
    H(b, law->name[0] ? law->name : "law");
    plot_buf_puts_(b, " — form <code>");
    H(b, form);
    plot_buf_puts_(b, "</code>");
    if (origin) {
        plot_buf_puts_(b, ", from <code>");
        H(b, origin);
        plot_buf_puts_(b, "</code>");
    }
    plot_buf_puts_(b, ".");
    if (law->description[0]) {
        size_t L = strlen(law->description);
        plot_buf_puts_(b, " ");
        H(b, law->description);
        if (law->description[L - 1] != '.') plot_buf_puts_(b, ".");
    }
    plot_buf_puts_(b, "</p>\n<table><tr><th class=\"l\">parameter</th><th>value</th>"
                      "<th>95% interval</th></tr>\n");
    for (int i = 0; i < law->form.np; i++) {
        plot_buf_printf_(b, "<tr><td class=\"l\">%s</td><td>%.6g</td><td>", law->form.names[i],
                         law->p[i]);
        if (law->fixed >> i & 1)
            plot_buf_puts_(b, "fixed");
        else if (law->has_ci[i])
            plot_buf_printf_(b, "[%.6g, %.6g]", law->ci[i][0], law->ci[i][1]);
        else if (law->has_se && law->se[i] > 0)
            plot_buf_printf_(b, "± %.3g (1 SE)", law->se[i]);
        else
            plot_buf_puts_(b, "none published");
        plot_buf_puts_(b, "</td></tr>\n");
    }
    plot_buf_puts_(b, "</table>\n");
    if (law->fit.n > 0) {
        plot_buf_printf_(b, "<p>Fitted to %d rows", law->fit.n);
        if (law->fit.objective_kind[0]) {
            plot_buf_puts_(b, " (objective ");
            H(b, law->fit.objective_kind);
            if (isfinite(law->fit.objective)) plot_buf_printf_(b, " = %.10g", law->fit.objective);
            plot_buf_puts_(b, ")");
        }
        plot_buf_printf_(b, ": R² %s on L", num_(law->fit.r2, v1, sizeof v1));
        if (isfinite(law->fit.r2_log))
            plot_buf_printf_(b, ", %s on log L", num_(law->fit.r2_log, v2, sizeof v2));
        if (isfinite(law->fit.rmse)) plot_buf_printf_(b, ", RMSE %.4g", law->fit.rmse);
        if (law->fit.status[0]) {
            plot_buf_puts_(b, "; optimiser: ");
            H(b, law->fit.status);
        }
        plot_buf_puts_(b, ".</p>\n");
    }
    plot_buf_printf_(b,
                     "<p class=\"meta\">Conventions: N = %s parameters; C = %s; vocabulary %d, "
                     "context %d.",
                     law->conv.params == LAW_PARAMS_TOTAL      ? "all"
                     : law->conv.params == LAW_PARAMS_NONEMBED ? "non-embedding"
                                                               : "12·D·W²",
                     law->conv.flops == LAW_FLOPS_6NT ? "6·N·T" : "T·(6N + 6VW + 6·D·ctx·W)",
                     law->conv.vocab, law->conv.seq_len);
    if (law->provenance_json) {
        cJSON *p = cJSON_Parse(law->provenance_json);
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(p, "source");
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(p, "ci_method");
        if (cJSON_IsString(src)) {
            plot_buf_puts_(b, " Source: ");
            H(b, src->valuestring);
            plot_buf_puts_(b, ".");
        }
        if (cJSON_IsString(ci)) {
            plot_buf_puts_(b, " Intervals: ");
            H(b, ci->valuestring);
            plot_buf_puts_(b, ".");
        }
        cJSON_Delete(p);
    }
    plot_buf_puts_(b, "</p>\n");
}

/* τ(W) and D_crit tables. */
void report_depth_section_(PlotBuf *b, const DsRuns *r, const FitDepthReport *a) {
    char s1[64], s2[64], s3[64];
    plot_buf_puts_(b, "<h2 id=\"depth\">Gradient persistence and critical depth</h2>\n");
    if (!r) {
        plot_buf_puts_(b, "<p>No run data.</p>\n");
        return;
    }
    plot_buf_puts_(b, "<h3>Persistence length τ vs width</h3>\n");
    if (a->tw_ok) {
        dw_fmt_pm(a->tw.t0, a->tw.t0_se, s1, sizeof s1);
        dw_fmt_pm(a->tw.beta, a->tw.beta_se, s2, sizeof s2);
        plot_buf_printf_(
            b,
            "<p>%d runs with a τ at %d widths (± 1 SE).</p>\n<table><tr><th class=\"l\">"
            "fit</th><th>parameters</th><th>R²</th><th>paper</th></tr>\n",
            a->tw.n, a->tw.nwidths);
        plot_buf_printf_(b,
                         "<tr><td class=\"l\">τ = t0·W<sup>β</sup></td><td>t0 = %s, β = %s</td>"
                         "<td>%.4f on ln τ (%.4f on τ)</td><td>β ≈ %.2f, R² %.2f</td></tr>\n",
                         s1, s2, a->tw.r2_power, a->tw.r2_power_tau, FIT_PAPER_TAU_BETA,
                         FIT_PAPER_TAU_R2_POWER);
        dw_fmt_pm(a->tw.a, a->tw.a_se, s1, sizeof s1);
        dw_fmt_pm(a->tw.b, a->tw.b_se, s3, sizeof s3);
        plot_buf_printf_(b,
                         "<tr><td class=\"l\">τ = a + b·ln W</td><td>a = %s, b = %s</td>"
                         "<td>%.4f on τ</td><td>R² %.2f</td></tr>\n</table>\n",
                         s1, s3, a->tw.r2_log, FIT_PAPER_TAU_R2_LOG);
    } else {
        plot_buf_puts_(b, "<p>Not estimated: ");
        H(b, !r->has_grad ? "the data have no grad_norms column" : a->tw_why);
        plot_buf_puts_(b, ".</p>\n");
    }
    plot_buf_puts_(b, "<h3>Critical depth per width</h3>\n");
    if (!a->dcrit_ok) {
        plot_buf_puts_(b, "<p>Not estimated: the data need depth, width and loss columns.</p>\n");
        return;
    }
    noise_para_(b, &a->noise);
    plot_buf_puts_(b, "<table><tr><th>width</th><th>tokens</th><th>depths</th><th>runs</th>"
                      "<th>D<sub>crit</sub></th><th class=\"l\">how</th></tr>\n");
    for (int k = 0; k < a->nwidths; k++) {
        const FitDcrit *d = &a->widths[k].dc;
        dw_fmt_sci_short(d->tokens, s1, sizeof s1);
        plot_buf_printf_(b, "<tr><td>%g</td><td>%s</td><td>%d</td><td>%d</td><td>", d->width,
                         isfinite(d->tokens) ? s1 : "–", d->ndepths, d->nruns);
        if (d->kind == FIT_DCRIT_INTERIOR)
            plot_buf_printf_(b, "%.2f", d->dcrit);
        else
            plot_buf_puts_(b, "–");
        plot_buf_puts_(b, "</td><td class=\"l\">");
        if (d->kind == FIT_DCRIT_INTERIOR) {
            char ut[320];
            plot_buf_printf_(b, "parabola in ln D through depths %g, %g, %g; ", d->lo,
                             d->depth_at_min, d->hi);
            H(b, fit_ucurve_text(d, &a->noise, ut, sizeof ut));
            if (d->verdict == FIT_UCURVE_WITHIN_NOISE) plot_buf_puts_(b, "; left out of κ");
        } else
            H(b, d->why);
        plot_buf_puts_(b, "</td></tr>\n");
    }
    plot_buf_puts_(b, "</table>\n");
    if (a->kp_ok) {
        dw_fmt_pm(a->kp.kappa, a->kp.kappa_se, s1, sizeof s1);
        plot_buf_printf_(b, "<p>D<sub>crit</sub> = κ·ln W: κ = %s (R² %.4f; the paper: κ = %.2f).",
                         s1, a->kp.r2_kappa, FIT_PAPER_KAPPA);
        plot_buf_printf_(b, " Over the %d widths with a U-curve found (%s)", a->kp.nwidths,
                         a->noise.df > 0 ? "beyond the run-to-run noise" : "noise unknown");
        if (a->nwithin)
            plot_buf_printf_(b, "; %d width%s within the noise left out", a->nwithin,
                             a->nwithin == 1 ? "" : "s");
        plot_buf_puts_(b, ".");
        if (a->kp.has_power) {
            dw_fmt_pm(a->kp.beta, a->kp.beta_se, s2, sizeof s2);
            plot_buf_printf_(b,
                             " D<sub>crit</sub> = c·W<sup>β</sup>: c = %.4g, β = %s (R² %.4f on ln "
                             "D<sub>crit</sub>).",
                             a->kp.c, s2, a->kp.r2_power);
        }
        plot_buf_puts_(b, "</p>\n");
    } else {
        plot_buf_puts_(b, "<p>κ not estimated: ");
        H(b, a->kp_why[0] ? a->kp_why : "no width with an interior minimum");
        plot_buf_puts_(b, ".</p>\n");
    }
}

/* The form comparison, ranked. */
void report_forms_section_(PlotBuf *b, const DsRuns *r, const FitComparison *cmp,
                           const char *why) {
    const FitCompareRow *ff = cmp ? cmp->rows : NULL;
    int nf = cmp ? cmp->n : 0;
    char v[6][32];
    plot_buf_puts_(b, "<h2 id=\"forms\">Form comparison</h2>\n");
    if (!ff) {
        plot_buf_puts_(b, "<p>Not run: ");
        H(b, why);
        plot_buf_puts_(b, ".</p>\n");
        return;
    }
    plot_buf_printf_(b,
                     "<p>Each form fitted by dwplan's fitter to the same %d runs (%d shapes), "
                     "ranked by leave-one-shape-out cross-validated RMSE on L (lower is better "
                     "out of sample); k = free parameters.</p>\n",
                     r->n, r->ngroups);
    plot_buf_puts_(b, "<table><tr><th class=\"l\">form</th><th>k</th><th>objective</th><th>R²</th>"
                      "<th>R² log</th><th>RMSE</th><th>AIC</th><th>BIC</th><th>CV RMSE</th>"
                      "<th class=\"l\">notes</th></tr>\n");
    for (int k = 0; k < nf; k++) {
        const FitCompareRow *c = &ff[k];
        plot_buf_puts_(b, "<tr><td class=\"l\">");
        H(b, c->form);
        if (!c->ok) {
            plot_buf_puts_(b, "</td><td colspan=\"8\">–</td><td class=\"l\">not fitted: ");
            H(b, c->why);
            plot_buf_puts_(b, "</td></tr>\n");
            continue;
        }
        const LawFitInfo *fi = &c->law->fit;
        plot_buf_printf_(b,
                         "</td><td>%d</td><td>%.8g</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                         "<td>%s</td><td>%s</td><td class=\"l\">",
                         c->nfree, fi->objective, num_(fi->r2, v[0], 32),
                         num_(fi->r2_log, v[1], 32), num_(fi->rmse, v[2], 32),
                         num_(fi->aic, v[3], 32), num_(fi->bic, v[4], 32),
                         num_(c->cv_rmse, v[5], 32));
        if (!c->converged) {
            plot_buf_puts_(b, "optimiser: ");
            H(b, fi->status);
            plot_buf_puts_(b, ". ");
        }
        H(b, c->note);
        plot_buf_puts_(b, "</td></tr>\n");
    }
    plot_buf_puts_(b, "</table>\n");
    if (cmp->has_verdict) {
        plot_buf_puts_(b, "<p><b>");
        H(b, cmp->verdict);
        plot_buf_puts_(b, ".</b></p>\n");
    }
    /* the winner's parameters */
    if (nf && ff[0].ok) {
        const Law *L = ff[0].law;
        plot_buf_puts_(b, "<details><summary>Parameters of the best-ranked form, ");
        H(b, ff[0].form);
        plot_buf_puts_(
            b, " (asymptotic 95% intervals, ± 1.96 SE)</summary>\n<table><tr><th class=\"l\">"
               "parameter</th><th>value</th><th>95% interval</th></tr>\n");
        for (int i = 0; i < L->form.np; i++) {
            plot_buf_printf_(b, "<tr><td class=\"l\">%s</td><td>%.6g</td><td>", L->form.names[i],
                             L->p[i]);
            if (L->fixed >> i & 1)
                plot_buf_puts_(b, "fixed");
            else if (L->has_ci[i])
                plot_buf_printf_(b, "[%.6g, %.6g]", L->ci[i][0], L->ci[i][1]);
            else
                plot_buf_puts_(b, "none (rank-deficient Jacobian)");
            plot_buf_puts_(b, "</td></tr>\n");
        }
        plot_buf_puts_(b, "</table></details>\n");
    }
}


void report_planner_run_(const Law *law, double clo, double chi, PlannerOut *p) {
    memset(p, 0, sizeof *p);
    for (double lc = round(log10(clo)); lc <= log10(chi) + 1e-9 && p->nrows < 16; lc += 1) {
        PlanRequest req;
        plan_request_default(&req);
        req.compute = pow(10, lc);
        p->C[p->nrows] = req.compute;
        p->row_ok[p->nrows] = plan_solve(law, &req, &p->res[p->nrows]) == DW_OK;
        if (!p->row_ok[p->nrows]) snprintf(p->why, sizeof p->why, "%s", dw_error_get());
        p->ok |= p->row_ok[p->nrows];
        p->nrows++;
    }
    PlanRequest base;
    plan_request_default(&base);
    int n = (int)lround(4 * log10(chi / clo)) + 1;
    if (n < 3) n = 3;
    if (n > 81) n = 81;
    PlanPoint *pts = calloc((size_t)n, sizeof *pts);
    double se[4];
    if (pts) p->sweep_ok = plan_sweep(law, &base, clo, chi, n, pts, p->slope, se, p->r2) == DW_OK;
    free(pts);
    dw_error_clear();
}

void report_misfit_(PlotBuf *b, const Law *law, const FitPrediction *lp, const char *where) {
    plot_buf_puts_(b, "<p class=\"warn\"><b>Warning: the law ");
    H(b, law->name[0] ? law->name : "given");
    plot_buf_printf_(b,
                     " does not describe these runs</b>: on their loss it has R² %.3g (below 0: "
                     "worse than predicting their mean), RMSE %.3g nats, and it %s them by "
                     "%.3g nats on average.",
                     lp->info.r2, lp->info.rmse, lp->mean_error > 0 ? "over-predicts"
                                                                    : "under-predicts",
                     fabs(lp->mean_error));
    if (!strcmp(where, "page"))
        plot_buf_puts_(b, " The planner table, the frontier and the isoflop figures still use "
                          "it and say so: read them as the law's claims, which these runs do "
                          "not support. The parity figure shows how it misses; fit a law to "
                          "these runs (<code>dwplan fit</code>, or the comparison below) to "
                          "plan from them.</p>\n");
    else
        plot_buf_puts_(b, " The plans below are the law's, not something these runs "
                          "support.</p>\n");
}

void report_planner_section_(PlotBuf *b, const Law *law, const PlannerOut *p,
                             const FitPrediction *lp) {
    char c[32], n[32], t[32], ci[64];
    plot_buf_puts_(b, "<h2 id=\"planner\">The planner across budgets</h2>\n");
    if (!law) {
        plot_buf_puts_(b, "<p>No law given (<code>--law</code>): no plan.</p>\n");
        return;
    }
    if (lp && lp->info.r2 < 0) report_misfit_(b, law, lp, "planner");
    plot_buf_puts_(b,
                   "<p>The compute-optimal shape under the law at each budget: the best real "
                   "shape (integer depth, width a multiple of the head width), its loss with the "
                   "interval the law's uncertainty gives, and its critical depth.</p>\n");
    plot_buf_puts_(b, "<table><tr><th>compute C (FLOPs)</th><th>depth D</th><th>width W</th>"
                      "<th>heads</th><th>params N</th><th>tokens T</th><th>T / N</th>"
                      "<th>loss</th><th>95% interval</th><th>D<sub>crit</sub>(W)</th><th>D / "
                      "D<sub>crit</sub></th></tr>\n");
    for (int k = 0; k < p->nrows; k++) {
        dw_fmt_sci_short(p->C[k], c, sizeof c);
        if (!p->row_ok[k]) {
            plot_buf_printf_(
                b, "<tr><td>%s</td><td colspan=\"10\" class=\"l\">no feasible shape</td></tr>\n",
                c);
            continue;
        }
        const PlanResult *r = &p->res[k];
        const PlanPoint *q = &r->real;
        dw_fmt_count(q->params_law, n, sizeof n);
        dw_fmt_count(q->tokens, t, sizeof t);
        if (isfinite(r->loss_lo) && isfinite(r->loss_hi))
            snprintf(ci, sizeof ci, "[%.4f, %.4f]", r->loss_lo, r->loss_hi);
        else
            snprintf(ci, sizeof ci, "–");
        plot_buf_printf_(b,
                         "<tr><td>%s%s</td><td>%g</td><td>%g</td><td>%d</td><td>%s</td><td>%s</td>"
                         "<td>%.1f</td><td>%.4f</td><td>%s</td>",
                         c, r->on_bound ? " *" : "", q->depth, q->width, q->heads, n, t,
                         q->tokens_per_param, q->loss, ci);
        if (isfinite(q->dcrit) && q->dcrit > 0)
            plot_buf_printf_(b, "<td>%.1f</td><td>%.2f</td></tr>\n", q->dcrit, q->depth / q->dcrit);
        else
            plot_buf_puts_(b, "<td>–</td><td>–</td></tr>\n");
    }
    plot_buf_puts_(b, "</table>\n");
    for (int k = 0; k < p->nrows; k++)
        if (p->row_ok[k] && p->res[k].on_bound) {
            plot_buf_puts_(b, "<p class=\"note\">* ");
            H(b, p->res[k].bound_note);
            plot_buf_puts_(b, "</p>\n");
            break;
        }
    if (p->sweep_ok)
        plot_buf_printf_(
            b,
            "<p>Exponents of the continuous optimum against compute (least squares on "
            "logs): D* ∝ C<sup>%.3f</sup>, W* ∝ C<sup>%.3f</sup>, N* ∝ C<sup>%.3f</sup>, "
            "T* ∝ C<sup>%.3f</sup>. The paper claims D* ∝ C<sup>%.2f</sup> and W* ∝ "
            "C<sup>%.2f</sup>.</p>\n",
            p->slope[0], p->slope[1], p->slope[2], p->slope[3], FIT_PAPER_D_SLOPE,
            FIT_PAPER_W_SLOPE);
}

// ----------------------------------------------------------------------------
// the narrative

/* The narrative's items: each says what one analysis found, or why it cannot tell. */
static void widths_list_(PlotBuf *b, const FitDepthReport *a, FitUcurveVerdict v1,
                         FitUcurveVerdict v2) {
    int first = 1;
    for (int k = 0; k < a->nwidths; k++) {
        const FitDcrit *dc = &a->widths[k].dc;
        if (dc->verdict != v1 && dc->verdict != v2) continue;
        plot_buf_printf_(b, "%sD<sub>crit</sub> ≈ %.1f at W = %g", first ? "" : ", ", dc->dcrit,
                         dc->width);
        first = 0;
    }
}

/* The narrative's items: each says what one analysis found, or why it cannot tell. A U-curve
 * is "found" only beyond the run-to-run noise, or with "noise unknown" said. */
static void narr_ucurve_(PlotBuf *b, const FitDepthReport *a) {
    plot_buf_puts_(b, "<li><b>U-curve.</b> ");
    if (!a->dcrit_ok) {
        plot_buf_puts_(b, "Cannot tell: the data need depth, width and loss columns.");
    } else {
        int enough = 0, deep = 0, shallow = 0;
        for (int k = 0; k < a->nwidths; k++) {
            enough += a->widths[k].dc.kind != FIT_DCRIT_TOO_FEW;
            deep += a->widths[k].dc.kind == FIT_DCRIT_AT_LARGEST;
            shallow += a->widths[k].dc.kind == FIT_DCRIT_AT_SMALLEST;
        }
        int ends = deep + shallow;
        if (a->nfound) {
            plot_buf_printf_(b, "Found at %d of %d widths%s: past a critical depth the loss "
                                "rises again (",
                             a->nfound, a->nwidths,
                             a->noise.df > 0 ? " beyond the run-to-run noise"
                                             : ", noise unknown (one run per configuration, so "
                                               "the rises are not compared with it)");
            widths_list_(b, a, FIT_UCURVE_BEYOND_NOISE, FIT_UCURVE_NOISE_UNKNOWN);
            plot_buf_puts_(b, ").");
        } else if (a->nwithin) {
            plot_buf_printf_(b, "Not beyond noise: the lowest loss is at an interior depth at "
                                "%d of %d widths, but it rises toward the ends by less than "
                                "%g standard errors of the run-to-run noise (SD %.3g, %d df) "
                                "on at least one side (",
                             a->nwithin, a->nwidths, FIT_UCURVE_SE_MULT, a->noise.sd,
                             a->noise.df);
            widths_list_(b, a, FIT_UCURVE_WITHIN_NOISE, FIT_UCURVE_WITHIN_NOISE);
            plot_buf_puts_(b, "), so no U-curve is claimed.");
        } else if (enough) {
            plot_buf_printf_(
                b,
                "Not found: at each of the %d widths with three or more depths the "
                "lowest loss is at %s of the depths run%s, so any critical depth "
                "lies outside them.",
                enough,
                deep && shallow ? "one end"
                : deep          ? "the deepest"
                                : "the shallowest",
                deep && !shallow ? " (deeper was better throughout)" : "");
        } else {
            plot_buf_printf_(b,
                             "Cannot tell: no width was run at three or more depths at one "
                             "token count (%d width%s).",
                             a->nwidths, a->nwidths == 1 ? "" : "s");
        }
        if (a->nfound && a->nwithin) {
            plot_buf_printf_(b, " Not beyond noise at %d other width%s (", a->nwithin,
                             a->nwithin == 1 ? "" : "s");
            widths_list_(b, a, FIT_UCURVE_WITHIN_NOISE, FIT_UCURVE_WITHIN_NOISE);
            plot_buf_printf_(b, "): the rise is within %g standard errors; left out of κ.",
                             FIT_UCURVE_SE_MULT);
        }
        if ((a->nfound || a->nwithin) && ends)
            plot_buf_printf_(b,
                             " At %d other width%s the lowest loss is at an end of the "
                             "depths run.",
                             ends, ends == 1 ? "" : "s");
        if (enough < a->nwidths && (a->ninterior || enough))
            plot_buf_printf_(b, " %d width%s had fewer than three depths.", a->nwidths - enough,
                             a->nwidths - enough == 1 ? "" : "s");
    }
    plot_buf_puts_(b, "</li>\n");
}

static void narr_tau_(PlotBuf *b, const DsRuns *r, const FitDepthReport *a) {
    char s1[64];
    plot_buf_puts_(b, "<li><b>Gradient persistence.</b> ");
    if (a->tw_ok) {
        double z = (a->tw.beta - FIT_PAPER_TAU_BETA) / a->tw.beta_se;
        dw_fmt_pm(a->tw.beta, a->tw.beta_se, s1, sizeof s1);
        plot_buf_printf_(b,
                         "τ ∝ W<sup>β</sup> with β = %s (R² %.3f on ln τ, over %d runs at %d "
                         "widths), against the paper's %.2f: ",
                         s1, a->tw.r2_power, a->tw.n, a->tw.nwidths, FIT_PAPER_TAU_BETA);
        if (fabs(z) <= 1.96)
            plot_buf_puts_(b, "consistent (within 1.96 standard errors).");
        else
            plot_buf_printf_(b, "%s by %.1f standard errors.", z > 0 ? "steeper" : "shallower",
                             fabs(z));
        plot_buf_printf_(
            b,
            " The log form τ = a + b·ln W fits with R² %.3f on τ (the power law: %.3f "
            "on τ); the paper reports R² %.2f for the power law and %.2f for the log form.",
            a->tw.r2_log, a->tw.r2_power_tau, FIT_PAPER_TAU_R2_POWER, FIT_PAPER_TAU_R2_LOG);
    } else if (!r->has_grad || !(a->ngrad > 0)) {
        plot_buf_puts_(b,
                       "Not measured: the data have no per-layer gradient norms (run records "
                       "from <code>dwplan probe</code> carry them).");
    } else {
        plot_buf_puts_(b, "Not estimated: ");
        H(b, a->tw_why);
        plot_buf_puts_(b, ".");
        if (a->nnodecay)
            plot_buf_printf_(b,
                             " In %d of the %d runs with gradient norms they do not fall "
                             "toward the input, so the paper's persistence model "
                             "(‖∇<sub>ℓ</sub>‖ ∝ exp(−(D − ℓ)/τ)) does not describe them.",
                             a->nnodecay, a->ngrad);
        if (a->nfew)
            plot_buf_printf_(b, " %d run%s %s fewer than 3 layers.", a->nfew,
                             a->nfew == 1 ? "" : "s", a->nfew == 1 ? "has" : "have");
    }
    plot_buf_puts_(b, "</li>\n");
}

static void narr_kappa_(PlotBuf *b, const FitDepthReport *a) {
    char s2[64], s3[64];
    plot_buf_puts_(b, "<li><b>Critical depth vs width.</b> ");
    if (!a->dcrit_ok) {
        plot_buf_puts_(b, "Cannot tell: the data need depth, width and loss columns.");
    } else if (a->kp_ok) {
        double z = (a->kp.kappa - FIT_PAPER_KAPPA) / a->kp.kappa_se;
        dw_fmt_pm(a->kp.kappa, a->kp.kappa_se, s2, sizeof s2);
        plot_buf_printf_(b,
                         "D<sub>crit</sub> = κ·ln W with κ = %s (R² %.3f, %d widths with a "
                         "U-curve found%s",
                         s2, a->kp.r2_kappa, a->kp.nwidths,
                         a->noise.df > 0 ? "" : ", noise unknown");
        if (a->nwithin)
            plot_buf_printf_(b, "; %d within the noise left out", a->nwithin);
        plot_buf_printf_(b, "), against the paper's %.2f: ", FIT_PAPER_KAPPA);
        if (!(a->kp.kappa_se > 0))
            plot_buf_puts_(b, "no standard error (too few widths).");
        else if (fabs(z) <= 1.96)
            plot_buf_puts_(b, "consistent (within 1.96 standard errors).");
        else
            plot_buf_printf_(b, "%s by %.1f standard errors.", z > 0 ? "larger" : "smaller",
                             fabs(z));
        if (a->kp.has_power) {
            dw_fmt_pm(a->kp.beta, a->kp.beta_se, s3, sizeof s3);
            plot_buf_printf_(b, " As a power law, D<sub>crit</sub> ∝ W<sup>%s</sup> (R² %.3f).",
                             s3, a->kp.r2_power);
        }
    } else {
        plot_buf_puts_(b, "κ not estimated: ");
        H(b, a->kp_why[0] ? a->kp_why : "it needs interior minima at two or more widths");
        plot_buf_puts_(b, ".");
    }
    plot_buf_puts_(b, "</li>\n");
}

static void narr_plan_(PlotBuf *b, const PlannerOut *p, int misfit) {
    char s1[64], s2[64], s3[64];
    int k = 0;
    for (int q = 0; q < p->nrows; q++)
        if (p->row_ok[q] && fabs(log10(p->C[q]) - 22) < 0.5) k = q;
    if (!p->row_ok[k])
        for (k = 0; k < p->nrows && !p->row_ok[k]; k++) {
        }
    const PlanPoint *q = &p->res[k].real;
    dw_fmt_sci_short(p->C[k], s1, sizeof s1);
    dw_fmt_count(q->params_law, s2, sizeof s2);
    dw_fmt_count(q->tokens, s3, sizeof s3);
    plot_buf_printf_(
        b,
        "<li><b>Plan.</b> %sUnder the law, C = %s FLOPs is best spent on %g layers × "
        "width %g (N = %s, T = %s tokens), predicted loss %.3f",
        misfit ? "(From a law that does not describe these runs: see the warning above.) " : "",
        s1, q->depth, q->width, s2, s3, q->loss);
    if (isfinite(q->dcrit) && q->dcrit > 0)
        plot_buf_printf_(b, "; that depth is %.2f × its critical depth", q->depth / q->dcrit);
    plot_buf_puts_(b, ".");
    if (p->sweep_ok)
        plot_buf_printf_(b,
                         " Across the budgets D* ∝ C<sup>%.3f</sup> and W* ∝ C<sup>%.3f</sup> "
                         "(the paper claims %.2f and %.2f; with the paper's own α and δ no "
                         "law gives both: see the README).",
                         p->slope[0], p->slope[1], FIT_PAPER_D_SLOPE, FIT_PAPER_W_SLOPE);
    plot_buf_puts_(b, "</li>\n");
}

void report_narrative_(PlotBuf *b, const DsRuns *r, const Law *law, const FitDepthReport *a,
                       const char *verdict, const PlannerOut *p, const FitPrediction *lp) {
    plot_buf_puts_(b, "<h2 id=\"summary\">What the data say</h2>\n<ul class=\"narr\">\n");
    if (r) {
        narr_ucurve_(b, a);
        narr_tau_(b, r, a);
        narr_kappa_(b, a);
        if (verdict[0]) {
            plot_buf_puts_(b, "<li><b>Forms.</b> ");
            char v[400];
            snprintf(v, sizeof v, "%s", verdict);
            v[0] = (char)(v[0] >= 'a' && v[0] <= 'z' ? v[0] - 32 : v[0]);
            H(b, v);
            plot_buf_puts_(b, " (see the comparison below).</li>\n");
        }
        if (law && lp) {
            /* the law's own fit to these runs (fit_predict, as the parity figure) */
            plot_buf_printf_(b, "<li><b>The law on these runs.</b> ");
            H(b, law->name[0] ? law->name : "The law");
            plot_buf_printf_(b, ": R² %.4f on their loss, RMSE %.4f nats, mean error %+.4f "
                                "(positive: it over-predicts)%s</li>\n",
                             lp->info.r2, lp->info.rmse, lp->mean_error,
                             lp->info.r2 < 0 ? "; <b>worse than their mean: it does not "
                                               "describe them</b>."
                                             : ".");
        }
    }
    if (law && p->ok) narr_plan_(b, p, lp && lp->info.r2 < 0);
    plot_buf_puts_(b, "</ul>\n");
}
