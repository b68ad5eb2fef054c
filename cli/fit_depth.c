/* cli/fit_depth.c — `dwplan fit DATA --critical-depth [--json]`: renders the depth analysis
 * (fit/depth.h: τ per run, τ(W) as a power law and a log form, the loss-vs-depth curve and
 * D_crit per width, κ and (c, β)) with the paper's numbers (fit/paper.h) beside ours. Every
 * fitted number is printed with its standard error. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwfmt.h"
#include "common/dwjson.h"
#include "fit/paper.h"
#include "fit_render.h"
#include "report.h"

static const char *kind_name_(FitDcritKind k) {
    switch (k) {
    case FIT_DCRIT_INTERIOR: return "interior";
    case FIT_DCRIT_AT_SMALLEST: return "at_smallest";
    case FIT_DCRIT_AT_LARGEST: return "at_largest";
    default: return "too_few";
    }
}

/* A string, or null when empty. */
static void jstr_(cJSON *o, const char *name, const char *s) {
    if (s && *s) cJSON_AddStringToObject(o, name, s);
    else cJSON_AddNullToObject(o, name);
}

// ----------------------------------------------------------------------------
// JSON

static void json_tau_(cJSON *doc, const DsRuns *runs, const FitDepthReport *rep) {
    cJSON *arr = cJSON_AddArrayToObject(doc, "tau_runs");
    for (int i = 0; i < rep->nruns; i++) {
        const FitDepthRun *run = &rep->runs[i];
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, r);
        cJSON_AddNumberToObject(r, "line", runs->line[i]);
        cJSON_AddNumberToObject(r, "depth", runs->depth[i]);
        cJSON_AddNumberToObject(r, "width", runs->width[i]);
        if (run->has_grad) cJSON_AddNumberToObject(r, "nlayers", run->tau.nlayers);
        else cJSON_AddNullToObject(r, "nlayers");
        cJSON_AddBoolToObject(r, "ok", run->tau.ok);
        dw_json_add_num(r, "slope", run->tau.slope);
        dw_json_add_num(r, "slope_se", run->tau.slope_se);
        dw_json_add_num(r, "tau", run->tau.tau);
        dw_json_add_num(r, "tau_se", run->tau.tau_se);
        dw_json_add_num(r, "r2", run->tau.r2);
        jstr_(r, "why", run->tau.why);
    }
    const FitTauWidth *tw = &rep->tw;
    cJSON *o = cJSON_AddObjectToObject(doc, "tau_width");
    cJSON_AddBoolToObject(o, "ok", rep->tw_ok);
    cJSON_AddNumberToObject(o, "n", rep->has_grad ? tw->n : 0);
    cJSON_AddNumberToObject(o, "nskipped", rep->has_grad ? tw->nskipped : rep->nruns);
    cJSON_AddNumberToObject(o, "nwidths", rep->has_grad ? tw->nwidths : 0);
    if (rep->tw_ok) {
        cJSON *p = cJSON_AddObjectToObject(o, "power");
        dw_json_add_num(p, "t0", tw->t0);
        dw_json_add_num(p, "t0_se", tw->t0_se);
        dw_json_add_num(p, "beta", tw->beta);
        dw_json_add_num(p, "beta_se", tw->beta_se);
        dw_json_add_num(p, "r2", tw->r2_power);
        dw_json_add_num(p, "r2_tau", tw->r2_power_tau);
        cJSON *l = cJSON_AddObjectToObject(o, "log");
        dw_json_add_num(l, "a", tw->a);
        dw_json_add_num(l, "a_se", tw->a_se);
        dw_json_add_num(l, "b", tw->b);
        dw_json_add_num(l, "b_se", tw->b_se);
        dw_json_add_num(l, "r2", tw->r2_log);
    } else {
        cJSON_AddNullToObject(o, "power");
        cJSON_AddNullToObject(o, "log");
    }
    jstr_(o, "why", rep->tw_ok ? "" : rep->tw_why);
    cJSON *pp = cJSON_AddObjectToObject(o, "paper");
    cJSON_AddNumberToObject(pp, "beta", FIT_PAPER_TAU_BETA);
    cJSON_AddNumberToObject(pp, "r2_power", FIT_PAPER_TAU_R2_POWER);
    cJSON_AddNumberToObject(pp, "r2_log", FIT_PAPER_TAU_R2_LOG);
}

