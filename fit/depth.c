/* fit/depth.c — the depth analysis of a run table (depth.h): τ per run, τ(W), D_crit per
 * width with its curve, κ and (c, β), and what was left out and why. */
#include "depth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dw.h"

void fit_depth_report_free(FitDepthReport *rep) {
    if (!rep) return;
    for (int k = 0; rep->widths && k < rep->nwidths; k++) free(rep->widths[k].curve);
    free(rep->widths);
    free(rep->runs);
    free(rep->row_width);
    memset(rep, 0, sizeof *rep);
}

// ----------------------------------------------------------------------------
// gradient persistence

static int tau_(const DsRuns *r, FitDepthReport *rep) {
    double *tau = malloc(sizeof *tau * (size_t)(r->n > 0 ? r->n : 1));
    if (!tau) return dw_error_set(DW_ENOMEM, "out of memory");
    for (int i = 0; i < r->n; i++) {
        FitDepthRun *run = &rep->runs[i];
        run->row = i;
        run->tau = (FitTauRun){.slope = NAN, .slope_se = NAN, .intercept = NAN, .tau = NAN,
                               .tau_se = NAN, .r2 = NAN};
        tau[i] = NAN;
        if (!(r->has_grad && r->ngrad[i] > 0)) {
            snprintf(run->tau.why, sizeof run->tau.why, "no grad_norms recorded");
            continue;
        }
        run->has_grad = 1;
        rep->ngrad++;
        int rc = fit_tau_run(r->grad[i], r->ngrad[i], &run->tau);
        if (rc == DW_ENOMEM) {
            free(tau);
            return rc;
        }
        run->tau.nlayers = r->ngrad[i];
        if (run->tau.ok) tau[i] = run->tau.tau, rep->ntau++;
        else if (r->ngrad[i] < 3) rep->nfew++;
        else rep->nnodecay++;
    }
    if (!r->has_grad) {
        snprintf(rep->tw_why, sizeof rep->tw_why, "no grad_norms column");
    } else if (fit_tau_width(r->width, tau, r->n, &rep->tw) == DW_OK) {
        rep->tw_ok = 1;
    } else {
        snprintf(rep->tw_why, sizeof rep->tw_why, "%s", dw_error_get());
    }
    free(tau);
    return DW_OK;
}

// ----------------------------------------------------------------------------
// critical depth

static int cmp_double_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The rows of width k at its token count, their curve (mean loss per depth, ascending). */
static int curve_(const DsRuns *r, const int *use, int use_tok, FitDepthReport *rep, int k) {
    FitDepthWidth *w = &rep->widths[k];
    double *ud = malloc(sizeof *ud * (size_t)r->n);
    if (!ud) return dw_error_set(DW_ENOMEM, "out of memory");
    int nd = 0;
    for (int i = 0; i < r->n; i++) {
        if (!use[i] || r->width[i] != w->dc.width) continue;
        if (use_tok && !fit_same_tokens(r->tokens[i], w->dc.tokens)) continue;
        rep->row_width[i] = k;
        ud[nd++] = r->depth[i];
    }
    qsort(ud, (size_t)nd, sizeof *ud, cmp_double_);
    int m = 0;
    for (int q = 0; q < nd; q++)
        if (m == 0 || ud[q] != ud[m - 1]) ud[m++] = ud[q];
    if (!(w->curve = calloc((size_t)(m > 0 ? m : 1), sizeof *w->curve))) {
        free(ud);
        return dw_error_set(DW_ENOMEM, "out of memory");
    }
    w->ncurve = m;
    for (int q = 0; q < m; q++) w->curve[q].depth = ud[q];
    for (int i = 0; i < r->n; i++) {
        if (rep->row_width[i] != k) continue;
        for (int q = 0; q < m; q++)
            if (w->curve[q].depth == r->depth[i]) w->curve[q].loss += r->loss[i], w->curve[q].nruns++;
    }
    for (int q = 0; q < m; q++) w->curve[q].loss /= w->curve[q].nruns;
    free(ud);
    return DW_OK;
}

/* Each interior minimum against the run-to-run noise, then κ and (c, β) over the widths
 * > 1 with a U-curve found: beyond the noise, or any interior minimum when the noise is
 * unknown (fit_kappa decides whether there are enough). */
