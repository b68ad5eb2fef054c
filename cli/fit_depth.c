/* cli/fit_depth.c — `dwplan fit DATA --critical-depth [--json]`: the paper's two depth
 * analyses (arXiv 2601.20994 §4.7–4.8) on a run table, by fit/persist.h:
 *
 *   1. gradient persistence: τ per run from its grad_norms, then τ(W) as a power law and
 *      as a log form (the paper: β ≈ 0.44, R² 0.98 vs 0.60);
 *   2. critical depth: the minimum of loss vs ln D per width at one token count, then
 *      D_crit = κ·ln W (the paper: κ = 2.43) and D_crit = c·W^β.
 *
 * Each analysis runs on what the table has: no grad_norms column → no τ; no loss → no
 * D_crit. Every fitted number is printed with its standard error.
 */
#include "fit_depth.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwjson.h"
#include "fit/persist.h"
#include "report.h"

/* The paper's numbers, printed next to ours. */
#define PAPER_TAU_BETA 0.44
#define PAPER_TAU_R2_POWER 0.98
#define PAPER_TAU_R2_LOG 0.60
#define PAPER_KAPPA 2.43
#define PAPER_DCRIT_BETA 0.44

// ----------------------------------------------------------------------------
// helpers

/* The numeric value of a cell, or DW_EPARSE with "file:line: column 'c': ..." */
static int cell_num_(const char *path, const DsTable *t, int row, int col, int positive,
                     double *v) {
    const char *cell = ds_table_cell(t, row, col);
    const char *name = t->colnames[col];
    int line = t->line[row];
    *v = ds_table_num(t, row, col);
    if (!cell)
        return dw_error_set(DW_EPARSE, "%s:%d: column '%s': missing value", path, line, name);
    if (!isfinite(*v))
        return dw_error_set(DW_EPARSE, "%s:%d: column '%s': '%.40s' is not a finite number",
                            path, line, name, cell);
    if (positive && !(*v > 0))
        return dw_error_set(DW_EPARSE, "%s:%d: column '%s': value %g must be positive", path,
                            line, name, *v);
    return DW_OK;
}

/* "v ± se" with the SE to two significant digits and v to the same decimal place. */
static const char *pm_(char *buf, size_t n, double v, double se) {
    if (!isfinite(v)) snprintf(buf, n, "n/a");
    else if (!(se > 0) || !isfinite(se)) snprintf(buf, n, "%.6g ± %s", v, se == 0 ? "0" : "n/a");
    else {
        int dec = 1 - (int)floor(log10(se));
        if (dec > 6) snprintf(buf, n, "%.6g ± %.1e", v, se);
        else snprintf(buf, n, "%.*f ± %.*f", dec < 0 ? 0 : dec, v, dec < 0 ? 0 : dec, se);
    }
    return buf;
}

static const char *r2s_(char *buf, size_t n, double r2) {
    if (isfinite(r2)) snprintf(buf, n, "%.4f", r2);
    else snprintf(buf, n, "n/a");
    return buf;
}

/* Adds a number, or null when it is NaN/infinite (JSON has no NaN). */
static void jstr_(cJSON *o, const char *name, const char *s) {
    if (s && *s) cJSON_AddStringToObject(o, name, s);
    else cJSON_AddNullToObject(o, name);
}

static const char *kind_name_(FitDcritKind k) {
    switch (k) {
    case FIT_DCRIT_INTERIOR: return "interior";
    case FIT_DCRIT_AT_SMALLEST: return "at_smallest";
    case FIT_DCRIT_AT_LARGEST: return "at_largest";
    default: return "too_few";
    }
}