static void json_dcrit_(cJSON *doc, const FitDepthReport *rep) {
    cJSON *da = cJSON_AddArrayToObject(doc, "dcrit");
    for (int k = 0; k < rep->nwidths; k++) {
        const FitDcrit *dc = &rep->widths[k].dc;
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToArray(da, r);
        dw_json_add_num(r, "width", dc->width);
        dw_json_add_num(r, "tokens", dc->tokens);
        cJSON_AddNumberToObject(r, "ndepths", dc->ndepths);
        cJSON_AddNumberToObject(r, "nruns", dc->nruns);
        cJSON_AddNumberToObject(r, "ndropped", dc->ndropped);
        cJSON_AddStringToObject(r, "kind", kind_name_(dc->kind));
        dw_json_add_num(r, "dcrit", dc->dcrit);
        dw_json_add_num(r, "lo", dc->lo);
        dw_json_add_num(r, "hi", dc->hi);
        dw_json_add_num(r, "loss_at_min", dc->loss_at_min);
        dw_json_add_num(r, "depth_at_min", dc->depth_at_min);
        jstr_(r, "why", dc->why);
        char ut[320];
        cJSON_AddStringToObject(r, "ucurve", fit_ucurve_name(dc->verdict));
        cJSON_AddBoolToObject(r, "ucurve_found", dc->verdict == FIT_UCURVE_BEYOND_NOISE ||
                                                     dc->verdict == FIT_UCURVE_NOISE_UNKNOWN);
        dw_json_add_num(r, "rise_shallow", dc->rise_shallow);
        dw_json_add_num(r, "rise_shallow_se", dc->rise_shallow_se);
        dw_json_add_num(r, "rise_deep", dc->rise_deep);
        dw_json_add_num(r, "rise_deep_se", dc->rise_deep_se);
        jstr_(r, "ucurve_text", fit_ucurve_text(dc, &rep->noise, ut, sizeof ut));
        cJSON *cv = cJSON_AddArrayToObject(r, "curve");
        for (int q = 0; q < rep->widths[k].ncurve; q++) {
            const FitDepthPoint *p = &rep->widths[k].curve[q];
            cJSON *pt = cJSON_CreateObject();
            cJSON_AddItemToArray(cv, pt);
            cJSON_AddNumberToObject(pt, "depth", p->depth);
            cJSON_AddNumberToObject(pt, "loss", p->loss);
            cJSON_AddNumberToObject(pt, "nruns", p->nruns);
        }
    }
    const FitNoise *nz = &rep->noise;
    cJSON *no = cJSON_AddObjectToObject(doc, "noise");
    cJSON_AddBoolToObject(no, "known", nz->df > 0);
    dw_json_add_num(no, "sd", nz->sd);
    cJSON_AddNumberToObject(no, "df", nz->df);
    cJSON_AddNumberToObject(no, "nconfigs", nz->nconfigs);
    cJSON_AddNumberToObject(no, "nrepeated", nz->nrepeated);
    cJSON_AddNumberToObject(no, "nruns_repeated", nz->nruns_repeated);
    cJSON_AddNumberToObject(no, "se_mult", FIT_UCURVE_SE_MULT);
    const FitKappa *kp = &rep->kp;
    cJSON *ko = cJSON_AddObjectToObject(doc, "kappa");
    cJSON_AddBoolToObject(ko, "ok", rep->kp_ok);
    cJSON_AddNumberToObject(ko, "nwidths", rep->dcrit_ok ? kp->nwidths : 0);
    cJSON_AddNumberToObject(ko, "nwidths_interior", rep->ninterior);
    cJSON_AddNumberToObject(ko, "nwidths_beyond_noise", rep->nbeyond);
    cJSON_AddNumberToObject(ko, "nwidths_within_noise", rep->nwithin);
    cJSON_AddNumberToObject(ko, "nwidths_noise_unknown", rep->nunknown);
    if (rep->kp_ok) {
        dw_json_add_num(ko, "kappa", kp->kappa);
        dw_json_add_num(ko, "kappa_se", kp->kappa_se);
        dw_json_add_num(ko, "r2", kp->r2_kappa);
        if (kp->has_power) {
            cJSON *p = cJSON_AddObjectToObject(ko, "power");
            dw_json_add_num(p, "c", kp->c);
            dw_json_add_num(p, "c_se", kp->c_se);
            dw_json_add_num(p, "beta", kp->beta);
            dw_json_add_num(p, "beta_se", kp->beta_se);
            dw_json_add_num(p, "r2", kp->r2_power);
        } else {
            cJSON_AddNullToObject(ko, "power");
        }
        jstr_(ko, "why", kp->why);
    } else {
        cJSON_AddNullToObject(ko, "kappa");
        cJSON_AddNullToObject(ko, "kappa_se");
        cJSON_AddNullToObject(ko, "r2");
        cJSON_AddNullToObject(ko, "power");
        jstr_(ko, "why", rep->kp_why);
    }
    cJSON *kpp = cJSON_AddObjectToObject(ko, "paper");
    cJSON_AddNumberToObject(kpp, "kappa", FIT_PAPER_KAPPA);
    cJSON_AddNumberToObject(kpp, "beta", FIT_PAPER_DCRIT_BETA);
}

