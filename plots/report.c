/* plots/report.c — `dwplan report`: every figure the inputs allow, and index.html.
 *
 * The page is self-contained but for the image files: inline CSS, no scripts, no fonts or
 * styles from the network, images and scripts linked by relative path, so the directory can
 * be zipped, mailed or served as it is. It links only files that exist: a figure that could
 * not be drawn says why instead (and links its gnuplot script when that was written).
 *
 * Numbers come from the library, never from running dwplan: τ and D_crit from fit/persist.h,
 * the form comparison from plot_fit_forms (fit_run, fit_cv_groups), the planner table from
 * plan_solve and the exponents from plan_sweep.
 */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/dw.h"
#include "fit/persist.h"
#include "planner/plan.h"
#include "plot_impl.h"

#define H(b, s) plot_html_esc_((b), (s))

static void progress_(const PlotReportSpec *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void progress_(const PlotReportSpec *s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    if (!s->progress) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->progress(msg, s->progress_ctx);
}

/* mkdir -p */
static int mkdirs_(const char *dir) {
    char buf[PLOT_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return dw_error_set(DW_EINVAL, "%.64s...: path too long", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return dw_error_set(DW_EIO, "%s: cannot create: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return dw_error_set(DW_EIO, "%s: cannot create: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return dw_error_set(DW_EIO, "%s: not a directory", buf);
    return DW_OK;
}

static const char *base_(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A number for a table cell: %.4g, or "–" when not finite. */
static const char *num_(double v, char *buf, size_t n) {
    if (!isfinite(v))
        snprintf(buf, n, "–");
    else
        snprintf(buf, n, "%.4g", v);
    return buf;
}

// ----------------------------------------------------------------------------
// the analyses shown on the page

typedef struct {
    /* critical depth per width */
    FitDcrit *dc;
    int nw, ninterior, has_dcrit;
    FitKappa kp;
    int kp_ok;
    char kp_why[256];
    /* gradient persistence */
    int ntau, has_grad, ngrad, nfew, nnodecay;
    FitTauWidth tw;
    int tw_ok;
    char tw_why[256];
} Analyses;

static void analyses_free_(Analyses *a) { free(a->dc); }

static int analyses_run_(const PlotRuns *r, Analyses *a) {
    memset(a, 0, sizeof *a);
    if (!r) return DW_OK;
    if (r->has_depth && r->has_width && r->has_loss && r->n > 0) {
        int use_tok = r->has_tokens;
        for (int i = 0; i < r->n && use_tok; i++) use_tok = isfinite(r->tokens[i]);
        if (!(a->dc = calloc((size_t)r->n, sizeof *a->dc)))
            return dw_error_set(DW_ENOMEM, "out of memory");
        if (fit_dcrit_all(r->depth, r->width, use_tok ? r->tokens : NULL, r->loss, r->n, a->dc,
                          &a->nw) == DW_OK) {
            a->has_dcrit = 1;
            double *w = calloc((size_t)a->nw + 1, sizeof *w),
                   *d = calloc((size_t)a->nw + 1, sizeof *d);
            if (!w || !d) {
                free(w), free(d);
                return dw_error_set(DW_ENOMEM, "out of memory");
            }
            int m = 0;
            for (int k = 0; k < a->nw; k++) {
                a->ninterior += a->dc[k].kind == FIT_DCRIT_INTERIOR;
                if (a->dc[k].width > 1)
                    w[m] = a->dc[k].width,
                    d[m] = a->dc[k].kind == FIT_DCRIT_INTERIOR ? a->dc[k].dcrit : NAN, m++;
            }
            a->kp_ok = fit_kappa(w, d, m, &a->kp) == DW_OK;
            if (!a->kp_ok) snprintf(a->kp_why, sizeof a->kp_why, "%s", dw_error_get());
            free(w), free(d);
        }
    }
    if (r->has_grad && r->has_width) {
        double *tau = calloc((size_t)r->n + 1, sizeof *tau);
        if (!tau) return dw_error_set(DW_ENOMEM, "out of memory");
        for (int i = 0; i < r->n; i++) {
            FitTauRun tr;
            tau[i] = NAN;
            if (r->ngrad[i] >= 3 && fit_tau_run(r->grad[i], r->ngrad[i], &tr) == DW_OK && tr.ok)
                tau[i] = tr.tau, a->ntau++;
            else if (r->ngrad[i] >= 3)
                a->nnodecay++;
            else if (r->ngrad[i] > 0)
                a->nfew++;
            a->has_grad |= r->ngrad[i] > 0;
            a->ngrad += r->ngrad[i] > 0;
        }
        a->tw_ok = fit_tau_width(r->width, tau, r->n, &a->tw) == DW_OK;
        if (!a->tw_ok) snprintf(a->tw_why, sizeof a->tw_why, "%s", dw_error_get());
        free(tau);
    }
    dw_error_clear();
    return DW_OK;
}

// ----------------------------------------------------------------------------
// page sections

static const char *css_ =
    "body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;"
    "padding:0 1em;color:#222;line-height:1.45}\n"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ccc;"
    "padding-bottom:.2em;margin-top:2em}\n"
    ".meta{color:#555;font-size:.9em}\n"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "th{background:#f3f3f3}td.l,th.l{text-align:left}\n"
    "figure{margin:1.5em 0;border:1px solid #e3e3e3;padding:.8em;background:#fff}"
    "figure img{max-width:100%;height:auto;display:block}"
    "figcaption{font-size:.92em;color:#333;margin-top:.5em}\n"
    ".note{color:#7a4b00;font-size:.88em}.skip{border:1px dashed #bbb;padding:.6em;margin:1em 0;"
    "color:#555}\n"
    "ul.narr li{margin:.35em 0}code{background:#f5f5f5;padding:0 .2em}\n";

/* The law's parameters with their intervals, fit summary and conventions. */
static void law_section_(PlotBuf *b, const Law *law, const char *origin) {
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
            plot_buf_printf_(b, " = %.10g)", law->fit.objective);
        }
        plot_buf_printf_(b, ": R² %s on L", num_(law->fit.r2, v1, sizeof v1));
        if (isfinite(law->fit.r2_log) && law->fit.r2_log != 0)
            plot_buf_printf_(b, ", %s on log L", num_(law->fit.r2_log, v2, sizeof v2));
        if (law->fit.rmse > 0) plot_buf_printf_(b, ", RMSE %.4g", law->fit.rmse);
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
static void depth_section_(PlotBuf *b, const PlotRuns *r, const Analyses *a) {
    char s1[64], s2[64], s3[64];
    plot_buf_puts_(b, "<h2 id=\"depth\">Gradient persistence and critical depth</h2>\n");
    if (!r) {
        plot_buf_puts_(b, "<p>No run data.</p>\n");
        return;
    }
    plot_buf_puts_(b, "<h3>Persistence length τ vs width</h3>\n");
    if (a->tw_ok) {
        plot_fmt_pm_(a->tw.t0, a->tw.t0_se, s1, sizeof s1);
        plot_fmt_pm_(a->tw.beta, a->tw.beta_se, s2, sizeof s2);
        plot_buf_printf_(
            b,
            "<p>%d runs with a τ at %d widths (± 1 SE).</p>\n<table><tr><th class=\"l\">"
            "fit</th><th>parameters</th><th>R²</th><th>paper</th></tr>\n",
            a->tw.n, a->tw.nwidths);
        plot_buf_printf_(b,
                         "<tr><td class=\"l\">τ = t0·W<sup>β</sup></td><td>t0 = %s, β = %s</td>"
                         "<td>%.4f on ln τ (%.4f on τ)</td><td>β ≈ %.2f, R² %.2f</td></tr>\n",
                         s1, s2, a->tw.r2_power, a->tw.r2_power_tau, PLOT_PAPER_TAU_BETA,
                         PLOT_PAPER_TAU_R2_POWER);
        plot_fmt_pm_(a->tw.a, a->tw.a_se, s1, sizeof s1);
        plot_fmt_pm_(a->tw.b, a->tw.b_se, s3, sizeof s3);
        plot_buf_printf_(b,
                         "<tr><td class=\"l\">τ = a + b·ln W</td><td>a = %s, b = %s</td>"
                         "<td>%.4f on τ</td><td>R² %.2f</td></tr>\n</table>\n",
                         s1, s3, a->tw.r2_log, PLOT_PAPER_TAU_R2_LOG);
    } else {
        plot_buf_puts_(b, "<p>Not estimated: ");
        H(b, !r->has_grad ? "the data have no grad_norms column" : a->tw_why);
        plot_buf_puts_(b, ".</p>\n");
    }
    plot_buf_puts_(b, "<h3>Critical depth per width</h3>\n");
    if (!a->has_dcrit) {
        plot_buf_puts_(b, "<p>Not estimated: the data need depth, width and loss columns.</p>\n");
        return;
    }
    plot_buf_puts_(b, "<table><tr><th>width</th><th>tokens</th><th>depths</th><th>runs</th>"
                      "<th>D<sub>crit</sub></th><th class=\"l\">how</th></tr>\n");
    for (int k = 0; k < a->nw; k++) {
        const FitDcrit *d = &a->dc[k];
        plot_fmt_sci_(d->tokens, s1, sizeof s1);
        plot_buf_printf_(b, "<tr><td>%g</td><td>%s</td><td>%d</td><td>%d</td><td>", d->width,
                         isfinite(d->tokens) ? s1 : "–", d->ndepths, d->nruns);
        if (d->kind == FIT_DCRIT_INTERIOR)
            plot_buf_printf_(b, "%.2f", d->dcrit);
        else
            plot_buf_puts_(b, "–");
        plot_buf_puts_(b, "</td><td class=\"l\">");
        if (d->kind == FIT_DCRIT_INTERIOR)
            plot_buf_printf_(b, "parabola in ln D through depths %g, %g, %g", d->lo,
                             d->depth_at_min, d->hi);
        else
            H(b, d->why);
        plot_buf_puts_(b, "</td></tr>\n");
    }
    plot_buf_puts_(b, "</table>\n");
    if (a->kp_ok) {
        plot_fmt_pm_(a->kp.kappa, a->kp.kappa_se, s1, sizeof s1);
        plot_buf_printf_(b, "<p>D<sub>crit</sub> = κ·ln W: κ = %s (R² %.4f; the paper: κ = %.2f).",
                         s1, a->kp.r2_kappa, PLOT_PAPER_KAPPA);
        if (a->kp.has_power) {
            plot_fmt_pm_(a->kp.beta, a->kp.beta_se, s2, sizeof s2);
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

/* The question users ask of a comparison (as `dwplan fit --compare` answers it): does the
 * best form with a depth-width term beat the best without one out of sample? "" when the
 * comparison cannot say (no CV, or forms of one kind only). */
static void verdict_(const PlotFormFit *ff, int nf, char *verdict, size_t n) {
    const PlotFormFit *bs = NULL, *bp = NULL;
    verdict[0] = '\0';
    for (int k = 0; k < nf; k++) {
        if (!ff[k].ok || !isfinite(ff[k].cv_rmse)) continue;
        const PlotFormFit **slot = law_form_has_shape(&ff[k].law->form) ? &bs : &bp;
        if (!*slot) *slot = &ff[k];
    }
    if (bs && bp)
        snprintf(verdict, n,
                 "%s a depth-width term: %s (CV RMSE %.4g) vs the best form without "
                 "one, %s (%.4g), out of sample",
                 bs->cv_rmse < bp->cv_rmse ? "the data favour" : "the data do not favour", bs->form,
                 bs->cv_rmse, bp->form, bp->cv_rmse);
}

/* The form comparison, ranked. */
static void forms_section_(PlotBuf *b, const PlotRuns *r, const PlotFormFit *ff, int nf,
                           const char *why, const char *verdict) {
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
        const PlotFormFit *c = &ff[k];
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
    if (verdict[0]) {
        plot_buf_puts_(b, "<p><b>");
        H(b, verdict);
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

/* Planner table across budgets; the C = 1e22 row (or the middle one) and the exponents go into
 * the narrative. */
typedef struct {
    int ok, nrows;
    double C[16];
    PlanResult res[16];
    int row_ok[16];
    int sweep_ok;
    double slope[4], r2[4];
    char why[256];
} PlannerOut;

static void planner_run_(const Law *law, double clo, double chi, PlannerOut *p) {
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

static void planner_section_(PlotBuf *b, const Law *law, const PlannerOut *p) {
    char c[32], n[32], t[32], ci[64];
    plot_buf_puts_(b, "<h2 id=\"planner\">The planner across budgets</h2>\n");
    if (!law) {
        plot_buf_puts_(b, "<p>No law given (<code>--law</code>): no plan.</p>\n");
        return;
    }
    plot_buf_puts_(b,
                   "<p>The compute-optimal shape under the law at each budget: the best real "
                   "shape (integer depth, width a multiple of the head width), its loss with the "
                   "interval the law's uncertainty gives, and its critical depth.</p>\n");
    plot_buf_puts_(b, "<table><tr><th>compute C (FLOPs)</th><th>depth D</th><th>width W</th>"
                      "<th>heads</th><th>params N</th><th>tokens T</th><th>T / N</th>"
                      "<th>loss</th><th>95% interval</th><th>D<sub>crit</sub>(W)</th><th>D / "
                      "D<sub>crit</sub></th></tr>\n");
    for (int k = 0; k < p->nrows; k++) {
        plot_fmt_sci_(p->C[k], c, sizeof c);
        if (!p->row_ok[k]) {
            plot_buf_printf_(
                b, "<tr><td>%s</td><td colspan=\"10\" class=\"l\">no feasible shape</td></tr>\n",
                c);
            continue;
        }
        const PlanResult *r = &p->res[k];
        const PlanPoint *q = &r->real;
        plot_fmt_count_(q->params_law, n, sizeof n);
        plot_fmt_count_(q->tokens, t, sizeof t);
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
            "T* ∝ C<sup>%.3f</sup>. The paper claims D* ∝ C<sup>0.12</sup> and W* ∝ "
            "C<sup>0.34</sup>.</p>\n",
            p->slope[0], p->slope[1], p->slope[2], p->slope[3]);
}

// ----------------------------------------------------------------------------
// the narrative

static void narrative_(PlotBuf *b, const PlotRuns *r, const Law *law, const Analyses *a,
                       const char *verdict, const PlannerOut *p, const PlotResult *parity_law) {
    char s1[64], s2[64], s3[64];
    plot_buf_puts_(b, "<h2 id=\"summary\">What the data say</h2>\n<ul class=\"narr\">\n");
    if (r) {
        /* U-curve */
        plot_buf_puts_(b, "<li><b>U-curve.</b> ");
        if (!a->has_dcrit) {
            plot_buf_puts_(b, "Cannot tell: the data need depth, width and loss columns.");
        } else {
            int enough = 0, deep = 0, shallow = 0;
            for (int k = 0; k < a->nw; k++) {
                enough += a->dc[k].kind != FIT_DCRIT_TOO_FEW;
                deep += a->dc[k].kind == FIT_DCRIT_AT_LARGEST;
                shallow += a->dc[k].kind == FIT_DCRIT_AT_SMALLEST;
            }
            if (a->ninterior) {
                plot_buf_printf_(b,
                                 "Found at %d of %d widths: past a critical depth the loss rises "
                                 "again (",
                                 a->ninterior, a->nw);
                int first = 1;
                for (int k = 0; k < a->nw; k++)
                    if (a->dc[k].kind == FIT_DCRIT_INTERIOR) {
                        plot_buf_printf_(b, "%sD<sub>crit</sub> ≈ %.1f at W = %g",
                                         first ? "" : ", ", a->dc[k].dcrit, a->dc[k].width);
                        first = 0;
                    }
                plot_buf_puts_(b, ").");
                if (deep || shallow)
                    plot_buf_printf_(b,
                                     " At %d other width%s the lowest loss is at an end of the "
                                     "depths run.",
                                     deep + shallow, deep + shallow == 1 ? "" : "s");
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
                                 a->nw, a->nw == 1 ? "" : "s");
            }
            if (enough < a->nw && (a->ninterior || enough))
                plot_buf_printf_(b, " %d width%s had fewer than three depths.", a->nw - enough,
                                 a->nw - enough == 1 ? "" : "s");
        }
        plot_buf_puts_(b, "</li>\n");
        /* τ */
        plot_buf_puts_(b, "<li><b>Gradient persistence.</b> ");
        if (a->tw_ok) {
            double z = (a->tw.beta - PLOT_PAPER_TAU_BETA) / a->tw.beta_se;
            plot_fmt_pm_(a->tw.beta, a->tw.beta_se, s1, sizeof s1);
            plot_buf_printf_(b,
                             "τ ∝ W<sup>β</sup> with β = %s (R² %.3f on ln τ, over %d runs at %d "
                             "widths), against the paper's 0.44: ",
                             s1, a->tw.r2_power, a->tw.n, a->tw.nwidths);
            if (fabs(z) <= 1.96)
                plot_buf_puts_(b, "consistent (within 1.96 standard errors).");
            else
                plot_buf_printf_(b, "%s by %.1f standard errors.", z > 0 ? "steeper" : "shallower",
                                 fabs(z));
            plot_buf_printf_(
                b,
                " The log form τ = a + b·ln W fits with R² %.3f on τ (the power law: %.3f "
                "on τ); the paper reports R² 0.98 for the power law and 0.60 for the log form.",
                a->tw.r2_log, a->tw.r2_power_tau);
        } else if (!r->has_grad || !a->has_grad) {
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
        /* κ */
        plot_buf_puts_(b, "<li><b>Critical depth vs width.</b> ");
        if (!a->has_dcrit) {
            plot_buf_puts_(b, "Cannot tell: the data need depth, width and loss columns.");
        } else if (a->kp_ok) {
            double z = (a->kp.kappa - PLOT_PAPER_KAPPA) / a->kp.kappa_se;
            plot_fmt_pm_(a->kp.kappa, a->kp.kappa_se, s2, sizeof s2);
            plot_buf_printf_(b,
                             "D<sub>crit</sub> = κ·ln W with κ = %s (R² %.3f, %d widths), against "
                             "the paper's 2.43: ",
                             s2, a->kp.r2_kappa, a->kp.nwidths);
            if (!(a->kp.kappa_se > 0))
                plot_buf_puts_(b, "no standard error (too few widths).");
            else if (fabs(z) <= 1.96)
                plot_buf_puts_(b, "consistent (within 1.96 standard errors).");
            else
                plot_buf_printf_(b, "%s by %.1f standard errors.", z > 0 ? "larger" : "smaller",
                                 fabs(z));
            if (a->kp.has_power) {
                plot_fmt_pm_(a->kp.beta, a->kp.beta_se, s3, sizeof s3);
                plot_buf_printf_(b, " As a power law, D<sub>crit</sub> ∝ W<sup>%s</sup> (R² %.3f).",
                                 s3, a->kp.r2_power);
            }
        } else {
            plot_buf_puts_(b, "κ not estimated: ");
            H(b, a->kp_why[0] ? a->kp_why : "it needs interior minima at two or more widths");
            plot_buf_puts_(b, ".");
        }
        plot_buf_puts_(b, "</li>\n");
        if (verdict[0]) {
            plot_buf_puts_(b, "<li><b>Forms.</b> ");
            char v[400];
            snprintf(v, sizeof v, "%s", verdict);
            v[0] = (char)(v[0] >= 'a' && v[0] <= 'z' ? v[0] - 32 : v[0]);
            H(b, v);
            plot_buf_puts_(b, " (see the comparison below).</li>\n");
        }
        if (law && parity_law && parity_law->rendered && parity_law->caption[0]) {
            /* the law's own fit to these runs, from the parity caption */
            const char *c = strstr(parity_law->caption, "law: ");
            if (c) {
                const char *end = strchr(c, '.');
                while (end && end[1] && end[1] != ' ') end = strchr(end + 1, '.');
                plot_buf_puts_(b, "<li><b>The law on these runs.</b> ");
                char t[400];
                snprintf(t, sizeof t, "%.*s", end ? (int)(end - c) : (int)strlen(c), c);
                H(b, t);
                plot_buf_puts_(b, ".</li>\n");
            }
        }
    }
    if (law && p->ok) {
        int k = 0;
        for (int q = 0; q < p->nrows; q++)
            if (p->row_ok[q] && fabs(log10(p->C[q]) - 22) < 0.5) k = q;
        if (!p->row_ok[k])
            for (k = 0; k < p->nrows && !p->row_ok[k]; k++) {
            }
        const PlanPoint *q = &p->res[k].real;
        plot_fmt_sci_(p->C[k], s1, sizeof s1);
        plot_fmt_count_(q->params_law, s2, sizeof s2);
        plot_fmt_count_(q->tokens, s3, sizeof s3);
        plot_buf_printf_(
            b,
            "<li><b>Plan.</b> Under the law, C = %s FLOPs is best spent on %g layers × "
            "width %g (N = %s, T = %s tokens), predicted loss %.3f",
            s1, q->depth, q->width, s2, s3, q->loss);
        if (isfinite(q->dcrit) && q->dcrit > 0)
            plot_buf_printf_(b, "; that depth is %.2f × its critical depth", q->depth / q->dcrit);
        plot_buf_puts_(b, ".");
        if (p->sweep_ok)
            plot_buf_printf_(b,
                             " Across the budgets D* ∝ C<sup>%.3f</sup> and W* ∝ C<sup>%.3f</sup> "
                             "(the paper claims 0.12 and 0.34; with the paper's own α and δ no law "
                             "gives both: see the README).",
                             p->slope[0], p->slope[1]);
        plot_buf_puts_(b, "</li>\n");
    }
    plot_buf_puts_(b, "</ul>\n");
}

// ----------------------------------------------------------------------------
// figures on the page

static void figure_html_(PlotBuf *b, const char *dir, PlotKind k, int rc, const PlotResult *res,
                         const char *why) {
    char id[32];
    snprintf(id, sizeof id, "fig-%s", plot_kind_name(k));
    if (rc == DW_OK && res->rendered) {
        plot_buf_printf_(b, "<figure id=\"%s\"><img src=\"", id);
        H(b, base_(res->image));
        plot_buf_printf_(b, "\" width=\"%d\" height=\"%d\" alt=\"", res->width_px, res->height_px);
        H(b, res->title);
        plot_buf_puts_(b, "\">\n<figcaption><b>");
        H(b, res->title);
        plot_buf_puts_(b, ".</b> ");
        H(b, res->caption);
        plot_buf_puts_(b, " <span class=\"meta\">[<a href=\"");
        H(b, base_(res->script));
        plot_buf_puts_(b, "\">gnuplot script</a>");
        for (int q = 0; q < res->nfiles; q++) {
            plot_buf_puts_(b, " · <a href=\"");
            H(b, res->files[q]);
            plot_buf_puts_(b, "\">");
            H(b, res->files[q]);
            plot_buf_puts_(b, "</a>");
        }
        plot_buf_puts_(b, "]</span>");
        if (res->notes[0]) {
            plot_buf_puts_(b, "<br><span class=\"note\">Notes: ");
            H(b, res->notes);
            plot_buf_puts_(b, ".</span>");
        }
        plot_buf_puts_(b, "</figcaption></figure>\n");
        return;
    }
    plot_buf_printf_(b, "<div class=\"skip\" id=\"%s\"><b>%s</b>: not drawn. ", id,
                     plot_kind_name(k));
    H(b, why);
    if (res->written) {
        /* the script and data exist: link them so the figure can be drawn by hand */
        struct stat st;
        char path[PLOT_PATH_MAX + 160];
        snprintf(path, sizeof path, "%s/%s", dir, base_(res->script));
        if (stat(path, &st) == 0) {
            plot_buf_puts_(b, " The <a href=\"");
            H(b, base_(res->script));
            plot_buf_puts_(b, "\">gnuplot script</a> and its data are written: run <code>gnuplot ");
            H(b, base_(res->script));
            plot_buf_puts_(b, "</code> in this directory.");
        }
    }
    plot_buf_puts_(b, "</div>\n");
}

// ----------------------------------------------------------------------------
// entry point

int plot_report(const PlotReportSpec *spec, const char *dir, PlotReportResult *out) {
    static const PlotKind order[PLOT_NKINDS] = {PLOT_DEPTH,  PLOT_DCRIT,   PLOT_GRADIENTS, PLOT_TAU,
                                                PLOT_PARITY, PLOT_ISOFLOP, PLOT_FRONTIER};
    const PlotRuns *r = spec->runs;
    const Law *law = spec->law;
    PlotBuf b = {0};
    Analyses an;
    PlannerOut po;
    PlotFormFit *ff = NULL;
    int nf = 0, rc, any_fail = 0;
    char why_forms[320] = "", verdict[400] = "", date[32];
    PlotResult res[PLOT_NKINDS];
    int frc[PLOT_NKINDS];
    char fwhy[PLOT_NKINDS][1024];
    PlotModel models[3];
    const char *fmt = spec->format && !strcmp(spec->format, "svg") ? "svg" : "png";
    double clo = spec->c_lo > 0 ? spec->c_lo : 1e18, chi = spec->c_hi > clo ? spec->c_hi : 1e24;

    memset(out, 0, sizeof *out);
    memset(&an, 0, sizeof an);
    if (!r && !law) return dw_error_set(DW_EINVAL, "a report needs run data, a law, or both");
    if ((rc = mkdirs_(dir))) return rc;
    if ((rc = analyses_run_(r, &an))) goto out;

    /* the form comparison */
    if (r && r->has_loss && r->n >= 3) {
        int frc_ =
            plot_fit_forms(r, spec->compare, spec->objective, spec->huber_delta, spec->n_from_shape,
                           spec->cv, spec->progress, spec->progress_ctx, &ff, &nf);
        if (frc_ == DW_ENOMEM) {
            rc = frc_;
            goto out;
        }
        if (frc_) snprintf(why_forms, sizeof why_forms, "%s", dw_error_get());
    } else {
        snprintf(why_forms, sizeof why_forms, "%s",
                 !r             ? "no run data"
                 : !r->has_loss ? "the data have no loss column"
                                : "fewer than 3 runs");
    }
    dw_error_clear();
    if (law) {
        progress_(spec, "planning at %d budgets", (int)lround(log10(chi / clo)) + 1);
        planner_run_(law, clo, chi, &po);
    } else {
        memset(&po, 0, sizeof po);
    }

    /* figures */
    int nm = 0;
    if (ff) {
        /* parity panels: the best form with a depth-width term and the best without */
        int shape_done = 0, plain_done = 0;
        for (int k = 0; k < nf && nm < 2; k++) {
            if (!ff[k].ok) continue;
            int sh = law_form_has_shape(&ff[k].law->form);
            if ((sh && shape_done) || (!sh && plain_done)) continue;
            if (sh)
                shape_done = 1;
            else
                plain_done = 1;
            snprintf(models[nm].label, sizeof models[nm].label, "%.60s (fitted here)", ff[k].form);
            models[nm].law = ff[k].law;
            models[nm].n_from_shape = spec->n_from_shape;
            nm++;
        }
    }
    PlotSpec ps = {.runs = r,
                   .law = law,
                   .n_from_shape = spec->n_from_shape,
                   .models = models,
                   .nmodels = nm,
                   .c_lo = clo,
                   .c_hi = chi};
    for (int q = 0; q < PLOT_NKINDS; q++) {
        PlotKind k = order[q];
        char img[PLOT_PATH_MAX + 64];
        if (snprintf(img, sizeof img, "%s/%s.%s", dir, plot_kind_name(k), fmt) >= (int)sizeof img) {
            rc = dw_error_set(DW_EINVAL, "%.64s...: path too long", dir);
            goto out;
        }
        progress_(spec, "figure %s", plot_kind_name(k));
        frc[k] = plot_make(k, &ps, img, &res[k]);
        snprintf(fwhy[k], sizeof fwhy[k], "%s", frc[k] ? dw_error_get() : "");
        dw_error_clear();
        out->nfigures++;
        if (frc[k] == DW_OK) {
            out->nrendered++;
        } else if (frc[k] == DW_EINVAL && !res[k].written) {
            out->nskipped++;
        } else {
            out->nfailed++;
            any_fail = 1;
        }
        if (frc[k] != DW_OK) {
            size_t L = strlen(out->notes);
            if (strstr(fwhy[k], "gnuplot not found"))
                snprintf(out->notes + L, sizeof out->notes - L,
                         "%s: gnuplot not found (script "
                         "and data written)\n",
                         plot_kind_name(k));
            else {
                /* messages of plot_make name the figure already ("tau: ...") */
                const char *m = fwhy[k];
                size_t kl = strlen(plot_kind_name(k));
                if (!strncmp(m, plot_kind_name(k), kl) && !strncmp(m + kl, ": ", 2)) m += kl + 2;
                snprintf(out->notes + L, sizeof out->notes - L, "%s: %s\n", plot_kind_name(k), m);
            }
        }
        if (frc[k] == DW_ENOMEM) {
            rc = frc[k];
            goto out;
        }
    }

    /* the page */
    verdict_(ff, nf, verdict, sizeof verdict);
    dw_utc_now(date);
    plot_buf_puts_(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                       "<title>dwplan report");
    if (r) {
        plot_buf_puts_(&b, ": ");
        H(&b, base_(r->path));
    }
    plot_buf_printf_(&b, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>dwplan report</h1>\n",
                     css_);
    plot_buf_puts_(&b, "<p class=\"meta\">");
    if (r) {
        plot_buf_puts_(&b, "Data: <code>");
        H(&b, r->path);
        plot_buf_printf_(&b, "</code>, %d runs used", r->n);
        if (r->nskipped_status)
            plot_buf_printf_(&b, " (%d more left out: status not ok)", r->nskipped_status);
        plot_buf_printf_(&b, ", %d shapes; loss column <code>", r->ngroups);
        H(&b, r->col_loss[0] ? r->col_loss : "none");
        plot_buf_puts_(&b, "</code>");
        if (r->sha256[0]) plot_buf_printf_(&b, "; sha256 %.16s…", r->sha256);
        plot_buf_puts_(&b, ". ");
    }
    if (law) {
        char form[96];
        law_form_text(&law->form, form, sizeof form);
        plot_buf_puts_(&b, "Law: ");
        H(&b, law->name[0] ? law->name : "law");
        plot_buf_puts_(&b, " (<code>");
        H(&b, form);
        plot_buf_puts_(&b, "</code>). ");
    }
    plot_buf_printf_(&b, "Made by dwplan %s on %s.", DWPLAN_VERSION, date);
    if (spec->command) {
        plot_buf_puts_(&b, "<br>Command: <code>");
        H(&b, spec->command);
        plot_buf_puts_(&b, "</code>");
    }
    plot_buf_puts_(
        &b, "</p>\n<p class=\"meta\">Sections: <a href=\"#summary\">summary</a> · "
            "<a href=\"#figures\">figures</a> · <a href=\"#law\">law</a> · "
            "<a href=\"#depth\">persistence and critical depth</a> · "
            "<a href=\"#forms\">form comparison</a> · <a href=\"#planner\">planner</a></p>\n");
    narrative_(&b, r, law, &an, verdict, &po, &res[PLOT_PARITY]);

    plot_buf_printf_(&b,
                     "<h2 id=\"figures\">Figures</h2>\n<p>%d of %d figures drawn. Each image has "
                     "its gnuplot script and data beside it: edit the script (line styles, size, "
                     "fonts are at its top) and run <code>gnuplot NAME.gp</code> in this directory "
                     "to redraw it. One colour per width in every figure.</p>\n",
                     out->nrendered, out->nfigures);
    for (int q = 0; q < PLOT_NKINDS; q++)
        figure_html_(&b, dir, order[q], frc[order[q]], &res[order[q]], fwhy[order[q]]);

    if (law)
        law_section_(&b, law, spec->law_origin);
    else
        plot_buf_puts_(&b,
                       "<h2 id=\"law\">The law</h2>\n<p>No law given (<code>--law FILE</code> or "
                       "a preset): the figures and tables that need one are left out.</p>\n");
    depth_section_(&b, r, &an);
    if (r)
        forms_section_(&b, r, ff, nf, why_forms, verdict);
    else
        plot_buf_puts_(&b, "<h2 id=\"forms\">Form comparison</h2>\n<p>No run data.</p>\n");
    planner_section_(&b, law, &po);
    plot_buf_puts_(&b,
                   "<hr>\n<p class=\"meta\">dwplan report: figures by gnuplot; fits by dwplan's "
                   "fitter (grid of starts, GSL refinement); critical depth and persistence by "
                   "least squares (fit/persist.h); plans by the planner (planner/plan.h).</p>\n"
                   "</body>\n</html>\n");
    if (snprintf(out->index, sizeof out->index, "%s/index.html", dir) >= (int)sizeof out->index) {
        rc = dw_error_set(DW_EINVAL, "%.64s...: path too long", dir);
        goto out;
    }
    if ((rc = plot_buf_write_(&b, out->index))) goto out;
    rc = DW_OK;
    if (any_fail) {
        /* name the first failure: with gnuplot missing, every figure fails the same way */
        for (int q = 0; q < PLOT_NKINDS; q++) {
            PlotKind k = order[q];
            if (frc[k] != DW_OK && !(frc[k] == DW_EINVAL && !res[k].written)) {
                rc = dw_error_set(DW_EIO,
                                  "%d figure%s not drawn (%s): %s; %s written without "
                                  "them",
                                  out->nfailed, out->nfailed == 1 ? "" : "s", plot_kind_name(k),
                                  fwhy[k], out->index);
                break;
            }
        }
    }
out:
    plot_buf_free_(&b);
    plot_form_fits_free(ff, nf);
    analyses_free_(&an);
    return rc;
}