static int cmp_double_(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The curve behind one FitDcrit: distinct depths (ascending) and the mean loss at each, over
 * the rows at width w and (when tok) tokens within 1% of tref — the rule fit_dcrit_all uses. */
static int curve_(const double *dep, const double *wid, const double *tok, const double *los,
                  int n, double w, double tref, double *ud, double *ul, int *cnt) {
    int nd = 0;
    for (int i = 0; i < n; i++) {
        if (wid[i] != w || (tok && fabs(tok[i] - tref) > 0.01 * fmax(tok[i], tref))) continue;
        ud[nd++] = dep[i];
    }
    qsort(ud, (size_t)nd, sizeof *ud, cmp_double_);
    int m = 0;
    for (int k = 0; k < nd; k++)
        if (m == 0 || ud[k] != ud[m - 1]) ud[m++] = ud[k];
    for (int k = 0; k < m; k++) ul[k] = 0, cnt[k] = 0;
    for (int i = 0; i < n; i++) {
        if (wid[i] != w || (tok && fabs(tok[i] - tref) > 0.01 * fmax(tok[i], tref))) continue;
        for (int k = 0; k < m; k++)
            if (ud[k] == dep[i]) ul[k] += los[i], cnt[k]++;
    }
    for (int k = 0; k < m; k++) ul[k] /= cnt[k];
    return m;
}

// ----------------------------------------------------------------------------
// the analysis

int cli_fit_depth(const char *path, DsTable *t, const char *maps, int json) {
    static const char *const grad_aliases[] = {"grad_norms", NULL};
    int code = EXIT_SYSTEM, rc;
    int cdep, cwid, ctok, clos, cgrad, cstat = ds_table_col(t, "status");
    int n = t->nrows, m = 0, nstatus = 0;
    double *dep = NULL, *wid = NULL, *tok = NULL, *los = NULL, *tau = NULL, *g = NULL;
    double *ud = NULL, *ul = NULL, *wk = NULL, *dk = NULL;
    int *line = NULL, *has_g = NULL, *cnt = NULL;
    FitTauRun *tr = NULL;
    FitDcrit *dc = NULL;
    cJSON *doc = NULL;
    char b1[64], b2[64], b3[64], b4[64];

    if ((rc = ds_table_resolve(t, "depth", ds_aliases("depth"), maps, &cdep)) ||
        (rc = ds_table_resolve(t, "width", ds_aliases("width"), maps, &cwid)) ||
        (rc = ds_table_resolve(t, "tokens", ds_aliases("tokens"), maps, &ctok)) ||
        (rc = ds_table_resolve(t, "loss", ds_aliases("loss"), maps, &clos)) ||
        (rc = ds_table_resolve(t, "grad_norms", grad_aliases, maps, &cgrad)))
        return cli_fail("fit", rc);
    const char *missing = cdep < 0 ? "depth" : cwid < 0 ? "width" : NULL;
    if (missing) {
        dw_error_set(DW_EPARSE, "%s: no column for '%s' (use --map %s=COLUMN)", path, missing,
                     missing);
        return cli_fail("fit", DW_EPARSE);
    }
    if (clos < 0 && cgrad < 0) {
        dw_error_set(DW_EPARSE, "%s: no loss column and no grad_norms column: nothing to analyse "
                     "(use --map loss=COLUMN or --map grad_norms=COLUMN)", path);
        return cli_fail("fit", DW_EPARSE);
    }

    size_t k1 = (size_t)(n > 0 ? n : 1);
    dep = calloc(k1, sizeof *dep), wid = calloc(k1, sizeof *wid), tok = calloc(k1, sizeof *tok);
    los = calloc(k1, sizeof *los), tau = calloc(k1, sizeof *tau), ud = calloc(k1, sizeof *ud);
    ul = calloc(k1, sizeof *ul), wk = calloc(k1, sizeof *wk), dk = calloc(k1, sizeof *dk);
    line = calloc(k1, sizeof *line), has_g = calloc(k1, sizeof *has_g);
    cnt = calloc(k1, sizeof *cnt), tr = calloc(k1, sizeof *tr), dc = calloc(k1, sizeof *dc);
    if (!dep || !wid || !tok || !los || !tau || !ud || !ul || !wk || !dk || !line || !has_g ||
        !cnt || !tr || !dc) {
        fprintf(stderr, "dwplan fit: out of memory\n");
        goto out;
    }

    /* rows: runs that did not finish ("diverged", "failed") say nothing about depth */
    for (int j = 0; j < n; j++) {
        const char *st = cstat >= 0 ? ds_table_cell(t, j, cstat) : NULL;
        if (st && strcmp(st, "ok")) {
            nstatus++;
            continue;
        }
        if ((rc = cell_num_(path, t, j, cdep, 1, &dep[m])) ||
            (rc = cell_num_(path, t, j, cwid, 1, &wid[m])) ||
            (ctok >= 0 && (rc = cell_num_(path, t, j, ctok, 1, &tok[m]))) ||
            (clos >= 0 && (rc = cell_num_(path, t, j, clos, 1, &los[m])))) {
            code = cli_fail("fit", rc);
            goto out;
        }
        line[m] = t->line[j];
        tau[m] = NAN;
        tr[m] = (FitTauRun){.slope = NAN, .slope_se = NAN, .tau = NAN, .tau_se = NAN, .r2 = NAN};
        if (cgrad >= 0 && ds_table_cell(t, j, cgrad)) {
            int L;
            has_g[m] = 1;
            if ((rc = ds_table_array(t, j, cgrad, &g, &L))) {
                code = cli_fail("fit", rc);
                goto out;
            }
            rc = fit_tau_run(g, L, &tr[m]);
            free(g);
            g = NULL;
            if (rc == DW_ERANGE) { /* a zero, negative or non-finite norm: the data is bad */
                dw_error_set(DW_EPARSE, "%s:%d: column '%s': %s", path, t->line[j],
                             t->colnames[cgrad], tr[m].why);
                code = cli_fail("fit", DW_EPARSE);
                goto out;
            }
            if (rc == DW_ENOMEM) {
                code = cli_fail("fit", rc);
                goto out;
            }
            if (tr[m].ok) tau[m] = tr[m].tau;
        } else {
            snprintf(tr[m].why, sizeof tr[m].why, "no grad_norms recorded");
        }
        m++;
    }
    dw_error_clear();

    /* τ(W) */
    int ntau = 0, ngrad = 0, nfew = 0, nnodecay = 0;
    for (int i = 0; i < m; i++) {
        ntau += tr[i].ok;
        ngrad += has_g[i];
        nfew += has_g[i] && tr[i].nlayers < 3;
        nnodecay += has_g[i] && !tr[i].ok && tr[i].nlayers >= 3;
    }
    FitTauWidth tw = {0};
    int tw_rc = cgrad >= 0 ? fit_tau_width(wid, tau, m, &tw) : DW_EINVAL;
    char tw_why[256] = "";
    if (cgrad < 0) snprintf(tw_why, sizeof tw_why, "no grad_norms column");
    else if (tw_rc) snprintf(tw_why, sizeof tw_why, "%s", dw_error_get());
    dw_error_clear();

    /* D_crit per width, then κ and (c, β) */
    int nw = 0, ninterior = 0, dc_rc = DW_EINVAL;
    FitKappa kp = {0};
    int kp_rc = DW_EINVAL;
    char kp_why[256] = "";
    if (clos >= 0 && m > 0) {
        if ((dc_rc = fit_dcrit_all(dep, wid, ctok >= 0 ? tok : NULL, los, m, dc, &nw))) {
            code = cli_fail("fit", dc_rc);
            goto out;
        }
        for (int k = 0; k < nw; k++) {
            wk[k] = dc[k].width;
            dk[k] = dc[k].kind == FIT_DCRIT_INTERIOR ? dc[k].dcrit : NAN;
            ninterior += dc[k].kind == FIT_DCRIT_INTERIOR;
        }
        /* fit_kappa needs W > 1; a width of 1 cannot have ln W > 0 and is left out */
        int nk = 0;
        for (int k = 0; k < nw; k++)
            if (wk[k] > 1) wk[nk] = wk[k], dk[nk] = dk[k], nk++;
        kp_rc = fit_kappa(wk, dk, nk, &kp);
        if (kp_rc) snprintf(kp_why, sizeof kp_why, "%s", dw_error_get());
        dw_error_clear();
    } else {
        snprintf(kp_why, sizeof kp_why, clos < 0 ? "no loss column" : "no rows");
        memset(&kp, 0, sizeof kp);
    }
    int estimated = ntau > 0 || ninterior > 0;
    const char *cn_tok = ctok >= 0 ? t->colnames[ctok] : NULL;

    if (json) {
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "file", path);
        cJSON *cols = cJSON_AddObjectToObject(doc, "columns");
        jstr_(cols, "depth", t->colnames[cdep]);
        jstr_(cols, "width", t->colnames[cwid]);
        jstr_(cols, "tokens", cn_tok);
        jstr_(cols, "loss", clos >= 0 ? t->colnames[clos] : NULL);
        jstr_(cols, "grad_norms", cgrad >= 0 ? t->colnames[cgrad] : NULL);
        cJSON_AddNumberToObject(doc, "runs", m);
        cJSON_AddNumberToObject(doc, "runs_skipped_status", nstatus);

        cJSON *runs = cJSON_AddArrayToObject(doc, "tau_runs");
        for (int i = 0; i < m; i++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddItemToArray(runs, r);
            cJSON_AddNumberToObject(r, "line", line[i]);
            cJSON_AddNumberToObject(r, "depth", dep[i]);
            cJSON_AddNumberToObject(r, "width", wid[i]);
            if (has_g[i]) cJSON_AddNumberToObject(r, "nlayers", tr[i].nlayers);
            else cJSON_AddNullToObject(r, "nlayers");
            cJSON_AddBoolToObject(r, "ok", tr[i].ok);
            dw_json_add_num(r, "slope", tr[i].slope);
            dw_json_add_num(r, "slope_se", tr[i].slope_se);
            dw_json_add_num(r, "tau", tr[i].tau);
            dw_json_add_num(r, "tau_se", tr[i].tau_se);
            dw_json_add_num(r, "r2", tr[i].r2);
            jstr_(r, "why", tr[i].why);
        }

        cJSON *o = cJSON_AddObjectToObject(doc, "tau_width");
        cJSON_AddBoolToObject(o, "ok", tw_rc == DW_OK);
        cJSON_AddNumberToObject(o, "n", cgrad >= 0 ? tw.n : 0);
        cJSON_AddNumberToObject(o, "nskipped", cgrad >= 0 ? tw.nskipped : m);
        cJSON_AddNumberToObject(o, "nwidths", cgrad >= 0 ? tw.nwidths : 0);
        if (tw_rc == DW_OK) {
            cJSON *p = cJSON_AddObjectToObject(o, "power");
            dw_json_add_num(p, "t0", tw.t0);
            dw_json_add_num(p, "t0_se", tw.t0_se);
            dw_json_add_num(p, "beta", tw.beta);
            dw_json_add_num(p, "beta_se", tw.beta_se);
            dw_json_add_num(p, "r2", tw.r2_power);
            dw_json_add_num(p, "r2_tau", tw.r2_power_tau);
            cJSON *l = cJSON_AddObjectToObject(o, "log");
            dw_json_add_num(l, "a", tw.a);
            dw_json_add_num(l, "a_se", tw.a_se);
            dw_json_add_num(l, "b", tw.b);
            dw_json_add_num(l, "b_se", tw.b_se);
            dw_json_add_num(l, "r2", tw.r2_log);
        } else {
            cJSON_AddNullToObject(o, "power");
            cJSON_AddNullToObject(o, "log");
        }
        jstr_(o, "why", tw_why);
        cJSON *pp = cJSON_AddObjectToObject(o, "paper");
        cJSON_AddNumberToObject(pp, "beta", PAPER_TAU_BETA);
        cJSON_AddNumberToObject(pp, "r2_power", PAPER_TAU_R2_POWER);
        cJSON_AddNumberToObject(pp, "r2_log", PAPER_TAU_R2_LOG);

        cJSON *da = cJSON_AddArrayToObject(doc, "dcrit");
        for (int k = 0; k < nw; k++) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddItemToArray(da, r);
            dw_json_add_num(r, "width", dc[k].width);
            dw_json_add_num(r, "tokens", dc[k].tokens);
            cJSON_AddNumberToObject(r, "ndepths", dc[k].ndepths);
            cJSON_AddNumberToObject(r, "nruns", dc[k].nruns);
            cJSON_AddNumberToObject(r, "ndropped", dc[k].ndropped);
            cJSON_AddStringToObject(r, "kind", kind_name_(dc[k].kind));
            dw_json_add_num(r, "dcrit", dc[k].dcrit);
            dw_json_add_num(r, "lo", dc[k].lo);
            dw_json_add_num(r, "hi", dc[k].hi);
            dw_json_add_num(r, "loss_at_min", dc[k].loss_at_min);
            dw_json_add_num(r, "depth_at_min", dc[k].depth_at_min);
            jstr_(r, "why", dc[k].why);
            cJSON *cv = cJSON_AddArrayToObject(r, "curve");
            int nd = curve_(dep, wid, ctok >= 0 ? tok : NULL, los, m, dc[k].width, dc[k].tokens,
                            ud, ul, cnt);
            for (int q = 0; q < nd; q++) {
                cJSON *pt = cJSON_CreateObject();
                cJSON_AddItemToArray(cv, pt);
                cJSON_AddNumberToObject(pt, "depth", ud[q]);
                cJSON_AddNumberToObject(pt, "loss", ul[q]);
                cJSON_AddNumberToObject(pt, "nruns", cnt[q]);
            }
        }

        cJSON *ko = cJSON_AddObjectToObject(doc, "kappa");
        cJSON_AddBoolToObject(ko, "ok", kp_rc == DW_OK);
        cJSON_AddNumberToObject(ko, "nwidths", clos >= 0 && m > 0 ? kp.nwidths : 0);
        if (kp_rc == DW_OK) {
            dw_json_add_num(ko, "kappa", kp.kappa);
            dw_json_add_num(ko, "kappa_se", kp.kappa_se);
            dw_json_add_num(ko, "r2", kp.r2_kappa);
            if (kp.has_power) {
                cJSON *p = cJSON_AddObjectToObject(ko, "power");
                dw_json_add_num(p, "c", kp.c);
                dw_json_add_num(p, "c_se", kp.c_se);
                dw_json_add_num(p, "beta", kp.beta);
                dw_json_add_num(p, "beta_se", kp.beta_se);
                dw_json_add_num(p, "r2", kp.r2_power);
            } else {
                cJSON_AddNullToObject(ko, "power");
            }
            jstr_(ko, "why", kp.why);
        } else {
            cJSON_AddNullToObject(ko, "kappa");
            cJSON_AddNullToObject(ko, "kappa_se");
            cJSON_AddNullToObject(ko, "r2");
            cJSON_AddNullToObject(ko, "power");
            jstr_(ko, "why", kp_why);
        }
        cJSON *kpp = cJSON_AddObjectToObject(ko, "paper");
        cJSON_AddNumberToObject(kpp, "kappa", PAPER_KAPPA);
        cJSON_AddNumberToObject(kpp, "beta", PAPER_DCRIT_BETA);
        cJSON_AddBoolToObject(doc, "estimated", estimated);
        int prc = report_print_json(doc);
        doc = NULL;
        if (prc) {
            code = prc;
            goto out;
        }
    } else {
        printf("critical depth: %s, %d run%s", path, m, m == 1 ? "" : "s");
        if (nstatus) printf(" (%d more left out: status not \"ok\")", nstatus);
        printf("\ncolumns: depth '%s', width '%s', tokens %s%s%s, loss %s%s%s, gradients %s%s%s\n",
               t->colnames[cdep], t->colnames[cwid], cn_tok ? "'" : "", cn_tok ? cn_tok : "none",
               cn_tok ? "'" : "", clos >= 0 ? "'" : "", clos >= 0 ? t->colnames[clos] : "none",
               clos >= 0 ? "'" : "", cgrad >= 0 ? "'" : "",
               cgrad >= 0 ? t->colnames[cgrad] : "none", cgrad >= 0 ? "'" : "");

        printf("\nGradient persistence per run: ln g_l = a + l/tau, layer l = 0 at the input "
               "(± 1 SE)\n");
        if (cgrad < 0) printf("  no grad_norms column (map one with --map grad_norms=COLUMN)\n");
        else {
            printf("  %6s %6s %6s %7s  %-20s %s\n", "line", "depth", "width", "layers", "tau",
                   "R²");
            for (int i = 0; i < m; i++) {
                char lay[16] = "-";
                if (has_g[i]) snprintf(lay, sizeof lay, "%d", tr[i].nlayers);
                if (tr[i].ok)
                    printf("  %6d %6g %6g %7s  %-20s %s\n", line[i], dep[i], wid[i], lay,
                           pm_(b1, sizeof b1, tr[i].tau, tr[i].tau_se),
                           r2s_(b2, sizeof b2, tr[i].r2));
                else
                    printf("  %6d %6g %6g %7s  no tau: %s\n", line[i], dep[i], wid[i], lay,
                           tr[i].why);
            }
        }

        printf("\nPersistence length vs width, tau(W) (± 1 SE):\n");
        if (cgrad >= 0) {
            printf("  %d run%s with a tau at %d width%s", tw.n, tw.n == 1 ? "" : "s", tw.nwidths,
                   tw.nwidths == 1 ? "" : "s");
            if (tw.nskipped) {
                printf("; %d skipped (", tw.nskipped);
                const char *sep = "";
                if (m - ngrad) printf("%s%d without grad_norms", sep, m - ngrad), sep = ", ";
                if (nfew) printf("%s%d with < 3 layers", sep, nfew), sep = ", ";
                if (nnodecay) printf("%s%d without decay toward the input", sep, nnodecay);
                printf(")");
            }
            printf("\n");
        }
        if (tw_rc == DW_OK) {
            printf("  power  tau = t0·W^beta    t0 = %s   beta = %s   R² %s on ln tau "
                   "(%s on tau)\n",
                   pm_(b1, sizeof b1, tw.t0, tw.t0_se), pm_(b2, sizeof b2, tw.beta, tw.beta_se),
                   r2s_(b3, sizeof b3, tw.r2_power), r2s_(b4, sizeof b4, tw.r2_power_tau));
            printf("  log    tau = a + b·ln W   a = %s   b = %s   R² %s on tau\n",
                   pm_(b1, sizeof b1, tw.a, tw.a_se), pm_(b2, sizeof b2, tw.b, tw.b_se),
                   r2s_(b3, sizeof b3, tw.r2_log));
        } else {
            printf("  not estimated: %s\n", tw_why);
        }
        printf("  paper: beta ≈ %.2f, R² %.2f (power) vs %.2f (log)\n", PAPER_TAU_BETA,
               PAPER_TAU_R2_POWER, PAPER_TAU_R2_LOG);

        printf("\nLoss vs depth per width (mean over runs at a depth; one token count per "
               "width)\n");
        if (clos < 0) printf("  no loss column (map one with --map loss=COLUMN)\n");
        for (int k = 0; k < nw; k++) {
            const FitDcrit *r = &dc[k];
            char tk[96] = "";
            if (isfinite(r->tokens)) {
                cli_fmt_sci(r->tokens, b1, sizeof b1);
                snprintf(tk, sizeof tk, ", tokens %s", b1);
            }
            printf("  W = %g%s: %d depth%s, %d run%s", r->width, tk, r->ndepths,
                   r->ndepths == 1 ? "" : "s", r->nruns, r->nruns == 1 ? "" : "s");
            if (r->ndropped)
                printf(" (%d run%s at other token counts left out)", r->ndropped,
                       r->ndropped == 1 ? "" : "s");
            printf("\n");
            int nd = curve_(dep, wid, ctok >= 0 ? tok : NULL, los, m, r->width, r->tokens, ud,
                            ul, cnt);
            printf("    depth");
            for (int q = 0; q < nd; q++) printf(" %7g", ud[q]);
            printf("\n    loss ");
            for (int q = 0; q < nd; q++) printf(" %7.4f", ul[q]);
            printf("\n");
            if (r->kind == FIT_DCRIT_INTERIOR)
                printf("    D_crit = %.2f (parabola in ln D through depths %g, %g, %g; no SE: "
                       "lies between %g and %g), loss %.4f there\n",
                       r->dcrit, r->lo, r->depth_at_min, r->hi, r->lo, r->hi, r->loss_at_min);
            else printf("    %s\n", r->why);
        }

        printf("\nCritical depth across widths (± 1 SE; R² centred, 1 - SSR/SST):\n");
        if (kp_rc == DW_OK) {
            printf("  %d width%s with an interior minimum\n", kp.nwidths,
                   kp.nwidths == 1 ? "" : "s");
            printf("  D_crit = kappa·ln W   kappa = %s   R² %s   paper: kappa = %.2f\n",
                   pm_(b1, sizeof b1, kp.kappa, kp.kappa_se), r2s_(b2, sizeof b2, kp.r2_kappa),
                   PAPER_KAPPA);
            if (kp.has_power)
                printf("  D_crit = c·W^beta     c = %s   beta = %s   R² %s on ln D_crit   "
                       "paper: D_crit ∝ W^%.2f\n",
                       pm_(b1, sizeof b1, kp.c, kp.c_se), pm_(b2, sizeof b2, kp.beta, kp.beta_se),
                       r2s_(b3, sizeof b3, kp.r2_power), PAPER_DCRIT_BETA);
            else printf("  D_crit = c·W^beta     not estimated: %s\n", kp.why);
        } else {
            printf("  not estimated: %s\n", kp_why);
        }
    }
    code = estimated ? EXIT_OK_ : EXIT_RESULT;
    if (!estimated)
        fprintf(stderr, "dwplan fit: %s: nothing could be estimated: no run with a tau and no "
                "width with an interior loss minimum\n", path);
out:
    cJSON_Delete(doc);
    free(g);
    free(dep), free(wid), free(tok), free(los), free(tau), free(ud), free(ul), free(wk), free(dk);
    free(line), free(has_g), free(cnt), free(tr), free(dc);
    return code;
}
