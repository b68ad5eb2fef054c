/* cli/plan_render.c — the laws side by side and the near-optimal region, as `plan` and
 * `check` print them (plan_render.h). Rendering only: the numbers come from planner/laws.c
 * and planner/region.c. */
#include "plan_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/dw.h"
#include "common/dwfmt.h"

// ----------------------------------------------------------------------------
// the set of laws

int cli_laws_load(const char *cmd, const char *spec, Law *main, int seq_len, Law ***laws,
                  int *n) {
    *laws = NULL, *n = 0;
    if (spec && strcmp(spec, "none") == 0) return 0;
    const char *const *presets = law_preset_names();
    int cap = 1, rc = 0;
    if (spec) for (const char *c = spec; *c; c++) cap += *c == ',';
    else for (int i = 0; presets[i]; i++) cap++;
    Law **set = calloc((size_t)cap + 1, sizeof *set);
    char *copy = spec ? malloc(strlen(spec) + 1) : NULL;
    if (copy) memcpy(copy, spec, strlen(spec) + 1);
    if (!set || (spec && !copy)) {
        free(set), free(copy);
        return cli_fail(cmd, dw_error_set(DW_ENOMEM, "out of memory for --laws"));
    }
    int k = 0, main_in = 0;
    char *next = copy;
    for (int i = 0;; i++) {
        const char *name = spec ? next : presets[i];
        if (!name) break;
        if (spec) { /* split at the next comma */
            char *comma = strchr(next, ',');
            if (comma) *comma = '\0';
            next = comma ? comma + 1 : NULL;
        }
        if (!*name) continue;
        if (strcmp(name, main->name) == 0 && !main_in) {
            set[k++] = main, main_in = 1; /* the recommending law as loaded (its --seq-len) */
            continue;
        }
        if ((rc = law_load(name, &set[k]))) {
            rc = cli_fail(cmd, rc);
            break;
        }
        if (seq_len > 0) set[k]->conv.seq_len = seq_len;
        k++;
    }
    free(copy);
    if (rc) {
        cli_laws_free(set, k, main);
        return rc;
    }
    if (!spec && !main_in) { /* a law file: first, then the presets */
        memmove(set + 1, set, sizeof *set * (size_t)k);
        set[0] = main, k++;
    }
    if (k == 0) {
        cli_laws_free(set, k, main);
        return cli_usage_error(cmd, "--laws '%s' names no law (use 'none' to turn the table "
                               "off)", spec);
    }
    *laws = set, *n = k;
    return 0;
}

void cli_laws_free(Law **laws, int n, const Law *main) {
    if (!laws) return;
    for (int i = 0; i < n; i++)
        if (laws[i] != main) law_free(laws[i]);
    free(laws);
}

// ----------------------------------------------------------------------------
// the laws table

void cli_laws_text(const PlanLawTable *t, const char *what, const char *held,
                   const char *main) {
    printf("\nunder each law (%s; its own best real shape, and what %s costs under it):\n",
           held, what);
    printf("  %-23s %-18s %-10s %8s %8s %8s %8s %9s\n", "law", "form", "own best", "N", "T",
           "loss", "rec loss", "regret");
    for (int i = 0; i < t->n; i++) {
        const PlanLawRow *r = &t->rows[i];
        char name[72];
        snprintf(name, sizeof name, "%s%s", r->name, strcmp(r->name, main) ? "" : "*");
        if (!r->ok) {
            printf("  %-23s %-18s not solved: %s\n", name, r->form, r->why);
            continue;
        }
        char sh[32], n[16], tk[16], g[16];
        snprintf(sh, sizeof sh, "%.0fx%.0f%s", r->own.depth, r->own.width,
                 r->has_shape ? "" : "~");
        dw_fmt_count(r->own.params_nonembed, n, sizeof n);
        dw_fmt_count(r->own.tokens, tk, sizeof tk);
        snprintf(g, sizeof g, "%+.4f", fabs(r->regret) < 5e-5 ? 0.0 : r->regret);
        printf("  %-23s %-18s %-10s %8s %8s %8.4f %8.4f %9s\n", name, r->form, sh, n, tk,
               r->own.loss, r->rec.loss, g);
    }
    printf("  * the recommending law; ~ no shape term: depth and width imposed (W/D), not "
           "chosen; N non-embedding\n  %s\n", t->agree);
}