static int json_(const DsRuns *runs, const FitDepthReport *rep) {
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "file", runs->path);
    cJSON *cols = cJSON_AddObjectToObject(doc, "columns");
    static const DsRunsField shown[] = {DS_RUNS_DEPTH, DS_RUNS_WIDTH, DS_RUNS_TOKENS,
                                        DS_RUNS_LOSS, DS_RUNS_GRAD};
    for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++)
        jstr_(cols, ds_runs_field_name(shown[k]), runs->col[shown[k]]);
    cJSON_AddNumberToObject(doc, "runs", rep->nruns);
    cJSON_AddNumberToObject(doc, "runs_skipped_status", rep->nskipped_status);
    cJSON_AddNumberToObject(doc, "runs_without_tokens", rep->nno_tokens);
    json_tau_(doc, runs, rep);
    json_dcrit_(doc, rep);
    cJSON_AddBoolToObject(doc, "estimated", rep->estimated);
    return report_print_json(doc);
}

// ----------------------------------------------------------------------------
// text

static void text_tau_(const DsRuns *runs, const FitDepthReport *rep) {
    char b1[64], b2[64], b3[64], b4[64];
    printf("\nGradient persistence per run: ln g_l = a + l/tau, layer l = 0 at the input "
           "(± 1 SE)\n");
    if (!rep->has_grad) {
        printf("  no grad_norms column (map one with --map grad_norms=COLUMN)\n");
    } else {
        printf("  %6s %6s %6s %7s  %-20s %s\n", "line", "depth", "width", "layers", "tau", "R²");
        for (int i = 0; i < rep->nruns; i++) {
            const FitDepthRun *run = &rep->runs[i];
            char lay[16] = "-";
            if (run->has_grad) snprintf(lay, sizeof lay, "%d", run->tau.nlayers);
            if (run->tau.ok)
                printf("  %6d %6g %6g %7s  %-20s %s\n", runs->line[i], runs->depth[i],
                       runs->width[i], lay, dw_fmt_pm(run->tau.tau, run->tau.tau_se, b1, sizeof b1),
                       dw_fmt_stat(run->tau.r2, b2, sizeof b2));
            else
                printf("  %6d %6g %6g %7s  no tau: %s\n", runs->line[i], runs->depth[i],
                       runs->width[i], lay, run->tau.why);
        }
    }
    const FitTauWidth *tw = &rep->tw;
    printf("\nPersistence length vs width, tau(W) (± 1 SE):\n");
    if (rep->has_grad) {
        printf("  %d run%s with a tau at %d width%s", tw->n, tw->n == 1 ? "" : "s", tw->nwidths,
               tw->nwidths == 1 ? "" : "s");
        if (tw->nskipped) {
            const char *sep = "";
            printf("; %d skipped (", tw->nskipped);
            if (rep->nruns - rep->ngrad)
                printf("%s%d without grad_norms", sep, rep->nruns - rep->ngrad), sep = ", ";
            if (rep->nfew) printf("%s%d with < 3 layers", sep, rep->nfew), sep = ", ";
            if (rep->nnodecay) printf("%s%d without decay toward the input", sep, rep->nnodecay);
            printf(")");
        }
        printf("\n");
    }
    if (rep->tw_ok) {
        printf("  power  tau = t0·W^beta    t0 = %s   beta = %s   R² %s on ln tau (%s on tau)\n",
               dw_fmt_pm(tw->t0, tw->t0_se, b1, sizeof b1),
               dw_fmt_pm(tw->beta, tw->beta_se, b2, sizeof b2),
               dw_fmt_stat(tw->r2_power, b3, sizeof b3), dw_fmt_stat(tw->r2_power_tau, b4, sizeof b4));
        printf("  log    tau = a + b·ln W   a = %s   b = %s   R² %s on tau\n",
               dw_fmt_pm(tw->a, tw->a_se, b1, sizeof b1), dw_fmt_pm(tw->b, tw->b_se, b2, sizeof b2),
               dw_fmt_stat(tw->r2_log, b3, sizeof b3));
    } else {
        printf("  not estimated: %s\n", rep->tw_why);
    }
    printf("  paper: beta ≈ %.2f, R² %.2f (power) vs %.2f (log)\n", FIT_PAPER_TAU_BETA,
           FIT_PAPER_TAU_R2_POWER, FIT_PAPER_TAU_R2_LOG);
}