static void kappa_(FitDepthReport *rep, double *wk, double *dk) {
    int nk = 0;
    for (int k = 0; k < rep->nwidths; k++) {
        FitDcrit *dc = &rep->widths[k].dc;
        fit_dcrit_judge(dc, &rep->noise);
        rep->ninterior += dc->kind == FIT_DCRIT_INTERIOR;
        rep->nbeyond += dc->verdict == FIT_UCURVE_BEYOND_NOISE;
        rep->nwithin += dc->verdict == FIT_UCURVE_WITHIN_NOISE;
        rep->nunknown += dc->verdict == FIT_UCURVE_NOISE_UNKNOWN;
        int found = dc->verdict == FIT_UCURVE_BEYOND_NOISE ||
                    dc->verdict == FIT_UCURVE_NOISE_UNKNOWN;
        rep->nfound += found;
        if (found && dc->width > 1) wk[nk] = dc->width, dk[nk] = dc->dcrit, nk++;
    }
    if (nk == 0 && rep->nwithin > 0) {
        snprintf(rep->kp_why, sizeof rep->kp_why,
                 "no width has a loss minimum beyond the run-to-run noise (%d interior "
                 "minim%s within it)",
                 rep->nwithin, rep->nwithin == 1 ? "um" : "a");
    } else if (nk == 0) {
        snprintf(rep->kp_why, sizeof rep->kp_why, "no width has an interior loss minimum");
    } else if (fit_kappa(wk, dk, nk, &rep->kp) == DW_OK) {
        rep->kp_ok = 1;
    } else {
        snprintf(rep->kp_why, sizeof rep->kp_why, "%s", dw_error_get());
    }
}

static int dcrit_(const DsRuns *r, FitDepthReport *rep) {
    int rc = DW_ENOMEM, m = 0, nw = 0;
    size_t n = (size_t)(r->n > 0 ? r->n : 1);
    int *use = calloc(n, sizeof *use);
    double *dep = malloc(n * sizeof *dep), *wid = malloc(n * sizeof *wid),
           *tok = malloc(n * sizeof *tok), *los = malloc(n * sizeof *los);
    FitDcrit *dc = calloc(n, sizeof *dc);
    if (!use || !dep || !wid || !tok || !los || !dc) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    for (int i = 0; i < r->n; i++) {
        if (rep->has_tokens && isnan(r->tokens[i])) {
            rep->nno_tokens++;
            continue;
        }
        use[i] = 1;
        dep[m] = r->depth[i], wid[m] = r->width[i], tok[m] = r->tokens[i], los[m] = r->loss[i];
        m++;
    }
    if (m == 0) {
        snprintf(rep->dcrit_why, sizeof rep->dcrit_why, "no run has a token count");
        rc = DW_OK;
        goto out;
    }
    if ((rc = fit_dcrit_all(dep, wid, rep->has_tokens ? tok : NULL, los, m, dc, &nw))) goto out;
    rc = DW_ENOMEM;
    if (!(rep->widths = calloc((size_t)nw, sizeof *rep->widths))) {
        dw_error_set(rc, "out of memory");
        goto out;
    }
    rep->nwidths = nw;
    for (int k = 0; k < nw; k++) {
        rep->widths[k].dc = dc[k];
        if ((rc = curve_(r, use, rep->has_tokens, rep, k))) goto out;
    }
    rep->dcrit_ok = 1;
    if ((rc = fit_noise_pooled(dep, wid, rep->has_tokens ? tok : NULL, los, m, &rep->noise)))
        goto out;
    kappa_(rep, dep, los); /* the row arrays are free for reuse as scratch */
    rc = DW_OK;
out:
    free(use), free(dep), free(wid), free(tok), free(los), free(dc);
    return rc;
}

// ----------------------------------------------------------------------------
// the analysis

int fit_depth_analyse(const DsRuns *r, FitDepthReport *out) {
    int rc;
    memset(out, 0, sizeof *out);
    out->noise.sd = NAN; /* no estimate until the D_crit analysis runs */
    if ((rc = ds_runs_need(r, DS_RUNS_BIT(DS_RUNS_DEPTH) | DS_RUNS_BIT(DS_RUNS_WIDTH),
                           DS_RUNS_BIT(DS_RUNS_LOSS) | DS_RUNS_BIT(DS_RUNS_GRAD), 0,
                           "the critical-depth analysis")))
        return rc;
    size_t n = (size_t)(r->n > 0 ? r->n : 1);
    out->nruns = r->n;
    out->nskipped_status = r->nskipped_status;
    out->has_grad = r->has_grad, out->has_loss = r->has_loss, out->has_tokens = r->has_tokens;
    out->runs = calloc(n, sizeof *out->runs);
    out->row_width = malloc(n * sizeof *out->row_width);
    if (!out->runs || !out->row_width) {
        fit_depth_report_free(out);
        return dw_error_set(DW_ENOMEM, "out of memory");
    }
    for (int i = 0; i < r->n; i++) out->row_width[i] = -1;
    if ((rc = tau_(r, out))) goto fail;
    if (!r->has_loss) snprintf(out->dcrit_why, sizeof out->dcrit_why, "no loss column");
    else if (r->n == 0) snprintf(out->dcrit_why, sizeof out->dcrit_why, "no runs");
    else if ((rc = dcrit_(r, out))) goto fail;
    if (!out->dcrit_ok) snprintf(out->kp_why, sizeof out->kp_why, "%s", out->dcrit_why);
    out->estimated = out->ntau > 0 || out->nfound > 0;
    dw_error_clear();
    return DW_OK;
fail:
    fit_depth_report_free(out);
    return rc;
}