cJSON *cli_laws_json(const PlanLawTable *t) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < t->n; i++) {
        const PlanLawRow *r = &t->rows[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddStringToObject(o, "form", r->form);
        cJSON_AddBoolToObject(o, "has_shape_term", r->has_shape);
        cJSON_AddBoolToObject(o, "ok", r->ok);
        if (!r->ok) {
            cJSON_AddStringToObject(o, "why", r->why);
            cJSON_AddItemToArray(a, o);
            continue;
        }
        cJSON *own = cJSON_AddObjectToObject(o, "own_optimum");
        cJSON_AddNumberToObject(own, "depth", r->own.depth);
        cJSON_AddNumberToObject(own, "width", r->own.width);
        cJSON_AddNumberToObject(own, "params_law", r->own.params_law);
        cJSON_AddNumberToObject(own, "params_nonembed", r->own.params_nonembed);
        cJSON_AddNumberToObject(own, "tokens", r->own.tokens);
        cJSON_AddNumberToObject(own, "flops", r->own.flops);
        cJSON_AddNumberToObject(own, "loss", r->own.loss);
        cJSON *rec = cJSON_AddObjectToObject(o, "recommended");
        cJSON_AddNumberToObject(rec, "params_law", r->rec.params_law);
        cJSON_AddNumberToObject(rec, "tokens", r->rec.tokens);
        cJSON_AddNumberToObject(rec, "flops", r->rec.flops);
        cJSON_AddNumberToObject(rec, "loss", r->rec.loss);
        cJSON_AddNumberToObject(o, "regret", r->regret);
        if (r->rec.dcrit_kind == PLAN_DCRIT_INTERIOR) dw_json_add_num(rec, "dcrit", r->rec.dcrit);
        else cJSON_AddNullToObject(rec, "dcrit");
        cJSON_AddStringToObject(rec, "dcrit_kind", plan_dcrit_kind_text(r->rec.dcrit_kind));
        cJSON_AddBoolToObject(rec, "past_critical_depth", r->past_dcrit);
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

// ----------------------------------------------------------------------------
// the region

int cli_within(const char *cmd, const char *spec, const Law *law, const PlanResult *res,
               double *eps, int *percent, int *given, char *why, size_t why_len) {
    char *end;
    *eps = 0, *percent = 0, *given = spec != NULL;
    if (!spec) {
        *eps = plan_region_default_eps(law, res, why, why_len);
        return 0;
    }
    if (strcmp(spec, "off") == 0) return 0;
    double v = strtod(spec, &end);
    if (end != spec && *end == '%' && end[1] == '\0') *percent = 1;
    else if (end == spec || *end)
        return cli_usage_error(cmd, "--within: '%s' is not a number of nats, a percentage "
                               "(0.005, 0.2%%) or 'off'", spec);
    if (!(v > 0) || !isfinite(v) || v > (*percent ? 50 : 1))
        return cli_usage_error(cmd, "--within: %s is outside (0, %s]", spec,
                               *percent ? "50%" : "1 nat");
    *eps = *percent ? v / 100 * res->real.loss : v;
    snprintf(why, why_len, "--within %s", spec);
    return 0;
}

double cli_region_p(const PlanRegion *g, const PlanPoint *pt, int *inside) {
    *inside = 0;
    for (int i = 0; i < g->n; i++)
        if (g->shapes[i].shape.depth == pt->depth && g->shapes[i].shape.width == pt->width) {
            *inside = 1;
            return g->shapes[i].p_within;
        }
    return NAN;
}

#define REGION_ROWS 10 /* widths listed in the full table; --json lists every shape */

static void region_table_(const PlanRegion *g) {
    printf("  %-7s %-10s %8s %8s %8s %9s %10s\n", "width", "depths", "best D", "N", "T",
           "+nats", "P(within)");
    int rows = 0;
    for (int i = 0; i < g->n; i++) {
        const PlanRegionShape *r = &g->shapes[i];
        int seen = 0;
        double dlo = r->shape.depth, dhi = r->shape.depth;
        for (int k = 0; k < g->n; k++) {
            if (g->shapes[k].shape.width != r->shape.width) continue;
            if (k < i) seen = 1;
            dlo = fmin(dlo, g->shapes[k].shape.depth), dhi = fmax(dhi, g->shapes[k].shape.depth);
        }
        if (seen) continue; /* shapes are sorted by loss: the first of a width is its best */
        if (++rows > REGION_ROWS) break;
        char dr[32], n[32], t[32], p[16] = "n/a";
        snprintf(dr, sizeof dr, "%.0f..%.0f", dlo, dhi);
        if (isfinite(r->p_within)) snprintf(p, sizeof p, "%.2f", r->p_within);
        printf("  %-7.0f %-10s %8.0f %8s %8s %9.4f %10s\n", r->shape.width, dr, r->shape.depth,
               dw_fmt_count(r->params_law, n, sizeof n), dw_fmt_count(r->tokens, t, sizeof t),
               r->dloss, p);
    }
    if (rows > REGION_ROWS) printf("  ... more widths (--json lists every shape)\n");
}

void cli_region_text(const Law *law, const PlanRegion *g, int percent, int full,
                     const char *eps_why, const PlanPoint *rec) {
    char c[32], n0[16], n1[16], t0[16], t1[16];
    dw_fmt_count(g->params_lo, n0, sizeof n0), dw_fmt_count(g->params_hi, n1, sizeof n1);
    dw_fmt_count(g->tokens_lo, t0, sizeof t0), dw_fmt_count(g->tokens_hi, t1, sizeof t1);
    printf("\nnear-optimal region: real shapes at %s FLOPs within %.2g nats%s of the best "
           "real shape (%.4f) under %s\n", dw_fmt_sci(g->compute, c, sizeof c), g->eps,
           percent ? " (the percentage of the recommended shape's loss)" : "", g->best_loss,
           law->name);
    if (!full)
        printf("  tolerance: %s (docs/options.md); --within EPS|P%% to change, --within off "
               "to hide\n", eps_why);
    if (g->shape_free)
        printf("  a band of N, not of shapes: the law has no shape term, so every shape with N "
               "%s..%s (T %s..%s) is within it (%d shapes scanned in)\n", n0, n1, t0, t1, g->n);
    else
        printf("  %d shape%s: depth %.0f..%.0f, width %.0f..%.0f (N %s..%s, T %s..%s)\n", g->n,
               g->n == 1 ? "" : "s", g->depth_lo, g->depth_hi, g->width_lo, g->width_hi, n0, n1,
               t0, t1);
    if (g->touches_scan)
        printf("  it reaches the edge of the scan (a factor 8 around the optimum): it may extend "
               "further\n");
    int inside;
    double p = cli_region_p(g, rec, &inside);
    if (!g->ndraws)
        printf("  P(within): no draws (%s)\n", g->draws_why);
    else if (inside)
        printf("  P(within) of the recommended %.0fx%.0f: %.2f (the share of %d parameter draws "
               "under which it is within the tolerance of that draw's best)\n", rec->depth,
               rec->width, p, g->ndraws);
    else
        printf("  the recommended %.0fx%.0f is outside the region\n", rec->depth, rec->width);
    if (full) region_table_(g);
    if (g->wide && !g->shape_free)
        printf("  the region is wide: under this law the shape barely matters at this budget; "
               "decide among these by training throughput and inference cost (not modelled "
               "yet)\n");
}

cJSON *cli_region_json(const PlanRegion *g, const char *eps_why, const PlanPoint *rec) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "eps_nats", g->eps);
    cJSON_AddStringToObject(o, "eps_why", eps_why);
    cJSON_AddNumberToObject(o, "best_loss", g->best_loss);
    cJSON_AddNumberToObject(o, "shapes", g->n);
    double d[2] = {g->depth_lo, g->depth_hi}, w[2] = {g->width_lo, g->width_hi};
    double n[2] = {g->params_lo, g->params_hi}, t[2] = {g->tokens_lo, g->tokens_hi};
    cJSON_AddItemToObject(o, "depth", cJSON_CreateDoubleArray(d, 2));
    cJSON_AddItemToObject(o, "width", cJSON_CreateDoubleArray(w, 2));
    cJSON_AddItemToObject(o, "params_law", cJSON_CreateDoubleArray(n, 2));
    cJSON_AddItemToObject(o, "tokens", cJSON_CreateDoubleArray(t, 2));
    cJSON_AddBoolToObject(o, "shape_free_law", g->shape_free);
    cJSON_AddBoolToObject(o, "touches_scan", g->touches_scan);
    cJSON_AddBoolToObject(o, "wide", g->wide);
    cJSON_AddNumberToObject(o, "draws", g->ndraws);
    if (!g->ndraws) cJSON_AddStringToObject(o, "draws_why", g->draws_why);
    int inside;
    double p = cli_region_p(g, rec, &inside);
    cJSON_AddBoolToObject(o, "recommended_inside", inside);
    dw_json_add_num(o, "recommended_p_within", p);
    cJSON *arr = cJSON_AddArrayToObject(o, "list");
    for (int i = 0; i < g->n; i++) {
        const PlanRegionShape *r = &g->shapes[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "depth", r->shape.depth);
        cJSON_AddNumberToObject(e, "width", r->shape.width);
        cJSON_AddNumberToObject(e, "params_law", r->params_law);
        cJSON_AddNumberToObject(e, "tokens", r->tokens);
        cJSON_AddNumberToObject(e, "loss", r->loss);
        cJSON_AddNumberToObject(e, "dloss", r->dloss);
        dw_json_add_num(e, "p_within", r->p_within);
        cJSON_AddItemToArray(arr, e);
    }
    return o;
}