static void text_width_(const FitDepthWidth *w, const FitNoise *nz) {
    const FitDcrit *r = &w->dc;
    char tk[96] = "", b1[64];
    if (isfinite(r->tokens)) snprintf(tk, sizeof tk, ", tokens %s", dw_fmt_sci(r->tokens, b1, sizeof b1));
    printf("  W = %g%s: %d depth%s, %d run%s", r->width, tk, r->ndepths, r->ndepths == 1 ? "" : "s",
           r->nruns, r->nruns == 1 ? "" : "s");
    if (r->ndropped)
        printf(" (%d run%s at other token counts left out)", r->ndropped, r->ndropped == 1 ? "" : "s");
    printf("\n    depth");
    for (int q = 0; q < w->ncurve; q++) printf(" %7g", w->curve[q].depth);
    printf("\n    loss ");
    for (int q = 0; q < w->ncurve; q++) printf(" %7.4f", w->curve[q].loss);
    printf("\n");
    if (r->kind == FIT_DCRIT_INTERIOR)
        printf("    D_crit = %.2f (parabola in ln D through depths %g, %g, %g; no SE: lies "
               "between %g and %g), loss %.4f there\n",
               r->dcrit, r->lo, r->depth_at_min, r->hi, r->lo, r->hi, r->loss_at_min);
    if (r->kind == FIT_DCRIT_INTERIOR) {
        char ut[320];
        fit_ucurve_text(r, nz, ut, sizeof ut);
        printf("    %s: %s\n",
               r->verdict == FIT_UCURVE_BEYOND_NOISE   ? "U-curve found"
               : r->verdict == FIT_UCURVE_WITHIN_NOISE ? "not beyond noise, left out of kappa"
                                                       : "U-curve found",
               ut);
    } else
        printf("    %s\n", r->why);
}

static void text_dcrit_(const FitDepthReport *rep) {
    char b1[64], b2[64], b3[64];
    printf("\nLoss vs depth per width (mean over runs at a depth; one token count per width)\n");
    if (!rep->has_loss) printf("  no loss column (map one with --map loss=COLUMN)\n");
    else if (!rep->dcrit_ok) printf("  not estimated: %s\n", rep->dcrit_why);
    if (rep->has_loss && !rep->has_tokens)
        printf("  no tokens column: every run is taken as trained on the same token count\n");
    if (rep->nno_tokens)
        printf("  %d run%s without a token count left out\n", rep->nno_tokens,
               rep->nno_tokens == 1 ? "" : "s");
    const FitNoise *nz = &rep->noise;
    if (rep->dcrit_ok && nz->df > 0)
        printf("  run-to-run noise: loss SD %.4g, pooled over %d configuration%s run more than "
               "once (%d runs, %d df); an interior minimum is a U-curve when the loss rises by "
               "more than %g SE toward both the shallowest and the deepest depth\n",
               nz->sd, nz->nrepeated, nz->nrepeated == 1 ? "" : "s", nz->nruns_repeated, nz->df,
               FIT_UCURVE_SE_MULT);
    else if (rep->dcrit_ok)
        printf("  run-to-run noise: unknown (one run per configuration): interior minima are "
               "not compared with it; repeat configurations (seeds) to judge them\n");
    for (int k = 0; k < rep->nwidths; k++) text_width_(&rep->widths[k], nz);
    const FitKappa *kp = &rep->kp;
    printf("\nCritical depth across widths (± 1 SE; R² centred, 1 - SSR/SST):\n");
    if (!rep->kp_ok) {
        printf("  not estimated: %s\n", rep->kp_why);
        return;
    }
    printf("  %d width%s with a U-curve found (%s)", kp->nwidths, kp->nwidths == 1 ? "" : "s",
           nz->df > 0 ? "beyond the run-to-run noise" : "noise unknown");
    if (rep->nwithin)
        printf("; %d width%s with an interior minimum within the noise left out", rep->nwithin,
               rep->nwithin == 1 ? "" : "s");
    printf("\n");
    printf("  D_crit = kappa·ln W   kappa = %s   R² %s   paper: kappa = %.2f\n",
           dw_fmt_pm(kp->kappa, kp->kappa_se, b1, sizeof b1), dw_fmt_stat(kp->r2_kappa, b2, sizeof b2),
           FIT_PAPER_KAPPA);
    if (kp->has_power)
        printf("  D_crit = c·W^beta     c = %s   beta = %s   R² %s on ln D_crit   paper: D_crit "
               "∝ W^%.2f\n",
               dw_fmt_pm(kp->c, kp->c_se, b1, sizeof b1), dw_fmt_pm(kp->beta, kp->beta_se, b2, sizeof b2),
               dw_fmt_stat(kp->r2_power, b3, sizeof b3), FIT_PAPER_DCRIT_BETA);
    else
        printf("  D_crit = c·W^beta     not estimated: %s\n", kp->why);
}

int cli_render_depth(const DsRuns *runs, const FitDepthReport *rep, int json) {
    if (json) return json_(runs, rep);
    printf("critical depth: %s, %d run%s\n", runs->path, rep->nruns, rep->nruns == 1 ? "" : "s");
    cli_print_columns(stdout, runs);
    text_tau_(runs, rep);
    text_dcrit_(rep);
    return 0;
}