void cli_laws_dcrit_text(const PlanLawTable *t, const char *what) {
    char past[320] = "", none[320] = "", free_[320] = "";
    size_t a = 0, b = 0, c = 0;
    for (int i = 0; i < t->n; i++) {
        const PlanLawRow *r = &t->rows[i];
        if (!r->ok) continue;
        if (r->rec.dcrit_kind == PLAN_DCRIT_NO_SHAPE)
            c += (size_t)snprintf(free_ + c, c < sizeof free_ ? sizeof free_ - c : 0, "%s%s",
                                  c ? ", " : "", r->name);
        else if (r->rec.dcrit_kind == PLAN_DCRIT_INTERIOR && r->past_dcrit)
            a += (size_t)snprintf(past + a, a < sizeof past ? sizeof past - a : 0,
                                  "%s%s (D_crit %.1f, D/D_crit %.2f)", a ? ", " : "", r->name,
                                  r->rec.dcrit, r->rec.depth / r->rec.dcrit);
        else
            b += (size_t)snprintf(none + b, b < sizeof none ? sizeof none - b : 0,
                                  "%s%s (%s)", b ? ", " : "", r->name,
                                  r->rec.dcrit_kind == PLAN_DCRIT_INTERIOR ? "within its D_crit"
                                  : r->rec.dcrit_kind == PLAN_DCRIT_FALLS
                                      ? "loss still falls with depth"
                                      : "D_crit at one layer");
    }
    printf("  critical depth: %s is past it under %s", what, a ? past : "no law of the set");
    if (b) printf("; not under %s", none);
    if (c) printf("; %s: no shape term, no D_crit", free_);
    printf("\n");
}
